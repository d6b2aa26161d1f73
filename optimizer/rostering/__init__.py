"""24/7 shift rostering with OR-Tools CP-SAT, measured on the Curtois & Qu benchmark.

Modules (one job each):

* ``instance``  the problem as data (shift types, staff rules, requests, cover, fairness, re-planning);
* ``io``        Curtois & Qu text format: ``parse_instance``, ``format_instance``, ``write_instance``;
* ``cpsat``     the CP-SAT formulation (sliding windows, forbidden-pattern clauses, symmetry breaking), for the
  whole staff or, in the LNS, for a few freed people with everybody else's rows as constants;
* ``greedy``    a fast greedy roster (optional CP-SAT hint);
* ``decompose`` exact split into independent roles; ``lns`` LNS over people (exact sub-models)
  and a person-by-person first roster, for large ones;
* ``model``     ``solve(inst, settings) -> RosterPlan`` (status, objective, bound, gap, times, roster);
* ``validate``  the independent validator (every hard rule + objective from the roster alone);
* ``explain``   minimal conflicting rule sets for infeasible rosters;
* ``hospital``  the roster of a hospital from its staff list / a dataset (``from_dataset``);
* ``replan``    re-planning with a pinned published period and a penalty per change;
* ``kpis``, ``export``  what planners read: per-unit KPIs, text grid, CSV, XLSX (a sheet per unit).
"""
