"""Import of the entry template: round trip with messy cells, idempotence, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from q2030 import apres_ecriture
from q2030.access import SYSTEM, Actor
from q2030.db import session_scope
from q2030.errors import PermissionRefusee
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.template import build_template
from q2030.models import AuditEvent, Contribution, Qpv, Rencontre, RencontreQpv
from tests.databases import Demo, Preparation
from tests.helpers import fetch

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return (
            s.exec(select(func.count()).select_from(Rencontre)).one(),
            s.exec(select(func.count()).select_from(Contribution)).one(),
            s.exec(select(func.count()).select_from(RencontreQpv)).one(),
            s.exec(select(func.count()).select_from(AuditEvent)).one(),
        )


def _template(engine: Engine) -> bytes:
    with session_scope(engine) as session:
        return build_template(session, actor=REFERENT, departement_code=DEP)


def _import(engine: Engine, content: bytes, progress=None):
    with session_scope(engine) as session:
        return import_workbook(session, actor=REFERENT, departement_code=DEP, content=content, progress=progress)


def _qpv(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        return list(s.exec(select(Qpv.code, Qpv.nom).where(Qpv.departement_code == DEP).order_by(Qpv.code)).all())


def _rewrite(content: bytes, edit_rencontres, edit_contributions=None) -> bytes:
    """Apply edits to the sheets as lists of dicts, write them back with columns reversed."""
    wb = load_workbook(io.BytesIO(content))
    for title, edit in (("Rencontres", edit_rencontres), ("Contributions", edit_contributions)):
        ws = wb[title]
        rows = list(ws.iter_rows(values_only=True))
        header = list(rows[0])
        records = [dict(zip(header, row, strict=True)) for row in rows[1:] if any(v is not None for v in row)]
        if edit:
            records = edit(records)
        ws.delete_rows(1, ws.max_row)
        reordered = header[::-1]  # a user moved the columns around
        ws.append(reordered)
        for record in records:
            if record is None:
                ws.append([None] * len(header))  # blank rows in the middle
                continue
            ws.append([record.get(h) for h in reordered])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_round_trip_messy_file_then_reimport_changes_nothing(demo: Engine) -> None:
    content = _template(demo)
    qpv = _qpv(demo)
    with Session(demo) as s:
        existing = s.exec(select(Rencontre).where(Rencontre.departement_code == DEP).order_by(col(Rencontre.id))).all()
    changed_id = next(r.id for r in existing if r.statut == "tenue" and r.participants)
    changed_participants = 0

    def edit_rencontres(records):
        nonlocal changed_participants
        for record in records:
            if record["Identifiant"] == changed_id:
                changed_participants = record["Participants"] + 7
                record["Participants"] = changed_participants
        new: dict[str, object] = {h: None for h in records[0]}
        new.update({
            "Identifiant": "R1 ", "Statut": "Tenue ", "Date": "12/06/2023", "Heure de début": "18h30",
            "Heure de fin": "20:00", "Périmètre": "Quartier(s)", "QPV": f"{qpv[0][0]} – {qpv[0][1]}  ",
            "Autres QPV": f"{qpv[1][0].lower()} ", "Lieu": "Centre social Dolto   ", "Type de lieu": "Centre social",
            "Organisateurs": "Préfecture ; Conseil citoyen", "Format": "Atelier", "Participants": "42",
            "Femmes": 25, "Jeunes": " 10 ", "Élu présent": "oui", "Accessibilité": "Accès PMR",
            "Synthèse envoyée aux participants le": "03/07/2023",
        })  # fmt: skip
        planned = {h: None for h in records[0]} | {
            "Identifiant": "R2", "Statut": "Prévue", "Date": dt.datetime(2099, 9, 15),
            "Périmètre": "Quartier(s)", "QPV": qpv[2][0], "Lieu": "Mairie annexe",
        }  # fmt: skip
        return [*records, None, new, None, None, planned]

    def edit_contributions(records):
        return [
            *records,
            None,
            {"Identifiant de la rencontre": "r1", "Axe": "1. Changements attendus d'ici 2030", "Thème": "Éducation",
             "Contribution": "  Plus de soutien scolaire le soir  ", "Rang": 1, "Public": "Jeunes"},
            {"Identifiant de la rencontre": "R1", "Axe": "4", "Thème": "securite",
             "Contribution": "Éclairage du parc", "Rang": "2", "Public": None},
        ]  # fmt: skip

    messy = _rewrite(content, edit_rencontres, edit_contributions)
    steps: list[float] = []
    report = _import(demo, messy, progress=lambda f, _m: steps.append(f))
    assert report.ok, report.lines()
    assert (report.created, report.updated, report.unchanged) == (2, 1, len(existing) - 1)
    assert report.contributions_replaced == 1
    assert steps[0] == 0.0
    assert steps[-1] == 1.0
    assert steps == sorted(steps)

    with Session(demo) as s:
        assert fetch(s, Rencontre, changed_id).participants == changed_participants
        created = s.exec(select(Rencontre).where(Rencontre.lieu == "Centre social Dolto")).one()
        assert created.date == dt.date(2023, 6, 12)
        assert created.heure_debut == dt.time(18, 30)
        assert (created.statut, created.type_lieu, created.format) == ("tenue", "centre_social", "atelier")
        assert sorted(created.organisateurs) == ["conseil_citoyen", "prefecture"]
        assert (created.participants, created.femmes, created.jeunes) == (42, 25, 10)
        assert created.elu_present
        assert created.accessibilite == ["pmr"]
        assert created.synthese_envoyee_le == dt.date(2023, 7, 3)
        assert created.cree_par == REFERENT.email
        links = s.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == created.id)).all()
        assert sorted(links) == [qpv[0][0], qpv[1][0]]
        contributions = s.exec(
            select(Contribution).where(Contribution.rencontre_id == created.id).order_by(col(Contribution.rang))
        ).all()
        assert [(c.axe, c.theme, c.texte, c.rang, c.public) for c in contributions] == [
            ("changements", "education", "Plus de soutien scolaire le soir", 1, "jeunes"),
            ("solutions", "securite", "Éclairage du parc", 2, "tous"),
        ]
        planned = s.exec(select(Rencontre).where(Rencontre.lieu == "Mairie annexe")).one()
        assert planned.statut == "prevue"
        assert planned.date == dt.date(2099, 9, 15)

    before = _counts(demo)
    again = _import(demo, messy)
    assert (again.created, again.updated, again.unchanged, again.contributions_replaced) == (0, 0, len(existing) + 2, 0)
    assert _counts(demo) == before  # not even an audit event

    # The template downloaded now carries the new rencontres under their numbers.
    fresh = _import(demo, _template(demo))
    assert (fresh.created, fresh.updated) == (0, 0)
    assert _counts(demo) == before


def _broken(content: bytes, qpv_code: str) -> bytes:
    def edit(records):
        base = {h: None for h in records[0]}
        good = base | {"Identifiant": "OK1", "Statut": "Tenue", "Date": "02/06/2023", "Périmètre": "Quartier(s)",
                       "QPV": qpv_code, "Participants": 10}  # fmt: skip
        unknown_qpv = good | {"Identifiant": "B1", "QPV": "QN99999X", "Date": "03/06/2023"}
        women = good | {"Identifiant": "B2", "Participants": 12, "Femmes": 30, "Date": "04/06/2023"}
        bad_date = good | {"Identifiant": "B3", "Date": "31/06/2023"}
        return [*records, good, unknown_qpv, women, bad_date]

    return _rewrite(content, edit)


def test_broken_file_is_refused_with_rows_named_and_database_unchanged(demo: Engine) -> None:
    content = _template(demo)
    with Session(demo) as s:
        n_existing = s.exec(select(func.count()).select_from(Rencontre).where(Rencontre.departement_code == DEP)).one()
    before = _counts(demo)
    with pytest.raises(ImportRefuse) as refused:
        _import(demo, _broken(content, _qpv(demo)[0][0]))
    issues = refused.value.report.issues
    first_new = n_existing + 2  # header row, existing rows, then the valid new row
    named = {(i.sheet, i.row, i.column) for i in issues}
    assert ("Rencontres", first_new + 3, "Date") in named  # 31/06/2023 read as text
    assert len(issues) == 1  # cell errors first: the file is refused before any service call
    assert _counts(demo) == before

    # Once the date is fixed, the service rules speak: unknown QPV, women > participants.
    fixed = _rewrite(
        _broken(content, _qpv(demo)[0][0]),
        lambda rs: [r | {"Date": "05/06/2023"} if r["Identifiant"] == "B3" else r for r in rs],
    )
    with pytest.raises(ImportRefuse) as refused:
        _import(demo, fixed)
    by_row = {(i.row, i.column): i for i in refused.value.report.issues}
    assert set(by_row) == {(first_new + 1, "QPV"), (first_new + 2, "Femmes")}
    assert "QN99999X" in by_row[(first_new + 1, "QPV")].message
    assert by_row[(first_new + 2, "Femmes")].value == "30"
    assert "dépasse" in by_row[(first_new + 2, "Femmes")].message
    assert _counts(demo) == before
    assert any("erreur" in line for line in refused.value.report.lines())


def test_missing_sheet_and_not_excel_are_refused(demo: Engine) -> None:
    before = _counts(demo)
    wb = load_workbook(io.BytesIO(_template(demo)))
    del wb["Contributions"]
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ImportRefuse) as refused:
        _import(demo, buffer.getvalue())
    (issue,) = refused.value.report.issues
    assert issue.sheet == "Contributions"
    assert issue.message == "Feuille « Contributions » absente du classeur."
    with pytest.raises(ImportRefuse) as refused:
        _import(demo, b"%PDF-1.4 not a spreadsheet")
    assert "pas un classeur Excel" in refused.value.report.issues[0].message
    assert _counts(demo) == before


def test_contribution_errors_are_named_and_nothing_is_written(demo: Engine) -> None:
    before = _counts(demo)

    def edit(records):
        target = records[0]["Identifiant de la rencontre"]
        return [*records, {"Identifiant de la rencontre": target, "Axe": "1", "Thème": "Santé", "Contribution": None}]

    content = _rewrite(_template(demo), None, edit)
    with pytest.raises(ImportRefuse) as refused:
        _import(demo, content)
    wb = load_workbook(io.BytesIO(content))
    last_row = wb["Contributions"].max_row
    (issue,) = refused.value.report.issues
    assert (issue.sheet, issue.row, issue.column) == ("Contributions", last_row, "Contribution")
    assert _counts(demo) == before


def test_import_requires_the_referent_of_the_departement(demo: Engine) -> None:
    content = _template(demo)
    other = Actor(email="referent.75@test", role="referent", departement_code="75", region_code="11")
    with session_scope(demo) as session, pytest.raises(PermissionRefusee):
        import_workbook(session, actor=other, departement_code=DEP, content=content)
    with session_scope(demo) as session, pytest.raises(PermissionRefusee):
        import_workbook(session, actor=SYSTEM, departement_code=DEP, content=content)


def test_unknown_existing_number_is_refused(demo: Engine) -> None:
    def edit(records):
        return [*records, records[0] | {"Identifiant": 999999}]

    with pytest.raises(ImportRefuse) as refused:
        _import(demo, _rewrite(_template(demo), edit))
    (issue,) = refused.value.report.issues
    assert issue.column == "Identifiant"
    assert issue.value == "999999"


def test_import_bumps_the_data_version_once_and_keeps_the_priorities_read_model_exact(demo: Engine) -> None:
    """A file of many rencontres: one data version bump, the ranking shows its contributions at
    once, and the maintained read model equals a rebuild from the raw rows."""
    from q2030 import cube
    from q2030.priorities import Filtres, classement
    from tests.test_cube import contents

    qpv = _qpv(demo)
    with Session(demo) as s:
        version = apres_ecriture.data_version(s)
        before = classement(s, actor=REFERENT, filtres=Filtres(departement=DEP), groupe="aucun")
    logement_before = (
        int(before.set_index("theme").loc["logement", "contributions"]) if "logement" in set(before["theme"]) else 0
    )

    def add_rencontres(records):
        new = [
            {h: None for h in records[0]}
            | {"Identifiant": f"N{n}", "Statut": "Tenue", "Date": f"{n + 1:02d}/06/2023", "Périmètre": "Quartier(s)",
               "QPV": qpv[n % len(qpv)][0], "Lieu": f"Salle N{n}", "Doublon confirmé": "Oui"}
            for n in range(12)
        ]  # fmt: skip
        return [*records, *new]

    def add_contributions(records):
        return [
            *records,
            *(
                {"Identifiant de la rencontre": f"N{n}", "Axe": "2", "Thème": "logement", "Contribution": f"Halls {n}",
                 "Rang": 1, "Public": None}
                for n in range(12)
            ),
        ]  # fmt: skip

    report = _import(demo, _rewrite(_template(demo), add_rencontres, add_contributions))
    assert report.ok, report.lines()
    assert report.created == 12
    with Session(demo) as s:
        assert apres_ecriture.data_version(s) == version + 1
        after = classement(s, actor=REFERENT, filtres=Filtres(departement=DEP), groupe="aucun")
        assert int(after.set_index("theme").loc["logement", "contributions"]) == logement_before + 12
        maintained = contents(s)
        cube.reconstruire(s)
        assert contents(s) == maintained
        s.rollback()


def test_a_rencontre_deleted_while_the_file_is_imported_is_named_not_a_crash(demo: Engine) -> None:
    """An administrator deletes a rencontre of the file after the checks, before its write:
    the row's compare-and-set finds no row; the import refuses that row and names it (it read
    the deleted row as None and crashed)."""
    from q2030.rencontres.ecriture import delete_rencontre

    if demo.dialect.name == "sqlite":
        pytest.skip("sur SQLite l'import tient le verrou d'écriture dès ses contrôles : la suppression attend")
    admin = Actor(email="admin@test", role="admin")
    deleted: list[int] = []

    def edit(records):
        deleted.append(int(records[0]["Identifiant"]))
        return [records[0] | {"Lieu": "Salle renommée dans le fichier"}, *records[1:]]

    content = _rewrite(_template(demo), edit)

    def admin_deletes_it(fraction: float, _message: str) -> None:
        if fraction >= 0.5 and len(deleted) == 1:  # every row checked, nothing written yet
            with session_scope(demo) as other:  # a second connection: the admin's page, elsewhere
                delete_rencontre(other, actor=admin, rencontre_id=deleted[0])
            deleted.append(deleted[0])

    with pytest.raises(ImportRefuse) as refused:
        _import(demo, content, progress=admin_deletes_it)
    (issue,) = refused.value.report.issues
    assert issue.column == "Identifiant"
    assert f"La rencontre n° {deleted[0]} a été supprimée dans l'application depuis ce fichier" in issue.message
