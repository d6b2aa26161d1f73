"""bienestar-planner: planning optimizer for Mexico's IMSS-Bienestar public health network.

Data in (``optimizer.data``), models (``deployment``, ``rostering``, ``capacity``, ``distribution``,
``access``), plans out (``scenarios``, ``reports``). The web service lives in the top-level ``api`` package.
"""

__version__ = "0.1.0"
