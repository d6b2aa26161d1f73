"""Medicine distribution: weekly allocation under shortage (HiGHS LP) and daily routes (PyVRP / OR-Tools).

Public API:

* ``model.DistributionInput.from_dataset(ds, day)``, ``model.run_distribution(dir, day, settings, out)``;
* ``allocation.AllocationInput`` / ``solve_allocation`` (lexicographic: vital max-min, vital total,
  max-min, total fill, transport) and ``validate.validate_allocation``;
* ``problem.RoutingProblem`` / ``routing.solve_routes`` (engines ``pyvrp_engine``, ``ortools_engine``) and
  ``validate.validate_routes``; ``insertion.insert_urgent`` for urgent orders;
* ``io.read_benchmark`` (Solomon, CVRPLIB); ``forecast.forecast_demand`` / ``order_up_to``;
* ``outputs.write_outputs`` (CSV/XLSX manifests, GeoJSON); ``kpis``; ``settings`` (pydantic).
"""
