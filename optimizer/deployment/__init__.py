"""Médicos del Bienestar surgical-team deployment (issue 3).

Public API: ``inputs.from_dataset`` / ``inputs.from_tables`` build a :class:`inputs.DeploymentInput`;
``model.solve(input, settings)`` returns a :class:`model.DeploymentPlan`; ``validate.validate`` checks it
independently; ``kpis.compute_kpis`` and ``export.write_plan`` report it; ``settings.DeploymentSettings``
holds every planner knob. CLI: ``bienestar deploy``.
"""
