"""The KPI catalogue: every KPI a run reports has a human label, unit and definition in Spanish and English."""

from __future__ import annotations

from optimizer.i18n import LANGS, has
from optimizer.i18n.kpis import AUDIENCE_HEADLINES, KINDS, definition, fmt_kpi, label
from optimizer.scenarios.headline import HEADLINES


def test_every_kpi_kind_has_label_and_definition_in_every_language() -> None:
    for kpi in KINDS:
        for lang in LANGS:
            assert has(f"kpis.{kpi}.label", lang), (kpi, lang)
            assert has(f"kpis.{kpi}.help", lang), (kpi, lang)


def test_headline_and_audience_kpis_are_catalogued() -> None:
    for key, *_ in HEADLINES:
        assert f"headline.{key}" in KINDS
    for ids in AUDIENCE_HEADLINES.values():
        assert set(ids) <= set(KINDS)


def test_kpis_read_as_people_expect() -> None:
    assert fmt_kpi("access.share_60", 0.554, "es") == "55.4 %"
    assert fmt_kpi("capacity.coverage_pct", 71.84, "es") == "71.8 %"
    assert fmt_kpi("capacity.procedures_per_week", -177.987, "es") == "-178"
    assert fmt_kpi("capacity.status", "optimal", "es") == "óptimo"
    assert fmt_kpi("capacity.certified_optimal", True, "en") == "yes"
    assert label("access.hospitals_24_7", "es").startswith("Hospitales con cirugía 24/7")
    assert "otros hospitales" in definition("access.hospitals_24_7", "es")
