"""Every CSV download of the app, as French spreadsheets open it, in one function.

`;` separator, decimal comma, UTF-8 with BOM (Excel detects the encoding), dates
31/07/2023 (with the time when there is one), booleans Oui / Non, empty cells for missing
values, and user text neutralised by `q2030.safe_text` (no formula runs on opening).
Ratios are written as percentages with their precision under a header that says so
("Taux de couverture (%)" : 42,9), never as fractions rounded to 0,4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from q2030.formatting import fr_date
from q2030.frontieres import CelluleBrute
from q2030.safe_text import neutralised


def percent_header(label: str) -> str:
    """ "Taux de couverture" -> "Taux de couverture (%)" (the CSV header of a ratio column)."""
    return label if label.endswith("(%)") else f"{label} (%)"


def _number(value: float, decimals: int | None) -> str:
    text = repr(float(value)) if decimals is None else f"{value:.{decimals}f}"
    if text.endswith(".0") and decimals is None:
        text = text[:-2]
    return text.replace(".", ",")


def _cell(value: CelluleBrute, decimals: int | None) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, (dt.date, dt.datetime)):  # pd.Timestamp is a datetime
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            return fr_date(value.date())
        return fr_date(value)
    if isinstance(value, float):
        return _number(value, decimals)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _cell(value.item(), decimals)
    return value


def _cells(column: pd.Series, decimals: int | None) -> pd.Series:
    """`_cell` of every value, computed once per distinct value (dates and labels repeat)."""
    try:
        distinct = {value: _cell(value, decimals) for value in pd.unique(column)}
    except TypeError:  # an unhashable value (a list): cell by cell
        return column.map(lambda v: _cell(v, decimals))
    return column.map(lambda v: distinct[v] if v in distinct else _cell(v, decimals))


def to_csv(
    frame: pd.DataFrame,
    *,
    percent_columns: Iterable[str] = (),
    percent_decimals: int = 1,
    decimals: int | None = None,
) -> bytes:
    """`frame` (French headers already) as CSV bytes.

    `percent_columns` hold ratios (0.4286): written as 42,9 under "<header> (%)".
    `decimals`: digits of the other decimal numbers (None: as stored)."""
    percents = [c for c in percent_columns if c in frame.columns]
    safe = neutralised(frame)  # before numbers become text: "-3,5" is a number, not a formula
    out = pd.DataFrame(index=safe.index)
    for name in safe.columns:
        column = safe[name]
        if name in percents:
            out[percent_header(str(name))] = column.map(
                lambda v: "" if v is None or pd.isna(v) else _number(float(v) * 100, percent_decimals)
            )
        elif pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
            out[name] = column  # written as is (the per-cell rule would return the same integers)
        elif pd.api.types.infer_dtype(column, skipna=False) == "string":
            out[name] = column  # text, already neutralised: the per-cell rule returns it unchanged
        else:
            out[name] = _cells(column.astype(object), decimals)
    text: str = out.to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")
