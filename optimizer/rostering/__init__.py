"""24/7 shift rostering with OR-Tools CP-SAT, measured on the Curtois & Qu benchmark.

On the model contract of :mod:`optimizer.plan`: ``Input`` (:class:`instance.RosterInstance`; read one with
``from_file(path)``, a Curtois & Qu file, or ``hospital_input(dataset, clues, weeks)``), ``Settings``, ``Plan``,
``solve``, ``validate``, ``kpis``, ``run``.

Modules (one job each):

* ``instance``  the problem as data (shift types, staff rules, requests, cover, fairness, re-planning);
* ``io``        Curtois & Qu text format: ``parse_instance``, ``format_instance``, ``write_instance``;
* ``cpsat``     the CP-SAT formulation (sliding windows, forbidden-pattern clauses, symmetry breaking), for the
  whole staff or, in the LNS, for a few freed people with everybody else's rows as constants;
* ``greedy``    a fast greedy roster (optional CP-SAT hint);
* ``decompose`` exact split into independent roles; ``lns`` LNS over people (exact sub-models)
  and a person-by-person first roster, for large ones;
* ``model``     ``solve(inst, settings) -> RosterPlan`` (status, objective, bound, gap, times, roster);
* ``validate``  the independent validator: ``check_roster(inst, roster)`` (every hard rule + objective from the
  roster alone) and the contract's ``validate(inst, plan, settings) -> RosterValidation``;
* ``run``       ``run(inst, settings)``: plan + validation + the one KPI dict + tables (CLI, stage, API);
* ``explain``   minimal conflicting rule sets for infeasible rosters;
* ``hospital``  the roster of a hospital from its staff list / a dataset (``from_dataset``);
* ``replan``    re-planning with a pinned published period and a penalty per change;
* ``kpis``, ``export``  what planners read: per-unit KPIs, text grid, CSV, XLSX (a sheet per unit).
"""

from optimizer.rostering.hospital import hospital_input
from optimizer.rostering.instance import RosterInstance as Input
from optimizer.rostering.io import parse_instance as from_file
from optimizer.rostering.model import RosterPlan as Plan
from optimizer.rostering.model import solve
from optimizer.rostering.run import kpis, run
from optimizer.rostering.settings import RosterSettings as Settings
from optimizer.rostering.validate import validate

__all__ = ["Input", "Plan", "Settings", "from_file", "hospital_input", "kpis", "run", "solve", "validate"]
