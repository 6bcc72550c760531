"""Priorities on a hand-built campaign: every aggregate, the weightings, search, words, exports.

The set (axis "changements" unless said):
- 93 (Île-de-France): A = 8 × logement "Rénover les logements vétustes";
  B = securite "Plus de sécurité le soir", 2 × logement "Rénover les logements mal isolés" (QPV QN09301X)
- 75 (Île-de-France): C = securite "Une police de proximité" (format atelier)
- 13 (PACA): D, E, F, G = 1 education each (D on 20/07/2023; E public jeunes; F axis solutions)
- not counted: a cancelled meeting (5 securite), a meeting of an inactive campaign (5 securite).

Hand computation (all axes, groupe "aucun"):
- contribution: logement 10, education 4, securite 2 -> logement, education, securite
- rencontre: logement 1 + 2/3, securite 1/3 + 1, education 4 -> education, logement, securite
- departement: 93 logement 10/11, securite 1/11; 75 securite 1; 13 education 1
  -> securite 1.09, education 1, logement 0.91 -> securite, education, logement
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session

from q2030 import priorities as p
from q2030.access import Actor
from q2030.errors import ValidationError
from q2030.excel.priorites import export_excel
from q2030.models import Campaign
from tests.priorities_factories import qpv, rencontre

COMMISSION = Actor(email="commission@demo.gouv.fr", role="commission")
REFERENT_93 = Actor(email="ref93@demo.gouv.fr", role="referent", departement_code="93", region_code="11")
PREFET_PACA = Actor(email="sgar93@demo.gouv.fr", role="prefet_region", region_code="93")
TOUT = p.Filtres()


@pytest.fixture
def jeu(session: Session) -> Session:
    qpv(session, "QN09301X", "93", "Les Tilleuls")
    logement_a = ("changements", "logement", "Rénover les logements vétustes")
    rencontre(session, "93", [logement_a] * 8, lieu="Maison de quartier A")
    rencontre(
        session,
        "93",
        [
            ("changements", "securite", "Plus de SÉCURITÉ le soir"),
            ("changements", "logement", "Rénover les logements mal isolés"),
            ("changements", "logement", "Rénover les logements mal isolés"),
        ],
        qpv_codes=("QN09301X",),
        lieu="Salle B",
    )
    rencontre(session, "75", [("changements", "securite", "Une police de proximité")], format="atelier")
    rencontre(session, "13", [("changements", "education", "Soutien scolaire")], date=dt.date(2023, 7, 20))
    rencontre(session, "13", [("changements", "education", "Soutien scolaire")], public="jeunes")
    rencontre(session, "13", [("solutions", "education", "Soutien scolaire")])
    rencontre(session, "13", [("changements", "education", "Soutien scolaire")])
    rencontre(session, "13", [("changements", "securite", "Sécurité")] * 5, statut="annulee")
    old = Campaign(
        nom="Bilan 2021",
        active=False,
        lancement=dt.date(2021, 1, 1),
        rencontres_echeance=dt.date(2021, 6, 1),
        synthese_departementale_echeance=dt.date(2021, 12, 10),
        restitution_debut=dt.date(2021, 12, 11),
        restitution_fin=dt.date(2021, 12, 31),
    )
    session.add(old)
    session.flush()
    rencontre(session, "13", [("changements", "securite", "Sécurité")] * 5, campaign_id=old.id)
    session.commit()
    return session


def _order(df: pd.DataFrame) -> list[str]:
    themes: list[str] = df.sort_values("rang")["theme"].tolist()
    return themes


def test_ranking_counts_shares_and_rank_score(jeu: Session) -> None:
    df = p.classement(jeu, actor=COMMISSION, filtres=TOUT, groupe="aucun").set_index("theme")
    assert _order(df.reset_index()) == ["logement", "education", "securite"]
    assert df.loc["logement", ["contributions", "rencontres", "departements"]].tolist() == [10, 2, 1]
    assert df.loc["securite", ["contributions", "rencontres", "departements"]].tolist() == [2, 2, 2]
    assert (df["rencontres_total"] == 7).all()
    assert df.loc["education", "part_rencontres"] == pytest.approx(4 / 7)
    assert df.loc["logement", "part"] == pytest.approx(10 / 16)
    # 1/rang: A ranks logement 1..8, B ranks it 2 and 3.
    harmonic_8 = sum(1 / k for k in range(1, 9))
    assert df.loc["logement", "score_rang"] == pytest.approx(harmonic_8 + 1 / 2 + 1 / 3)
    assert df.loc["securite", "score_rang"] == pytest.approx(2.0)
    assert df.loc["education", "score_rang"] == pytest.approx(4.0)


def test_weighting_switch_changes_the_order(jeu: Session) -> None:
    by = {
        w: p.classement(jeu, actor=COMMISSION, filtres=TOUT, groupe="aucun", ponderation=w).set_index("theme")
        for w in p.PONDERATIONS
    }
    assert _order(by["contribution"].reset_index()) == ["logement", "education", "securite"]
    assert _order(by["rencontre"].reset_index()) == ["education", "logement", "securite"]
    assert _order(by["departement"].reset_index()) == ["securite", "education", "logement"]
    assert by["rencontre"].loc["logement", "poids"] == pytest.approx(1 + 2 / 3)
    assert by["rencontre"].loc["education", "part"] == pytest.approx(4 / 7)
    assert by["departement"].loc["securite", "poids"] == pytest.approx(1 / 11 + 1)
    assert by["departement"].loc["logement", "part"] == pytest.approx((10 / 11) / 3)
    # Raw counts do not move with the weighting.
    assert by["departement"].loc["logement", "contributions"] == 10


def test_sort_by_rank_score_and_by_meetings(jeu: Session) -> None:
    by_score = p.classement(jeu, actor=COMMISSION, filtres=TOUT, groupe="aucun", tri="score_rang")
    assert _order(by_score) == ["education", "logement", "securite"]
    by_meetings = p.classement(jeu, actor=COMMISSION, filtres=TOUT, groupe="aucun", tri="rencontres")
    assert _order(by_meetings)[0] == "education"


def test_ranking_per_axis_and_heatmap(jeu: Session) -> None:
    df = p.carte_de_chaleur(jeu, actor=COMMISSION, filtres=TOUT)
    assert set(df["groupe"]) == {"changements", "solutions"}
    solutions = df[df["groupe"] == "solutions"]
    assert solutions[["theme", "contributions", "rang", "part"]].values.tolist() == [["education", 1, 1, 1.0]]
    changements = df[df["groupe"] == "changements"].set_index("theme")
    assert changements.loc["education", "contributions"] == 3
    assert changements["rencontres_total"].iloc[0] == 6  # F has nothing on this axis
    assert changements["part"].sum() == pytest.approx(1.0)
    assert df["groupe_libelle"].str.startswith(("1.", "4.")).all()


@pytest.mark.parametrize(
    ("filtres", "expected"),
    [
        (p.Filtres(region="11"), {"logement": 10, "securite": 2}),
        (p.Filtres(departement="13"), {"education": 4}),
        (p.Filtres(qpv="QN09301X"), {"logement": 2, "securite": 1}),
        (p.Filtres(axe="solutions"), {"education": 1}),
        (p.Filtres(theme="securite"), {"securite": 2}),
        (p.Filtres(public="jeunes"), {"education": 1}),
        (p.Filtres(debut=dt.date(2023, 7, 1)), {"education": 1}),
        (p.Filtres(fin=dt.date(2023, 7, 1)), {"logement": 10, "securite": 2, "education": 3}),
        (p.Filtres(format="atelier"), {"securite": 1}),
        (p.Filtres(region="11", format="reunion_publique"), {"logement": 10, "securite": 1}),
    ],
)
def test_every_filter_is_applied_in_the_query(jeu: Session, filtres: p.Filtres, expected: dict[str, int]) -> None:
    df = p.classement(jeu, actor=COMMISSION, filtres=filtres, groupe="aucun")
    assert dict(zip(df["theme"], df["contributions"], strict=True)) == expected
    lisibles, total = p.compter_contributions(jeu, actor=COMMISSION, filtres=filtres)
    assert lisibles == total == sum(expected.values())


def test_bad_filters_are_refused_in_french(jeu: Session) -> None:
    with pytest.raises(ValidationError, match="date de fin"):
        p.classement(jeu, actor=COMMISSION, filtres=p.Filtres(debut=dt.date(2023, 8, 1), fin=dt.date(2023, 7, 1)))
    with pytest.raises(ValidationError, match="Thème inconnu"):
        p.classement(jeu, actor=COMMISSION, filtres=p.Filtres(theme="n'importe"))
    with pytest.raises(ValidationError, match="Pondération"):
        p.classement(jeu, actor=COMMISSION, filtres=TOUT, ponderation="habitant")


def test_small_multiples_by_region(jeu: Session) -> None:
    df = p.par_region(jeu, actor=COMMISSION, filtres=TOUT, top=1)
    assert dict(zip(df["groupe_libelle"], df["theme"], strict=True)) == {
        "Île-de-France": "logement",
        "Provence-Alpes-Côte d'Azur": "education",
    }


def test_territory_against_national(jeu: Session) -> None:
    df = p.comparaison(jeu, actor=COMMISSION, filtres=p.Filtres(departement="93")).set_index("theme")
    assert df.loc["logement", "indice"] == pytest.approx((10 / 11) / (10 / 16))
    assert df.loc["securite", "indice"] == pytest.approx((1 / 11) / (2 / 16))
    assert df.loc["education", ["contributions_territoire", "contributions_national", "indice"]].tolist() == [0, 4, 0]
    assert df.index[0] == "logement"  # most over-represented first
    with pytest.raises(ValidationError, match="Choisissez"):
        p.comparaison(jeu, actor=COMMISSION, filtres=TOUT)


def test_drill_down_lists_the_contributions_behind_a_figure(jeu: Session) -> None:
    ranking = p.classement(jeu, actor=COMMISSION, filtres=TOUT, groupe="aucun").set_index("theme")
    rows = p.contributions(jeu, actor=COMMISSION, filtres=replace(TOUT, theme="securite"))
    assert len(rows) == ranking.loc["securite", "contributions"] == 2
    b = rows[rows["departement"] == "93"].iloc[0]
    assert b["texte"] == "Plus de SÉCURITÉ le soir"
    assert b["qpv"] == "QN09301X Les Tilleuls"
    assert b["lieu"] == "Salle B"
    assert b["date"] == dt.date(2023, 6, 15)
    assert b["departement_nom"] == "Seine-Saint-Denis"
    assert b["theme"] == "Tranquillité publique et sécurité"
    assert set(rows["region"]) == {"Île-de-France"}


def test_texts_are_listed_only_within_the_readers_scope(jeu: Session) -> None:
    filtres = p.Filtres(region="11")
    assert p.compter_contributions(jeu, actor=REFERENT_93, filtres=filtres) == (11, 12)
    assert set(p.contributions(jeu, actor=REFERENT_93, filtres=filtres)["departement"]) == {"93"}
    assert p.contributions(jeu, actor=PREFET_PACA, filtres=filtres).empty
    # Aggregates stay national for everyone.
    national = p.classement(jeu, actor=REFERENT_93, filtres=TOUT, groupe="aucun")
    assert national["contributions"].sum() == 16


def test_search_ignores_accents_and_case_and_counts_by_theme(jeu: Session) -> None:
    for query in ("securite", "SÉCURITÉ", "  Sécurité "):
        counts = p.recherche_par_theme(jeu, actor=COMMISSION, filtres=TOUT, texte=query)
        assert dict(zip(counts["theme"], counts["contributions"], strict=True)) == {"securite": 1}
    found = p.contributions(jeu, actor=COMMISSION, filtres=replace(TOUT, recherche="securite"))
    assert found["texte"].tolist() == ["Plus de SÉCURITÉ le soir"]
    both = p.recherche_par_theme(jeu, actor=COMMISSION, filtres=TOUT, texte="renover logements")
    assert both.set_index("theme")["contributions"].to_dict() == {"logement": 10}
    assert p.recherche_par_theme(jeu, actor=COMMISSION, filtres=TOUT, texte="100%_").empty  # LIKE wildcards escaped
    with pytest.raises(ValidationError):
        p.recherche_par_theme(jeu, actor=COMMISSION, filtres=TOUT, texte="  ")


def test_recurring_words_and_phrases_with_their_contributions(jeu: Session) -> None:
    words = p.mots_frequents(jeu, actor=COMMISSION, filtres=p.Filtres(theme="logement"))
    mots = words[words["type"] == "mot"].set_index("terme")
    assert mots.loc["logements", "contributions"] == 10
    assert mots.loc["renover", ["affiche", "contributions"]].tolist() == ["rénover", 10]
    assert mots.loc["vetustes", "contributions"] == 8
    assert not set(mots.index) & {"les", "le", "de"}  # stop words removed
    phrases = words[words["type"] == "expression"].set_index("terme")
    assert phrases.loc["renover logements", ["affiche", "contributions"]].tolist() == ["rénover logements", 10]
    assert phrases.loc["mal isoles", "contributions"] == 2
    listed, total = p.contributions_du_terme(
        jeu, actor=COMMISSION, filtres=p.Filtres(theme="logement"), terme="mal isolés"
    )
    assert total == 2
    assert len(listed) == 2
    assert set(listed["lieu"]) == {"Salle B"}
    # Per territory: the 75 has only its own words.
    paris = p.mots_frequents(jeu, actor=COMMISSION, filtres=p.Filtres(departement="75"))
    assert set(paris["terme"]) == {"police", "proximite"}  # a phrase seen once is not "recurring"


def test_csv_and_excel_exports_of_the_filtered_view(jeu: Session) -> None:
    filtres = p.Filtres(region="11")
    csv = p.export_csv(jeu, actor=COMMISSION, filtres=filtres, quoi="contributions")
    assert csv.startswith("\ufeff".encode())
    table = pd.read_csv(io.BytesIO(csv), sep=";", encoding="utf-8-sig")
    assert len(table) == 12
    assert "Quartiers (QPV)" in table.columns
    assert "15/06/2023" in set(table["Date de la rencontre"])
    ranking_csv = pd.read_csv(
        io.BytesIO(p.export_csv(jeu, actor=COMMISSION, filtres=filtres, quoi="classement")), sep=";", decimal=","
    )
    assert ranking_csv["Thème"].tolist()[:2] == ["Logement et habitat", "Tranquillité publique et sécurité"]
    book = openpyxl.load_workbook(io.BytesIO(export_excel(jeu, actor=COMMISSION, filtres=filtres)))
    assert book.sheetnames == ["Filtres", "Classement par axe", "Classement tous axes", "Contributions"]
    rows = list(book["Classement tous axes"].iter_rows(values_only=True))
    assert rows[1][2] == "Logement et habitat"
    assert rows[1][3] == 10
    assert book["Contributions"].max_row == 13
    assert ("Région", "Île-de-France") in list(book["Filtres"].iter_rows(values_only=True))


def test_empty_view_gives_empty_tables(jeu: Session) -> None:
    filtres = p.Filtres(departement="01")
    assert p.classement(jeu, actor=COMMISSION, filtres=filtres).empty
    assert p.contributions(jeu, actor=COMMISSION, filtres=filtres).empty
    assert p.mots_frequents(jeu, actor=COMMISSION, filtres=filtres).empty
    assert p.compter_contributions(jeu, actor=COMMISSION, filtres=filtres) == (0, 0)


def test_recurring_words_follow_the_reading_scope_of_texts(jeu: Session) -> None:
    """A référent of 93 filtering on 75 sees no word of the 75 contribution, nor its count."""
    on_75 = p.Filtres(departement="75")
    assert p.mots_frequents(jeu, actor=REFERENT_93, filtres=on_75).empty
    assert set(p.mots_frequents(jeu, actor=COMMISSION, filtres=on_75)["terme"]) == {"police", "proximite"}
    listed, total = p.contributions_du_terme(jeu, actor=REFERENT_93, filtres=on_75, terme="police")
    assert listed.empty
    assert total == 0
    # Unfiltered, the référent counts only its own département's texts (8 + 2 + 1 of the 93).
    own = p.mots_frequents(jeu, actor=REFERENT_93, filtres=TOUT).set_index("terme")["contributions"]
    assert "police" not in own
    assert "scolaire" not in own
    assert own["logements"] == 10
    # A préfecture de région reads its région only: the 93 and the 75, not the 13.
    idf = p.mots_frequents(jeu, actor=replace(PREFET_PACA, region_code="11"), filtres=TOUT)
    assert "police" in set(idf["terme"])
    assert "scolaire" not in set(idf["terme"])


def test_search_counts_stay_within_the_reading_scope_of_texts(jeu: Session) -> None:
    """Issue 21 #8: a référent of 93 filtering on 75 must not learn whether a word is in a 75 text."""
    on_75 = p.Filtres(departement="75")
    assert p.recherche_par_theme(jeu, actor=REFERENT_93, filtres=on_75, texte="police").empty
    assert p.compter_contributions(jeu, actor=REFERENT_93, filtres=replace(on_75, recherche="police")) == (0, 0)
    word_absent = p.recherche_par_theme(jeu, actor=REFERENT_93, filtres=on_75, texte="zorglubienne")
    assert word_absent.equals(p.recherche_par_theme(jeu, actor=REFERENT_93, filtres=on_75, texte="police"))
    # Nationally, the search counts only the référent's own texts; the commission reads them all.
    mine = p.recherche_par_theme(jeu, actor=REFERENT_93, filtres=TOUT, texte="securite")
    assert dict(zip(mine["theme"], mine["contributions"], strict=True)) == {"securite": 1}
    assert p.recherche_par_theme(jeu, actor=REFERENT_93, filtres=TOUT, texte="police").empty
    everyone = p.recherche_par_theme(jeu, actor=COMMISSION, filtres=on_75, texte="police")
    assert dict(zip(everyone["theme"], everyone["contributions"], strict=True)) == {"securite": 1}
    # Without a text search, the aggregates stay national for everyone.
    assert p.classement(jeu, actor=REFERENT_93, filtres=on_75, groupe="aucun")["contributions"].sum() == 1
