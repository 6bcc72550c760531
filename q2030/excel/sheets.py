"""Open XLSX files from the wild: read every row, whatever the file declares.

openpyxl's read-only mode trusts the `<dimension ref="…">` a generator stored in each
sheet; some write `A1` for a sheet of thousands of rows, which then reads as one cell.
`sheet_rows` forgets the stored dimension and reads what is really there (pandas does the
same). Shared by the QPV import and the entry-template import.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException


class UnreadableWorkbook(ValueError):
    """The bytes are not an XLSX workbook openpyxl can open."""


def open_workbook(content: bytes, *, data_only: bool = True) -> Workbook:
    """A read-only workbook (close it after use); UnreadableWorkbook on bad input."""
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as error:
        raise UnreadableWorkbook(str(error)) from error


def sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """Every row of the sheet as a tuple of values, ignoring the stored dimension."""
    if hasattr(sheet, "reset_dimensions"):  # read-only sheets only
        sheet.reset_dimensions()
    yield from sheet.iter_rows(values_only=True)
