"""24/7 capacity LP with duals (HiGHS), bottlenecks per peso, 24/7 status, and WISN staffing need.

Public API:
- :func:`build.from_dataset` / :func:`build.load_input` -> :class:`model.CapacityInput`
- :func:`model.solve` -> :class:`model.CapacityPlan` (hours, procedures, every row's dual)
- :func:`validate.validate`: independent feasibility, objective and LP-duality optimality certificate
- :func:`kpis.statuses`, :func:`kpis.network_kpis`: 24/7 status per hospital and network totals
- :func:`marginal.marginal_gains`, :func:`marginal.bottlenecks`: one more person per hospital x role
- :meth:`model.CapacityInput.with_staff`: add a deployment plan's people
- :func:`wisn.compute_wisn` (WHO method, exact) and :func:`staffing.facility_wisn` (from the records)
"""
