"""Questionnaire import never drops an answer without a word (issue 21, item 3).

A workbook written by a program may hold formulas never computed (no cached value): read
as empty, the answer vanished. Two columns may share a title (« Précisez » after two
questions): read as one key, the first column's answers vanished.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import Session, select

from q2030 import questionnaire as q
from q2030.access import SYSTEM
from q2030.errors import ValidationError
from q2030.models import QuestionnaireReponse, TexteLibre
from tests import questionnaire_data as data
from tests.databases import Filled, Preparation


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Filled(qpv_file=qpv_2024_csv)


@pytest.fixture
def geo_session(session: Session, database_preparation: Preparation) -> Session:
    """A session on the test's own copy of a database holding the real QPV (imported once per run)."""
    return session


def _xlsx(header: list[str], rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)  # openpyxl never computes a formula: no cached value is written
    return out.getvalue()


def test_a_formula_without_computed_value_refuses_the_file_naming_the_cell(geo_session: Session) -> None:
    """Main read the never-computed formula as an empty answer and imported the rest."""
    session = geo_session
    q.enregistrer_correspondance(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        contenu=data.correspondance(),
        colonnes_fichier=data.COLONNES,
    )
    rows = data.rows(session, 5)
    rows[2][10] = '=CONCATENATE("Un city stade", " pour les jeunes")'  # Q3, column K, line 4
    content = _xlsx(data.COLONNES, rows)
    with pytest.raises(ValidationError) as refused:
        q.importer(session, actor=SYSTEM, source="Plateforme nationale", content=content, filename="export.xlsx")
    message = str(refused.value)
    assert "Cellule K4" in message
    assert "« Q3 - Vos idées pour le quartier »" in message
    assert "formule sans valeur calculée" in message
    session.rollback()
    assert session.exec(select(func.count()).select_from(QuestionnaireReponse)).one() == 0
    with pytest.raises(ValidationError, match="Cellule K4"):  # the preview says it before any mapping
        q.apercu(content, "export.xlsx")


def test_two_columns_sharing_a_title_are_both_kept_and_shown_in_the_preview(geo_session: Session) -> None:
    """Main kept only the last « Précisez »: the first column's answers vanished."""
    session = geo_session
    header = [*data.COLONNES[:10], "Précisez", "Précisez"]
    rows = data.rows(session, 4)
    for number, row in enumerate(rows, start=1):
        row[10], row[11] = f"Précision sur Q1 n° {number}", f"Précision sur Q2 n° {number}"
    for content, name in (
        (_xlsx(header, rows), "export.xlsx"),
        (data.csv_bytes(header, rows, blank_lines=False), "export.csv"),
    ):
        vue = q.apercu(content, name)
        colonnes, premieres, doublons = vue.colonnes, vue.premieres, vue.doublons
        assert colonnes[-2:] == ["precisez", "precisez_2"]
        assert premieres[0]["precisez"] == "Précision sur Q1 n° 1"
        assert premieres[0]["precisez_2"] == "Précision sur Q2 n° 1"
        assert doublons == ["Titre répété « Précisez » : la colonne suivante est gardée sous le nom « Précisez (2) »."]
    contenu = data.correspondance() | {
        "libres": [{"colonne": "Précisez", "axe": "changements"}, {"colonne": "Précisez (2)", "axe": "ressources"}]
    }
    q.enregistrer_correspondance(
        session, actor=SYSTEM, source="Plateforme nationale", contenu=contenu, colonnes_fichier=colonnes
    )
    rapport = q.importer(
        session, actor=SYSTEM, source="Plateforme nationale", content=_xlsx(header, rows), filename="export.xlsx"
    )
    session.commit()
    assert (rapport.creees, rapport.textes) == (4, 8)
    textes = set(session.exec(select(TexteLibre.question, TexteLibre.texte)).all())
    assert ("Précisez", "Précision sur Q1 n° 3") in textes
    assert ("Précisez (2)", "Précision sur Q2 n° 3") in textes


def test_a_third_repeat_and_an_existing_suffixed_title_stay_distinct() -> None:
    header = ["ID réponse", "Précisez", "Précisez (2)", "Précisez", "Précisez"]
    content = data.csv_bytes(header, [["R1", "a", "b", "c", "d"]], blank_lines=False)
    vue = q.apercu(content, "export.csv")
    colonnes, premieres, doublons = vue.colonnes, vue.premieres, vue.doublons
    assert colonnes == ["id_reponse", "precisez", "precisez_2", "precisez_3", "precisez_4"]
    assert [premieres[0][c] for c in colonnes[1:]] == ["a", "b", "c", "d"]
    assert len(doublons) == 2
