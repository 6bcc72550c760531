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
from sqlmodel import Session, col, func, select

from q2030.access import Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.excel.columns import RENCONTRE_COLUMNS
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.template import build_template
from q2030.models import AuditEvent, Contribution, Rencontre, RencontreQpv, stored_id
from q2030.rencontres.ecriture import update_rencontre
from tests.databases import Demo, Preparation
from tests.helpers import fetch

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")
COLLEGUE = Actor(email="collegue.93@test", role="referent", departement_code=DEP, region_code="11")
FORMULA_LIKE = ["=1+1", "+33 1 23 45 67 89", "-5 % de voitures", "@mairie : plus de bancs"]


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything an import may write: rows, links, contributions, audit."""
    with Session(engine) as s:
        rencontres = s.exec(select(Rencontre).order_by(col(Rencontre.id))).all()
        contributions = s.exec(
            select(Contribution.rencontre_id, Contribution.texte, Contribution.rang).order_by(col(Contribution.id))
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


def _import(engine: Engine, content: bytes):
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
    return str(get_column_letter(next(i for i, c in enumerate(RENCONTRE_COLUMNS, start=1) if c.header == header)))


def _first_held(engine: Engine) -> Rencontre:
    with Session(engine) as s:
        found = s.exec(
            select(Rencontre)
            .where(Rencontre.departement_code == DEP, Rencontre.statut == "tenue")
            .order_by(col(Rencontre.date), col(Rencontre.id))
        ).first()
    assert found is not None, "la démo n'a pas la rencontre attendue"
    return found


def _row_of(ws: Any, rencontre_id: int) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws[f"A{r}"].value == rencontre_id)


# --- 5. Formula cells without a cached value -----------------------------------------------------


def test_formula_without_cached_value_is_refused_naming_the_cell(demo: Engine) -> None:
    """Main read a formula written by a program (no cached value) as empty: the lieu became ""."""
    target = _first_held(demo)

    def edit(ws: Any, _wc: Any) -> None:
        row = _row_of(ws, stored_id(target))
        ws[f"{_col('Lieu')}{row}"] = f"=B{row}"  # a real formula, never computed

    issues = _refused(demo, _edit(_template(demo), edit))
    (issue,) = issues
    with Session(demo) as s:
        row = 2 + list(
            s.exec(
                select(Rencontre.id)
                .where(Rencontre.departement_code == DEP, Rencontre.campaign_id == target.campaign_id)
                .order_by(col(Rencontre.date), col(Rencontre.id))
            )
        ).index(target.id)
    assert (issue.sheet, issue.row, issue.column) == ("Rencontres", row, "Lieu")
    assert f"Cellule {_col('Lieu')}{row}" in issue.message
    assert "formule sans valeur calculée" in issue.message


# --- 6. Renamed header ---------------------------------------------------------------------------


def test_renamed_header_reports_the_real_error_without_cascade(demo: Engine) -> None:
    """Main answered a renamed "Identifiant" with 1 real error + one "Aucune rencontre « 16 »" per contribution."""

    def edit(ws: Any, _wc: Any) -> None:
        ws["A1"] = "Numéro"

    issues = _refused(demo, _edit(_template(demo), edit))
    (issue,) = issues
    assert (issue.sheet, issue.row, issue.column) == ("Rencontres", 1, "Identifiant")
    assert "Colonne « Identifiant » absente" in issue.message
    assert "« Numéro »" in issue.message


# --- 7. Formula-like text round trip -------------------------------------------------------------


def test_formula_like_text_round_trips_byte_for_byte(demo: Engine) -> None:
    """Main wrote a lieu "=HYPERLINK(…)" as a live formula (blanked on re-import) and refused
    a contribution starting with "="."""
    target = _first_held(demo)
    lieu = '=HYPERLINK("https://example.org/salle";"Salle  des fêtes")'
    with session_scope(demo) as session:
        update_rencontre(
            session, actor=REFERENT, rencontre_id=stored_id(target), version=target.version,
            data={"lieu": lieu, "notes": "-  deux espaces\net une ligne", "adresse": "+ 12 rue de la Paix",
                  "quartier_hors_qpv": "@Les Lilas", "publics_precaires": "=Mères isolées"},
        )  # fmt: skip
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "sport", "texte": text, "rang": k} for k, text in enumerate(FORMULA_LIKE, 1)
        ]
        replace_contributions(session, actor=REFERENT, rencontre_id=stored_id(target), rows=rows)
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
        assert stored is not None
        assert stored.lieu == lieu
        assert stored.notes == "-  deux espaces\net une ligne"
        assert (stored.adresse, stored.quartier_hors_qpv, stored.publics_precaires) == (
            "+ 12 rue de la Paix",
            "@Les Lilas",
            "=Mères isolées",
        )
        texts = s.exec(
            select(Contribution.texte).where(Contribution.rencontre_id == target.id).order_by(col(Contribution.rang))
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
            select(Contribution.texte).where(Contribution.rencontre_id == target.id).order_by(col(Contribution.rang))
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
        ws[f"{_col('Participants')}{_row_of(ws, stored_id(target))}"] = (target.participants or 0) + 3

    content = _with_dimension_a1(_edit(_template(demo), edit))
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet2.xml")
    assert b'<dimension ref="A1"/>' in sheet
    report = _import(demo, content)
    assert (report.updated, report.created) == (1, 0)
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).participants == (target.participants or 0) + 3


# --- 1. Stale template ---------------------------------------------------------------------------


def _with_contributions(engine: Engine) -> Rencontre:
    """A held rencontre of the 93 with contributions, on a QPV perimeter."""
    with Session(engine) as s:
        found = s.exec(
            select(Rencontre)
            .where(
                Rencontre.departement_code == DEP,
                Rencontre.statut == "tenue",
                Rencontre.perimetre == "quartier",
                col(Rencontre.id).in_(select(Contribution.rencontre_id)),
            )
            .order_by(col(Rencontre.date), col(Rencontre.id))
        ).first()
    assert found is not None, "la démo n'a pas la rencontre attendue"
    return found


def _contribution_texts(engine: Engine, rencontre_id: int) -> list[str]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(Contribution.texte)
                .where(Contribution.rencontre_id == rencontre_id)
                .order_by(col(Contribution.id))
            )
        )


def test_stale_template_is_refused_naming_who_changed_the_rencontre(demo: Engine) -> None:
    """Main reverted a colleague's online edit (lieu) and deleted the contribution they added."""
    target = _with_contributions(demo)
    content = _template(demo)  # the référent downloads the template...

    with session_scope(demo) as session:  # ...a colleague edits the rencontre online...
        update_rencontre(
            session, actor=COLLEGUE, rencontre_id=stored_id(target), version=target.version,
            data={"lieu": "Salle changée en ligne"},
        )  # fmt: skip
    texts = [*_contribution_texts(demo, stored_id(target)), "Ajoutée en ligne par la collègue"]
    with session_scope(demo) as session:
        rows: list[LigneContribution] = [{"axe": "projets", "theme": "sport", "texte": t, "rang": None} for t in texts]
        replace_contributions(session, actor=COLLEGUE, rencontre_id=stored_id(target), rows=rows)

    def edit(ws: Any, _wc: Any) -> None:  # ...and the old file is imported with another change
        ws[f"{_col('Participants')}{_row_of(ws, stored_id(target))}"] = (target.participants or 0) + 1

    issues = _refused(demo, _edit(content, edit))
    (issue,) = issues
    assert (issue.sheet, issue.column, issue.value) == ("Rencontres", "Identifiant", str(target.id))
    assert f"La rencontre n° {target.id} a été modifiée" in issue.message
    assert "collegue.93@test" in issue.message
    assert re.search(r"le \d\d/\d\d/\d{4} à \d\d:\d\d", issue.message)
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).lieu == "Salle changée en ligne"
    assert _contribution_texts(demo, stored_id(target)) == texts

    # Unmodified, the old file would still delete the added contribution: refused too.
    (issue,) = _refused(demo, content)
    assert "collegue.93@test" in issue.message

    # A fresh template imports (nothing to change), and can be edited.
    fresh = _template(demo)
    assert _import(demo, fresh).updated == 0
    report = _import(demo, _edit(fresh, edit))
    assert report.updated == 1


def test_contributions_save_bumps_the_version_and_old_files_cannot_delete_them(demo: Engine) -> None:
    """Main: contributions saved online did not change the rencontre's version; an old file replaced them."""
    target = _with_contributions(demo)
    content = _template(demo)
    with session_scope(demo) as session:
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "sport", "texte": "Seule contribution en ligne", "rang": 1}
        ]
        replace_contributions(session, actor=COLLEGUE, rencontre_id=stored_id(target), rows=rows)
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).version == target.version + 1
    (issue,) = _refused(demo, content)
    assert "collegue.93@test" in issue.message
    assert _contribution_texts(demo, stored_id(target)) == ["Seule contribution en ligne"]


# --- 2. Copied row ------------------------------------------------------------------------------


def test_copied_row_with_a_new_reference_is_a_probable_duplicate_never_a_merge(demo: Engine) -> None:
    """Main merged a copied row "R1" into its original and replaced its contributions by R1's one."""
    original = _with_contributions(demo)
    original_texts = _contribution_texts(demo, stored_id(original))
    content = _template(demo)

    def copy_row(confirmed: str | None) -> Callable[[Any, Any], None]:
        def edit(ws: Any, wc: Any) -> None:
            source = _row_of(ws, stored_id(original))
            new = ws.max_row + 1
            for column in range(1, ws.max_column + 1):
                ws.cell(row=new, column=column, value=ws.cell(row=source, column=column).value)
            ws[f"A{new}"] = "R1"
            if confirmed is not None:
                ws[f"{_col('Doublon confirmé')}{new}"] = confirmed
            wc.append(["R1", "2", "Sport", "Contribution de la copie", 1, "Tous"])

        return edit

    (issue,) = _refused(demo, _edit(content, copy_row(None)))
    assert (issue.sheet, issue.column) == ("Rencontres", "Doublon confirmé")
    assert "Doublon probable" in issue.message
    assert f"n° {original.id}" in issue.message
    assert "« Oui » dans la colonne « Doublon confirmé »" in issue.message

    confirmed = _edit(content, copy_row("Oui"))
    report = _import(demo, confirmed)
    assert (report.created, report.updated, report.contributions_replaced) == (1, 0, 1)
    assert _contribution_texts(demo, stored_id(original)) == original_texts
    with Session(demo) as s:
        copy = s.exec(select(Rencontre).where(Rencontre.reference_import == "r1")).one()
    assert copy.id != original.id
    assert _contribution_texts(demo, stored_id(copy)) == ["Contribution de la copie"]

    # Re-importing the confirmed file finds R1 again: nothing changes.
    before = _state(demo)
    again = _import(demo, confirmed)
    assert (again.created, again.updated, again.contributions_replaced) == (0, 0, 0)
    assert _state(demo) == before


# --- 3. Re-importing the same file ------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing_whatever_the_statuses(demo: Engine) -> None:
    """Main added a cancelled duplicate at every re-import of a file holding a new cancelled row."""
    with Session(demo) as s:
        qpv = s.exec(
            select(RencontreQpv.qpv_code).join(Rencontre).where(Rencontre.departement_code == DEP).limit(1)
        ).one()

    def edit(ws: Any, wc: Any) -> None:
        headers = [c.value for c in ws[1]]
        rows: list[dict[str, object]] = [
            {"Identifiant": "A1", "Statut": "Annulée", "Date": "14/06/2023", "Périmètre": "Quartier(s)", "QPV": qpv,
             "Motif d'annulation": "Salle indisponible", "Lieu": "Gymnase"},
            {"Identifiant": "A2", "Statut": "Annulée", "Date": "14/06/2023", "Périmètre": "Quartier(s)", "QPV": qpv,
             "Motif d'annulation": "Pluie", "Lieu": "Gymnase"},
            {"Identifiant": "P1", "Statut": "Prévue", "Date": "15/09/2099", "Périmètre": "Quartier(s)", "QPV": qpv,
             "Lieu": "Mairie annexe"},
            {"Identifiant": "T1", "Statut": "Tenue", "Date": "16/06/2023", "Périmètre": "Quartier(s)", "QPV": qpv,
             "Lieu": "Centre social", "Participants": 12},
        ]  # fmt: skip
        for record in rows:
            ws.append([record.get(h) for h in headers])
        wc.append(["T1", "1", "Emploi", "Des stages pour les collégiens", 1, "Jeunes"])

    content = _edit(_template(demo), edit)
    first = _import(demo, content)
    assert (first.created, first.updated) == (4, 0)
    before = _state(demo)
    for _ in range(2):
        again = _import(demo, content)
        assert (again.created, again.updated, again.contributions_replaced) == (0, 0, 0)
        assert _state(demo) == before


# --- 9. CLI round trip ---------------------------------------------------------------------------


def test_cli_export_modele_then_import_rencontres_round_trip(
    demo: Engine, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`export-modele` did not exist: the round trip could not be scripted."""
    from q2030.cli import main

    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    out = tmp_path / "modele-93.xlsx"
    assert main(["export-modele", "--departement", DEP, str(out)]) == 0
    assert "modele-93.xlsx" in capsys.readouterr().out
    assert out.read_bytes()[:2] == b"PK"
    # The same workbook as the page offers (apart from the download date in "À lire").
    page, cli = load_workbook(io.BytesIO(_template(demo))), load_workbook(out)
    for title in ("Rencontres", "Contributions", "Listes"):
        assert [[c.value for c in r] for r in page[title].iter_rows()] == [
            [c.value for c in r] for r in cli[title].iter_rows()
        ]

    before = _state(demo)
    assert main(["import-rencontres", "--departement", DEP, str(out)]) == 0
    assert "Rencontres créées : 0, mises à jour : 0" in capsys.readouterr().out
    assert _state(demo) == before

    target = _first_held(demo)
    out.write_bytes(
        _edit(
            out.read_bytes(),
            lambda ws, _wc: ws.__setitem__(f"{_col('Lieu')}{_row_of(ws, stored_id(target))}", "Salle CLI"),
        )
    )
    assert main(["import-rencontres", "--departement", DEP, str(out)]) == 0
    assert "mises à jour : 1" in capsys.readouterr().out
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).lieu == "Salle CLI"

    # The file is now stale for nothing (same values): re-import changes nothing; a missing file is a French error.
    assert main(["import-rencontres", "--departement", DEP, str(out)]) == 0
    assert main(["import-rencontres", "--departement", DEP, str(tmp_path / "absent.xlsx")]) == 2
    assert "fichier introuvable" in capsys.readouterr().err.lower()


def test_save_between_the_checks_and_the_writes_is_caught_by_the_compare_and_set(
    demo: Engine, database_url: str
) -> None:
    """The version check is the service's compare-and-set, not only a read at the start of the import."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite : l'import garde le verrou d'écriture de la base, personne n'écrit entre ses phases")
    target = _with_contributions(demo)

    def edit(ws: Any, _wc: Any) -> None:
        ws[f"{_col('Participants')}{_row_of(ws, stored_id(target))}"] = (target.participants or 0) + 1

    content = _edit(_template(demo), edit)
    done: list[bool] = []

    def colleague_saves_contributions(fraction: float, _message: str) -> None:
        if fraction >= 0.5 and not done:  # every row checked, nothing written yet
            done.append(True)
            with session_scope(demo) as other:  # a second connection: the form, elsewhere
                rows: list[LigneContribution] = [
                    {"axe": "projets", "theme": "sport", "texte": "Saisie pendant l'import", "rang": 1}
                ]
                replace_contributions(other, actor=COLLEGUE, rencontre_id=stored_id(target), rows=rows)

    with pytest.raises(ImportRefuse) as refused, session_scope(demo) as session:
        import_workbook(
            session, actor=REFERENT, departement_code=DEP, content=content, progress=colleague_saves_contributions
        )
    (issue,) = refused.value.report.issues
    assert "collegue.93@test" in issue.message
    assert _contribution_texts(demo, stored_id(target)) == ["Saisie pendant l'import"]
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).participants == target.participants
