"""Tables shown the French way: "29,3 %", "31/07/2023", empty cells for missing dates.

st.column_config number formats are printf-style ("29.3 %"): percentages go through a pandas
Styler instead, whose display text Streamlit shows while sorting on the underlying number.
Dates become "31/07/2023" text ("" when missing: Streamlit draws a null cell as "None").
An empty table is replaced by a French sentence (Streamlit would print "empty").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from q2030.csv_export import to_csv
from q2030.formatting import fr_date, fr_number, fr_percent
from q2030.frontieres import ArgumentLibre

ROW_HEIGHT = 35  # st.dataframe's row height, header included


def _is_date_column(values: pd.Series) -> bool:
    return bool(values.map(lambda v: isinstance(v, dt.date)).any()) or pd.api.types.is_datetime64_any_dtype(values)


def _date_text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else fr_date(value.date() if value == value.normalize() else value.to_pydatetime())
    return fr_date(value) if isinstance(value, dt.date) else ""


def french_display(
    frame: pd.DataFrame, *, percent_columns: Iterable[str] = (), decimals: int = 1
) -> pd.DataFrame | Styler:
    """`frame` with ratios shown as "29,3 %", dates as "31/07/2023" (empty when missing),
    floats as "1 234,5" and booleans as oui/non. Percent columns hold ratios (0.293).

    A Styler only when a column needs one (ratios, floats): Streamlit sends a styled table
    twice (values and display text) and renders every cell's text on the server first."""
    shown = frame.copy()
    percents = [c for c in percent_columns if c in shown.columns]
    for column in shown.columns:
        if column not in percents and _is_date_column(shown[column]):
            shown[column] = shown[column].map(_date_text)
        elif shown[column].dtype == bool:
            shown[column] = shown[column].map({True: "oui", False: "non"})
        elif shown[column].dtype == object:  # e.g. a date column with no date at all
            shown[column] = shown[column].map(lambda v: "" if v is None or v is pd.NaT or v != v else v)
    formats: dict[str, object] = {c: (lambda v, d=decimals: fr_percent(v, d)) for c in percents}
    for column in shown.columns:
        if column not in percents and pd.api.types.is_float_dtype(shown[column]):
            formats[column] = lambda v: fr_number(v, 1)
    if not formats:
        return shown
    return shown.style.format(formats, na_rep="")


def auto_height(rows: int, *, max_rows: int = 12) -> int:
    """Pixel height that shows `rows` rows without a scrollbar (up to `max_rows`)."""
    return ROW_HEIGHT * (min(max(rows, 1), max_rows) + 1) + 3


def show_table(
    frame: pd.DataFrame | Styler,
    *,
    key: str,
    empty: str,
    **dataframe_args: ArgumentLibre,  # st.dataframe's own keywords (Streamlit's overloads)
) -> object | None:
    """st.dataframe, or `empty` (a French sentence) in an info box when there is no row."""
    data = frame.data if isinstance(frame, Styler) else frame
    if data.empty:
        st.info(empty)
        return None
    dataframe_args.setdefault("hide_index", True)
    dataframe_args.setdefault("width", "stretch")
    shown: object = st.dataframe(frame, key=key, **dataframe_args)
    return shown


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The data behind a table or chart as CSV, the way French spreadsheets open it (4 decimals)."""
    return to_csv(df, decimals=4)
