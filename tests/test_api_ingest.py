"""Ingestion through the API: every valid row is stored at once (pseudonymised), every bad row comes back
with file, row, field and reason, and uploading the same file twice changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from test_api_support import api_fixtures, bearer

from optimizer.data.curp import random_curps
from optimizer.data.privacy import pseudonymise

home, keys, client = api_fixtures("ingest")


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode()


def _staff_upload(home: Path) -> tuple[pd.DataFrame, list[str]]:
    """Four new people (valid), then a bad CURP, an unknown facility, a bad specialty, and a person
    already stored under another staff number."""
    stored = pd.read_csv(home / "dataset" / "specialists.csv", dtype=str, keep_default_na=False)
    template = stored[stored["status"] == "in_post"].head(8).copy()
    curps = random_curps(np.random.default_rng(5), pd.to_datetime(pd.Series(["1985-03-01"] * 5)).to_numpy(),
                         np.array(["F", "M", "F", "M", "F"]), np.array(["09"] * 5))
    rows = template.copy()
    rows["specialist_id"] = [f"Z{900000 + i}" for i in range(8)]
    rows.iloc[:5, rows.columns.get_loc("curp")] = list(curps)
    rows.iloc[4, rows.columns.get_loc("curp")] = curps[4][:-1] + str((int(curps[4][-1]) + 1) % 10)  # check digit
    rows.iloc[5, rows.columns.get_loc("facility_clues")] = "OCIMB999999"
    rows.iloc[5, rows.columns.get_loc("curp")] = random_curps(
        np.random.default_rng(6), pd.to_datetime(pd.Series(["1990-01-01"])).to_numpy(), np.array(["F"]),
        np.array(["20"]))[0]
    rows.iloc[6, rows.columns.get_loc("specialty")] = "astrology"
    # row 7 keeps a stored person's CURP under a new staff number
    return rows, list(curps[:4])


def test_staff_upload_keeps_valid_rows_and_reports_the_rest(client: TestClient, keys: dict[str, str],
                                                            home: Path) -> None:
    rows, good_curps = _staff_upload(home)
    h = bearer(keys["admin"])
    before = client.get("/staff?limit=1", headers=bearer(keys["hr"])).json()["total"]
    r = client.post("/ingest/staff", files={"file": ("new_staff.csv", _csv(rows), "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["rows_read"], report["accepted"], report["rejected_rows"]) == (8, 4, 4)
    by_row = {(x["row"], x["field"]): x for x in report["rejects"]}
    assert set(by_row) == {(6, "curp"), (7, "facility_clues"), (8, "specialty"), (9, "curp")}
    assert all(x["file"] == "new_staff.csv" for x in report["rejects"])
    assert "dígito verificador" in by_row[(6, "curp")]["reason"] and "*" in by_row[(6, "curp")]["value"]
    assert by_row[(9, "curp")]["reason"].startswith("la misma persona que el especialista guardado")  # Spanish first
    assert client.get("/staff?limit=1", headers=bearer(keys["hr"])).json()["total"] == before + 4
    for i, curp in enumerate(good_curps):
        person = client.get(f"/staff/Z{900000 + i}", headers=bearer(keys["hr"])).json()
        assert person["hid"] == pseudonymise(curp) and "curp" not in person
    assert client.get("/staff/Z900005", headers=bearer(keys["hr"])).status_code == 404
    again = client.post("/ingest/staff", files={"file": ("new_staff.csv", _csv(rows), "text/csv")}, headers=h)
    assert again.json()["accepted"] == 4
    assert client.get("/staff?limit=1", headers=bearer(keys["hr"])).json()["total"] == before + 4


def test_facilities_parquet_upload(client: TestClient, keys: dict[str, str], home: Path) -> None:
    fac = pd.read_csv(home / "dataset" / "facilities.csv", dtype=str, keep_default_na=False).head(3).copy()
    fac["clues"] = ["OCIMB990001", "OCIMB990002", "OCIMB990003"]
    fac["cve_ent"], fac["cvegeo"] = "20", "20001"
    fac["lat"], fac["lon"] = ["17.06", "17.07", "45.0"], ["-96.72", "-96.70", "-96.70"]
    buf = io.BytesIO()
    fac.to_parquet(buf, index=False)
    upload = {"file": ("oaxaca.parquet", buf.getvalue(), "application/octet-stream")}
    r = client.post("/ingest/facilities", files=upload, headers=bearer(keys["admin"]))
    report = r.json()
    assert (report["accepted"], report["rejected_rows"]) == (2, 1), report
    assert report["rejects"][0]["row"] == 4 and report["rejects"][0]["field"] == "lat"
    assert client.get("/facilities/OCIMB990002", headers=bearer(keys["planner"])).json()["cve_ent"] == "20"


def test_records_upload_is_pseudonymised_and_updates_demand(client: TestClient, keys: dict[str, str],
                                                             home: Path) -> None:
    # Every partition, not the first file only: on the real network one month x state file may hold fewer than
    # 40 procedures at any one hospital.
    enc = pd.concat([pq.read_table(p).to_pandas()
                     for p in sorted((home / "dataset" / "records" / "encounters").rglob("*.parquet"))],
                    ignore_index=True)
    rx = pq.read_table(next((home / "dataset" / "records" / "prescriptions").rglob("*.parquet"))).to_pandas()
    with_proc = enc[enc["procedure"].notna()]
    busiest = with_proc["clues"].value_counts().index[0]  # its demand rows are not suppressed
    # 40 procedures recorded at the busiest hospital (a small dataset may hold fewer there: others are moved to it)
    surgical = pd.concat([with_proc[with_proc["clues"] == busiest],
                          with_proc[with_proc["clues"] != busiest]]).head(40).copy()
    surgical["clues"] = busiest
    surgical["record_id"] = np.arange(10_000_000, 10_000_040)
    surgical.iloc[0, surgical.columns.get_loc("curp")] = "NOTACURP"
    surgical.iloc[1, surgical.columns.get_loc("clues")] = "OCIMB888888"
    presc = rx.head(3).copy()
    presc["record_id"] = [10_000_002, 10_000_003, 10_000_000]  # the last points at the rejected encounter
    presc["clues"] = list(surgical["clues"].iloc[[2, 3, 0]])
    h = bearer(keys["admin"])
    demand_before = client.get("/demand/surgical?limit=1000", headers=bearer(keys["planner"])).json()["items"]
    files = {"encounters": ("enc.csv", _csv(surgical), "text/csv"),
             "prescriptions": ("rx.csv", _csv(presc), "text/csv")}
    report = client.post("/ingest/records", files=files, headers=h).json()
    assert (report["rows_read"], report["accepted"], report["rejected_rows"]) == (43, 40, 3), report
    found = {(x["file"], x["row"], x["field"]) for x in report["rejects"]}
    assert found == {("enc.csv", 2, "curp"), ("enc.csv", 3, "clues"), ("rx.csv", 4, "record_id")}
    assert all("NOTACURP" not in x["value"] for x in report["rejects"])
    stored = [pq.read_table(p) for p in (home / "records" / "encounters").glob("upload-*.parquet")]
    assert len(stored) == 1 and "curp" not in stored[0].column_names and "hid" in stored[0].column_names
    assert stored[0].num_rows == 38
    demand_after = client.get("/demand/surgical?limit=1000", headers=bearer(keys["planner"])).json()["items"]
    def busiest_total(rows: list[dict]) -> float:
        return sum(r["procedures_per_week"] or 0 for r in rows if r["clues"] == busiest)

    assert busiest_total(demand_after) > busiest_total(demand_before) > 0
    again = client.post("/ingest/records", files=files, headers=h).json()
    assert again["accepted"] == 0 and any(x["reason"] == "record_id ya cargado" for x in again["rejects"])
    again = client.post("/ingest/records?lang=en", files=files, headers=h).json()
    assert any(x["reason"] == "record_id already ingested" for x in again["rejects"])


def test_unusable_files_get_a_clear_400(client: TestClient, keys: dict[str, str]) -> None:
    h = bearer(keys["admin"])
    r = client.post("/ingest/staff", files={"file": ("s.txt", b"x", "text/plain")}, headers=h)
    assert r.status_code == 400 and r.json()["error"].startswith("s.txt: el formato '.txt' no se admite")
    bad_header = b"specialist_id,foo\nS000001,1\n"
    for lang, said in (("es", "s.csv fila 1 (encabezados): faltan las columnas"),
                       ("en", "s.csv row 1 (header): missing column(s)")):
        r = client.post("/ingest/staff", files={"file": ("s.csv", bad_header, "text/csv")},
                        headers={**h, "Accept-Language": lang})
        assert r.status_code == 400 and r.json()["error"].startswith(said), r.json()
    records = {"encounters": ("e.csv", b"record_id\n1\n", "text/csv"),
               "prescriptions": ("p.csv", b"record_id\n1\n", "text/csv")}
    r = client.post("/ingest/records", files=records, headers=h)
    assert r.status_code == 400 and r.json()["error"].startswith("e.csv fila 1: faltan las columnas curp")
    r = client.post("/ingest/records?lang=en", files=records, headers=h)
    assert r.status_code == 400 and r.json()["error"].startswith("e.csv row 1: missing column(s) curp")
