"""Import of the online questionnaire: mapping, encodings, idempotence, no personal data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, select

from q2030 import questionnaire as q
from q2030.access import SYSTEM, Actor
from q2030.errors import PermissionRefusee, ValidationError
from q2030.models import AuditEvent, QuestionnaireReponse, QuestionnaireTheme, TexteLibre
from tests import questionnaire_data as data
from tests.databases import Filled, Preparation


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Filled(qpv_file=qpv_2024_csv, function=_correspondance)


def _correspondance(session: Session) -> None:
    q.enregistrer_correspondance(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        contenu=data.correspondance(),
        colonnes_fichier=data.COLONNES,
    )


@pytest.fixture
def geo_session(session: Session, database_preparation: Preparation) -> Session:
    """A session on the test's own copy of a database holding the real QPV and the national
    platform's mapping (built once per run)."""
    return session


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.exec(select(func.count()).select_from(QuestionnaireReponse)).one(),
        session.exec(select(func.count()).select_from(QuestionnaireTheme)).one(),
        session.exec(select(func.count()).select_from(TexteLibre)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
    )


@pytest.mark.slow  # 2 000 responses imported twice, in four encodings
@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("cp1252", ";"), ("utf-8", ","), ("xlsx", "")])
def test_sample_export_of_2000_responses_imports_and_reimport_changes_nothing(
    geo_session: Session, encoding: str, delimiter: str
) -> None:
    session = geo_session
    rows = data.rows(session, 2000)
    if encoding == "xlsx":
        content, name = data.xlsx_bytes(data.COLONNES, rows), "export.xlsx"
    else:
        content, name = data.csv_bytes(data.COLONNES, rows, encoding=encoding, delimiter=delimiter), "export.csv"
    rapport = q.importer(session, actor=SYSTEM, source="Plateforme nationale", content=content, filename=name)
    session.commit()
    assert (rapport.lues, rapport.creees, rapport.inchangees) == (2000, 2000, 0)
    # Every way of locating a respondent occurs, and the counts add up.
    assert set(rapport.localisation) == set(q.LOCALISATIONS)
    assert sum(rapport.localisation.values()) == 2000
    in_db = dict(
        session.exec(
            select(QuestionnaireReponse.localisation, func.count()).group_by(QuestionnaireReponse.localisation)
        ).all()
    )
    assert in_db == dict(rapport.localisation)
    expected_texts = sum(bool(r[10]) + bool(r[11]) for r in rows)
    expected_themes = sum(
        len({data.PRIORITES[p] for p in r[8].split(" | ") if p and data.PRIORITES[p]}) + bool(data.MANQUE[r[9]])
        for r in rows
    )
    reponses, themes, textes, _audits = _counts(session)
    assert (reponses, themes, textes) == (2000, expected_themes, expected_texts)
    # Accents survived the encoding (cp1252, BOM, XLSX).
    age = session.exec(
        select(QuestionnaireReponse.tranche_age).where(QuestionnaireReponse.identifiant == "R-000001")
    ).one()
    assert age == rows[0][6]
    assert "é" in "".join(session.exec(select(TexteLibre.texte).limit(200)).all())

    again = q.importer(session, actor=SYSTEM, source="Plateforme nationale", content=content, filename=name)
    session.commit()
    assert (again.creees, again.mises_a_jour, again.inchangees, again.textes) == (0, 0, 2000, 0)
    assert _counts(session)[:3] == (reponses, themes, textes)


def test_changed_response_is_updated_and_its_changed_text_goes_back_to_the_queue(geo_session: Session) -> None:
    session = geo_session
    rows = data.rows(session, 50)
    rows[0][10], rows[0][5] = "Un texte de départ", "Oui"
    q.importer(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        content=data.csv_bytes(data.COLONNES, rows),
        filename="a.csv",
    )
    rows[0][10], rows[0][5] = "Un autre texte", "Non"
    rapport = q.importer(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        content=data.csv_bytes(data.COLONNES, rows),
        filename="a.csv",
    )
    assert (rapport.creees, rapport.mises_a_jour, rapport.inchangees, rapport.textes) == (0, 1, 49, 1)
    reponse = session.exec(select(QuestionnaireReponse).where(QuestionnaireReponse.identifiant == "R-000001")).one()
    assert reponse.habite_qpv is False
    assert session.exec(
        select(TexteLibre.texte).where(TexteLibre.reponse_id == reponse.id, TexteLibre.question == data.COLONNES[10])
    ).all() == ["Un autre texte"]


def test_a_mapped_column_of_emails_refuses_the_whole_file_naming_the_column(geo_session: Session) -> None:
    session = geo_session
    header = [*data.COLONNES, "Pour être recontacté"]
    rows = [[*r, ""] for r in data.rows(session, 300)]
    for i in range(120, 130):
        rows[i][-1] = f"jean.dupont{i}@example.org"
    mapping = data.correspondance()
    mapping["libres"].append({"colonne": "Pour être recontacté", "axe": None})
    q.enregistrer_correspondance(session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    session.commit()
    before = _counts(session)
    with pytest.raises(q.ImportRefuse) as refused:
        q.importer(
            session, actor=SYSTEM, source="Plateforme nationale", content=data.csv_bytes(header, rows),
            filename="export.csv",
        )  # fmt: skip
    session.rollback()
    issue = refused.value.rapport.problemes[0]
    assert issue.colonne == "Pour être recontacté"
    assert issue.ligne is not None
    assert "10 cellules de cette colonne sont des adresses électroniques" in issue.message
    assert "example.org" not in issue.valeur
    assert _counts(session) == before


def test_a_personal_column_cannot_be_mapped(geo_session: Session) -> None:
    mapping = data.correspondance() | {"genre": "Adresse e-mail"}
    with pytest.raises(ValidationError, match="données personnelles"):
        q.enregistrer_correspondance(geo_session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    mapping = data.correspondance()
    mapping["libres"].append({"colonne": "Nom et prénom", "axe": None})
    with pytest.raises(ValidationError, match="« Nom et prénom »"):
        q.enregistrer_correspondance(geo_session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    # "Nom de la commune" is a place, not a person.
    assert not q.donnee_personnelle("Nom de la commune")


def test_errors_are_reported_by_row_column_and_value_and_nothing_is_written(geo_session: Session) -> None:
    session = geo_session
    rows = data.rows(session, 100)
    rows[4][1] = "31/02/2023"
    rows[9][4] = "QN99999X"  # an unknown quartier: « non localisé » at worst, never an error
    rows[19][8] = "Logement | Piscine"
    rows[29][0] = rows[28][0]
    before = _counts(session)
    with pytest.raises(q.ImportRefuse) as refused:
        q.importer(
            session,
            actor=SYSTEM,
            source="Plateforme nationale",
            content=data.csv_bytes(data.COLONNES, rows, blank_lines=False),
            filename="e.csv",
        )
    session.rollback()
    table = refused.value.rapport.tableau()
    assert [(r["Ligne"], r["Colonne"], r["Valeur"]) for r in table] == [
        ("6", "Date de soumission", "31/02/2023"),
        ("21", data.COLONNES[8], "Piscine"),
        ("31", "ID réponse", rows[28][0]),
    ]
    assert "déjà présent ligne 30" in table[2]["Message"]
    assert "une ligne par réponse" in table[2]["Message"]
    assert _counts(session) == before


def test_only_an_administrator_imports(geo_session: Session) -> None:
    referent = Actor(email="ref@x.fr", role="referent", departement_code="93", region_code="11")
    with pytest.raises(PermissionRefusee):
        q.importer(geo_session, actor=referent, source="Plateforme nationale", content=b"a;b\n1;2\n", filename="x.csv")


def test_localisation_rules(geo_session: Session) -> None:
    session = geo_session
    # A commune with a single QPV locates the respondent in it; with several, in the commune.
    single, many = session.execute(
        text(
            "SELECT min(insee) FILTER (WHERE n = 1), min(insee) FILTER (WHERE n > 3) FROM "
            "(SELECT insee, count(*) AS n FROM qpvcommune GROUP BY insee) t"
        )
    ).one()
    header = ["ID réponse", "Commune", "Code postal", data.COLONNES[8]]
    rows = [
        ["a", single, "", "Logement"],
        ["b", many, "", "Logement"],
        ["c", "", "97400", "Logement"],
        ["d", "", "", "Logement"],
    ]
    mapping = {"identifiant": "ID réponse", "commune": "Commune", "code_postal": "Code postal",
               "fermees": [{"colonne": data.COLONNES[8], "axe": "changements", "valeurs": data.PRIORITES}]}  # fmt: skip
    q.enregistrer_correspondance(session, actor=SYSTEM, source="Plateforme nationale", contenu=mapping)
    rapport = q.importer(
        session, actor=SYSTEM, source="Plateforme nationale", content=data.csv_bytes(header, rows), filename="l.csv"
    )
    got = dict(session.exec(select(QuestionnaireReponse.identifiant, QuestionnaireReponse.localisation)).all())
    assert got == {"a": "qpv", "b": "commune", "c": "departement", "d": "non_localise"}
    assert dict(rapport.localisation) == {"qpv": 1, "commune": 1, "departement": 1, "non_localise": 1}
    dep = session.exec(
        select(QuestionnaireReponse.departement_code).where(QuestionnaireReponse.identifiant == "c")
    ).one()
    assert dep == "974"


def test_command_line_import_twice(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from q2030.cli import main

    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    header = ["ID réponse", data.COLONNES[8], data.COLONNES[10]]
    rows = [["1", "Logement | Santé", "Des bancs"], ["2", "Emploi", ""], ["3", "", "Un marché le samedi"]]
    export = tmp_path / "export.csv"
    export.write_bytes(data.csv_bytes(header, rows, encoding="cp1252"))
    mapping = tmp_path / "correspondance.json"
    mapping.write_text(json.dumps({"identifiant": "ID réponse",
        "fermees": [{"colonne": data.COLONNES[8], "axe": "changements", "valeurs": data.PRIORITES}],
        "libres": [{"colonne": data.COLONNES[10], "axe": "projets"}]}), encoding="utf-8")  # fmt: skip
    assert (
        main(
            ["import-questionnaire", str(export), "--source", "Plateforme nationale", "--correspondance", str(mapping)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "créées : 3" in out
    assert "Textes libres à coder ajoutés ou modifiés : 2." in out
    assert "non localisé : 3" in out
    assert main(["import-questionnaire", str(export), "--source", "Plateforme nationale"]) == 0
    assert "inchangées : 3" in capsys.readouterr().out
