"""What one model hands another, computed once per run by the runner from the scenario's own settings.

No model runs another behind its caller's back: the deployment's access term and the access stage both
need the hospitals that already run 24/7 surgery with their staff in post (the capacity model's 24/7
status, under the scenario's ``capacity:`` settings) and the municipality x hospital travel times (the
access scope, under the scenario's ``access.travel`` settings). The runner builds one :class:`ModelLinks`
per run and passes it to every stage; each value is computed the first time a stage asks for it.
"""

from __future__ import annotations

from functools import cached_property

from optimizer.access.scope import AccessScope, scope_from_dataset
from optimizer.capacity.run import hospitals_24_7_in_post
from optimizer.data.dataset import Dataset
from optimizer.scenarios.schema import Scenario


class ModelLinks:
    """The inputs shared between the models of one run (see the module docstring)."""

    def __init__(self, scenario: Scenario, dataset: Dataset) -> None:
        self.scenario = scenario
        self.dataset = dataset

    @cached_property
    def base_24_7(self) -> frozenset[str]:
        """CLUES of the hospitals 24/7 for surgery before any deployment (their staff in post)."""
        return hospitals_24_7_in_post(self.dataset, self.scenario.capacity)

    @cached_property
    def access_scope(self) -> AccessScope:
        """Population points, hospitals and road minutes between them (the scenario's travel settings and
        population resolution)."""
        a = self.scenario.access
        return scope_from_dataset(self.dataset, travel=a.travel, resolution=a.resolution)
