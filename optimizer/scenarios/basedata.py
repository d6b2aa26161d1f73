"""The base dataset of a scenario: a dataset folder, or the generator's output cached by its settings."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

from optimizer.data.generate import GeneratorConfig, generate
from optimizer.i18n import msg
from optimizer.paths import home_dir, private_temp, publish
from optimizer.scenarios.schema import DatasetSource
from optimizer.scenarios.yamlfile import ScenarioError


def generated_dir(settings: dict[str, int], cache: Path | None = None) -> Path:
    """Cache folder of a generated dataset: one per distinct generator settings."""
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return (cache or home_dir() / "datasets") / f"generated-seed{settings.get('seed', 42)}-{key}"


def resolve_base(source: DatasetSource, scenario_file: Path | None = None, cache: Path | None = None) -> Path:
    """Folder of the base dataset: ``path`` (relative to the scenario file), or generated once and cached."""
    if source.path is not None:
        p = Path(source.path).expanduser()
        if not p.is_absolute() and scenario_file is not None:
            p = (scenario_file.parent / p).resolve()
        if not (p / "facilities.csv").exists():
            raise ScenarioError(msg("scenario.dataset.missing", path=str(p)))
        return p
    assert source.generate is not None  # guaranteed by DatasetSource's validator
    settings = source.generate.config_overrides()
    out = generated_dir(settings, cache)
    if not (out / "records" / "_meta.json").exists():
        tmp = private_temp(out)
        generate(tmp, replace(GeneratorConfig(), **settings))
        if not (out / "records" / "_meta.json").exists():  # not published meanwhile: drop an interrupted run's
            shutil.rmtree(out, ignore_errors=True)
        publish(tmp, out)
    return out
