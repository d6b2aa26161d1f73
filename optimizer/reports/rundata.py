"""What the report and workbooks need from a run folder besides its plans: the calendar and the names.

Plans carry keys (CLUES, person ids, SKUs, state codes); people read names. Everything here comes from the
run's own copy of its inputs (``inputs/dataset``) and the reference tables, so a report is reproducible from
the run folder alone.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from optimizer.data import reference
from optimizer.scenarios.stages.distribution import planning_day

#: Facility address fields shown on manifests when the dataset has them (in this order).
ADDRESS_FIELDS: tuple[str, ...] = ("address", "locality", "postal_code")
_CODES = {"clues": str, "cve_ent": str, "cvegeo": str, "home_state": str, "home_cvegeo": str, "depot_id": str,
          "sku": str, "specialist_id": str, "facility_clues": str, "postal_code": str}


def _read(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=_CODES, keep_default_na=False, na_values=[""])


@dataclass
class RunData:
    """A run folder's calendar and name tables (read lazily, once)."""

    run_dir: Path

    @property
    def dataset(self) -> Path:
        """The run's copy of its dataset."""
        return self.run_dir / "inputs" / "dataset"

    @cached_property
    def resolved(self) -> dict:
        """The resolved scenario (``scenario.resolved.json``)."""
        return json.loads((self.run_dir / "scenario.resolved.json").read_text(encoding="utf-8"))

    @cached_property
    def start_day(self) -> dt.date:
        """Day 0 of the run's plans: the Monday the run plans (first Monday of its planning month)."""
        scen = self.resolved["scenario"]
        return planning_day(int(scen.get("planning_year", 2025)), int(scen.get("planning_month", 3)))

    @cached_property
    def state_names(self) -> dict[str, str]:
        """cve_ent -> state name."""
        return reference.states().set_index("cve_ent")["name"].to_dict()

    @cached_property
    def facilities(self) -> pd.DataFrame:
        """Facilities indexed by CLUES with ``name``, ``municipality``, ``state``, ``degree`` and address fields."""
        fac = _read(self.dataset / "facilities.csv")
        if fac is None:
            return pd.DataFrame(columns=["name", "municipality", "state", "degree"]).rename_axis("clues")
        munis = reference.municipalities().set_index("cvegeo")["name"]
        if "municipality" not in fac:
            fac["municipality"] = fac["cvegeo"].map(munis)
        fac["state"] = fac["cve_ent"].map(self.state_names).fillna(fac["cve_ent"])
        fac["degree"] = fac.get("marginalisation_degree")
        return fac.set_index("clues")

    @cached_property
    def people(self) -> pd.DataFrame:
        """Specialists (recruits and staff in post) indexed by id: specialty, sex, home state name, hours."""
        spec = _read(self.dataset / "specialists.csv")
        if spec is None:
            return pd.DataFrame(columns=["specialty", "sex", "home_state_name", "weekly_hours"])
        spec["home_state_name"] = spec["home_state"].map(self.state_names).fillna(spec["home_state"])
        return spec.set_index("specialist_id")

    @cached_property
    def medicines(self) -> pd.DataFrame:
        """Medicines indexed by SKU: name, presentation, volume (litres) and weight (kg) per unit."""
        med = _read(self.dataset / "medicines.csv")
        return med.set_index("sku") if med is not None else pd.DataFrame()

    @cached_property
    def vehicles(self) -> pd.DataFrame:
        """Vehicles indexed by id: depot, capacity (m3, kg), cold chain."""
        veh = _read(self.dataset / "vehicles.csv")
        return veh.set_index("vehicle_id") if veh is not None else pd.DataFrame()

    @cached_property
    def depots(self) -> pd.DataFrame:
        """Depots indexed by id: name, state."""
        dep = _read(self.dataset / "depots.csv")
        return dep.set_index("depot_id") if dep is not None else pd.DataFrame()

    def with_facility(self, frame: pd.DataFrame, key: str,
                      fields: tuple[str, ...] = ("name", "municipality", "state", "degree")) -> pd.DataFrame:
        """``frame`` with the facility fields of CLUES column ``key`` added as ``facility_<field>``."""
        fac = self.facilities
        extra = pd.DataFrame({f"facility_{f}": frame[key].map(fac[f]) if f in fac else None for f in fields},
                             index=frame.index)
        return pd.concat([frame, extra], axis=1)
