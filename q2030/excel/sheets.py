"""Reading a workbook's sheets as grids of values: one reader for every import of a sheet.

The entry template, the QPV list and the questionnaire all read sheets here
(`open_sheets(content)`, then `book.read(name)`). Two readers stand behind it:

- **calamine** (`python-calamine`, Rust): ~10 times less CPU than openpyxl, used when the
  workbook holds nothing it would lose (and only an .xlsx: calamine reads .ods and .xlsb too,
  which the scan cannot vouch for). It reads a formula's cached value but cannot say
  a cell was a formula, and it reads an error value (`#N/A`) as an empty string; and it
  allocates the whole rectangle from A1 to the last cell it finds, whatever the number of
  cells (two cells, A1 and XFD1048576, abort the process on a failed allocation of
  0.5 TB). So it reads a workbook only when a scan of every sheet's XML finds no formula,
  no error value, an explicit reference (`r="B7"`) on every row and cell, and a rectangle
  under `CALAMINE_MAX_CELLS`.
- **openpyxl** in read-only (streaming) mode, as before, for every other workbook (a
  formula, even with its cached value; an error value; a generator that leaves out the
  references; a file calamine refuses).

Both give the same values: None for an empty cell, a string cell as written (even
"=HYPERLINK(…)"), int for a whole number, float, bool, `datetime` for a date
(midnight for a date alone), `time`, `timedelta`. A formula takes the value the
spreadsheet cached when it last computed it; a formula without one (a workbook written by
a program, never opened in a spreadsheet) is returned apart so that the caller refuses it,
naming the cell: reading it as empty would silently blank the field.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from types import TracebackType
from xml.parsers import expat

from openpyxl import Workbook, load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from q2030.frontieres import Cellule

# Cells calamine may allocate for one sheet (its rectangle from A1), ~32 bytes each.
CALAMINE_MAX_CELLS = 5_000_000
# A sheet's XML above this size is streamed by openpyxl rather than scanned whole in memory.
SCAN_MAX_BYTES = 256 * 1024 * 1024

# What a file that is not a well-formed workbook raises (SyntaxError: an XML ParseError in
# openpyxl, e.g. a raw control character written into a sheet by a program).
UNREADABLE = (
    InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError, SyntaxError,
    CalamineError,
)  # fmt: skip

UNCACHED_ADVICE = (
    "formule sans valeur calculée (classeur écrit par un programme). Ouvrez le fichier dans un tableur et "
    "enregistrez-le, ou remplacez la formule par sa valeur."
)

# Patterns over a sheet's XML, once expat found it well formed (so no duplicate attribute,
# no raw control character, every tag closed). Text is escaped in XML (`&lt;f>`): these
# never match inside a cell's text, except `_PREFIXED` and `_ERROR`, which then only make
# the scan more cautious.
_FORMULA = re.compile(rb"<f[\s/>]")
_PREFIXED = re.compile(rb":(?:c|row|f|v|is|sheetData)[\s/>]")
_ERROR = re.compile(rb"""["']e["']""")
# Every cell tag, with the row number of its reference when the reference is its first
# attribute and well formed (b"" otherwise: the scan gives up).
_CELL = re.compile(rb"""<c\s+r\s*=\s*["'][A-Z]{1,3}([0-9]{1,7})["']|<c[\s/>]""")
_WIDE_COLUMN = re.compile(rb"""<c\s+r\s*=\s*["']([A-Z]{2,3})[0-9]""")
_ROW = re.compile(rb"""<row\s+r\s*=\s*["']([0-9]{1,7})["']|<row[\s/>]""")


class _Doctype(Exception):
    """A DTD in a sheet: entities are openpyxl's (and its guards') business."""


def _refuse_doctype(*_args: object) -> None:
    raise _Doctype


def _sheet_fits_calamine(data: bytes) -> bool:
    """One sheet's XML: well formed, no formula, no error value, every cell and row with its
    reference, and a rectangle from A1 to the last reference under `CALAMINE_MAX_CELLS`."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, _Doctype):
        return False  # openpyxl refuses it or reads it as before
    if _FORMULA.search(data) or _PREFIXED.search(data) or _ERROR.search(data):
        return False
    rows = _CELL.findall(data)
    rows_of_rows = _ROW.findall(data)
    if b"" in rows or b"" in rows_of_rows:
        return False
    last_row = max(map(int, rows + rows_of_rows), default=1)
    last_column = max((column_index_from_string(c.decode()) for c in set(_WIDE_COLUMN.findall(data))), default=26)
    return last_row * last_column <= CALAMINE_MAX_CELLS


@dataclass(frozen=True)
class UncachedFormula:
    """A formula cell with no value computed by a spreadsheet (0-based row and column)."""

    row: int
    column: int
    formula: str

    @property
    def cell(self) -> str:
        return f"{get_column_letter(self.column + 1)}{self.row + 1}"


def open_workbook(content: bytes, *, data_only: bool) -> Workbook:
    """A read-only openpyxl workbook whose sheets are read whole, whatever their stored `<dimension>`.

    openpyxl's read-only mode trusts the `<dimension>` a generator wrote (some write
    "A1"): `reset_dimensions()` makes every sheet read up to its real last row and column.
    """
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    for ws in wb.worksheets:
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
    return wb


def calamine_can_read(content: bytes) -> bool:
    """Does every sheet hold only what calamine reads as openpyxl does, in a bounded rectangle?

    A conservative scan of every part of the archive holding cells (`sheetData`): anything
    it cannot vouch for sends the workbook to openpyxl, which reads it as before (or
    refuses it, as before). ~15 ms per MB of sheet XML.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
                return False  # not an .xlsx (an .ods, an .xlsb): the scan below could not vouch for it
            for info in archive.infolist():
                if info.file_size > SCAN_MAX_BYTES:
                    return False
                data = archive.read(info)
                if b"sheetData" in data and not _sheet_fits_calamine(data):
                    return False
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, EOFError, RuntimeError):
        return False  # openpyxl says why it cannot be read
    return True


def _plain(value: int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta) -> Cellule:
    """A calamine value as openpyxl gives it."""
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if type(value) is dt.date:
        return dt.datetime.combine(value, dt.time())  # naive, as openpyxl's
    return value


class Sheets:
    """An opened workbook: its worksheets' names, and each one read as a grid."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self._calamine: CalamineWorkbook | None = None
        self._openpyxl: Workbook | None = None
        if calamine_can_read(content):
            try:
                self._calamine = CalamineWorkbook.from_filelike(io.BytesIO(content))
            except CalamineError:
                self._calamine = None  # openpyxl says whether it is readable at all
        if self._calamine is not None:
            self.names = [m.name for m in self._calamine.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        else:
            self._openpyxl = open_workbook(content, data_only=False)
            self.names = [ws.title for ws in self._openpyxl.worksheets]

    @property
    def reader(self) -> str:
        return "calamine" if self._calamine is not None else "openpyxl"

    def read(self, name: str, max_rows: int | None = None) -> tuple[list[list[Cellule]], list[UncachedFormula]]:
        """The sheet's rows from A1 (at most `max_rows` + 1), and its formulas without a cached value."""
        if self._calamine is not None:
            limit = None if max_rows is None else max_rows + 1
            try:
                rows = self._calamine.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=limit)
            except CalamineError:
                rows = None  # openpyxl reads it, or says why not
            if rows is not None:
                grid = []
                for raw in rows:
                    row = [_plain(v) for v in raw]
                    while row and row[-1] is None:
                        row.pop()
                    grid.append(row)
                return grid, []
        if self._openpyxl is None:
            self._openpyxl = open_workbook(self.content, data_only=False)
        return _read_openpyxl(self.content, self._openpyxl, name, max_rows)

    def close(self) -> None:
        if self._calamine is not None:
            self._calamine.close()
        if self._openpyxl is not None:
            self._openpyxl.close()

    def __enter__(self) -> Sheets:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def is_opendocument(content: bytes) -> bool:
    """An OpenDocument file (.ods saved by LibreOffice): its first member is its `mimetype`, stored."""
    return content[:2] == b"PK" and b"mimetypeapplication/vnd.oasis.opendocument" in content[:200]


def open_sheets(content: bytes) -> Sheets:
    """The workbook's sheets; raises one of `UNREADABLE` when it is not a readable workbook."""
    return Sheets(content)


def _read_openpyxl(
    content: bytes, wb: Workbook, name: str, max_rows: int | None
) -> tuple[list[list[Cellule]], list[UncachedFormula]]:
    grid: list[list[Cellule]] = []
    formulas: list[tuple[int, int]] = []
    for r, row in enumerate(wb[name].iter_rows()):
        if max_rows is not None and r >= max_rows + 1:
            break
        values: list[Cellule] = []
        for c, cell in enumerate(row):
            if getattr(cell, "data_type", None) == "f":
                formulas.append((r, c))
                values.append(str(cell.value))
            else:
                values.append(cell.value)
        grid.append(values)
    uncached: list[UncachedFormula] = []
    if formulas:
        cached = open_workbook(content, data_only=True)
        try:
            wanted = {r for r, _ in formulas}
            computed = {r: list(row) for r, row in enumerate(cached[name].iter_rows(values_only=True)) if r in wanted}
        finally:
            cached.close()
        for r, c in formulas:
            row_values = computed.get(r, [])
            value = row_values[c] if c < len(row_values) else None
            if value is None:
                uncached.append(UncachedFormula(r, c, str(grid[r][c])))
            grid[r][c] = value
    return grid, uncached
