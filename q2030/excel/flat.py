"""The national export as flat files: one CSV or one Parquet file per sheet, in a ZIP.

Same sheets, columns and rows as the workbook (`q2030.excel.exports` writes through the
`table` / `cover` / `save` interface of `StreamingWorkbook`), in seconds instead of the
workbook's quarter of a minute: XML cell by cell is what makes an XLSX slow.

- CSV as French spreadsheets open it: `;`, UTF-8 with BOM, dates 31/07/2023, decimal
  comma; user text goes through `q2030.safe_text.csv_cell` (no formula runs on opening).
- Parquet for analysts (pandas, DuckDB, R): typed columns (dates, integers, decimals),
  values unchanged (Parquet is never opened by a spreadsheet as formulas).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any, BinaryIO

from q2030.excel.writer import Col
from q2030.safe_text import csv_cell

FORMATS = ("xlsx", "csv", "parquet")


def _file_stem(title: str) -> str:
    """ "Départements" -> "departements" (ASCII names inside the ZIP)."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "table"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{value:.6g}".replace(".", ",")
    return csv_cell(value)


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

    def table(self, title: str, columns: list[Col], rows: Iterable[Iterable[Any]]) -> int:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        count = 0
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
        self._add(title, buffer.getvalue().encode("utf-8-sig"))
        return count

    def cover(self, title: str, heading: str, lines: list[tuple[str, Any]], width: int = 60) -> None:
        del width
        rows = [(label, "" if value is None else value) for label, value in lines if label is not None]
        self.table(title, [Col(heading), Col("Valeur")], rows)


class ParquetZipBook(_ZipBook):
    suffix = "parquet"

    def table(self, title: str, columns: list[Col], rows: Iterable[Iterable[Any]]) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        values: list[list[Any]] = [[] for _ in columns]
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

    def cover(self, title: str, heading: str, lines: list[tuple[str, Any]], width: int = 60) -> None:
        del width
        rows = [
            (label, "" if value is None else (_csv_value(value) if not isinstance(value, str) else value))
            for label, value in lines
            if label is not None
        ]
        self.table(title, [Col(heading), Col("Valeur")], rows)


def _arrow_type(column: Col):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return {"int": pa.int64(), "date": pa.date32(), "percent": pa.float64()}.get(column.kind, pa.string())


def _typed(column: Col, data: list[Any]) -> list[Any]:
    if column.kind == "int":
        return [None if v is None or v == "" else int(v) for v in data]
    if column.kind == "date":
        return [v.date() if isinstance(v, dt.datetime) else (v if isinstance(v, dt.date) else None) for v in data]
    if column.kind == "percent":
        return [None if v is None or v == "" else float(v) for v in data]
    return [None if v is None else str(v) for v in data]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
