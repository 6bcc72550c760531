"""Real exports of participation platforms: sources kept apart, nothing personal stored, tolerant cells,
locations found as people write them, long files pivoted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from q2030 import questionnaire as q
from q2030.access import SYSTEM
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.models import AuditEvent, QuestionnaireCorrespondance, QuestionnaireReponse, TexteLibre
from tests import plateformes_data as data
from tests.databases import Filled, Preparation

PROPOSITIONS = {
    "identifiant": "id", "date": "published_at",
    "fermees": [{"colonne": "category/name/fr", "axe": "changements", "valeurs": data.CATEGORIES}],
    "libres": [{"colonne": "body/fr", "axe": "solutions"}],
}  # fmt: skip
COMMENTAIRES = {"identifiant": "id", "date": "created_at", "libres": [{"colonne": "body", "axe": None}]}
NATIONAL = {
    "identifiant": "ID", "date": "Date", "code_postal": "Code postal", "commune": "Commune",
    "departement": "Département", "tranche_age": "Tranche d'âge", "genre": "Genre",
    "fermees": [{"colonne": "Priorité", "axe": "changements", "valeurs": {"Logement": "logement", "Santé": "sante"}}],
    "libres": [{"colonne": "Idée", "axe": "projets"}],
}  # fmt: skip
EMAIL_OR_PHONE = re.compile(r"@|＠|\(at\)|\d{2}[ .]\d{2}[ .]\d{2}[ .]\d{2}|\+33|rue des Lilas|Dupont|Durand|mdupont")


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Filled(qpv_file=qpv_2024_csv)


@pytest.fixture
def geo_session(session: Session, database_preparation: Preparation) -> Session:
    """A session on the test's own copy of a database holding the real QPV (imported once per run)."""
    return session


def _import(
    session: Session, source: str, mapping: dict[str, Any], content: bytes, remplacer: bool = False
) -> q.RapportImport:
    colonnes = q.ouvrir(content, "export.csv", q.Format.de(q.valider_correspondance(mapping))).colonnes
    q.enregistrer_correspondance(session, actor=SYSTEM, source=source, contenu=mapping, colonnes_fichier=colonnes)
    rapport = q.importer(
        session, actor=SYSTEM, source=source, content=content, filename="export.csv", remplacer=remplacer
    )
    session.commit()
    return rapport


def _textes(session: Session, source: str) -> dict[str, str]:
    return dict(
        session.exec(
            select(QuestionnaireReponse.identifiant, TexteLibre.texte)
            .join(TexteLibre, col(TexteLibre.reponse_id) == QuestionnaireReponse.id)
            .where(QuestionnaireReponse.source == source)
        ).all()
    )


def _nothing_personal_in_the_database(session: Session) -> None:
    for table, column in (("textelibre", "texte"), ("questionnairereponse", "identifiant"),
                          ("questionnairereponse", "tranche_age"), ("questionnairereponse", "genre"),
                          ("auditevent", "apres")):  # fmt: skip
        cast = "CAST(apres AS TEXT)" if column == "apres" else column
        values = session.execute(text(f"SELECT {cast} FROM {table}")).scalars().all()
        leaks = [v for v in values if v and EMAIL_OR_PHONE.search(v)]
        assert leaks == [], (table, leaks[:3])


def test_two_decidim_instances_numbering_from_one_stay_apart(geo_session: Session) -> None:
    session = geo_session
    lyon = data.csv_bytes(data.DECIDIM_PROPOSALS, data.decidim_proposals(69, ville="lyon"))
    grenoble = data.csv_bytes(data.DECIDIM_PROPOSALS, data.decidim_proposals(28, ville="grenoble", offset=1000))
    first = _import(session, "Decidim Lyon", PROPOSITIONS, lyon)
    second = _import(session, "Decidim Grenoble", PROPOSITIONS, grenoble)
    assert (first.creees, second.creees, second.mises_a_jour) == (69, 28, 0)
    assert session.exec(select(func.count()).select_from(QuestionnaireReponse)).one() == 97
    assert _textes(session, "Decidim Lyon")["1"].startswith("Proposition 1 de lyon")
    assert _textes(session, "Decidim Grenoble")["1"].startswith("Proposition 1001 de grenoble")
    # Re-importing a source is idempotent and touches no other source.
    again = _import(session, "Decidim Lyon", PROPOSITIONS, lyon)
    assert (again.creees, again.mises_a_jour, again.inchangees) == (0, 0, 69)
    assert _textes(session, "Decidim Grenoble")["1"].startswith("Proposition 1001 de grenoble")
    listed = {s.source: (s.reponses, s.textes, s.fichier) for s in q.sources(session)}
    assert listed == {"Decidim Grenoble": (28, 28, "export.csv"), "Decidim Lyon": (69, 69, "export.csv")}
    # Replacing a source withdraws its responses absent from the new file, only there.
    shorter = data.csv_bytes(data.DECIDIM_PROPOSALS, data.decidim_proposals(60, ville="lyon"))
    replaced = _import(session, "Decidim Lyon", PROPOSITIONS, shorter, remplacer=True)
    assert (replaced.retirees, replaced.inchangees) == (9, 60)
    assert q.compter_source(session, source="Decidim Grenoble")[0] == 28
    # Withdrawing a source whole needs the count the administrator saw.
    with pytest.raises(ConflitDeVersion):
        q.retirer_source(session, actor=SYSTEM, source="Decidim Lyon", reponses_attendues=69)
    assert q.retirer_source(session, actor=SYSTEM, source="Decidim Lyon", reponses_attendues=60) == (60, 60, 0)
    session.commit()
    assert [s.source for s in q.sources(session)] == ["Decidim Grenoble"]
    suppression = session.exec(select(AuditEvent).where(AuditEvent.action == "suppression")).one()
    assert suppression.avant is not None
    assert suppression.avant["reponses"] == 60


def test_decidim_personal_columns_are_refused_and_free_texts_masked(geo_session: Session) -> None:
    session = geo_session
    for title in ("author/name", "author/nickname", "author/url", "authorEmail", "authorUsername", "Name", "Phone",
                  "Vos coordonnées", "Contact", "Votre adresse dans le quartier", "address"):  # fmt: skip
        assert q.donnee_personnelle(title), title
    for title in ("nom_departement", "Nom de la commune", "Quartier", "body/fr", "title/fr", "category/name/fr"):
        assert not q.donnee_personnelle(title), title
    proposals = data.csv_bytes(data.DECIDIM_PROPOSALS, data.decidim_proposals(69, ville="lyon"))
    apercu = q.apercu(proposals, "proposals.csv")
    assert {"author_name", "author_nickname", "address"} <= set(apercu.personnelles)
    rapport = _import(session, "Decidim Lyon", PROPOSITIONS, proposals)
    comments = data.csv_bytes(data.DECIDIM_COMMENTS, data.decidim_comments(40))
    rapport_c = _import(session, "Decidim Lyon commentaires", COMMENTAIRES, comments)
    assert rapport.masques == {"telephone": 9, "courriel": 9, "adresse": 6}
    assert rapport_c.masques == {"telephone": 8, "courriel": 8}
    assert any("Données personnelles masquées" in line for line in rapport.lignes())
    texte = _textes(session, "Decidim Lyon")["7"]
    assert "[téléphone masqué]" in texte
    assert "[courriel masqué]" in texte
    assert "[adresse masquée]" in _textes(session, "Decidim Lyon")["11"]
    _nothing_personal_in_the_database(session)
    # A pseudonym column mapped as a text is refused by title.
    with pytest.raises(ValidationError, match="personnelles"):
        q.enregistrer_correspondance(
            session, actor=SYSTEM, source="X", contenu=PROPOSITIONS | {"libres": [{"colonne": "author/name"}]}
        )


def test_national_questionnaire_with_cr_line_ends_markers_overseas_postcodes_and_commune_forms(
    geo_session: Session,
) -> None:
    session = geo_session
    rows = [
        ["N1", "01/10/2023", "32000", "AUCH (32)", "", "25-39 ans", "Femme", "Logement", "Des bancs"],
        ["N2", "?", "93200", "ST DENIS (93)", "", "NSP", "?", "?", "Un marché"],
        ["N3", "", "75019", "PARIS 19E", "", "-", "Homme", "Santé", ""],
        ["N4", "", "8120", "", "", "Ne sait pas", "N/A", "Logement", ""],
        ["N5", "", "98800", "NOUMEA", "", "18-24 ans", "Femme", "Santé", "Appelez le 06 12 34 56 78"],
        ["N6", "", "98714", "?", "", "", "", "Santé", ""],
        ["N7", "", "", "", "Gers", "", "", "Santé", ""],
        ["N8", "", "?", "MARSEILLE 3E ARRONDISSEMENT", "", "", "", "Santé", ""],
        ["N9", "", "", "Lyon 3ème", "", "", "", "Non renseigné", ""],
        ["N10", "", "", "Sainte-Genevieve-des-Bois", "", "", "", "Santé", ""],
        ["N11", "", "", "MONTAUBAN-DE-LUCHON (31)", "", "", "", "Santé", ""],
    ]
    content = data.national(rows)
    assert b"\n" not in content
    rapport = _import(session, "Plateforme nationale", NATIONAL, content)
    assert rapport.lues == 11
    assert dict(rapport.localisation) == {"qpv": 1, "commune": 5, "departement": 3, "non_localise": 2}
    assert rapport.codes_postaux_hors == 2
    assert not rapport.alerte_localisation
    got = dict(session.exec(select(QuestionnaireReponse.identifiant, QuestionnaireReponse.departement_code)).all())
    assert (got["N1"], got["N3"], got["N4"], got["N7"], got["N8"], got["N9"], got["N11"]) == (
        "32", "75", "08", "32", "13", "69", "31",
    )  # fmt: skip
    insee = dict(session.exec(select(QuestionnaireReponse.identifiant, QuestionnaireReponse.commune_insee)).all())
    assert (insee["N2"], insee["N3"], insee["N8"]) == ("93066", "75056", "13055")
    profil = session.exec(select(QuestionnaireReponse).where(QuestionnaireReponse.identifiant == "N2")).one()
    assert (profil.date, profil.tranche_age, profil.genre) == (None, "", "")
    _nothing_personal_in_the_database(session)
    # Mostly unknown places: a warning naming the most frequent values.
    unknown = [[f"U{i}", "", "", "Atlantis" if i % 2 else "Lemuria", "", "", "", "Santé", ""] for i in range(10)]
    warned = _import(session, "Papier", NATIONAL, data.national(unknown))
    assert warned.alerte_localisation
    assert warned.non_resolues == [("Atlantis", 5), ("Lemuria", 5)]
    assert any(line.startswith("Attention : 100") and "« Atlantis » (5)" in line for line in warned.lignes())


def test_long_format_is_pivoted_and_a_duplicate_refusal_suggests_it(geo_session: Session) -> None:
    session = geo_session
    header = ["respondent_id", "question", "answer", "postcode"]
    rows = []
    for i in range(1, 21):
        rows += [
            [str(i), "Quelle priorité pour votre quartier ?", "Logement" if i % 2 else "Santé", "93200"],
            [str(i), "Votre idée pour 2030", f"Idée numéro {i}", "93200"],
        ]
    rows.append(["3", "Quelle priorité pour votre quartier ?", "Santé", "93200"])  # a second choice
    content = data.csv_bytes(header, rows)
    wide = {"identifiant": "respondent_id", "libres": [{"colonne": "answer"}]}
    q.enregistrer_correspondance(session, actor=SYSTEM, source="Cap", contenu=wide)
    with pytest.raises(q.ImportRefuse) as refused:
        q.importer(session, actor=SYSTEM, source="Cap", content=content, filename="long.csv")
    assert "une ligne par réponse" in refused.value.rapport.problemes[0].message
    session.rollback()
    forme = q.Format("long", "respondent_id", "question", "answer")
    apercu = q.apercu(content, "long.csv", forme)
    assert apercu.lignes == 20
    assert [apercu.titres[c] for c in apercu.colonnes] == [
        "respondent_id", "postcode", "Quelle priorité pour votre quartier ?", "Votre idée pour 2030",
    ]  # fmt: skip
    mapping = {
        "identifiant": "respondent_id", "code_postal": "postcode", "format": "long",
        "colonne_question": "question", "colonne_reponse": "answer",
        "fermees": [{"colonne": "Quelle priorité pour votre quartier ?", "axe": "changements",
                     "valeurs": {"Logement": "logement", "Santé": "sante"}}],
        "libres": [{"colonne": "Votre idée pour 2030", "axe": "projets"}],
    }  # fmt: skip
    rapport = _import(session, "Cap", mapping, content)
    assert (rapport.lues, rapport.creees, rapport.textes) == (20, 20, 20)
    questions = set(session.exec(select(TexteLibre.question)).all())
    assert questions == {"Votre idée pour 2030"}  # the question's text, not a slug
    assert rapport.localisation["departement"] == 20


def test_the_mapping_save_is_a_compare_and_set(geo_session: Session) -> None:
    session = geo_session
    assert q.enregistrer_correspondance(session, actor=SYSTEM, source="S", contenu=COMMENTAIRES, version=0) == 1
    assert q.enregistrer_correspondance(session, actor=SYSTEM, source="S", contenu=COMMENTAIRES, version=1) == 2
    with pytest.raises(ConflitDeVersion):
        q.enregistrer_correspondance(session, actor=SYSTEM, source="S", contenu=COMMENTAIRES, version=1)
    row = session.exec(select(QuestionnaireCorrespondance)).one()
    assert row.version == 2


def test_representativeness_of_the_questionnaire_respondents(geo_session: Session) -> None:
    import datetime as dt

    from q2030.priorities import Filtres
    from q2030.questionnaire.representativite import femme, jeune, representativite

    assert (femme("Femme"), femme("F"), femme("Homme"), femme("Autre / ne souhaite pas répondre")) == (
        True, True, False, None,
    )  # fmt: skip
    assert (jeune("Moins de 18 ans"), jeune("18-24 ans"), jeune("25-39 ans"), jeune("60 ans et plus")) == (
        True, True, False, False,
    )  # fmt: skip
    session = geo_session
    _import(session, "Plateforme nationale", NATIONAL, data.national([
        ["A", "", "93200", "", "", "18-24 ans", "Femme", "Santé", ""],
        ["B", "", "93200", "", "", "40-59 ans", "Homme", "Santé", ""],
        ["C", "", "93200", "", "", "", "Femme", "Santé", ""],
        ["D", "", "75019", "", "", "Moins de 18 ans", "", "Santé", ""],
    ]))  # fmt: skip
    table = representativite(session, filtres=Filtres(departement="93"), au=dt.date(2023, 12, 31)).set_index("Public")
    assert table.loc["Femmes", "Questionnaire (répondants)"] == 2
    assert table.loc["Femmes", "Part questionnaire"] == pytest.approx(2 / 3)
    assert table.loc["Jeunes (moins de 25 ans)", "Part questionnaire"] == pytest.approx(1 / 2)
    assert table.loc["Femmes", "France"] == pytest.approx(0.516)
