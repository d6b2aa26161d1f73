"""Surgical waiting lists: admission day, room, theatre and nurse scheduling for one hospital (IHTP, IHTC-2024).

Modules (one job each):

* ``model``     the instance and the plan as typed data (``Input``, ``Plan``);
* ``io``        the official JSON: ``read_instance``, ``read_solution``, ``write_solution`` (what the official
  ``IHTP_Validator.cc`` reads), with errors naming the file and field;
* ``validate``  the independent validator: every hard counter and soft term as the official validator defines it;
* ``day_lp``    the day model in HiGHS: its LP relaxation (guides the greedy day plan) and its MIP;
* ``days``      the day plan (surgeon minutes exact, theatres and beds by gender aggregated): an LP-guided greedy
  plan, then CP-SAT from it as a complete hint and HiGHS's MIP from it, the best kept;
* ``rooms``     the room plan (exact beds, genders, compatibilities): best-fit greedy, then CP-SAT from it;
* ``construct`` feasible construction from those plans (mandatory patients first) with an ejection repair;
* ``state``     the incremental cost state; ``search`` simulated annealing over patients and nurses;
* ``lns``       CP-SAT large-neighbourhood search: a few dozen patients re-inserted exactly, the rest fixed;
* ``nurses``    exact CP-SAT nurse re-assignment, one shift at a time;
* ``solver``    ``solve(input, settings)``; ``kpis``; ``run`` (plan + validation + KPIs).
"""

from optimizer.surgery.kpis import kpis
from optimizer.surgery.model import Input, Plan
from optimizer.surgery.run import run
from optimizer.surgery.settings import Settings
from optimizer.surgery.solver import solve
from optimizer.surgery.validate import validate

__all__ = ["Input", "Plan", "Settings", "kpis", "run", "solve", "validate"]
