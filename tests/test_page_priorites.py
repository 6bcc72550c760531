"""AppTest of the page "Priorités": filters of the unit tests, every tab, drill-down, exports."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tests.helpers import elements, open_app
from tests.priorities_factories import qpv, rencontre

PAGE = "pages/6_Priorites.py"
TABS = ["Classement", "Carte de chaleur", "Par région", "Comparaison", "Recherche", "Mots fréquents",
        "Contributions / Export"]  # fmt: skip


@pytest.fixture
def donnees(app_env: str, session: Session) -> str:
    qpv(session, "QN09301X", "93", "Les Tilleuls")
    rencontre(session, "93", [("changements", "logement", "Rénover les logements vétustes")] * 8, lieu="Maison A")
    rencontre(
        session,
        "93",
        [
            ("changements", "securite", "Plus de SÉCURITÉ le soir"),
            ("changements", "logement", "Rénover les logements mal isolés"),
        ],
        qpv_codes=("QN09301X",),
        lieu="Salle B",
    )
    rencontre(session, "75", [("changements", "securite", "Une police de proximité")], format="atelier")
    rencontre(
        session, "13", [("solutions", "education", "Soutien scolaire")], date=dt.date(2023, 7, 20), public="jeunes"
    )
    session.commit()
    return app_env


def _page(role: str = "commission", **scope: str) -> AppTest:
    at = open_app(role=role, **scope)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _page_france(role: str = "commission", **scope: str) -> AppTest:
    """The page with the territory filters already set to all of France (as after « Réinitialiser »)."""
    at = open_app(role=role, **scope)
    at.session_state["filtre_region"] = None
    at.session_state["filtre_departement"] = None
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> set[str]:
    """Every contribution text shown in the page's tables."""
    found: set[str] = set()
    for frame in at.dataframe:
        if "Contribution" in frame.value.columns:
            found |= set(frame.value["Contribution"])
    return found


def _open(at: AppTest, tab: str) -> AppTest:
    at.session_state["prio_onglet"] = tab
    at.run()
    assert not at.exception, (tab, at.exception)
    return at


def test_ranking_renders_and_drills_down_to_contributions(donnees: str) -> None:
    at = _page()
    ranking = at.dataframe[0].value
    assert ranking["Thème"].tolist() == ["Logement et habitat", "Tranquillité publique et sécurité", "Éducation"]
    assert ranking["Contributions"].tolist() == ["9", "2", "1"]
    at.selectbox(key="prio_drill_classement").select("securite").run()
    assert not at.exception
    assert _texts(at) == {"Plus de SÉCURITÉ le soir", "Une police de proximité"}
    shown = next(f.value for f in at.dataframe if "Contribution" in f.value.columns)
    assert set(shown["Quartiers (QPV)"]) == {"QN09301X Les Tilleuls", ""}
    assert any(b.label == "Télécharger ces données (CSV)" for b in elements(at, "download_button"))


def test_weighting_switch_reorders_the_page(donnees: str) -> None:
    at = _page()
    at.radio(key="prio_ponderation").set_value("rencontre").run()
    assert not at.exception
    # Per meeting: logement 1 + 1/2, sécurité 1/2 + 1, éducation 1 -> tie broken by contributions.
    assert at.dataframe[0].value["Thème"].tolist()[:2] == ["Logement et habitat", "Tranquillité publique et sécurité"]
    at.radio(key="prio_ponderation").set_value("departement").run()
    # Per département: 93 logement 9/10, sécurité 1/10; 75 sécurité 1; 13 éducation 1.
    assert at.dataframe[0].value["Thème"].tolist()[0] == "Tranquillité publique et sécurité"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"region": "11"}, ["Logement et habitat", "Tranquillité publique et sécurité"]),
        (
            {"region": "11", "departement": "93", "qpv": "QN09301X"},
            ["Logement et habitat", "Tranquillité publique et sécurité"],
        ),
        ({"axe": "solutions"}, ["Éducation"]),
        ({"theme": "securite"}, ["Tranquillité publique et sécurité"]),
        ({"public": "jeunes"}, ["Éducation"]),
        ({"format": "atelier"}, ["Tranquillité publique et sécurité"]),
    ],
)
def test_each_filter_combination_renders(donnees: str, filters: dict[str, str], expected: list[str]) -> None:
    at = _page()
    for name, value in filters.items():
        at.sidebar.selectbox(key=f"widget_filtre_{name}").select(value).run()
        assert not at.exception, (name, at.exception)
    assert at.dataframe[0].value["Thème"].tolist() == expected
    for tab in TABS[1:]:
        _open(at, tab)


def test_period_filter_and_filters_kept_across_pages(donnees: str) -> None:
    at = _page()
    at.sidebar.date_input(key="widget_filtre_debut").set_value(dt.date(2023, 7, 1)).run()
    assert at.dataframe[0].value["Thème"].tolist() == ["Éducation"]
    at.switch_page("pages/2_Agenda.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.sidebar.date_input(key="widget_filtre_debut").value == dt.date(2023, 7, 1)
    assert at.dataframe[0].value["Thème"].tolist() == ["Éducation"]
    at.sidebar.button(key="filtres_reset").click().run()
    assert len(at.dataframe[0].value) == 3


def test_every_tab_renders_and_traces_back(donnees: str) -> None:
    at = _page()
    _open(at, "Carte de chaleur")
    at.selectbox(key="prio_chaleur_axe").select("solutions").run()
    at.selectbox(key="prio_drill_chaleur").select("education").run()
    assert _texts(at) == {"Soutien scolaire"}
    _open(at, "Par région")
    at.selectbox(key="prio_region_drill").select("11").run()
    at.selectbox(key="prio_drill_region").select("logement").run()
    assert _texts(at) == {"Rénover les logements vétustes", "Rénover les logements mal isolés"}
    _open(at, "Comparaison")
    assert any("Choisissez une région" in info.value for info in at.info)
    at.sidebar.selectbox(key="widget_filtre_departement").select("93").run()
    comparison = next(f.value for f in at.dataframe if "Indice (territoire / national)" in f.value.columns)
    assert comparison["Thème"].iloc[0] == "Logement et habitat"
    at.sidebar.button(key="filtres_reset").click().run()
    _open(at, "Recherche")
    at.text_input(key="prio_recherche").input("securite").run()
    assert not at.exception
    assert _texts(at) == {"Plus de SÉCURITÉ le soir"}
    _open(at, "Mots fréquents")
    at.selectbox(key="prio_mot_drill").select("renover").run()
    assert _texts(at) == {"Rénover les logements vétustes", "Rénover les logements mal isolés"}
    _open(at, "Contributions / Export")
    at.button(key="prio_exports_prepare").click().run()
    assert not at.exception
    labels = {b.label for b in elements(at, "download_button")}
    assert {"Contributions (CSV)", "Classement (CSV)", "Classeur Excel"} <= labels


def test_referent_sees_national_ranking_but_only_own_texts(donnees: str) -> None:
    # The référent opens on their own département (issue 13), France one click away.
    at = _page(role="referent", departement="75")
    assert at.session_state["filtre_departement"] == "75"
    assert any("Département : 75" in caption.value for caption in at.caption)
    at.button(key="filtres_reset").click().run()
    assert len(at.dataframe[0].value) == 3  # aggregates are national
    at.selectbox(key="prio_drill_classement").select("securite").run()
    assert _texts(at) == {"Une police de proximité"}
    assert any("dans votre périmètre" in caption.value for caption in at.caption)


def test_rankings_computed_once_for_every_role(donnees: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """National aggregates are cached by filters and data version, not per user or role."""
    from q2030 import priorities

    calls: list[str] = []
    real = priorities.agregats

    def counted(*args, **kwargs):
        calls.append(kwargs["groupe"])
        return real(*args, **kwargs)

    monkeypatch.setattr(priorities, "agregats", counted)
    first = _page()
    computed = len(calls)
    assert computed >= 1
    for role, scope in (("referent", {"departement": "75"}), ("prefet_region", {"region": "11"}), ("admin", {})):
        at = _page_france(role=role, **scope)
        assert at.dataframe[0].value.equals(first.dataframe[0].value), role
    assert len(calls) == computed


def _terms_shown(at: AppTest) -> set[str]:
    return {term for frame in at.dataframe if "Terme" in frame.value.columns for term in frame.value["Terme"]}


def test_recurring_words_follow_the_reading_scope_on_the_page(donnees: str) -> None:
    """The commission's word counts (cached first) are not served to a référent of 93 filtering on 75."""
    national = _open(_page(), "Mots fréquents")
    national.sidebar.selectbox(key="widget_filtre_departement").select("75").run()
    assert {"police", "proximité"} <= _terms_shown(national)
    at = _open(_page(role="referent", departement="93"), "Mots fréquents")
    at.sidebar.selectbox(key="widget_filtre_departement").select("75").run()
    assert not at.exception
    assert not _terms_shown(at) & {"police", "proximité"}
    assert any("Aucune contribution" in info.value for info in at.info)


def test_search_counts_follow_the_reading_scope_on_the_page(donnees: str) -> None:
    """Issue 21 #8: the commission's counts of a search (cached first) are not served to a référent of 93."""
    national = _open(_page(), "Recherche")
    national.sidebar.selectbox(key="widget_filtre_departement").select("75").run()
    national.text_input(key="prio_recherche").input("police").run()
    assert _texts(national) == {"Une police de proximité"}
    at = _open(_page(role="referent", departement="93"), "Recherche")
    at.sidebar.selectbox(key="widget_filtre_departement").select("75").run()
    at.text_input(key="prio_recherche").input("police").run()
    assert not at.exception
    assert any("Aucune contribution ne contient ces mots" in info.value for info in at.info)
    assert not any("Contributions" in frame.value.columns for frame in at.dataframe)
    assert any("que vous pouvez lire (département 93" in caption.value for caption in at.caption)
