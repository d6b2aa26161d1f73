"""24/7 capacity LP with duals (HiGHS), bottlenecks per peso, 24/7 status, and WISN staffing need.

On the model contract of :mod:`optimizer.plan`; shortest path to a plan::

    from optimizer import capacity
    inp = capacity.Input.from_dataset(path)
    plan = capacity.solve(inp, capacity.Settings(time_limit_s=30))

- ``Input`` (:class:`model.CapacityInput`, ``from_dataset``; :meth:`~model.CapacityInput.with_staff` adds a
  deployment plan's people), ``Settings`` (:class:`settings.CapacitySettings`), ``Plan``
  (:class:`model.CapacityPlan`: hours, procedures, every row's dual);
- ``solve``; ``validate(input, plan, settings)``: independent feasibility, objective and LP-duality optimality
  certificate; ``kpis(input, plan, settings)``: the one KPI dict; ``run(input, settings)``: all of them plus
  the plan tables; :func:`run.run_capacity` adds the marginal person and team gains (CLI, API);
- :func:`kpis.statuses`: 24/7 status per hospital; :func:`run.hospitals_24_7_in_post`: the 24/7 base set;
- :func:`marginal.marginal_gains`, :func:`marginal.bottlenecks`: one more person per hospital x role;
- :func:`wisn.compute_wisn` (WHO method, exact) and :func:`staffing.facility_wisn` (from the records).
"""

from optimizer.capacity.model import CapacityInput as Input
from optimizer.capacity.model import CapacityPlan as Plan
from optimizer.capacity.model import solve
from optimizer.capacity.run import hospitals_24_7_in_post, kpis, run, run_capacity
from optimizer.capacity.settings import CapacitySettings as Settings
from optimizer.capacity.validate import validate

__all__ = ["Input", "Plan", "Settings", "hospitals_24_7_in_post", "kpis", "run", "run_capacity", "solve",
           "validate"]
