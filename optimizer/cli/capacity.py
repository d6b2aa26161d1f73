"""``bienestar capacity`` and ``bienestar wisn``: 24/7 capacity, bottlenecks and WISN staffing need."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.capacity.export import (
    facility_table,
    gains_table,
    network_table,
    read_deployment,
    resources_table,
    teams_table,
    wisn_table,
    write_tables,
)
from optimizer.capacity.inputs import from_dataset
from optimizer.capacity.model import CapacityInput, CapacityInputError
from optimizer.capacity.run import CapacityRunError, run_capacity
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.staffing import facility_wisn
from optimizer.capacity.wisn import WisnInputError
from optimizer.cli.common import (
    JsonOption,
    ScenarioOption,
    console,
    err_console,
    fail,
    label,
    print_json,
    resolve_inputs,
    table,
)
from optimizer.data.dataset import load_dataset
from optimizer.i18n import t

DatasetOption = typer.Option(..., "--dataset", help="Dataset folder (CSV tables + records/).")
OutOption = typer.Option(None, "--out", help="Export the tables to this .xlsx (one sheet each) or .csv file.")


def register(app: typer.Typer) -> None:
    """Add ``capacity`` and ``wisn`` to the root app."""
    app.command("capacity")(capacity)
    app.command("wisn")(wisn)


def _input(dataset: Path, all_hospitals: bool, deployment: Path | None, as_json: bool) -> CapacityInput:
    """The capacity input of ``dataset`` (+ a deployment plan's staff); rows the loader rejected are
    left out and announced on stderr, so a bad row never passes silently."""
    try:
        staff = read_deployment(deployment) if deployment is not None else []
        ds = load_dataset(dataset)
        inp = from_dataset(ds, program_only=not all_hospitals)
        if deployment is not None:
            inp = inp.with_staff(staff, source=str(deployment), first_row=2)
    except (FileNotFoundError, CapacityInputError) as exc:
        fail(exc, as_json)
    if ds.rejects:
        err_console.print(f"[yellow]{t('cli.warning')}[/] "
                          + t("cli.rows_rejected", count=len(ds.rejects),
                              examples="; ".join(r.message() for r in ds.rejects[:3])))
    return inp


def capacity(
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (CSV tables + records/)."),
    scenario: Path = ScenarioOption,
    deployment: Path = typer.Option(None, "--deployment", help="Deployment plan staff CSV "
                                    "(specialist_id, role, weekly_hours, hospital) added to staff in post."),
    all_hospitals: bool = typer.Option(False, "--all-hospitals", help="Every open hospital, not only the 282."),
    facility: str = typer.Option(None, "--facility", help="Also show this hospital's resources and duals."),
    top: int = typer.Option(10, "--top", min=1, help="Bottlenecks to list."),
    time_limit: float = typer.Option(None, "--time-limit", help="Seconds for the LP and the re-solves (60)."),
    seed: int = typer.Option(None, "--seed", help="HiGHS random seed (0)."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """24/7 capacity LP: procedures/week each hospital can deliver, 24/7 status and the top bottlenecks.

    A bottleneck is one more person of a role at a hospital; they are ranked by marginalisation-weighted
    procedures/week gained (exact re-solve) per MXN 100,000 of monthly pay. The same ranking is given
    for one more full surgical team per hospital and specialty.
    """
    sc, dataset = resolve_inputs(dataset, scenario, as_json)
    base = sc.capacity if sc is not None else CapacitySettings()
    given = {k: v for k, v in {"time_limit_s": time_limit, "seed": seed}.items() if v is not None}
    settings = base.model_copy(update=given)
    inp = _input(dataset, all_hospitals, deployment, as_json)
    if facility is not None and facility not in {h.clues for h in inp.hospitals}:
        fail(t("cli.capacity.not_open" if all_hospitals else "cli.capacity.not_program", facility=facility,
               dataset=str(dataset)), as_json)
    try:
        res = run_capacity(inp, settings, top)
    except (CapacityRunError, RuntimeError) as exc:
        fail(exc, as_json)
    net = network_table(inp, res.plan, res.statuses)
    resources = resources_table(res.plan)
    detail = facility_table(res, facility) if facility else None
    tables = {"network": net, "bottlenecks": gains_table(res.bottlenecks), "marginal_gains": gains_table(res.gains),
              "team_gains": teams_table(res.teams), "resources": resources}
    written = write_tables(out, tables) if out else []
    if as_json:
        doc = {"kpis": res.kpis, "hospitals": net.to_dict("records"),
               "bottlenecks": gains_table(res.bottlenecks).to_dict("records"),
               "best_teams": teams_table(res.best_teams).to_dict("records"), "exported": written}
        if detail is not None:
            doc["facility"] = {"clues": facility, "resources": detail.to_dict("records")}
        print_json(doc)
        return
    console.print(table(t("cli.capacity.network"), [t("cli.kpi.col.kpi"), t("cli.kpi.col.value")],
                        [(_kpi_label(k), v) for k, v in res.kpis.items()]))
    cols = ["clues", "operating_rooms", "demand_procedures_per_week", "procedures_per_week", "status_24_7",
            "limiting_role", "missing_for_full_24_7"]
    rows = [(c, rooms, dem, done, label("enums.status_24_7", st), label("enums.specialty", lim), miss)
            for c, rooms, dem, done, st, lim, miss in net[cols].itertuples(index=False)]
    console.print(table(t("cli.capacity.hospitals"), ["clues", *_heads("rooms", "demand", "delivered"), "24/7",
                                                      *_heads("limit", "missing")], rows))
    console.print(table(
        t("cli.capacity.bottlenecks", count=len(res.bottlenecks)),
        ["clues", *_heads("role", "gain", "dual", "cost", "per_100k")],
        [(g.clues, label("enums.specialty", g.role.value), g.procedures_per_week, g.dual_estimate,
          g.monthly_cost_mxn, g.weighted_per_100k_mxn) for g in res.bottlenecks]))
    console.print(table(
        t("cli.capacity.teams", count=len(res.best_teams)),
        ["clues", *_heads("specialty", "gain", "cost", "per_100k")],
        [(g.clues, label("enums.specialty", g.specialty.value), g.procedures_per_week, g.monthly_cost_mxn,
          g.weighted_per_100k_mxn) for g in res.best_teams]))
    if detail is not None:
        console.print(table(t("cli.capacity.detail", facility=facility),
                            list(detail.columns),
                            detail.astype(object).where(detail.notna(), "").itertuples(index=False)))
    for p in written:
        console.print(t("cli.wrote", None, path=str(p)), highlight=False)


def _heads(*names: str) -> list[str]:
    """Column headings of the capacity report in ``BIENESTAR_LANG``."""
    return [t(f"cli.capacity.col.{n}") for n in names]


def _kpi_label(key: str) -> str:
    """A capacity KPI's catalogue label (``kpis.capacity.<key>.label``), else its key."""
    text = t(f"kpis.capacity.{key}.label")
    return key if text.endswith(".label") else text


def wisn(
    facility: str = typer.Option(..., "--facility", help="CLUES of the hospital."),
    dataset: Path = DatasetOption,
    deployment: Path = typer.Option(None, "--deployment", help="Deployment plan staff CSV added to staff in post."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """WISN (WHO) per surgical cadre at one hospital: AWT, standard workloads, CAF, IAF, need, gap, ratio."""
    inp = _input(dataset, True, deployment, as_json)  # every open hospital
    if facility not in {h.clues for h in inp.hospitals}:
        fail(t("cli.capacity.not_open_hospital", file=str(dataset / "facilities.csv"), facility=facility), as_json)
    try:
        results = facility_wisn(inp, facility, CapacitySettings())
    except (CapacityInputError, WisnInputError) as exc:
        fail(exc, as_json)
    df = wisn_table(results)
    written = write_tables(out, {"wisn": df}) if out else []
    if as_json:
        print_json({"facility": facility, "wisn": df.to_dict("records"), "exported": written})
        return
    cols = ["cadre", "awt_hours", "service_staff", "caf", "iaf", "required", "existing", "difference",
            "ratio", "pressure", "status"]
    shown = df[cols].assign(cadre=df["cadre"].map(lambda c: label("enums.specialty", c)),
                            status=df["status"].map(lambda s: label("cli.capacity.wisn.status", s)))
    heads = [t(f"cli.capacity.wisn.col.{c}") for c in cols]
    console.print(table(t("cli.capacity.wisn_title", facility=facility), heads, shown.itertuples(index=False)))
    for p in written:
        console.print(t("cli.wrote", None, path=str(p)), highlight=False)
