"""Build ``data/reference/`` from the public Mexico tables in ``../shared/data/mexico``.

Run once by a maintainer (``python tools/build_reference.py``); the product itself only reads
``data/reference/`` and never depends on ``../shared``. The tables are trimmed to the columns the
product uses, and two columns of our own are added to the states table (see SOURCES.md).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mexico"
OUT = ROOT / "data" / "reference"

# RENAPO two-letter entity codes, used in CURP positions 12-13 and as the first two letters of CLUES keys.
RENAPO_CODE = {
    "01": "AS", "02": "BC", "03": "BS", "04": "CC", "05": "CL", "06": "CM", "07": "CS", "08": "CH",
    "09": "DF", "10": "DG", "11": "GT", "12": "GR", "13": "HG", "14": "JC", "15": "MC", "16": "MN",
    "17": "MS", "18": "NT", "19": "NL", "20": "OC", "21": "PL", "22": "QT", "23": "QR", "24": "SP",
    "25": "SL", "26": "SR", "27": "TC", "28": "TS", "29": "TL", "30": "VZ", "31": "YN", "32": "ZS",
}

# States in the IMSS-Bienestar network: the 23 entities that signed the federalisation agreement as reported by
# IMSS-Bienestar in 2024, plus Estado de México (15), whose 1,243 units the CLUES catalogue lists under
# IMSS-BIENESTAR (data/reference/clues_imssb.csv). Planners can override membership in a scenario.
IMSS_BIENESTAR = {
    "02", "03", "04", "06", "07", "09", "12", "13", "15", "16", "17", "18", "20", "21", "23", "24", "25",
    "26", "27", "28", "29", "30", "31", "32",
}


def main(shared: Path = SHARED) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    codes = {"cve_ent": str, "cve_mun": str, "cvegeo": str}
    states = pd.read_csv(shared / "states.csv", dtype=codes)
    states = states[[
        "cve_ent", "name", "abbreviation", "capital", "capital_lat", "capital_lon", "population_2020",
        "marginalisation_index_2020", "marginalisation_degree_2020", "n_municipalities_2020",
    ]].copy()
    states["renapo_code"] = states["cve_ent"].map(RENAPO_CODE)
    states["imss_bienestar"] = states["cve_ent"].isin(IMSS_BIENESTAR)
    states.to_csv(OUT / "states.csv", index=False)

    mun = pd.read_csv(shared / "municipalities.csv", dtype=codes)
    mun = mun[[
        "cvegeo", "cve_ent", "cve_mun", "name", "population_2020", "lat", "lon", "coord_source",
        "marginalisation_index_2020", "marginalisation_degree_2020",
    ]]
    mun.to_csv(OUT / "municipalities.csv", index=False)
    shutil.copyfile(shared / "states.geojson", OUT / "states.geojson")
    print(f"wrote {len(states)} states, {len(mun)} municipalities to {OUT}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder holding the shared Mexico tables")
    main(parser.parse_args().shared)
