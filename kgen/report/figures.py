"""Writing the report's files: every figure's data as CSV/JSON (for notebooks) and the page's data
as small JavaScript files (a page opened from disk may not ``fetch()`` local files, but it may load
scripts; each data file calls ``KGEN.add(name, value)``).
"""

from __future__ import annotations

import base64
import csv
import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# A figure file name from any label: letters, digits, dot, dash and underscore only.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(text: str, limit: int = 80) -> str:
    name = _UNSAFE.sub("-", text).strip("-.") or "item"
    return name[:limit]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.7g}"
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return path


def write_matrix_csv(path: Path, names: Sequence[str], matrix: np.ndarray, fmt: str = "%.6f") -> Path:
    """A square matrix with the class names as the first row and the first column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *names])
        text_rows = np.char.mod(fmt, np.asarray(matrix)) if np.asarray(matrix).dtype.kind == "f" else np.asarray(matrix).astype(str)
        for name, row in zip(names, text_rows, strict=True):
            writer.writerow([name, *row.tolist()])
    return path


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, value: Any, indent: int | None = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(value), indent=indent, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    return path


def write_page_data(path: Path, name: str, value: Any) -> Path:
    """``data/<file>.js``: ``KGEN.add("name", {...});`` (compact JSON)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(_clean(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    # "</" never ends a script here (the file is not inline), but keep the data inert anyway.
    payload = payload.replace("</", "<\\/")
    path.write_text(f"KGEN.add({json.dumps(name)},{payload});\n", encoding="utf-8")
    return path


def quantized_matrix(matrix: np.ndarray) -> dict[str, Any]:
    """A float matrix for the page: uint16 levels between its min and max, base64 (little-endian).

    At C = 600 this is 0.96 MB instead of 2-3 MB of JSON numbers, and the step between levels
    ((max - min) / 65535, about 1e-5 for cosines) is far below the 4 decimals the page shows.
    The exact values are in the figure's CSV.
    """
    values = np.asarray(matrix, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    span = high - low or 1.0
    levels = np.rint((values - low) / span * 65535.0).astype("<u2")
    return {
        "rows": int(values.shape[0]),
        "cols": int(values.shape[1]),
        "min": low,
        "max": high,
        "uint16_base64": base64.b64encode(levels.tobytes()).decode("ascii"),
    }
