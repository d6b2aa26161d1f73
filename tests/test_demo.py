"""The demo's own limits: laid over the scenario files, valid, and never written into the planning files."""

from __future__ import annotations

from optimizer.cli.demo import DEMO_LIMITS, DEMO_SCENARIOS, demo_scenario
from optimizer.paths import SCENARIO_DIR
from optimizer.scenarios.yamlfile import load_scenario


def test_demo_scenarios_carry_the_demo_limits_and_keep_everything_else() -> None:
    for name in DEMO_SCENARIOS:
        planned, demo = load_scenario(SCENARIO_DIR / f"{name}.yaml"), demo_scenario(name)
        assert demo.name == planned.name
        assert demo.deployment.time_limit_s == DEMO_LIMITS["deployment"]["time_limit_s"]
        assert demo.rostering.max_hospitals == DEMO_LIMITS["rostering"]["max_hospitals"]
        assert demo.distribution.routing.time_limit_s == DEMO_LIMITS["distribution"]["routing"]["time_limit_s"]
        assert demo.surgery.max_hospitals == DEMO_LIMITS["surgery"]["max_hospitals"]
        assert demo.surgery.settings.time_limit_s == DEMO_LIMITS["surgery"]["settings"]["time_limit_s"]
        assert "surgery" in demo.models
        # What the scenario is about is untouched: the models, bonuses and weights of the file.
        assert demo.models == planned.models
        assert demo.deployment.remote_bonus_mxn == planned.deployment.remote_bonus_mxn
        assert demo.deployment.marginalisation_weight == planned.deployment.marginalisation_weight
        # The planning file keeps its own (longer) limits.
        assert planned.deployment.time_limit_s > demo.deployment.time_limit_s


def test_demo_summary_labels_have_spanish_and_english() -> None:
    from optimizer.cli.demo import _SUMMARY_KEYS
    from optimizer.i18n import catalog

    for english, key in _SUMMARY_KEYS.items():
        assert catalog("en")[f"cli.demo.summary.{key}"] == english
        assert catalog("es")[f"cli.demo.summary.{key}"] not in ("", english)
