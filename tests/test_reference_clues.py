"""data/reference/clues_imssb.csv: the CLUES catalogue as built by tools/build_clues.py from ../shared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from optimizer.data import reference
from optimizer.paths import REFERENCE_DIR

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared" / "data" / "mexico", Path("/work/shared/data/mexico"))
               if (p / "clues_imssb.csv").exists()), None)


def test_the_reference_catalogue_is_complete_and_joins_the_2020_frame() -> None:
    cat = reference.clues_catalogue()
    assert len(cat) == 10_573 and cat["clues"].is_unique
    assert cat["clues"].str.match(r"^[A-Z]{2}IMB\d{6}$").all()
    assert set(cat["cvegeo_2020"]) <= set(reference.municipalities()["cvegeo"])
    assert (cat["cvegeo_2020"].str[:2] == cat["cve_ent"]).all()
    assert cat["status"].value_counts().to_dict() == {
        "EN OPERACION": 10_366, "FUERA DE OPERACION": 200, "EN PROCESO DE CONSTRUCCION": 4,
        "PENDIENTE DE ENTRAR EN OPERACION": 3}
    hospitals = cat[cat["typology"].str.contains("HOSPITAL")]
    assert len(hospitals) == 626 and (hospitals["status"] == "EN OPERACION").sum() == 608


@pytest.mark.skipif(SHARED is None, reason="../shared/data/mexico/clues_imssb.csv not found")
def test_the_tool_rebuilds_the_committed_file_exactly() -> None:
    spec = importlib.util.spec_from_file_location("build_clues", ROOT / "tools" / "build_clues.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    built = mod.build(SHARED)
    committed = pd.read_csv(REFERENCE_DIR / "clues_imssb.csv", dtype=str, keep_default_na=False)
    assert built.astype(str).equals(committed.astype(str))


@pytest.mark.skipif(SHARED is None, reason="../shared/data/mexico/clues_imssb.csv not found")
def test_the_post_2020_parents_agree_with_shared_and_a_wrong_one_is_caught() -> None:
    spec = importlib.util.spec_from_file_location("build_clues", ROOT / "tools" / "build_clues.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    localities = pd.read_csv(SHARED / "localities_1000.csv", dtype={"cvegeo": str})
    frame = pd.read_csv(SHARED / "municipalities.csv", dtype={"cve_ent": str, "cvegeo": str})
    assert mod.check_parents(localities, frame) == []
    mod.PARENT_2020["02007"] = "02006"  # San Felipe under San Quintín: too few people there in 2020
    mod.PARENT_2020["25020"] = "25017"  # Juan José Ríos under Sinaloa: two nearer seats could hold it
    problems = mod.check_parents(localities, frame)
    assert len(problems) == 2 and problems[0].startswith("02007") and problems[1].startswith("25020")
