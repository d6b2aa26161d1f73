"""JSON-ready values (numpy scalars, paths, dates, enums, dataclasses, pydantic models converted; NaN and inf -> null)
for run folders, the CLI's --json documents and the API: the one JSON helper."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any


def plain(obj: Any) -> Any:
    """``obj`` as JSON-ready Python values (dicts, lists, str, int, float, bool, None)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if hasattr(obj, "model_dump"):
        return plain(obj.model_dump(mode="json"))
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return plain(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON with sorted keys (stable across runs)."""
    path.write_text(json.dumps(plain(obj), indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
