"""Access and equity: who is within reach of 24/7 surgery, and where the next teams should go.

Public API:

- :func:`scope_from_dataset` / :func:`build_scope` -> :class:`AccessScope` (municipalities, hospitals and the
  road-minutes matrix; estimated by :mod:`optimizer.access.travel` or loaded by :mod:`.odmatrix`);
- :func:`access_report` -> :class:`AccessReport` (KPI tables summing to the census total, equity index);
- :func:`municipality_access_table` (one row per municipality, for maps);
- :func:`access_gain` -> :class:`AccessGain` (objective term for the deployment model);
- :class:`WhereNextInput`, :func:`solve_mclp`, :func:`solve_pmedian` -> :class:`WhereNextPlan`, checked by
  :func:`validate_where_next`.
"""

from optimizer.access.gain import AccessGain, access_gain
from optimizer.access.kpis import AccessReport, access_report, municipality_access_table
from optimizer.access.model import WhereNextInput, WhereNextPlan, solve_mclp, solve_pmedian
from optimizer.access.scope import AccessScope, build_scope, default_24_7, scope_from_dataset
from optimizer.access.settings import AccessSettings, TravelSettings
from optimizer.access.validate import validate_report, validate_where_next

__all__ = [
    "AccessGain", "AccessReport", "AccessScope", "AccessSettings", "TravelSettings", "WhereNextInput",
    "WhereNextPlan", "access_gain", "access_report", "build_scope", "default_24_7", "municipality_access_table",
    "scope_from_dataset", "solve_mclp", "solve_pmedian", "validate_report", "validate_where_next",
]
