"""Medicine distribution: weekly allocation under shortage (HiGHS LP) and daily routes (PyVRP / OR-Tools).

On the model contract of :mod:`optimizer.plan`: ``Input`` (:class:`model.DistributionInput`;
``model.load_input(ds, day, settings)`` adds the central split), ``Settings``, ``Plan``
(:class:`model.DistributionResult`), ``solve``, ``validate``, ``kpis``, ``run`` (:mod:`.run`).

Public API:

* ``model.DistributionInput.from_dataset(ds, day)``, ``run.run_distribution(dir, day, settings, out)``
  (solve and write the published files);
* ``allocation.AllocationInput`` / ``solve_allocation`` (lexicographic: vital max-min, vital total,
  max-min, total fill, transport) and ``validate.validate_allocation``;
* ``problem.RoutingProblem`` / ``routing.solve_routes`` (engines ``pyvrp_engine``, ``ortools_engine``) and
  ``validate.validate_routes``; ``insertion.insert_urgent`` for urgent orders;
* ``io.read_benchmark`` (Solomon, CVRPLIB); ``forecast.forecast_demand`` / ``order_up_to``;
* ``outputs.write_outputs`` (CSV/XLSX manifests, GeoJSON, day plan), ``outputs.write_vehicle_update``;
  ``planfile.save_day_plan`` / ``load_day_plan`` (the published day, re-loadable);
* ``urgent.place_urgent`` (an urgent order into the published day, binding constraint when impossible);
  ``outputs.append_urgent_shipments`` (its lines into the week's shipments CSV);
* ``published.validate_published`` (`bienestar check-published`: the files of a published day agree);
* ``central.read_central_supply`` / ``central_lots`` / ``solve_central`` (central supply split among depots
  within storage m3) with ``model.central_input``, ``model.with_central_supply`` and ``validate.validate_central``;
* ``allocation.dispatch_use`` / ``dispatch_binding`` (which depots' weekly dispatch capacity binds);
* ``kpis``; ``settings`` (pydantic).
"""

from optimizer.distribution.model import DistributionInput as Input
from optimizer.distribution.model import DistributionResult as Plan
from optimizer.distribution.model import solve
from optimizer.distribution.run import kpis, run, validate
from optimizer.distribution.settings import DistributionSettings as Settings

__all__ = ["Input", "Plan", "Settings", "kpis", "run", "solve", "validate"]
