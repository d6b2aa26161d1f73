"""Random deployment instances built in code (seeded), for property tests and solver comparisons.

Hospitals sit at real municipal seats of ``data/reference/municipalities.csv`` (high marginalisation
first, as the program's hospitals do); recruits live in real municipalities drawn by population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.deployment.inputs import TEAM_ROLES, Candidate, Demand, DeploymentInput, Hospital, StaffInPost
from optimizer.domain import SURGICAL_SPECIALTIES, MarginalisationDegree, Specialty
from optimizer.paths import REFERENCE_DIR

#: Share of each role in a generated recruit pool (surgeons, anaesthesiologists, surgical nurses).
ROLE_MIX: dict[Specialty, float] = {
    Specialty.GENERAL_SURGERY: 0.12,
    Specialty.GYN_OBSTETRICS: 0.12,
    Specialty.ORTHOPAEDICS: 0.06,
    Specialty.PAEDIATRIC_SURGERY: 0.04,
    Specialty.ANAESTHESIOLOGY: 0.22,
    Specialty.SURGICAL_NURSING: 0.44,
}


def random_instance(
    seed: int, n_hospitals: int, n_candidates: int, in_post_per_hospital: int = 0
) -> DeploymentInput:
    """A seeded instance with ``n_hospitals`` program hospitals and ``n_candidates`` recruits."""
    rng = np.random.default_rng(seed)
    mun = pd.read_csv(REFERENCE_DIR / "municipalities.csv", dtype={"cvegeo": str, "cve_ent": str})
    remote = mun[mun["marginalisation_degree_2020"].isin(["Alto", "Muy alto"])]
    sites = remote.iloc[rng.choice(len(remote), size=n_hospitals, replace=len(remote) < n_hospitals)]
    hospitals: list[Hospital] = []
    demand: dict[tuple[str, Specialty], Demand] = {}
    for i, r in enumerate(sites.itertuples(index=False)):
        clues = f"OC{'IMB'}{i:06d}"
        hospitals.append(
            Hospital(clues, f"Hospital {r.name}", str(r.cve_ent).zfill(2), float(r.lat), float(r.lon),
                     int(rng.integers(1, 4)), MarginalisationDegree(r.marginalisation_degree_2020),
                     bool(rng.random() < 0.3))
        )
        for s in SURGICAL_SPECIALTIES:
            if rng.random() < 0.8:
                proc = float(rng.gamma(2.0, 25.0))
                demand[(clues, s)] = Demand(proc, proc * float(rng.uniform(1.0, 2.5)))
    p = mun["population_2020"].to_numpy(float)
    homes = mun.iloc[rng.choice(len(mun), size=n_candidates, p=p / p.sum())]
    roles = list(ROLE_MIX)
    role_idx = rng.choice(len(roles), size=n_candidates, p=np.array(list(ROLE_MIX.values())))
    states = sorted({h.cve_ent for h in hospitals})
    candidates: list[Candidate] = []
    for i, r in enumerate(homes.itertuples(index=False)):
        mode = rng.random()
        willing: frozenset[str] = frozenset()
        max_km: float | None = None
        if mode < 0.45:
            k = int(rng.integers(1, 4))
            willing = frozenset(rng.choice(states, size=min(k, len(states)), replace=False).tolist())
        elif mode < 0.85:
            max_km = float(rng.choice([150.0, 300.0, 500.0, 800.0]))
        candidates.append(
            Candidate(
                specialist_id=f"S{i:06d}",
                specialty=roles[role_idx[i]],
                sex="F" if rng.random() < 0.54 else "M",
                home_state=str(r.cve_ent).zfill(2),
                home_cvegeo=str(r.cvegeo).zfill(5),
                home_lat=float(r.lat),
                home_lon=float(r.lon),
                weekly_hours=float(rng.choice([36.0, 40.0, 48.0])),
                willing_states=willing,
                max_km=max_km,
                incentive_mxn=float(rng.choice([0.0, 5_000.0, 10_000.0, 15_000.0, 20_000.0])),
            )
        )
    in_post = [
        StaffInPost(f"P{h * 100 + j:06d}", TEAM_ROLES[int(rng.integers(len(TEAM_ROLES)))],
                    "F" if rng.random() < 0.5 else "M", hospitals[h].clues, 40.0)
        for h in range(n_hospitals)
        for j in range(in_post_per_hospital)
    ]
    return DeploymentInput(hospitals, demand, candidates, in_post)
