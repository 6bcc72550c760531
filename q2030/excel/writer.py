"""Streaming workbook writer (openpyxl write-only mode) with the house formatting.

Rows are appended as they come from the database, so a sheet of 200,000 contributions
never sits in memory as cells. Strings are written as string cells (`safe_text.text_cell`):
user text starting with "=" stays text, never a live formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from q2030.excel.columns import BLEU_FRANCE, DATE_FORMAT, HEADER_ALIGNMENT, HEADER_FILL, HEADER_FONT
from q2030.frontieres import Cellule
from q2030.safe_text import text_cell

TITLE_FONT = Font(bold=True, size=14, color=BLEU_FRANCE)
BOLD = Font(bold=True)
PERCENT_FORMAT = "0.0 %"
INT_FORMAT = "# ##0"


@dataclass(frozen=True)
class Col:
    header: str
    width: int = 16
    kind: str = "text"  # text, int, date, percent


class StreamingWorkbook:
    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)

    def table(self, title: str, columns: list[Col], rows: Iterable[Iterable[Cellule]]) -> int:
        """A sheet: styled header, widths, frozen header, autofilter; returns the row count."""
        ws = self.wb.create_sheet(title)
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        ws.append([self._header(ws, c.header) for c in columns])
        formats = [self._format(c.kind) for c in columns]
        count = 0
        for row in rows:
            values: list[Cellule | WriteOnlyCell] = list(row)
            for i, number_format in enumerate(formats):
                if isinstance(values[i], str):  # user text: a string cell, never a formula
                    values[i] = text_cell(ws, values[i])
                elif number_format and values[i] is not None:
                    cell = WriteOnlyCell(ws, value=values[i])
                    cell.number_format = number_format
                    values[i] = cell
            ws.append(values)
            count += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
        return count

    def cover(self, title: str, heading: str, lines: list[tuple[str | None, Cellule]], width: int = 60) -> None:
        """A key-figures sheet: a title, then label / value pairs (None label = blank line)."""
        ws = self.wb.create_sheet(title)
        ws.column_dimensions["A"].width = width
        ws.column_dimensions["B"].width = 18
        title_cell = WriteOnlyCell(ws, value=heading)
        title_cell.font = TITLE_FONT
        ws.append([title_cell])
        ws.append([])
        for label_text, value in lines:
            if label_text is None:
                ws.append([])
                continue
            if value is None:  # a section title
                cell = WriteOnlyCell(ws, value=label_text)
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
                ws.append([cell])
                continue
            out = text_cell(ws, value)
            if isinstance(value, float):
                out.number_format = PERCENT_FORMAT
            elif isinstance(value, dt.date):
                out.number_format = DATE_FORMAT
            ws.append([text_cell(ws, label_text), out])

    def save(self, out: str | BinaryIO) -> None:
        self.wb.save(out)

    @staticmethod
    def _header(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        return cell

    @staticmethod
    def _format(kind: str) -> str | None:
        return {"date": DATE_FORMAT, "percent": PERCENT_FORMAT}.get(kind)
