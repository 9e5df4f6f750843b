"""'Download what is on screen': a table a page shows, as CSV or XLSX.

A page builds one :class:`Shown` table (header labels and the rows as displayed, numbers
rounded as on screen) for its template and for :func:`download`, so the file holds exactly
the page's rows and columns. CSV is UTF-8 with a byte-order mark (Excel then reads the
Chinese right); XLSX is written by pandas with openpyxl.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd
from fastapi.responses import Response

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Shown:
    """A table as a page shows it: ``columns`` (labels) and ``rows`` (raw values)."""

    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


def filename(*parts: str) -> str:
    """``forecast_D01-hotline_2025-06-30``: parts joined by ``_``, unsafe characters as ``-``."""
    clean = [re.sub(r"[^\w.-]+", "-", str(p), flags=re.UNICODE).strip("-") for p in parts if p]
    return "_".join(p for p in clean if p) or "table"


def download(table: Shown, name: str, fmt: str, sheet: str = "data") -> Response:
    """The table as an attachment ``<name>.<fmt>`` (``fmt``: csv or xlsx)."""
    frame = table.frame()
    if fmt == "csv":
        body = frame.to_csv(index=False).encode("utf-8-sig")
    else:
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            frame.to_excel(writer, index=False, sheet_name=sheet[:31])
        body = buffer.getvalue()
    full = f"{name}.{fmt}"
    ascii_name = full.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(full)}"
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})
