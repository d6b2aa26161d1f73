"""Médicos del Bienestar surgical-team deployment (issue 3), on the model contract of :mod:`optimizer.plan`.

Shortest path to a plan::

    from optimizer import deployment
    inp = deployment.Input.from_dataset(path)
    plan = deployment.solve(inp, deployment.Settings(time_limit_s=30))

``Input`` (:class:`inputs.DeploymentInput`), ``Settings`` (:class:`settings.DeploymentSettings`), ``Plan``
(:class:`plan.DeploymentPlan`), ``solve``, ``validate(input, plan, settings)``, ``kpis(input, plan, settings)``
and ``run(input, settings)`` (plan + validation + KPIs + tables). With ``access_weight > 0`` the input needs
access data: :func:`with_access` (an explicit access scope and 24/7 base set). CLI: ``bienestar deploy``.
"""

from optimizer.deployment.access_term import with_access
from optimizer.deployment.inputs import DeploymentInput as Input
from optimizer.deployment.kpis import kpis
from optimizer.deployment.model import solve
from optimizer.deployment.plan import DeploymentPlan as Plan
from optimizer.deployment.run import run
from optimizer.deployment.settings import DeploymentSettings as Settings
from optimizer.deployment.validate import validate

__all__ = ["Input", "Plan", "Settings", "kpis", "run", "solve", "validate", "with_access"]
