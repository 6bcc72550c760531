"""The national export as flat files: one CSV or one Parquet file per sheet, in a ZIP.

Same sheets, columns and rows as the workbook (`q2030.excel.exports` writes through the
`table` / `cover` / `save` interface of `StreamingWorkbook`), in seconds instead of the
workbook's quarter of a minute: XML cell by cell is what makes an XLSX slow.

- CSV through `q2030.csv_export.to_csv`, like every CSV of the app: `;`, UTF-8 with BOM,
  dates 31/07/2023, decimal comma, ratios in %, user text neutralised (no formula runs).
- Parquet for analysts (pandas, DuckDB, R): typed columns (dates, integers, decimals),
  values unchanged (Parquet is never opened by a spreadsheet as formulas).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd

from q2030.csv_export import to_csv
from q2030.excel.writer import Col
from q2030.frontieres import Cellule

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("xlsx", "csv", "parquet")


def _file_stem(title: str) -> str:
    """ "Départements" -> "departements" (ASCII names inside the ZIP)."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "table"


def _text(value: Cellule) -> str:
    """A cover value as text (the cover sheet mixes numbers, ratios and dates in one column)."""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.6g}".replace(".", ",")
    return str(value)


class _ZipBook:
    """Collects one file per sheet, in the order the export writes them."""

    suffix = ""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def _add(self, title: str, content: bytes) -> None:
        self.files.append((f"{len(self.files) + 1:02d}-{_file_stem(title)}.{self.suffix}", content))

    def save(self, out: str | BinaryIO) -> None:
        # Parquet is compressed already; CSV compresses well.
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, content in self.files:
                archive.writestr(name, content)


class CsvZipBook(_ZipBook):
    suffix = "csv"

    def table(self, title: str, columns: list[Col], rows: Iterable[Iterable[Cellule]]) -> int:
        headers = _unique([c.header for c in columns])
        frame = pd.DataFrame([list(row) for row in rows], columns=headers)
        percents = [header for header, c in zip(headers, columns, strict=True) if c.kind == "percent"]
        self._add(title, to_csv(frame, percent_columns=percents))
        return len(frame)

    def cover(self, title: str, heading: str, lines: list[tuple[str | None, Cellule]], width: int = 60) -> None:
        del width
        rows = [(label, "" if value is None else value) for label, value in lines if label is not None]
        self.table(title, [Col(heading), Col("Valeur")], rows)


class ParquetZipBook(_ZipBook):
    suffix = "parquet"

    def table(self, title: str, columns: list[Col], rows: Iterable[Iterable[Cellule]]) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        values: list[list[Cellule]] = [[] for _ in columns]
        count = 0
        for row in rows:
            for index, value in enumerate(row):
                values[index].append(value)
            count += 1
        arrays = [
            pa.array(_typed(column, data), type=_arrow_type(column))
            for column, data in zip(columns, values, strict=True)
        ]
        table = pa.Table.from_arrays(arrays, names=_unique([c.header for c in columns]))
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        self._add(title, buffer.getvalue())
        return count

    def cover(self, title: str, heading: str, lines: list[tuple[str | None, Cellule]], width: int = 60) -> None:
        del width
        rows = [(label, "" if value is None else _text(value)) for label, value in lines if label is not None]
        self.table(title, [Col(heading), Col("Valeur")], rows)


def _arrow_type(column: Col) -> pa.DataType:
    import pyarrow as pa

    return {"int": pa.int64(), "date": pa.date32(), "percent": pa.float64()}.get(column.kind, pa.string())


def _typed(column: Col, data: list[Cellule]) -> list[Cellule]:
    if column.kind == "int":
        return [None if v is None or v == "" else int(_nombre(v)) for v in data]
    if column.kind == "date":
        return [v.date() if isinstance(v, dt.datetime) else (v if isinstance(v, dt.date) else None) for v in data]
    if column.kind == "percent":
        return [None if v is None or v == "" else float(_nombre(v)) for v in data]
    return [None if v is None else str(v) for v in data]


def _nombre(value: Cellule) -> str | int | float:
    """A number column's cell (a number, or its text); anything else is a bug of the export."""
    if isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"Not a number: {value!r}")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
