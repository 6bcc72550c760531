"""Issue #11 "Confiance": nothing typed is lost or corrupted by the Excel template round trip.

Each test reproduces a silent loss found on main (see the test's docstring), on SQLite and,
with Q2030_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from q2030.access import SYSTEM, Actor
from q2030.contributions import replace_contributions
from q2030.db import session_scope
from q2030.demo import load_demo
from q2030.excel.columns import RENCONTRE_COLUMNS
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.template import build_template
from q2030.models import AuditEvent, Contribution, Rencontre, RencontreQpv
from q2030.rencontres import update_rencontre

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")
COLLEGUE = Actor(email="collegue.93@test", role="referent", departement_code=DEP, region_code="11")
FORMULA_LIKE = ["=1+1", "+33 1 23 45 67 89", "-5 % de voitures", "@mairie : plus de bancs"]


@pytest.fixture
def demo(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        load_demo(session, actor=SYSTEM, seed=11)
    return engine


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything an import may write: rows, links, contributions, audit."""
    with Session(engine) as s:
        rencontres = s.exec(select(Rencontre).order_by(Rencontre.id)).all()
        contributions = s.exec(
            select(Contribution.rencontre_id, Contribution.texte, Contribution.rang).order_by(Contribution.id)
        ).all()
        return (
            [(r.id, r.version, r.lieu, r.statut, r.participants) for r in rencontres],
            [tuple(c) for c in contributions],
            s.exec(select(func.count()).select_from(RencontreQpv)).one(),
            s.exec(select(func.count()).select_from(AuditEvent)).one(),
        )


def _template(engine: Engine) -> bytes:
    with session_scope(engine) as session:
        return build_template(session, actor=REFERENT, departement_code=DEP)


def _import(engine: Engine, content: bytes):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return import_workbook(session, actor=REFERENT, departement_code=DEP, content=content)


def _refused(engine: Engine, content: bytes) -> list[Any]:
    before = _state(engine)
    with pytest.raises(ImportRefuse) as refused:
        _import(engine, content)
    assert _state(engine) == before  # all or nothing
    return refused.value.report.issues


def _edit(content: bytes, edit: Callable[[Any, Any], None]) -> bytes:
    """Edit the template in place (openpyxl, normal mode), as a user in a spreadsheet would."""
    wb = load_workbook(io.BytesIO(content))
    edit(wb["Rencontres"], wb["Contributions"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _col(header: str) -> str:
    return get_column_letter(next(i for i, c in enumerate(RENCONTRE_COLUMNS, start=1) if c.header == header))


def _first_held(engine: Engine) -> Rencontre:
    with Session(engine) as s:
        return s.exec(
            select(Rencontre)
            .where(Rencontre.departement_code == DEP, Rencontre.statut == "tenue")
            .order_by(Rencontre.date, Rencontre.id)
        ).first()  # type: ignore[return-value]


def _row_of(ws: Any, rencontre_id: int) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == rencontre_id)


# --- 5. Formula cells without a cached value -----------------------------------------------------


def test_formula_without_cached_value_is_refused_naming_the_cell(demo: Engine) -> None:
    """Main read a formula written by a program (no cached value) as empty: the lieu became ""."""
    target = _first_held(demo)

    def edit(ws: Any, _wc: Any) -> None:
        row = _row_of(ws, target.id)
        ws[f"{_col('Lieu')}{row}"] = f"=B{row}"  # a real formula, never computed

    issues = _refused(demo, _edit(_template(demo), edit))
    (issue,) = issues
    with Session(demo) as s:
        row = 2 + list(
            s.exec(
                select(Rencontre.id)
                .where(Rencontre.departement_code == DEP, Rencontre.campaign_id == target.campaign_id)
                .order_by(Rencontre.date, Rencontre.id)
            )
        ).index(target.id)
    assert (issue.sheet, issue.row, issue.column) == ("Rencontres", row, "Lieu")
    assert f"Cellule {_col('Lieu')}{row}" in issue.message and "formule sans valeur calculée" in issue.message


# --- 6. Renamed header ---------------------------------------------------------------------------


def test_renamed_header_reports_the_real_error_without_cascade(demo: Engine) -> None:
    """Main answered a renamed "Identifiant" with 1 real error + one "Aucune rencontre « 16 »" per contribution."""

    def edit(ws: Any, _wc: Any) -> None:
        ws["A1"] = "Numéro"

    issues = _refused(demo, _edit(_template(demo), edit))
    (issue,) = issues
    assert (issue.sheet, issue.row, issue.column) == ("Rencontres", 1, "Identifiant")
    assert "Colonne « Identifiant » absente" in issue.message and "« Numéro »" in issue.message


# --- 7. Formula-like text round trip -------------------------------------------------------------


def test_formula_like_text_round_trips_byte_for_byte(demo: Engine) -> None:
    """Main wrote a lieu "=HYPERLINK(…)" as a live formula (blanked on re-import) and refused
    a contribution starting with "="."""
    target = _first_held(demo)
    lieu = '=HYPERLINK("https://example.org/salle";"Salle  des fêtes")'
    with session_scope(demo) as session:
        update_rencontre(
            session, actor=REFERENT, rencontre_id=target.id, version=target.version,  # type: ignore[arg-type]
            data={"lieu": lieu, "notes": "-  deux espaces\net une ligne"},
        )  # fmt: skip
        rows = [
            {"axe": "projets", "theme": "sport", "texte": text, "rang": k} for k, text in enumerate(FORMULA_LIKE, 1)
        ]
        replace_contributions(session, actor=REFERENT, rencontre_id=target.id, rows=rows)  # type: ignore[arg-type]
    content = _template(demo)
    wb = load_workbook(io.BytesIO(content))
    formulas = [
        f"{ws.title}!{cell.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    before = _state(demo)
    report = _import(demo, content)
    assert (report.created, report.updated, report.contributions_replaced) == (0, 0, 0)
    assert _state(demo) == before
    with Session(demo) as s:
        stored = s.get(Rencontre, target.id)
        assert stored.lieu == lieu and stored.notes == "-  deux espaces\net une ligne"  # type: ignore[union-attr]
        texts = s.exec(
            select(Contribution.texte).where(Contribution.rencontre_id == target.id).order_by(Contribution.rang)
        ).all()
    assert list(texts) == FORMULA_LIKE

    # Typed in the file (as text) such contributions are accepted too.
    def edit(_ws: Any, wc: Any) -> None:
        last = wc.max_row + 1
        for index, value in enumerate([target.id, "2", "Sport", "=pas une formule", 9, "Tous"], start=1):
            cell = wc.cell(row=last, column=index, value=value)
            cell.data_type = "s" if isinstance(value, str) else cell.data_type

    report = _import(demo, _edit(content, edit))
    assert report.contributions_replaced == 1
    with Session(demo) as s:
        texts = s.exec(
            select(Contribution.texte).where(Contribution.rencontre_id == target.id).order_by(Contribution.rang)
        ).all()
    assert list(texts) == [*FORMULA_LIKE, "=pas une formule"]


# --- 8. Stored dimension -------------------------------------------------------------------------


def _with_dimension_a1(content: bytes) -> bytes:
    """The same workbook whose sheets declare `<dimension ref="A1"/>`, as some generators write."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', data)
            out.writestr(item, data)
    return buffer.getvalue()


def test_sheet_is_read_whole_whatever_its_stored_dimension(demo: Engine) -> None:
    """Main trusted `<dimension ref="A1"/>` in read-only mode: the sheets read as one cell."""
    target = _first_held(demo)

    def edit(ws: Any, _wc: Any) -> None:
        ws[f"{_col('Participants')}{_row_of(ws, target.id)}"] = (target.participants or 0) + 3

    content = _with_dimension_a1(_edit(_template(demo), edit))
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet2.xml")
    assert b'<dimension ref="A1"/>' in sheet
    report = _import(demo, content)
    assert (report.updated, report.created) == (1, 0)
    with Session(demo) as s:
        assert s.get(Rencontre, target.id).participants == (target.participants or 0) + 3  # type: ignore[union-attr]
