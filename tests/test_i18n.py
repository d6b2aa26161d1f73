"""Every message has a Spanish and an English text with the same placeholders; formats follow es-MX."""

from __future__ import annotations

import pickle
import re
import string
from datetime import date, datetime
from pathlib import Path

import pytest

from optimizer.i18n import (
    LANGS,
    catalog,
    fmt_datetime,
    fmt_int,
    fmt_pct,
    fmt_pp,
    fmt_weekday_date,
    msg,
    render_stored,
    resolve_lang,
    t,
)
from optimizer.scenarios.yamlfile import ScenarioError, parse_scenario


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_every_language_with_the_same_placeholders() -> None:
    keys = set().union(*(catalog(lang) for lang in LANGS))
    for lang in LANGS:
        missing = sorted(keys - set(catalog(lang)))
        assert not missing, f"keys without a {lang} text: {missing[:20]}"
        empty = sorted(k for k, v in catalog(lang).items() if not v.strip())
        assert not empty, f"empty {lang} texts: {empty[:20]}"
    for key in keys:
        assert _fields(catalog("es")[key]) == _fields(catalog("en")[key]), key


def test_language_resolution_order(monkeypatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)
    assert resolve_lang() == "es"
    monkeypatch.setenv("BIENESTAR_LANG", "en")
    assert resolve_lang() == "en"
    assert resolve_lang(accept_language="es-MX,es;q=0.9") == "es"
    assert resolve_lang(accept_language="fr-FR, en;q=0.8, es;q=0.5") == "en"
    assert resolve_lang("es", accept_language="en") == "es"


def test_formats_follow_mexican_conventions() -> None:
    assert fmt_int(12345.6, "es") == "12,346"
    assert fmt_pct(0.5543, "es") == "55.4 %"
    assert fmt_pp(-0.004, "es") == "0.0 pp"
    assert fmt_pp(1.25, "es") == "+1.2 pp"
    assert fmt_weekday_date(date(2025, 3, 3), "es") == "lun 03/03"
    assert fmt_weekday_date(date(2025, 3, 3), "en") == "Mon 03/03"
    # 02:30 UTC on 6 Dec 2026 is 20:30 on 5 Dec in Mexico City (UTC-6, no daylight saving since 2022).
    assert fmt_datetime(datetime(2026, 12, 6, 2, 30), "es").startswith("05/12/2026 20:30")
    assert t("common.status.optimal", "es") == "óptimo"
    assert t("no.such.key", "es") == "no.such.key"


#: Where the code names a catalogue key with a literal: ``msg("k")``, ``t("k")``, ``T("k")`` (the page),
#: ``has("k")``, ``key="k"`` (API errors); a ``PydanticCustomError("type", ...)`` is ``validation.<type>``.
_KEY = r"""["']([a-z_]+\.[a-z0-9_.]+)["']"""
_KEY_USES = re.compile(rf"(?:\bmsg|\bt|\bT|\bhas)\(\s*{_KEY}|\bkey={_KEY}")
_CUSTOM_ERRORS = re.compile(r"""PydanticCustomError\(\s*["']([a-z_0-9]+)["']""")
ROOT = Path(__file__).resolve().parent.parent


def test_every_message_key_the_code_uses_has_spanish_and_english() -> None:
    """A message a person reads never falls back to its key or to English: each key the code names has both."""
    used: dict[str, str] = {}
    files = [*ROOT.glob("optimizer/**/*.py"), *ROOT.glob("api/**/*.py"), *ROOT.glob("api/static/*.js")]
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.lstrip().startswith(("#", "//")))  # not comments
        for m in _KEY_USES.finditer(text):
            used[m.group(1) or m.group(2)] = path.name
        for m in _CUSTOM_ERRORS.finditer(text):
            used[f"validation.{m.group(1)}"] = path.name
    assert len(used) > 100, len(used)  # the scan sees the code
    for lang in LANGS:
        missing = sorted(f"{k} ({f})" for k, f in used.items() if k not in catalog(lang))
        assert not missing, f"keys used without a {lang} text: {missing}"


def test_scenario_errors_are_spanish_first_with_their_file_line_key_and_value() -> None:
    text = ("name: x\nplanning_month: 3\ndemand:\n  - factor: 1.2\n    months: [13]\n    states: ['99']\n"
            "models: [capacity, capacity]\ncapacity:\n  time_limit_s: -1\n  tiem: 3\n")
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, source="x.yaml")
    es, en = bad.value.text("es").splitlines(), bad.value.text("en").splitlines()
    assert len(es) == len(en) == 5
    expected_es = ["x.yaml: línea 5: demand.0.months: el mes 13 no está en 1..12",
                   "x.yaml: línea 6: demand.0.states: '99' no es una clave de estado 01..32",
                   "x.yaml: línea 7: models: un modelo aparece dos veces",
                   "x.yaml: línea 9: capacity.time_limit_s: Debe ser mayor que 0.",
                   "x.yaml: línea 10: capacity.tiem: clave desconocida"]
    for want, line in zip(expected_es, sorted(es, key=lambda s: int(s.split()[2].rstrip(":"))), strict=True):
        assert line.startswith(want), (want, line)
    assert any(line.startswith("x.yaml: line 9: capacity.time_limit_s: Must be greater than 0.") and "(got -1)" in line
               for line in en), en
    assert str(bad.value) == bad.value.text("en")  # what the log reads


def test_a_stored_message_is_read_later_in_each_readers_language() -> None:
    why = msg("run.prepare_failed", folder="r-1", reason=ScenarioError(
        msg("scenario.override.not_depot", key="D999", known="D001, D002"),
        msg("scenario.dataset.missing", path="ds")).msg)
    stored = why.dumps()
    spanish = render_stored(stored, "es")
    assert spanish.startswith("falló la preparación de los datos de r-1: depots.close: 'D999' no es"), spanish
    assert render_stored(stored, "en").startswith("preparing the inputs of r-1 failed: depots.close: 'D999' is not a")
    assert render_stored(stored, "en").splitlines()[1].startswith("dataset.path: ds holds no dataset")
    assert render_stored("a plain old message", "es") == "a plain old message"


def test_errors_cross_processes_with_their_messages() -> None:
    """A scenario error raised in a worker process is read in the parent in any language (pickled whole)."""
    from api.inputs import InputTooLarge
    from optimizer.scenarios.overrides import OverrideError
    from optimizer.scenarios.runner import RunError

    for exc in (OverrideError(msg("scenario.override.not_depot", key="D9", known="D1")),
                InputTooLarge("api.input.yaml_too_deep", source="s.yaml", line=3, limit=24),
                ScenarioError(msg("scenario.no_file", path="a.yaml"), msg("scenario.not_mapping", source="b.yaml"))):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and back.text("es") == exc.text("es") and str(back) == str(exc)
    assert pickle.loads(pickle.dumps(InputTooLarge("api.input.yaml_anchor", source="s", line=1))).key == \
        "api.input.yaml_anchor"
    run = pickle.loads(pickle.dumps(RunError(msg("run.degraded"))))
    assert run.msg.text("es").startswith("un modelo no llegó")


def test_data_file_errors_name_file_row_field_and_value_in_each_language(tmp_path: Path) -> None:
    """The loaders' own errors (central supply, distance matrix, entity tables) are catalogue messages."""
    from optimizer.data.loaders import load_entities
    from optimizer.data.rejects import DataFileError
    from optimizer.distribution.central import CentralSupplyError, read_supply_csv
    from optimizer.distribution.matrix import MatrixFileError, read_matrix_file

    supply = tmp_path / "supply.csv"
    supply.write_text("sku,units,expiry_date\n010.000.0101.00,5,2027-01-01\n010.000.0104.00,-4,2027-01-01\n")
    with pytest.raises(CentralSupplyError) as bad:
        read_supply_csv(supply)
    assert bad.value.text("es") == f"{supply}, fila 3, campo 'units': '-4' no es un número entero >= 0"
    assert bad.value.text("en") == str(bad.value) == f"{supply}, row 3, field 'units': '-4' is not a whole number >= 0"
    supply.write_text("sku,units\nA,1\n")
    with pytest.raises(CentralSupplyError) as bad:
        read_supply_csv(supply)
    assert bad.value.text("es") == f"{supply}: faltan las columnas expiry_date (se esperan sku,units,expiry_date)"
    matrix = tmp_path / "km.csv"
    matrix.write_text("from,to,km\nD001,OCIMB000001,-3\n")
    with pytest.raises(MatrixFileError) as bad:
        read_matrix_file(matrix)
    assert bad.value.text("es") == f"{matrix}, fila 2, campo 'km': '-3' no es una distancia >= 0 (km)"
    assert bad.value.text("en") == f"{matrix}, row 2, field 'km': '-3' is not a distance >= 0 (km)"
    table = tmp_path / "facilities.csv"
    table.write_text("clues,nombre\nOCIMB000001,x\n")
    with pytest.raises(DataFileError) as bad:
        load_entities(table)
    assert bad.value.text("es").startswith("facilities.csv fila 1 (encabezados): faltan las columnas 'name'")
    assert "columnas desconocidas 'nombre'" in bad.value.text("es")
    assert bad.value.text("en").startswith("facilities.csv row 1 (header): missing column(s) 'name'")
    back = pickle.loads(pickle.dumps(bad.value))
    assert type(back) is DataFileError and back.text("es") == bad.value.text("es")


@pytest.mark.parametrize(("text", "es", "en"), [
    ("name: x\nmodels:\n\t- capacity\n", "línea 3, columna 1: no es YAML válido: hay un tabulador",
     "line 3, column 1: not valid YAML: a tab character"),
    ("name: x\ncapacity:\n    time_limit_s: 3\n  seed: 2\n",
     "línea 4, columna 3: no es YAML válido: la sangría de esta línea no corresponde a la de la sección que empieza "
     "en la línea 1", "line 4, column 3: not valid YAML: this line's indentation does not match"),
    ("name: 'x\nmodels: [a]\n", "línea 3, columna 1: no es YAML válido: la comilla abierta en la línea 1 no se cierra",
     "the quote opened on line 1 is never closed"),
    ("name: x\nmodels: [a, b\nseed: 3\n", "línea 3, columna 5: no es YAML válido: la lista «[» abierta en la línea 2",
     "the list '[' opened on line 2 is not closed"),
    ("name: x\ncapacity: {seed: 1\n", "el grupo «{» abierto en la línea 2 no se cierra con «}»",
     "the group '{' opened on line 2 is not closed with '}'"),
    ("name: x: y\n", "línea 1, columna 8: no es YAML válido: hay un «:» donde no se espera",
     "line 1, column 8: not valid YAML: a ':' where none is expected"),
    ("name: x\nmodels\nseed: 2\n", "falta «:» después de la clave de la línea 2", "a ':' is missing after the key"),
    ("name: @x\n", "un valor no puede empezar con «@»", "a value cannot start with '@'"),
    ("name: x\nname: y\n", "línea 2: la clave 'name' aparece dos veces", "line 2: key 'name' is given twice"),
])
def test_yaml_syntax_errors_say_line_column_and_problem_in_each_language(text: str, es: str, en: str) -> None:
    with pytest.raises(ScenarioError) as bad:
        parse_scenario(text, source="s.yaml")
    assert bad.value.text("es").startswith("s.yaml: ") and es in bad.value.text("es"), bad.value.text("es")
    assert en in bad.value.text("en"), bad.value.text("en")
    assert "found" not in bad.value.text("es") and "expected" not in bad.value.text("es")  # no PyYAML English


def test_choice_lists_show_enum_labels_with_their_codes_in_each_language() -> None:
    """A choice among catalogue enums names each choice as the user knows it, and its code (what the API takes)."""
    from optimizer.i18n import Msg

    with pytest.raises(ScenarioError) as bad:
        parse_scenario("name: x\nmodels: [capacity, teleport]\ndeployment:\n  objective_mode: fast\n", source="s.yaml")
    es, en = bad.value.text("es").splitlines(), bad.value.text("en").splitlines()
    assert es[0].startswith("s.yaml: línea 2: models.1: Valor no válido; opciones: Despliegue de especialistas "
                            "(deployment), Capacidad 24/7 (capacity),"), es
    assert en[0].startswith("s.yaml: line 2: models.1: Not a valid value; choices: Specialist deployment "
                            "(deployment), 24/7 capacity (capacity),"), en
    assert "opciones: 'weighted', 'lexicographic'." in es[1]  # no labels in the catalogue: the codes as written
    assert Msg.loads(bad.value.msg.dumps()).text("es") == bad.value.text("es")  # stored and read later


def test_a_models_explanation_is_english_text_that_renders_in_the_readers_language() -> None:
    """``explanation: str | None`` holds: a :class:`Said` is the English text and carries its message."""
    from optimizer.i18n import Said, in_lang, joined, said

    why = said("models.time_limit_feasible", seconds="5")
    assert isinstance(why, str) and why == "time limit of 5 s reached; the plan is feasible, not proven optimal"
    assert in_lang(why, "es") == ("se alcanzó el límite de tiempo de 5 s; el plan es factible, sin prueba de que sea "
                                  "óptimo")
    both = joined(why, "a solver's own words", said("models.highs_no_solution"))
    assert in_lang(both, "es").endswith("; a solver's own words; HiGHS no encontró una solución dentro del límite "
                                        "de tiempo")
    back = pickle.loads(pickle.dumps(both))  # plans cross processes (rostering pool, the demo's third process)
    assert type(back) is Said and in_lang(back, "es") == in_lang(both, "es") and back == both
    assert in_lang("plain text", "es") == "plain text" and joined(None, "") is None


def test_real_model_explanations_are_spanish_first() -> None:
    """One explanation per package family, made by the model itself, read in each language."""
    import numpy as np

    from optimizer.access.pmedian import solve_pmedian
    from optimizer.access.settings import AccessSettings
    from optimizer.access.where_next import WhereNextInput
    from optimizer.i18n import in_lang
    from optimizer.rostering.hospital import HospitalRules, _cover

    rng = np.random.default_rng(6)
    inp = WhereNextInput(demand_ids=[f"m{i}" for i in range(4)], candidate_ids=["c0"],
                         minutes=rng.uniform(10, 90, (4, 1)), existing_minutes=np.full(4, np.inf),
                         population=np.full(4, 100), weight=np.full(4, 1.0), site_cost=np.zeros(1), k=0,
                         minutes_limit=60.0)
    plan = solve_pmedian(inp, AccessSettings(time_limit_s=5))
    assert plan.status == "infeasible" and "K = 0" in plan.explanation
    assert in_lang(plan.explanation, "es").startswith("el punto de demanda m0 no tiene hospital 24/7 y K = 0")
    _, notes = _cover({"anaesthesiology": 2}, {"anaesthesiology": 100.0}, set(), 7, HospitalRules())
    assert in_lang(notes[0], "es").startswith("Anestesiología: 100 h/semana de contrato para 2 plaza(s)")
    assert notes[0].startswith("Anaesthesiology: 100 contract h/week for 2 place(s)")
    import pandas as pd

    from optimizer.distribution.allocation import dispatch_binding

    why = dispatch_binding(pd.DataFrame({"depot_id": ["D1", "D2"], "binding": ["m3", ""], "m3_use": [1.0, 0.3]}))
    assert why.startswith("depot dispatch capacity binds at 1 of 2 depots: D1 (m3; m3 100% used)")
    assert in_lang(why, "es").startswith("la capacidad de despacho limita en 1 de 2 almacenes: D1 (m3; m3 100% usado)")


def test_report_stage_notes_and_the_stage_cache_keep_the_message(tmp_path: Path) -> None:
    from optimizer.i18n import in_lang, said
    from optimizer.reports.html import _stage_notes
    from optimizer.scenarios import cache
    from optimizer.scenarios.runner import _stage_notes as run_notes
    from optimizer.scenarios.stage import StageOutput

    outputs = {"capacity": StageOutput("feasible", {}, {}, [], said("models.time_limit_feasible", seconds="3"), []),
               "access": StageOutput("error", {}, {}, ["K = 2 exceeded"], None, [])}
    notes = run_notes(outputs)
    run = {"stage_notes": {k: str(v) for k, v in notes.items()},
           "stage_notes_i18n": {k: v.to_json() for k, v in notes.items()}}
    assert _stage_notes(run, "es") == {"capacity": "se alcanzó el límite de tiempo de 3 s; el plan es factible, sin "
                                                   "prueba de que sea óptimo", "access": "validador: K = 2 exceeded"}
    assert _stage_notes(run, "en")["capacity"].startswith("time limit of 3 s reached")
    assert _stage_notes({"stage_notes": {"capacity": "older run"}}, "es") == {"capacity": "older run"}
    run_dir = tmp_path / "r"
    (run_dir / "plans" / "capacity").mkdir(parents=True)
    cache.store(tmp_path / "cache", "capacity", "k" * 32, run_dir, outputs["capacity"])
    out, _, _ = cache.load(tmp_path / "cache", "capacity", "k" * 32)
    assert in_lang(out.explanation, "es").startswith("se alcanzó el límite de tiempo de 3 s")


def refused(scenario_doc: dict, runs_dir: str) -> dict:
    """A sweep variant whose data file is refused (a catalogue message), on every attempt."""
    from optimizer.data.rejects import DataFileError

    raise DataFileError(msg("data.file.not_folder", folder="ds"))


def test_sweep_failures_are_shown_in_the_readers_language(tmp_path: Path) -> None:
    from optimizer.scenarios.schema import DatasetSource, GenerateBase, Scenario
    from optimizer.scenarios.sweep import build_variants, parse_vary, run_sweep

    base = Scenario(name="tiny", seed=1, models=["deployment"],
                    dataset=DatasetSource(generate=GenerateBase(seed=3, n_records=3_000, program_hospitals=12)))
    result = run_sweep(build_variants(base, [parse_vary("seed=1")]), tmp_path, workers=1, fn=refused)
    assert result.table()["error"].tolist() == ["ds: not a folder"]  # sweep.csv: English, for scripts
    shown = result.shown("es")
    assert shown["error"].tolist() == ["ds: no es una carpeta"] and shown["status"].tolist() == ["falló"]
    assert result.shown("en")["error"].tolist() == ["ds: not a folder"]


def test_rejected_rows_are_said_in_each_language_with_file_row_field_and_value(tmp_path: Path) -> None:
    """A rejected row's reason (pydantic's typed errors, the entities' own rules, the loaders' cross-file checks)
    is a catalogue message: the rejects report, the CLI and the upload answer read it in the reader's language."""
    import pandas as pd
    from test_data_sample import write_sample_dataset

    from optimizer.data.loaders import load_dataset_files
    from optimizer.data.rejects import write_rejects

    ds = write_sample_dataset(tmp_path / "ds", n_records=10)
    medicines = pd.read_csv(ds / "medicines.csv", dtype=str, keep_default_na=False)
    medicines.loc[0, "volume_l"], medicines.loc[1, "criticality"] = "0", "urgent"
    medicines.to_csv(ds / "medicines.csv", index=False)
    facilities = pd.read_csv(ds / "facilities.csv", dtype=str, keep_default_na=False)
    facilities.loc[0, "clues"] = "ZZIMB000001"
    facilities.to_csv(ds / "facilities.csv", index=False)
    rejects = load_dataset_files(ds).rejects
    es = [r.message("es") for r in rejects]
    assert "medicines.csv fila 2, campo 'volume_l': Debe ser mayor que 0. (valor '0')" in es, es
    assert ("medicines.csv fila 3, campo 'criticality': Valor no válido; opciones: Vital (vital), Esencial "
            "(essential), Otro (other). (valor 'urgent')") in es, es
    assert any(m.startswith("facilities.csv fila 2, campo 'clues': 'ZZIMB000001' no es una clave CLUES")
               for m in es), es
    assert "medicines.csv row 2, field 'volume_l': Must be greater than 0. (value '0')" in \
        [r.message("en") for r in rejects]
    report = tmp_path / "rejects.csv"
    write_rejects(report, rejects, lang="es")
    assert "Debe ser mayor que 0." in report.read_text(encoding="utf-8")


def test_od_matrix_rejects_and_refusals_in_each_language(tmp_path: Path) -> None:
    from optimizer.access.odmatrix import OdMatrixError, load_od_matrix

    od = tmp_path / "od.csv"
    od.write_text("origin,destination,minutes\n20001,H1,12.5\n20002,H1,abc\n")
    with pytest.raises(OdMatrixError) as bad:
        load_od_matrix(od, ["20001", "20002"], ["H1"])
    assert bad.value.text("es") == (f"{od}: faltan 1 pares origen-destino (p. ej. 20002 -> H1) y no se dio una "
                                    "estimación")
    assert str(bad.value).startswith(f"{od}: 1 origin-destination pairs are missing")
    od.write_text("origin,destination,minutes\n20002,H1,abc\n")
    with pytest.raises(OdMatrixError) as bad:
        load_od_matrix(od, ["20001", "20002"], ["H1"])
    assert bad.value.text("es") == f"{od}: ninguna fila válida (primeros problemas: {od}, fila 1, campo 'minutes': " \
        "'abc' no es un número)"


def test_urgent_order_explanation_is_spanish_first() -> None:
    """Why no vehicle takes an urgent order: each depot's closest vehicle and the tally, in each language."""
    from optimizer.distribution.urgent import Blocker, summarise
    from optimizer.i18n import in_lang

    blockers = [("D1", 12.4, Blocker(2, 0.5, "capacity m3", msg("models.urgent.capacity", vehicle="V1", free="1.5",
                                                                 dim="m3", need="2"))),
                ("D1", 12.4, Blocker(1, 0.0, "cold chain", msg("models.urgent.not_cold", vehicle="V2"))),
                ("D2", 40.0, Blocker(0, 0.0, "stock", msg("models.urgent.no_stock", items=(
                    msg("models.urgent.short", sku="S1", left=0, asked=3),))))]
    binding, why = summarise(blockers)
    assert binding == "capacity m3"
    assert why == ("depot D1 (12 km): V1 has 1.5 m3 free, the order needs 2; depot D2 (40 km): no stock (S1: 0 units "
                   "left, 3 asked) (2 depots tried; vehicles stopped: 1 by capacity m3, 1 by cold chain, 1 by stock)")
    assert in_lang(why, "es") == ("almacén D1 (12 km): V1 tiene 1.5 m3 libres, el pedido necesita 2; almacén D2 "
                                  "(40 km): sin existencias (S1: quedan 0 unidades, se piden 3) (2 almacenes probados; "
                                  "vehículos detenidos: 1 por capacidad m3, 1 por cadena de frío, 1 por existencias)")


def test_rule_names_built_into_keys_have_both_languages() -> None:
    """Keys made from a rule's name (rostering's conflict lines, the urgent order's tally) exist in es and en."""
    cpsat = (ROOT / "optimizer/rostering/cpsat.py").read_text(encoding="utf-8")
    urgent = (ROOT / "optimizer/distribution/urgent.py").read_text(encoding="utf-8")
    keys = {"models.rostering.rule." + name.replace(" ", "_") for name in re.findall(r'guard\("\d+ ([a-z ]+)"', cpsat)}
    keys |= {"models.urgent.rule." + name.replace(" ", "_")
             for name in re.findall(r'Blocker\(\d, [^,]+, (?:f)?"([a-z ]+)', urgent)}
    keys |= {f"models.urgent.rule.capacity_{dim}" for dim in ("m3", "kg")}
    assert len(keys) >= 15, keys
    for lang in LANGS:
        assert not sorted(k for k in keys if k not in catalog(lang)), lang


def test_rostering_conflict_lines_are_spanish_first() -> None:
    from optimizer.i18n import in_lang
    from optimizer.rostering.explain import conflict_line

    line = conflict_line("11 published cell", msg("models.rostering.rule_text.published", person="ANA",
                                                  cell=msg("models.rostering.day_off"), day=4))
    assert line == "rule 11 published cell: ANA keeps the published day off on day 4"
    assert in_lang(line, "es") == "regla 11 celda publicada: ANA conserva lo publicado (descanso) el día 4"


def test_plan_deployment_and_capacity_readers_name_file_row_field_value_in_each_language(tmp_path: Path) -> None:
    """The plan-file, deployment and capacity readers' errors are catalogue messages (MsgError), kept across
    processes, naming file, row, field and value."""
    from optimizer.capacity.export import read_deployment
    from optimizer.capacity.inputs import CapacityInputError
    from optimizer.deployment.inputs import DeploymentInputError, _current
    from optimizer.distribution.planfile import PlanFileError, load_day_plan

    (tmp_path / "plan.json").write_text('{"format": "other"}')
    with pytest.raises(PlanFileError) as bad:
        load_day_plan(tmp_path / "plan.json")
    plan = str(tmp_path / "plan.json")
    assert bad.value.text("en") == f"{plan}: not a day plan (field 'format' should be 'bienestar-day-plan/1')"
    assert bad.value.text("es") == f"{plan}: no es un plan del día (el campo 'format' debe ser 'bienestar-day-plan/1')"
    with pytest.raises(PlanFileError) as bad:
        load_day_plan(tmp_path / "none.json")
    assert bad.value.text("es").startswith(f"{tmp_path / 'none.json'}: no existe el archivo del plan")

    staff = tmp_path / "deploy.csv"
    staff.write_text("specialist_id,role,weekly_hours,hospital\nS1,juggler,40,H1\n")
    with pytest.raises(CapacityInputError) as bad:
        read_deployment(staff)
    assert bad.value.text("en") == f"{staff}, row 2, field 'role': 'juggler' is not a specialty"
    assert bad.value.text("es") == f"{staff}, fila 2, campo 'role': 'juggler' no es una especialidad"
    back = pickle.loads(pickle.dumps(bad.value))
    assert type(back) is CapacityInputError and back.text("es") == bad.value.text("es")

    import pandas as pd

    with pytest.raises(DeploymentInputError) as bad:
        _current(pd.DataFrame({"specialist_id": ["S1"], "hospital": [""]}), {"S1"})
    assert bad.value.text("en") == "current deployment: row 2 needs fields 'specialist_id' and 'hospital'"
    assert bad.value.text("es") == "despliegue actual: la fila 2 necesita los campos 'specialist_id' y 'hospital'"
    assert str(DeploymentInputError("plain text")) == "plain text"  # text not yet in the catalogue, as it is


def test_roster_cli_usage_errors_are_spanish_first() -> None:
    import json as jsonlib

    from typer.testing import CliRunner

    from optimizer.cli import app

    for lang, text in (("es", "dé exactamente uno de --benchmark PATH o --hospital CLUES"),
                       ("en", "give exactly one of --benchmark PATH or --hospital CLUES")):
        res = CliRunner().invoke(app, ["roster", "--json"], env={"BIENESTAR_LANG": lang})
        assert res.exit_code == 2 and jsonlib.loads(res.stdout)["error"] == text


def test_cli_human_output_has_no_english_headings_in_spanish(tmp_path: Path, monkeypatch) -> None:
    """``db init``, ``data validate`` and ``keys list`` as a person reads them: Spanish headings and summary lines
    by default, the English ones only with ``BIENESTAR_LANG=en``."""
    from test_data_sample import write_sample_dataset
    from typer.testing import CliRunner

    from optimizer.cli import app

    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BIENESTAR_DB_URL", raising=False)
    monkeypatch.delenv("BIENESTAR_HMAC_KEY", raising=False)
    ds = write_sample_dataset(tmp_path / "ds", n_records=20)
    commands = (["db", "init"], ["data", "validate", str(ds)], ["keys", "list"])
    english = ("store ready", "tables (", "Validated", "rows read", "kept", "rejected", "API keys", "prefix",
               "label", "created", "revoked")
    spanish = ("almacén listo", "Validado", "filas leídas", "conservadas", "Claves de API", "prefijo", "etiqueta")
    runner = CliRunner()
    outputs = {lang: " ".join(" ".join(runner.invoke(app, cmd, env={"BIENESTAR_LANG": lang}).stdout.split())
                              for cmd in commands) for lang in ("es", "en")}
    assert all(word in outputs["es"] for word in spanish), outputs["es"]
    assert not [word for word in english if word in outputs["es"]], outputs["es"]
    assert all(word in outputs["en"] for word in ("store ready", "Validated", "rows read", "API keys", "prefix"))
