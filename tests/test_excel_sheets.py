"""The one reader of sheets (q2030/excel/sheets.py): calamine when the scan vouches for the
workbook, openpyxl otherwise, the same values either way; the template's rules unchanged."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.db import session_scope
from q2030.errors import ValidationError
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.sheets import _read_openpyxl, calamine_can_read, open_sheets, open_workbook
from q2030.excel.template import build_template
from q2030.models import Rencontre
from q2030.qpv_import import read_table
from tests.databases import Demo, Preparation

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _by_openpyxl(content: bytes, name: str) -> list[list[Any]]:
    book = open_workbook(content, data_only=False)
    try:
        grid, _ = _read_openpyxl(content, book, name, None)
    finally:
        book.close()
    rows = [_trimmed(row) for row in grid]
    while rows and not rows[-1]:
        rows.pop()  # openpyxl also gives the empty rows a spreadsheet formatted below the data
    return rows


def _trimmed(row: list[Any]) -> list[Any]:
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def _every_kind() -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Feuille"
    values: list[Any] = [
        dt.date(2023, 6, 12), dt.datetime(2023, 6, 12, 14, 30), dt.time(14, 30), dt.timedelta(hours=30),
        5, 5.5, -3, 1e20, 0.25, True, False, "  a  b ", "13055", "0123", "12/06/2023", "ligne 1\nligne 2",
        "« Été » — 1 234,5 €", None, "",
    ]  # fmt: skip
    for number, value in enumerate(values, start=1):
        sheet.cell(row=number, column=1, value=value)
    sheet.cell(row=9, column=1).number_format = "0%"
    text = sheet.cell(row=1, column=3, value='=HYPERLINK("https://exemple.fr")')
    text.data_type = "s"  # user text starting with "=": a string cell, never a formula
    sheet.merge_cells("D1:E2")
    sheet["D1"] = "fusionnée"
    sheet["AB30"] = "loin"
    sheet.column_dimensions["B"].hidden = True
    sheet["B2"] = 17  # a value in a hidden column is read like any other
    return workbook


def test_calamine_and_openpyxl_read_the_same_values() -> None:
    content = _saved(_every_kind())
    assert calamine_can_read(content)
    with open_sheets(content) as book:
        assert book.reader == "calamine"
        grid, uncached = book.read("Feuille")
    assert uncached == []
    assert grid == _by_openpyxl(content, "Feuille")
    assert grid[0][0] == dt.datetime(2023, 6, 12)  # a date alone: midnight, as openpyxl gives it
    assert isinstance(grid[4][0], int)
    assert grid[4][0] == 5
    assert grid[0][2] == '=HYPERLINK("https://exemple.fr")'
    assert grid[29][27] == "loin"
    with open_sheets(content) as book:
        assert len(book.read("Feuille", max_rows=3)[0]) == 4  # the header and 3 rows


def test_formulas_and_error_values_are_read_by_openpyxl() -> None:
    """calamine cannot tell a formula (with or without its cached value) nor an error value from text."""
    workbook = _every_kind()
    workbook.active["F1"] = "=1+1"  # written by a program: no cached value
    content = _saved(workbook)
    assert not calamine_can_read(content)
    with open_sheets(content) as book:
        assert book.reader == "openpyxl"
        _grid, uncached = book.read("Feuille")
    assert [(u.cell, u.formula) for u in uncached] == [("F1", "=1+1")]

    workbook = _every_kind()
    error = workbook.active.cell(row=3, column=6, value="#N/A")
    error.data_type = "e"
    content = _saved(workbook)
    assert not calamine_can_read(content)
    with open_sheets(content) as book:
        assert book.read("Feuille")[0][2][5] == "#N/A"  # calamine would read it as empty


def _replace_sheet_xml(content: bytes, edit: Any, part: str = "xl/worksheets/") -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            out.writestr(item, edit(data) if item.filename.startswith(part) else data)
    return buffer.getvalue()


def test_two_far_apart_cells_never_reach_calamine() -> None:
    """calamine allocates A1:XFD1048576 whole (0.5 TB) and aborts the process: the scan sends it to openpyxl."""
    workbook = Workbook()
    workbook.active["A1"] = "x"
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    content = _replace_sheet_xml(_saved(workbook), lambda data: data.replace(b"</sheetData>", far))
    assert not calamine_can_read(content)
    # A cell without its reference (calamine would place it after the previous one) is not vouched for either.
    content = _replace_sheet_xml(_saved(workbook), lambda data: data.replace(b'<c r="A1"', b"<c"))
    assert not calamine_can_read(content)


def test_raw_control_character_is_still_unreadable() -> None:
    workbook = Workbook()
    workbook.active["A1"] = "MARQUE"
    content = _replace_sheet_xml(_saved(workbook), lambda data: data.replace(b"MARQUE", b"MARQUE\x0c"))
    assert not calamine_can_read(content)  # calamine reads it; openpyxl refuses it, as before
    with pytest.raises(ValidationError, match="n'est pas un classeur Excel lisible"):
        read_table(content, "liste.xlsx")


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)  # the demo database other modules share


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _template(engine: Engine) -> bytes:
    with session_scope(engine) as session:
        return build_template(session, actor=REFERENT, departement_code=DEP)


def test_the_template_is_read_by_calamine_as_openpyxl_reads_it(demo: Engine) -> None:
    content = _template(demo)
    assert calamine_can_read(content)
    for name in ("Rencontres", "Contributions"):
        with open_sheets(content) as book:
            assert book.read(name)[0] == _by_openpyxl(content, name)


def test_a_template_edited_by_hand_imports_as_before(demo: Engine) -> None:
    """A date re-typed as text (calamine), then a formula with the value a spreadsheet computed (openpyxl)."""
    workbook = load_workbook(io.BytesIO(_template(demo)))
    sheet = workbook["Rencontres"]
    header = [c.value for c in sheet[1]]
    date_column = header.index("Date") + 1
    kept = sheet.cell(row=2, column=date_column).value
    sheet.cell(row=2, column=date_column, value=kept.strftime("%d/%m/%Y"))
    typed = _saved(workbook)
    assert calamine_can_read(typed)
    with session_scope(demo) as session:
        report = import_workbook(session, actor=REFERENT, departement_code=DEP, content=typed)
    assert (report.created, report.updated, report.contributions_replaced) == (0, 0, 0)

    cell = f"{get_column_letter(header.index('Lieu') + 1)}2"
    formula = f'<c r="{cell}" t="str"><f>UPPER("salle des fêtes")</f><v>SALLE DES FÊTES</v></c>'.encode()

    def with_formula(data: bytes) -> bytes:
        changed, count = re.subn(rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)'.encode(), formula, data, count=1)
        assert count == 1
        return changed

    assert workbook.sheetnames.index("Rencontres") == 1  # saved by openpyxl as sheet2.xml
    computed = _replace_sheet_xml(typed, with_formula, "xl/worksheets/sheet2.xml")
    assert not calamine_can_read(computed)
    with session_scope(demo) as session:
        report = import_workbook(session, actor=REFERENT, departement_code=DEP, content=computed)
    assert report.updated == 1
    with Session(demo) as session:
        lieux = session.exec(select(Rencontre.lieu).where(Rencontre.departement_code == DEP)).all()
    assert "SALLE DES FÊTES" in lieux


def test_a_formula_without_cached_value_is_refused_naming_the_cell(demo: Engine) -> None:
    workbook = load_workbook(io.BytesIO(_template(demo)))
    sheet = workbook["Rencontres"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("Lieu") + 1, value="=B2")
    with pytest.raises(ImportRefuse) as refused, session_scope(demo) as session:
        import_workbook(session, actor=REFERENT, departement_code=DEP, content=_saved(workbook))
    (issue,) = refused.value.report.issues
    assert (issue.sheet, issue.row, issue.column) == ("Rencontres", 2, "Lieu")
    assert "formule sans valeur calculée" in issue.message
