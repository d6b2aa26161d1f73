"""Scenario files: every built-in scenario is valid; a bad one gives a clear error with file, line and key."""

from __future__ import annotations

import pytest

from optimizer.paths import SCENARIO_DIR
from optimizer.scenarios.schema import MODEL_ORDER, Scenario
from optimizer.scenarios.yamlfile import ScenarioError, load_scenario, parse_scenario

BUILT_IN = ("baseline", "rural-incentives", "new-hospitals-2025", "flu-season", "depot-outage", "recruitment-2026",
            "access-first")


@pytest.mark.parametrize("name", BUILT_IN)
def test_built_in_scenarios_are_valid(name: str) -> None:
    s = load_scenario(SCENARIO_DIR / f"{name}.yaml")
    assert s.name == name
    assert s.dataset.generate is not None and s.dataset.generate.seed == 42


def test_flu_season_says_what_the_issue_asks() -> None:
    s = load_scenario(SCENARIO_DIR / "flu-season.yaml")
    (rule,) = s.demand
    assert rule.factor == pytest.approx(1.3)
    assert {"respiratory", "vaccines"} <= set(rule.groups)
    assert s.planning_month in rule.months


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(text, "bad.yaml")
    return str(exc.value)


def test_unknown_key_is_reported_with_its_line() -> None:
    msg = _error("name: x\nseed: 1\ndeployment:\n  time_limit_s: 5\n  km_wieght: 2\n")
    assert "bad.yaml: line 5: deployment.km_wieght: unknown key" in msg


def test_bad_value_in_an_embedded_model_settings_class_is_reported_with_its_line() -> None:
    msg = _error("name: x\ncapacity:\n  time_limit_s: -3\n")
    assert "bad.yaml: line 3: capacity.time_limit_s" in msg
    assert "greater than 0" in msg


def test_every_problem_is_listed_not_only_the_first() -> None:
    text = ("name: x\n"
            "demand:\n"
            "  - factor: 1.2\n"
            "    months: [13]\n"
            "recruits:\n"
            "  origin: {'99': 1.0}\n"
            "models: [deployment, rostering, teleport]\n")
    msg = _error(text)
    assert "line 4: demand.0.months: month 13 is not in 1..12" in msg
    assert "line 6: recruits.origin: '99' is not a state code" in msg
    assert "line 7: models.2" in msg and "teleport" in msg


def test_duplicate_key_and_invalid_yaml_and_wrong_shape() -> None:
    assert "line 3: key 'seed' is given twice" in _error("name: x\nseed: 1\nseed: 2\n")
    msg = _error("name: x\nseed: [1, 2\n")
    assert "bad.yaml: line 3, column 1: not valid YAML" in msg and "opened on line 2" in msg
    assert "line 1: a scenario is a mapping" in _error("- just\n- a list\n")


def test_dataset_needs_exactly_one_source() -> None:
    msg = _error("name: x\ndataset:\n  path: /tmp\n  generate: {seed: 1}\n")
    assert "bad.yaml: line 2: dataset: give exactly one of 'path'" in msg


def test_missing_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_models_run_in_chain_order_and_seed_flows_to_every_solver() -> None:
    s = parse_scenario("name: x\nseed: 17\nmodels: [access, deployment]\ncapacity: {seed: 3}\n").seeded()
    assert s.models == [m for m in MODEL_ORDER if m in ("access", "deployment")]
    assert s.deployment.seed == 17 and s.rostering.settings.seed == 17
    assert s.distribution.routing.seed == 17 and s.distribution.allocation.seed == 17 and s.access.seed == 17
    assert s.capacity.seed == 3  # set explicitly in the file: kept


def test_resolved_scenario_round_trips() -> None:
    s = load_scenario(SCENARIO_DIR / "recruitment-2026.yaml").seeded()
    assert Scenario.model_validate(s.model_dump(mode="json")) == s
