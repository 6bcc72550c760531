"""The two channels on Priorités: totals per channel equal direct SQL counts; coverage per QPV."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from q2030 import codage
from q2030 import questionnaire as q
from q2030.access import SYSTEM, Actor
from q2030.models import Qpv
from q2030.priorities import Filtres
from tests import priorities_factories as f
from tests import questionnaire_data as data
from tests.databases import Filled, Preparation

COMMISSION = Actor(email="commission@anct.gouv.fr", role="commission")
THEMES = ["securite", "education", "logement", "sante", "emploi", "proprete"]


@pytest.fixture
def database_preparation(qpv_2024_csv: Path) -> Preparation:
    return Filled(qpv_file=qpv_2024_csv, function=_two_channels)


@pytest.fixture
def two_channels(session: Session, database_preparation: Preparation) -> Session:
    """A session on the test's own copy of the two channels' database (built once per run)."""
    return session


def _two_channels(session: Session) -> None:
    q.enregistrer_correspondance(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        contenu=data.correspondance(),
        colonnes_fichier=data.COLONNES,
    )
    q.importer(
        session,
        actor=SYSTEM,
        source="Plateforme nationale",
        content=data.csv_bytes(data.COLONNES, data.rows(session, 2000)),
        filename="e.csv",
    )
    rng = random.Random(4)
    qpv93 = session.exec(select(Qpv.code).where(Qpv.departement_code == "93")).first()
    assert qpv93 is not None
    for number in range(40):
        dep = "93" if number % 3 == 0 else rng.choice(["13", "59", "69", "971"])
        themes = rng.sample(THEMES, rng.randint(1, 4))
        f.rencontre(session, dep, [f.c(t) for t in themes], qpv_codes=(qpv93,) if dep == "93" else ())
    f.rencontre(session, "93", [f.c("sport")], statut="prevue")  # not held: does not count
    for _ in range(30):  # coded free texts count in the questionnaire channel
        texte = codage.prochain(session, actor=COMMISSION)
        assert texte is not None
        codage.coder(session, actor=COMMISSION, texte_id=texte.id, axe="projets", theme="culture")


def _sql(session: Session, query: str, **params: str) -> tuple[int, int]:
    row = session.execute(text(query), params).one()
    return int(row[0]), int(row[1])


QUESTIONNAIRE_SQL = """
    SELECT count(*), count(DISTINCT t.reponse_id) FROM questionnairetheme t
    JOIN questionnairereponse r ON r.id = t.reponse_id WHERE 1 = 1 {extra}
"""
RENCONTRES_SQL = """
    SELECT count(*), count(DISTINCT c.rencontre_id) FROM contribution c
    JOIN rencontre r ON r.id = c.rencontre_id WHERE r.statut = 'tenue' {extra}
"""


@pytest.mark.parametrize(
    ("filtres", "extra_q", "extra_r"),
    [
        (Filtres(), "", ""),
        (Filtres(departement="93"), "AND r.departement_code = '93'", "AND r.departement_code = '93'"),
        (Filtres(theme="logement"), "AND t.theme = 'logement'", "AND c.theme = 'logement'"),
        (Filtres(axe="projets"), "AND t.axe = 'projets'", "AND c.axe = 'projets'"),
    ],
)
def test_totals_per_channel_equal_direct_sql_counts(
    two_channels: Session, filtres: Filtres, extra_q: str, extra_r: str
) -> None:
    session = two_channels
    side = q.deux_canaux(session, actor=COMMISSION, filtres=filtres)
    citations, reponses = _sql(session, QUESTIONNAIRE_SQL.format(extra=extra_q))
    contributions, rencontres = _sql(session, RENCONTRES_SQL.format(extra=extra_r))
    assert int(side["citations"].sum()) == citations
    assert int(side["contributions"].sum()) == contributions
    assert q.totaux(session, filtres=filtres) == (citations, reponses)
    ranking = q.classement(session, filtres=filtres)
    if citations:
        assert ranking["reponses_total"].iloc[0] == reponses
        assert ranking["part"].sum() == pytest.approx(1.0)
        assert side["part_questionnaire"].sum() == pytest.approx(1.0)
    if contributions:
        assert side["part_rencontres_canal"].sum() == pytest.approx(1.0)
        # "rencontres citing the theme" summed over themes = distinct (meeting, theme) pairs.
        pairs = session.execute(
            text(
                f"SELECT count(*) FROM (SELECT DISTINCT c.rencontre_id, c.theme FROM contribution c "
                f"JOIN rencontre r ON r.id = c.rencontre_id WHERE r.statut = 'tenue' {extra_r}) x"
            )
        ).scalar_one()
        assert int(side["rencontres"].sum()) == pairs
    assert rencontres >= 0


def test_each_response_counts_for_one_and_the_index_compares_the_channels(two_channels: Session) -> None:
    session = two_channels
    side = q.deux_canaux(session, actor=COMMISSION, filtres=Filtres()).set_index("theme")
    # Culture only exists through the coded free texts: absent from the meetings, no index.
    assert side.loc["culture", "citations"] == 30
    assert side.loc["culture", "contributions"] == 0
    assert side.loc["culture", "indice"] != side.loc["culture", "indice"]  # NaN
    row = side.loc["logement"]
    assert row["indice"] == pytest.approx(row["part_questionnaire"] / row["part_rencontres_canal"])
    # Each response weighs 1 whatever the number of themes it cites.
    ranking = q.classement(session, filtres=Filtres())
    assert ranking["poids"].sum() == pytest.approx(q.totaux(session, filtres=Filtres())[1])


def test_responses_per_qpv_and_departement_for_the_coverage_pages(two_channels: Session) -> None:
    session = two_channels
    per_qpv = q.reponses_par_qpv(session)
    expected = session.execute(
        text("SELECT count(*) FROM questionnairereponse WHERE qpv_code IS NOT NULL")
    ).scalar_one()
    assert int(per_qpv["reponses_questionnaire"].sum()) == expected
    per_dep = q.reponses_par_departement(session).set_index("code")
    row = session.execute(
        text("SELECT count(*), count(qpv_code) FROM questionnairereponse WHERE departement_code = '93'")
    ).one()
    if row[0]:
        assert tuple(per_dep.loc["93", ["reponses_questionnaire", "reponses_questionnaire_qpv"]]) == tuple(row)
    only93 = q.reponses_par_qpv(session, departement_code="93")
    assert only93["qpv_code"].str.startswith("QN093").all()
