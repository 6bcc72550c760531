"""Control characters never block a document (issue 21, item 4).

A form feed pasted from a PDF or a vertical tab from Excel, stored in one contribution,
made « Télécharger le projet (DOCX) », `rediger-synthese`, the ODT and the letter fail
(lxml refuses them). Every write path is fed with them here, then every document and
export is produced. Writes are cleaned by the engine (`q2030.db`), stored rows by the
migration 0014, and rendering cleans again whatever it is given.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import zipfile
from typing import Any

import docx
import pytest
from alembic import command
from openpyxl import Workbook, load_workbook
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030 import open_data
from q2030 import questionnaire as q
from q2030.access import Actor
from q2030.bureautique import Paragraphe, Plan, Tableau
from q2030.contributions import LigneContribution, replace_contributions
from q2030.control_chars import ILLEGAL, clean_json, clean_text, clean_value
from q2030.db import alembic_config, session_scope, upgrade
from q2030.engagements import create_engagement
from q2030.errors import ValidationError
from q2030.excel.exports import export_departement, export_national, workbook_bytes
from q2030.excel.importer import ImportRefuse, import_workbook
from q2030.excel.priorites import export_excel
from q2030.excel.template import build_template
from q2030.models import Contribution, Qpv, Rencontre, RencontreQpv, SyntheseTexte, TexteLibre, stored_id
from q2030.priorities import Filtres
from q2030.priorities.exports import export_csv
from q2030.redaction import rediger_lettre, rediger_synthese
from q2030.rencontres.ecriture import cancel_rencontre, update_rencontre
from q2030.rendu import rendre
from q2030.syntheses import enregistrer_textes
from tests.databases import Demo, Preparation
from tests.helpers import fetch

DEP = "93"
REFERENT = Actor(email="referent.93@test", role="referent", departement_code=DEP, region_code="11")
ADMIN = Actor(email="admin@test", role="admin")
COMMISSION = Actor(email="commission@test", role="commission")
AU = dt.date(2023, 12, 31)
# Everything XML refuses (NUL excepted: kept for the paths that write it), around the kept \t \n \r.
JUNK = "\x0c\x0b" + "".join(map(chr, [*range(0x01, 0x09), *range(0x0E, 0x20)])) + "\ufffe\uffff"


def dirty(marker: str) -> str:
    """A text holding every refused character, a NUL, a tab and a line break around `marker`."""
    return f"{marker}\x0csuite\x00{JUNK}\tfin\r\n{marker}2"


@pytest.fixture
def database_preparation() -> Preparation:
    return Demo(seed=11)


@pytest.fixture
def demo(engine: Engine, database_preparation: Preparation) -> Engine:
    """The test's own copy of the demo database (seed 11), loaded once per run."""
    return engine


def _held(engine: Engine) -> Rencontre:
    with Session(engine) as s:
        found = s.exec(
            select(Rencontre)
            .where(
                Rencontre.departement_code == DEP,
                Rencontre.statut == "tenue",
                col(Rencontre.id).in_(select(Contribution.rencontre_id)),  # one with contributions
            )
            .order_by(col(Rencontre.date), col(Rencontre.id))
        ).first()
    assert found is not None, "la démo n'a pas de rencontre tenue avec des contributions"
    return found


def _stored_dirt(engine: Engine) -> list[str]:
    """(table.column = value) of every stored text or JSON value still holding a refused character."""
    found = []
    inspector = inspect(engine)
    with engine.connect() as connection:
        cursor = connection.connection.cursor()  # the driver's own rows: every value of the base is read
        for name in inspector.get_table_names():
            for column in inspector.get_columns(name):
                if str(column["type"]).upper().startswith(("VARCHAR", "TEXT", "JSON", "CHAR")):
                    cursor.execute(f'SELECT CAST("{column["name"]}" AS TEXT) FROM "{name}"')
                    kept: list[str] = [value for (value,) in cursor.fetchall() if value]
                    # One search over the column first (joined by a line break, a kept character):
                    # most columns are clean, and the values of one that is not are read one by one.
                    if not _dirty("\n".join(kept)):
                        continue
                    found += [f"{name}.{column['name']} = {value[:60]!r}" for value in kept if _dirty(value)]
    return found


def _dirty(value: str) -> bool:
    return bool(ILLEGAL.search(value) or "\\f" in value or "\\u000b" in value.lower())


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def _feed_every_write_path(engine: Engine) -> Rencontre:
    target = _held(engine)
    with session_scope(engine) as session:  # the Rencontres form
        update_rencontre(
            session, actor=REFERENT, rencontre_id=stored_id(target), version=target.version,
            data={"lieu": dirty("LIEU"), "adresse": dirty("ADRESSE"), "notes": dirty("NOTES"),
                  "quartier_hors_qpv": dirty("HORSQPV"), "publics_precaires": dirty("PRECAIRES")},
        )  # fmt: skip
        rows: list[LigneContribution] = [
            {"axe": "projets", "theme": "sport", "texte": dirty(f"CONTRIB{k}"), "rang": k} for k in (1, 2)
        ]
        replace_contributions(session, actor=REFERENT, rencontre_id=stored_id(target), rows=rows)
    with Session(engine) as s:
        other = s.exec(select(Rencontre).where(Rencontre.departement_code == DEP, Rencontre.statut == "prevue")).first()
    if other is not None:
        with session_scope(engine) as session:
            cancel_rencontre(
                session,
                actor=REFERENT,
                rencontre_id=stored_id(other),
                version=other.version,
                motif=dirty("MOTIF"),
            )
    with session_scope(engine) as session:  # synthèse texts
        enregistrer_textes(
            session, actor=REFERENT, departement_code=DEP, enseignements=dirty("ENSEIGNEMENTS"),
            vigilance=dirty("VIGILANCE"), motifs={uncovered_qpv(session): dirty("MOTIFQPV")}, version=0,
        )  # fmt: skip
    with session_scope(engine) as session:  # engagements
        create_engagement(
            session, actor=REFERENT, departement_code=DEP,
            data={"titre": dirty("TITRE"), "texte_public": dirty("PUBLIC"), "themes": ["sport"],
                  "jalons": [{"date": dt.date(2024, 3, 1), "texte": dirty("JALON")}]},
        )  # fmt: skip
    header = ["ID réponse", "Votre idée"]
    # A CSV: a form feed and a vertical tab pasted in an answer (a file that is mostly control
    # characters, or holds a NUL, is refused as binary before any of this).
    answers = [f"Q-{n};Réponse ordinaire numéro {n} sur le quartier\r\n" for n in range(2, 8)]
    csv = "".join([f"{';'.join(header)}\r\n", "Q-1;QUESTIONNAIRE\x0csuite\x0bfin\x1fok\x01\r\n", *answers]).encode()
    with session_scope(engine) as session:  # the questionnaire
        q.enregistrer_correspondance(
            session, actor=ADMIN, source="Plateforme nationale",
            contenu={"identifiant": header[0], "libres": [{"colonne": header[1], "axe": None}]},
        )  # fmt: skip
        q.importer(session, actor=ADMIN, source="Plateforme nationale", content=csv, filename="export.csv")
    return target


def uncovered_qpv(session: Session) -> str:
    """A QPV of the département without any rencontre: the synthèse prints its motif."""
    covered = select(RencontreQpv.qpv_code)
    return (
        session.exec(select(Qpv.code).where(Qpv.departement_code == DEP, col(Qpv.code).not_in(covered))).first() or ""
    )


def test_every_write_path_stores_clean_text_and_every_document_and_export_is_produced(demo: Engine) -> None:
    """Main stored the characters as typed: the DOCX, ODT and letter raised ValueError (lxml)."""
    target = _feed_every_write_path(demo)
    assert _stored_dirt(demo) == []
    with Session(demo) as s:
        stored = fetch(s, Rencontre, target.id)
        assert stored.notes == "NOTES\nsuite\n\n\tfin\r\nNOTES2"  # \f and \v: line breaks
        texts = s.exec(select(Contribution.texte).where(Contribution.rencontre_id == target.id)).all()
        assert {clean_text(dirty("CONTRIB1")), clean_text(dirty("CONTRIB2"))} == set(texts)
        answer = s.exec(select(TexteLibre.texte).where(col(TexteLibre.texte).startswith("QUESTIONNAIRE"))).one()
        assert answer == "QUESTIONNAIRE\nsuite\nfinok"
        assert s.exec(select(SyntheseTexte.enseignements)).one() == clean_text(dirty("ENSEIGNEMENTS"))

    with session_scope(demo) as session:
        documents = {
            "synthese.docx": rediger_synthese(session, actor=REFERENT, departement_code=DEP, fmt="docx", au=AU),
            "synthese.odt": rediger_synthese(session, actor=REFERENT, departement_code=DEP, fmt="odt", au=AU),
            "lettre.docx": rediger_lettre(session, actor=REFERENT, rencontre_id=stored_id(target), fmt="docx"),
            "lettre.odt": rediger_lettre(session, actor=REFERENT, rencontre_id=stored_id(target), fmt="odt"),
            "departement.xlsx": workbook_bytes(export_departement, session, actor=REFERENT, departement_code=DEP),
            "national.xlsx": workbook_bytes(export_national, session, actor=COMMISSION),
            "modele.xlsx": build_template(session, actor=REFERENT, departement_code=DEP),
            "priorites.xlsx": export_excel(session, actor=REFERENT, filtres=Filtres(departement=DEP)),
            "contributions.csv": export_csv(
                session, actor=REFERENT, filtres=Filtres(departement=DEP), quoi="contributions"
            ),
            "donnees-ouvertes.zip": open_data.zip_bytes(session),
        }  # fmt: skip
    synthese = _docx_text(documents["synthese.docx"])
    for marker in ("ENSEIGNEMENTS", "VIGILANCE", "MOTIFQPV"):
        assert f"{marker}\nsuite" in synthese or f"{marker} suite" in synthese, marker
    assert "CONTRIB1" in _docx_text(documents["lettre.docx"])
    for name in ("departement.xlsx", "modele.xlsx", "priorites.xlsx"):
        assert "CONTRIB1\nsuite\n\n\tfin" in _xlsx_text(documents[name]), name
    assert "LIEU" in _xlsx_text(documents["modele.xlsx"])
    assert "CONTRIB1" in documents["contributions.csv"].decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(documents["donnees-ouvertes.zip"])) as archive:
        engagements = next(n for n in archive.namelist() if "engagements" in n)
        assert "PUBLIC" in archive.read(engagements).decode("utf-8")
    for name, content in documents.items():
        assert content, name
        if name.endswith((".docx", ".odt", ".xlsx", ".zip")):
            zipfile.ZipFile(io.BytesIO(content)).testzip()

    # The Excel template round trip: re-importing the file written with cleaned text changes nothing.
    with session_scope(demo) as session:
        report = import_workbook(session, actor=REFERENT, departement_code=DEP, content=documents["modele.xlsx"])
    assert (report.created, report.updated, report.contributions_replaced) == (0, 0, 0)


def test_an_excel_file_with_raw_control_characters_is_refused_in_french(demo: Engine) -> None:
    """A program writing a raw form feed into a sheet makes invalid XML: main let the parser's error escape."""
    with session_scope(demo) as session:
        content = build_template(session, actor=REFERENT, departement_code=DEP)
    lieu = _held(demo).lieu.encode()
    content = _replace_in_zip(content, lieu, lieu + b"\x0c\x01")
    with pytest.raises(ImportRefuse) as refused, session_scope(demo) as session:
        import_workbook(session, actor=REFERENT, departement_code=DEP, content=content)
    assert [i.message for i in refused.value.report.issues] == [
        "Ce fichier n'est pas un classeur Excel (.xlsx) lisible : partez du modèle."
    ]
    # The questionnaire (and QPV list) reader: the same French refusal.
    workbook = Workbook()
    workbook.active.append(["ID réponse", "Votre idée"])
    workbook.active.append(["Q-1", "MARQUE"])
    saved = io.BytesIO()
    workbook.save(saved)
    with pytest.raises(ValidationError, match="n'est pas un classeur Excel lisible"):
        q.apercu(_replace_in_zip(saved.getvalue(), b"MARQUE", b"MARQUE\x0c\x01"), "export.xlsx")


def _replace_in_zip(content: bytes, old: bytes, new: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename).replace(old, new, 1))
    return buffer.getvalue()


def test_clean_text_keeps_tabs_and_line_breaks_and_turns_page_breaks_into_line_breaks() -> None:
    assert clean_text("a\x0cb\x0bc\x00d\x01\x1f\ufffe\uffffe\tf\ng\rh") == "a\nb\ncde\tf\ng\rh"
    assert clean_text("Déjà « propre » — 1 234,5 €") == "Déjà « propre » — 1 234,5 €"


def test_rendering_never_fails_on_stored_text() -> None:
    """Whatever a plan holds (text stored before the cleaning), DOCX and ODT are produced."""
    plan = Plan(titre=dirty("TITRE"), pied=dirty("PIED"))
    plan.add(Paragraphe(dirty("PARAGRAPHE")), Tableau([dirty("ENTETE")], [[dirty("CELLULE")]]))
    assert "PARAGRAPHE\nsuite\n\n\tfin" in _docx_text(rendre(plan, "docx"))
    assert rendre(plan, "odt")[:2] == b"PK"


def _raw_write(engine: Engine, statement: str, *params: Any) -> None:
    """A write that bypasses the engine's cleaning (a row stored before it existed)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        cursor.execute(statement.replace("?", placeholder), params)
        connection.commit()
    finally:
        connection.close()


@pytest.mark.slow  # a whole database copied or migrated: the full run, not the loops
def test_migration_cleans_rows_stored_before_and_documents_render(demo: Engine) -> None:
    """Rows stored by main keep their characters until the migration 0014 cleans them."""
    target = _held(demo)
    with session_scope(demo) as session:
        enregistrer_textes(session, actor=REFERENT, departement_code=DEP, enseignements="x", vigilance="",
                           motifs={}, version=0)  # fmt: skip
    junk = "\x0c\x0b\x01\x1f\ufffe"  # PostgreSQL stores no NUL
    _raw_write(demo, "UPDATE contribution SET texte = ? WHERE rencontre_id = ?", f"AVANT{junk}APRES", target.id)
    _raw_write(demo, "UPDATE rencontre SET lieu = ?, organisateurs = ? WHERE id = ?", f"Salle{junk}",
               '["Mairie\\f\\u000b"]', target.id)  # fmt: skip
    _raw_write(demo, "UPDATE synthesetexte SET enseignements = ?, motifs = ?", f"Vu{junk}", '{"QN": "Pluie\\f"}')
    assert len(_stored_dirt(demo)) >= 4
    with session_scope(demo) as session:  # rendering already survives them
        assert rediger_synthese(session, actor=REFERENT, departement_code=DEP, fmt="docx", au=AU)
        assert rediger_lettre(session, actor=REFERENT, rencontre_id=stored_id(target), fmt="odt")
    command.downgrade(alembic_config(demo), "0013_signataire_etat_relances")
    upgrade(demo)
    assert _stored_dirt(demo) == []
    with Session(demo) as s:
        assert fetch(s, Rencontre, target.id).lieu == "Salle\n\n"
        assert fetch(s, Rencontre, target.id).organisateurs == ["Mairie\n\n"]
        texts = s.exec(select(Contribution.texte).where(Contribution.rencontre_id == target.id)).all()
        assert set(texts) == {"AVANT\n\nAPRES"}
        assert s.exec(select(SyntheseTexte.motifs)).one() == {"QN": "Pluie\n"}


def test_clean_json_fast_path_writes_what_cleaning_first_writes() -> None:
    """clean_json skips the nested cleaning when json.dumps wrote no escape of an illegal character."""
    pieces = [chr(i) for i in range(0x80)] + ["é", "€", "\ufffe", "\uffff", "\ud800", "\udc00", "😀", "\\", "\u2028"]
    draw = random.Random(27)
    for _ in range(5000):
        word = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 10)))
        value = {"texte": word, "liste": [word, (word, 3)], word: None}
        assert clean_json(value) == json.dumps(clean_value(value)), repr(word)
    assert json.loads(clean_json({"lieu": "Salle\x0c\x01 B"})) == {"lieu": "Salle\n B"}
