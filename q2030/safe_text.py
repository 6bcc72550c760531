"""User text leaving the app in a spreadsheet never runs as a formula (OWASP "CSV injection").

One place for the rule: CSV cells starting with = + - @ tab or CR get a leading quote;
XLSX cells holding a string are typed as strings, so the text comes back unchanged on import,
and lose the control characters XML cannot hold (`q2030.control_chars`).
"""

from __future__ import annotations

from typing import TypeVar

import pandas as pd
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from q2030.control_chars import clean_text
from q2030.frontieres import Cellule

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_T = TypeVar("_T")


def csv_cell(value: _T) -> _T | str:
    """The value as a CSV cell: text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns are safe to write as CSV; numbers and dates untouched."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        if pd.api.types.infer_dtype(column, skipna=False) == "string":  # text only: same rule, per distinct text
            risky = [text for text in pd.unique(column) if text.startswith(FORMULA_TRIGGERS)]
            if risky:
                out[name] = column.where(~column.isin(risky), "'" + column)
        else:
            out[name] = column.map(csv_cell)
    return out


def text_cell(ws: WriteOnlyWorksheet, value: Cellule) -> WriteOnlyCell:
    """A write-only cell; a string is stored as a string, never as a formula."""
    if isinstance(value, str):
        value = clean_text(value)  # openpyxl refuses what XML cannot hold
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def set_text(ws: Worksheet, coordinate: str, value: object) -> Cell:
    """Assign a value in a normal worksheet; a string stays a string, never a formula."""
    cell = ws[coordinate]
    if isinstance(value, str):
        value = clean_text(value)  # openpyxl refuses what XML cannot hold
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
