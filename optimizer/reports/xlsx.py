"""XLSX workbooks per audience, from a run's plan files, in the reader's language (Spanish by default).

- ``hr.xlsx`` (:mod:`optimizer.reports.hr_book`): assignments by state with names, a summary, team slots,
  uncovered demand, and a roster grid per rostered hospital;
- ``logistics.xlsx`` (:mod:`optimizer.reports.logistics_book`): routes, a driver's manifest per vehicle and day,
  shipments by facility;
- ``planners.xlsx`` (:mod:`optimizer.reports.planners_book`): headline KPIs, equity by state, capacity,
  bottlenecks, access, fill rates, and the comparison with another run when one is given.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.i18n import resolve_lang
from optimizer.reports.hr_book import write_hr
from optimizer.reports.logistics_book import write_logistics
from optimizer.reports.planners_book import write_planners
from optimizer.reports.rundata import RunData


def write_workbooks(run_dir: str | Path, out_dir: str | Path | None = None,
                    against: str | Path | None = None, lang: str | None = None) -> list[Path]:
    """Write hr.xlsx, logistics.xlsx and planners.xlsx (those with data) to ``out_dir`` (default the run).

    ``lang``: ``es`` or ``en`` (default :func:`optimizer.i18n.resolve_lang`: ``BIENESTAR_LANG``, else Spanish).
    """
    run = RunData(Path(run_dir))
    out = Path(out_dir) if out_dir is not None else run.run_dir
    out.mkdir(parents=True, exist_ok=True)
    chosen = resolve_lang(lang)
    other = Path(against) if against is not None else None
    books = [write_hr(run, out / "hr.xlsx", chosen), write_logistics(run, out / "logistics.xlsx", chosen),
             write_planners(run, out / "planners.xlsx", chosen, other)]
    return [b for b in books if b is not None]
