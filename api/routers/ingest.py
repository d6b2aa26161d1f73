"""Ingestion (admin): upload facilities, staff or records; the answer lists accepted and rejected rows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, ApiError, request_lang
from api.ingest import ENTITY_SUFFIXES, RECORD_SUFFIXES, IngestReport, ingest_entities, ingest_records, safe_name
from api.inputs import InputTooLarge, check_upload
from optimizer.data.rejects import DataFileError
from optimizer.i18n import in_lang, msg
from optimizer.paths import home_dir

router = APIRouter(prefix="/ingest", tags=["ingestion"], responses={**AUTH_RESPONSES, **BAD_REQUEST},
                   dependencies=[Depends(require(Scope.INGEST))])

CHUNK = 1 << 20


class RejectOut(BaseModel):
    file: str
    row: int
    field: str
    value: str
    reason: str


class IngestResult(BaseModel):
    kind: str
    files: list[str]
    rows_read: int
    accepted: int
    rejected_rows: int
    rejects: list[RejectOut]
    rejects_truncated: bool


def _result(report: IngestReport, lang: str) -> IngestResult:
    """The report as answered: each reject's reason in the caller's language."""
    return IngestResult(kind=report.kind, files=report.files, rows_read=report.rows_read, accepted=report.accepted,
                        rejected_rows=report.rejected_rows,
                        rejects=[RejectOut(**{**r.__dict__, "reason": in_lang(r.reason, lang)})
                                 for r in report.rejects],
                        rejects_truncated=report.rejects_truncated)


async def _save(request: Request, upload: UploadFile, folder: Path, default: str, suffixes: tuple[str, ...]) -> Path:
    """Write the upload to ``folder`` and check its bounds (rows, unpacked size) before anything parses it."""
    name = safe_name(upload.filename, default)
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise ApiError(400, msg("data.file.format", file=name, suffix=suffix, allowed=", ".join(suffixes)))
    path = folder / name
    with path.open("wb") as fh:
        while chunk := await upload.read(CHUNK):
            fh.write(chunk)
    config = request.app.state.config
    try:
        await run_in_threadpool(check_upload, path, config.max_upload_bytes, config.max_upload_rows)
    except InputTooLarge as exc:
        raise ApiError(413, exc.msg) from None
    return path


@router.post("/records", response_model=IngestResult,
             summary="Upload health records: encounters + prescriptions (CSV or Parquet)")
async def ingest_record_files(request: Request, encounters: UploadFile = File(...),
                              prescriptions: UploadFile = File(...)) -> IngestResult:
    with tempfile.TemporaryDirectory(prefix="bienestar-upload-") as tmp:
        enc = await _save(request, encounters, Path(tmp), "encounters.csv", RECORD_SUFFIXES)
        rx = await _save(request, prescriptions, Path(tmp), "prescriptions.csv", RECORD_SUFFIXES)
        if enc == rx:
            raise ApiError(400, msg("api.ingest.same_names"))
        try:
            report = await run_in_threadpool(ingest_records, request.app.state.engine, home_dir() / "records", enc, rx)
        except DataFileError as exc:
            raise ApiError(400, exc.msg) from None
    return _result(report, request_lang(request))


@router.post("/{kind}", response_model=IngestResult, summary="Upload a facilities or staff file (CSV/Parquet/XLSX)")
async def ingest_table(request: Request, kind: Literal["facilities", "staff"],
                       file: UploadFile = File(...)) -> IngestResult:
    with tempfile.TemporaryDirectory(prefix="bienestar-upload-") as tmp:
        path = await _save(request, file, Path(tmp), f"{kind}.csv", ENTITY_SUFFIXES)
        try:
            report = await run_in_threadpool(ingest_entities, request.app.state.engine, kind, path)
        except DataFileError as exc:
            raise ApiError(400, exc.msg) from None
    return _result(report, request_lang(request))
