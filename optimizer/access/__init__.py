"""Access and equity: who is within reach of 24/7 surgery, and where the next teams should go.

Public API:

- :func:`scope_from_dataset` / :func:`build_scope` -> :class:`AccessScope` (population points, municipalities,
  hospitals and the road-minutes matrix; estimated by :mod:`optimizer.access.travel` or loaded by :mod:`.odmatrix`);
- :func:`access_report` -> :class:`AccessReport` (KPI tables summing to the census total, equity index);
- :func:`municipality_access_table` (one row per municipality, aggregated from its points, for maps);
- :func:`access_gain` -> :class:`AccessGain` (objective term for the deployment model);
- the where-next model on the shared contract (``optimizer/plan.py``): ``Input`` (:class:`WhereNextInput`),
  ``Settings`` (:class:`AccessSettings`, ``model`` = mclp or pmedian), ``Plan`` (:class:`WhereNextPlan`),
  :func:`solve`, :func:`validate` (``validate(input, plan, settings)``), :func:`kpis` and :func:`run`;
  the two models are :func:`solve_mclp` (:mod:`.mclp`) and :func:`solve_pmedian` (:mod:`.pmedian`), checked by
  :func:`validate_where_next`.
"""

from optimizer.access.gain import AccessGain, access_gain
from optimizer.access.kpis import AccessReport, access_report, municipality_access_table
from optimizer.access.mclp import solve_mclp
from optimizer.access.pmedian import solve_pmedian
from optimizer.access.run import WhereNextRun, kpis, run, solve, validate
from optimizer.access.scope import AccessScope, build_scope, default_24_7, scope_from_dataset
from optimizer.access.settings import AccessSettings, TravelSettings
from optimizer.access.validate import validate_report, validate_where_next
from optimizer.access.where_next import WhereNextInput, WhereNextPlan, WhereNextQuestion

Input = WhereNextInput
Settings = AccessSettings
Plan = WhereNextPlan

__all__ = [
    "AccessGain", "AccessReport", "AccessScope", "AccessSettings", "Input", "Plan", "Settings", "TravelSettings",
    "WhereNextInput", "WhereNextPlan", "WhereNextQuestion", "WhereNextRun", "access_gain", "access_report",
    "build_scope", "default_24_7", "kpis", "municipality_access_table", "run", "scope_from_dataset", "solve",
    "solve_mclp", "solve_pmedian", "validate", "validate_report", "validate_where_next",
]
