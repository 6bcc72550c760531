"""The public page, as an anonymous visitor sees it (OIDC mode, not signed in; and demo mode).

Every rendered string is searched for the agents' e-mails, the marker placed in notes and
contribution texts, and the unpublished document's name.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from q2030 import engagements
from q2030.access import Actor
from q2030.contributions import LigneContribution, replace_contributions
from q2030.db import session_scope
from q2030.documents import NON_PUBLIE, add_document, publier_document
from q2030.models import Document, Rencontre, stored_id
from q2030.public import SEUIL_CONTRIBUTIONS
from q2030.rencontres.ecriture import create_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from q2030.ui import etat, french
from q2030.ui.shell import PAGES, PUBLIC_PAGE
from q2030.validation import valider
from tests import factories
from tests.helpers import APP, elements, fetch, open_app, open_national_section, open_section, pdf_document
from tests.test_auth import COMPLETE

REFERENT = Actor(
    email="agent.secret@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11"
)
MARKER = "NOTE-INTERNE-7Q2X"
PAGE = PAGES[PUBLIC_PAGE].path
PDF = pdf_document()
DOCX_LIKE = pdf_document("Autre contenu")
TODAY = dt.date.today()


@pytest.fixture
def data(app_env: str, engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        factories.qpv(session, "QN09301A", "93", nom="Cité des Fleurs")
        factories.qpv(session, "QN09302A", "93", nom="Les Tilleuls")
        held = factories.rencontre(session, departement="93", date=TODAY - dt.timedelta(days=30), qpv=["QN09301A"])
        held.notes = MARKER
        held.modifie_par = REFERENT.email
        planned = factories.rencontre(
            session, departement="93", date=TODAY + dt.timedelta(days=8), qpv=["QN09302A"], statut="prevue"
        )
        planned.notes = MARKER
        planned.heure_debut, planned.heure_fin = dt.time(18, 0), dt.time(20, 0)
        planned.accessibilite = ["pmr"]
        session.add_all([held, planned])
    with session_scope(engine) as session:
        published = add_document(
            session, actor=REFERENT, rencontre_id=stored_id(held), filename="cr-public.pdf", content=PDF
        )
        hidden = add_document(
            session, actor=REFERENT, rencontre_id=stored_id(held), filename="brouillon-interne.pdf", content=DOCX_LIKE
        )
        publier_document(session, actor=REFERENT, document_id=stored_id(published))
        rows: list[LigneContribution] = [
            {"axe": "changements", "theme": "securite", "texte": f"{MARKER} texte"}
        ] * SEUIL_CONTRIBUTIONS
        replace_contributions(session, actor=REFERENT, rencontre_id=stored_id(held), rows=rows)
        engagements.create_engagement(
            session,
            actor=REFERENT,
            departement_code="93",
            data={
                "titre": "Médiateurs de nuit",
                "texte_public": "Quatre médiateurs recrutés.",
                "statut": "engage",
                "themes": ["securite"],
                "qpv_codes": ["QN09301A"],
                "jalons": [{"date": "2024-03-01", "texte": "Recrutement"}],
            },
        )
    return {"published": stored_id(published), "hidden": stored_id(hidden)}


@pytest.fixture
def anonymous(monkeypatch: pytest.MonkeyPatch) -> None:
    """OIDC mode, complete configuration, nobody signed in."""
    monkeypatch.setenv("Q2030_AUTH", "oidc")


def _public(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = {"auth": COMPLETE}
    at.user = {"is_logged_in": False}
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page(PAGE).run()


def _tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's HTML tables (st.html), read back as frames, all cells as text."""
    return [
        pd.read_html(io.StringIO(element.proto.body), keep_default_na=False)[0].astype(str)
        for element in at.get("html")
        if "<table" in element.proto.body
    ]


def _download_labels(at: AppTest) -> list[str]:
    return [element.proto.label for element in elements(at, "download_button")]


def _rendered(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "text", "caption", "info", "error", "warning", "code"):
        parts += [str(element.value) for element in elements(at, kind)]
    # Style sheets are not content (their @media rules are not e-mail addresses).
    parts += [re.sub(r"<style>.*?</style>", "", element.proto.body, flags=re.S) for element in elements(at, "html")]
    parts += _download_labels(at)
    parts += [str(element.proto.label) for element in elements(at, "page_link")]
    return "\n".join(parts)


def _no_secret(text: str) -> None:
    assert MARKER not in text
    assert "@" not in text, "no e-mail on a public page"
    assert "brouillon-interne" not in text, "an unpublished document is never named"


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(t for t in _tables(at) if column in t.columns)


def test_departement_page_without_sign_in(
    data: dict[str, int], anonymous: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("Q2030_BASE_URL", "https://q2030.exemple.gouv.fr/")
    at = _public({"dep": "93"})
    assert not at.exception
    assert [t.value for t in at.title] == ["Restitution publique de la concertation Quartiers 2030"]
    assert [h.value for h in at.header] == [
        "Rencontres à venir — département Seine-Saint-Denis (93)",
        "Les quartiers du département et leurs rencontres",
        "Rencontres tenues et leurs conclusions",
        "Priorités exprimées par les habitants",
        "Restitution publique dans le département",
        "Ce que nous avons fait de votre parole",
        "Partager cette page",
    ]
    upcoming = _tables(at)[0]
    assert upcoming["Accessibilité"].tolist() == ["Accès PMR"]
    assert upcoming["Horaires"].tolist() == ["de 18 h 00 à 20 h 00"]
    assert any(label.startswith("Ajouter toutes ces rencontres à mon agenda") for label in _download_labels(at))
    assert len([label for label in _download_labels(at) if label.startswith("Ajouter à mon agenda :")]) == 1
    # Subscribe (webcal://) and the address to copy, both absolute, from Q2030_BASE_URL.
    assert [b.proto.url for b in elements(at, "link_button")] == [
        "webcal://q2030.exemple.gouv.fr/app/static/agenda/93.ics"
    ]
    codes = [c.value for c in at.code]
    assert "https://q2030.exemple.gouv.fr/app/static/agenda/93.ics" in codes
    assert "https://q2030.exemple.gouv.fr/Restitution?dep=93" in codes
    # The map of the quartiers, and its data beside it (status as a badge).
    assert any('"geoshape"' in c.proto.spec for c in elements(at, "vega_lite_chart"))
    carte = _table_with(at, "Communes")
    assert sorted(carte["Quartier"]) == ["Cité des Fleurs", "Les Tilleuls"]
    assert carte["Statut"].tolist() == ["Couvert en retard", "Rencontre prévue"]  # held a month ago; planned
    held = _table_with(at, "Participants")
    assert held["Date"].str.fullmatch(r"A eu lieu le \d\d/\d\d/\d{4}").all()
    assert any("« cr-public.pdf »" in label for label in _download_labels(at))
    assert any(f"qu'à partir de {SEUIL_CONTRIBUTIONS} contributions" in c.value for c in at.caption)
    assert "Tranquillité publique et sécurité" in _table_with(at, "Thème")["Thème"].tolist()
    assert "Médiateurs de nuit" in [s.value for s in at.subheader]
    assert not at.sidebar.selectbox, "no role picker on the public page"
    _no_secret(_rendered(at))


def test_quartier_page_by_its_shareable_address(data: dict[str, int], anonymous: None) -> None:
    at = _public({"qpv": "QN09302A"})
    assert not at.exception
    assert at.header[0].value == "Rencontres à venir — quartier Les Tilleuls (QN09302A)"
    assert at.selectbox(key="pub_qpv").value == "QN09302A"
    assert any("Aucun engagement n'a encore été publié pour ce quartier." in i.value for i in at.info)
    _no_secret(_rendered(at))
    other = _public({"qpv": "QN09301A"})
    assert "Médiateurs de nuit" in [s.value for s in other.subheader]
    # Choosing another quartier rewrites the address, so it can be shared.
    other.selectbox(key="pub_qpv").select("QN09302A").run()
    assert other.query_params["qpv"] == ["QN09302A"] or other.query_params["qpv"] == "QN09302A"


def test_document_address_serves_published_and_refuses_the_rest(data: dict[str, int], anonymous: None) -> None:
    at = _public({"document": str(data["published"])})
    assert not at.exception
    assert not at.error
    assert _download_labels(at) == ["Télécharger « cr-public.pdf » (1 Ko)"]
    for value in (str(data["hidden"]), "999999", "abc"):
        refused = _public({"document": value})
        assert not refused.exception
        assert [e.value for e in refused.error] == [NON_PUBLIE]
        assert _download_labels(refused) == []
        _no_secret(_rendered(refused))


@pytest.mark.parametrize("key", [k for k in PAGES if k != PUBLIC_PAGE])
def test_anonymous_is_refused_every_agent_page(data: dict[str, int], anonymous: None, key: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = {"auth": COMPLETE}
    at.user = {"is_logged_in": False}
    at.run()
    if key != "accueil":
        at.switch_page(PAGES[key].path).run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Se connecter avec ProConnect"]
    assert not at.dataframe
    # Only what every page draws (q2030.ui.french: style sheet, Enter key script): no HTML content.
    # and the State's header and footer (q2030.ui.etat).
    every_page = (
        french.FRENCH_CSS,
        french.ENTER_APPLIES_JS,
        french.FRENCH_DOM_JS,
        etat.ETAT_CSS + etat.HEADER_HTML,
        etat.FOOTER_HTML,
    )
    assert not [h for h in elements(at, "html") if h.value not in every_page]
    assert not at.metric
    assert not at.tabs
    _no_secret(_rendered(at))


def test_public_page_in_demo_mode_shows_no_agent_content(data: dict[str, int]) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.query_params["dep"] = "93"
    at.switch_page(PAGE).run()
    assert not at.exception
    assert not at.sidebar.selectbox
    assert not any("Mode démonstration" in w.value for w in at.warning)
    _no_secret(_rendered(at))


def test_no_feed_written_into_the_repository(data: dict[str, int], tmp_path: Path) -> None:
    """AppTest runs write the public feeds where Q2030_AGENDA_DIR says (a tmp dir here)."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(PAGE).run()
    assert (tmp_path / "agenda" / "93.ics").exists()


# --- The agents' side: publishing, engagements, national view ------------------------------


def test_referent_publishes_then_withdraws_a_compte_rendu(data: dict[str, int], engine: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGES["rencontres"].path).run()
    with session_scope(engine) as session:
        rencontre_id = fetch(session, Document, data["hidden"]).rencontre_id
    at.selectbox(key="rf_choice").select(rencontre_id).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert "Non publié (interne)" in captions
    at.button(key=f"rd_publish_{data['hidden']}").click().run()
    assert not at.exception
    public_page = _public({"document": str(data["hidden"])})
    assert _download_labels(public_page) == ["Télécharger « brouillon-interne.pdf » (1 Ko)"]
    assert at.button(key=f"rd_publish_{data['hidden']}").label == "Retirer"
    at.button(key=f"rd_publish_{data['hidden']}").click().run()
    assert [e.value for e in _public({"document": str(data["hidden"])}).error] == [NON_PUBLIE]


def test_prefet_de_region_records_an_engagement_shown_on_the_public_page(data: dict[str, int]) -> None:
    at = open_app(role="prefet_region", region="11")
    at.switch_page(PAGES["ma_region"].path).run()
    at.selectbox(key="region_departement").select("93").run()
    open_section(at, "93", "Engagements")
    assert not at.exception
    at.text_input(key="eg_titre_0_0").input("Ouverture d'un centre de santé")
    at.multiselect(key="eg_themes_0_0").select("sante")
    at.multiselect(key="eg_qpv_0_0").select("QN09302A")
    at.text_area(key="eg_texte_0_0").input("Un centre de santé ouvrira en 2025.")
    at.text_area(key="eg_jalons_0_0").input("01/09/2024 Permis de construire\nOuverture au public")
    at.button(key="eg_save_0_0").click().run()
    assert not at.exception
    assert not at.error
    public_page = _public({"qpv": "QN09302A"})
    assert "Ouverture d'un centre de santé" in [s.value for s in public_page.subheader]
    milestones = _tables(public_page)[-1]
    assert milestones["Étape"].tolist() == ["Permis de construire", "Ouverture au public"]


def test_engagement_with_errors_explained_and_not_saved(data: dict[str, int]) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGES["mon_departement"].path).run()
    open_section(at, "93", "Engagements")
    at.text_input(key="eg_titre_0_0").input("Sans thème")
    at.button(key="eg_save_0_0").click().run()
    assert not at.exception
    assert any("au moins un thème" in e.value for e in at.error)


def test_national_view_lists_themes_without_engagement_and_offers_open_data(data: dict[str, int]) -> None:
    at = open_app(role="commission")
    at.switch_page(PAGES["national"].path).run()
    assert not at.exception
    assert "Thèmes très cités sans engagement" not in [h.value for h in at.header]  # in its own tab
    open_national_section(at, "Engagements et données ouvertes")
    assert "Thèmes très cités sans engagement" in [h.value for h in at.header]
    assert any(b.proto.label == "Télécharger les données ouvertes (ZIP)" for b in elements(at, "download_button"))


def test_synthese_published_by_the_referent_then_served_to_the_public(data: dict[str, int], engine: Engine) -> None:
    from tests.test_restitution import _synthese_version

    with session_scope(engine) as session:
        version_id = _synthese_version(session)
    refused = _public({"synthese": str(version_id)})
    assert [e.value for e in refused.error] == [NON_PUBLIE]
    assert _download_labels(refused) == []
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGES["mon_departement"].path).run()
    open_section(at, "93", "Synthèse")
    at.button(key=f"sd_publish_{version_id}").click().run()
    assert not at.exception
    served = _public({"synthese": str(version_id)})
    assert _download_labels(served) == ["Télécharger « synthese-93.pdf » (1 Ko)"]
    page = _public({"dep": "93"})
    assert any(label.startswith("Télécharger la synthèse (version 1)") for label in _download_labels(page))


def _version_lines(at: AppTest) -> list[str]:
    return [t.value for t in at.text if str(t.value).startswith("Version ")]


def test_untransmitted_synthese_draft_is_invisible_above_the_referent(data: dict[str, int], engine: Engine) -> None:
    """Issue 21 #7: « Ma région » and « Vue nationale » list only the versions transmitted to their level."""
    from q2030.syntheses import enregistrer_etape
    from tests.test_restitution import _synthese_version

    with session_scope(engine) as session:
        version_id = _synthese_version(session)
    referent = open_app(role="referent", departement="93")
    referent.switch_page(PAGES["mon_departement"].path).run()
    open_section(referent, "93", "Synthèse")
    assert _version_lines(referent) == ["Version 1 — synthese-93.pdf : non publiée"]

    def seen(role: str, page: str, key: str, **scope: str) -> list[str]:
        at = open_app(role=role, **scope)
        at.switch_page(page).run()
        at.selectbox(key=key).select("93").run()
        open_section(at, "93", "Synthèse")
        assert not at.exception
        assert not any(b.key == f"sd_publish_{version_id}" for b in at.button)
        return _version_lines(at)

    assert seen("prefet_region", "pages/4_Ma_region.py", "region_departement", region="11") == []
    assert seen("commission", "pages/5_National.py", "national_departement") == []
    with session_scope(engine) as session:
        enregistrer_etape(
            session,
            actor=REFERENT,
            departement_code="93",
            etape="transmise_region",
            date=TODAY,
            version=0,
            document_id=version_id,
        )
    assert seen("prefet_region", "pages/4_Ma_region.py", "region_departement", region="11") == [
        "Version 1 — synthese-93.pdf : non publiée"
    ]
    assert seen("commission", "pages/5_National.py", "national_departement") == []


@pytest.mark.parametrize("damage", ["absent", "altéré"])
def test_published_file_missing_or_altered_on_disk_said_and_recorded(
    data: dict[str, int], anonymous: None, engine: Engine, damage: str
) -> None:
    """Issue 21 #13: the visitor reads « Ce document n'est plus disponible », administrators find it in the journal."""
    import hashlib

    from sqlmodel import Session, select

    from q2030.audit_log import action_label
    from q2030.documents import INDISPONIBLE, upload_dir
    from q2030.models import AuditEvent

    stored = upload_dir() / hashlib.sha256(PDF).hexdigest()
    if damage == "absent":
        stored.unlink()
    else:
        stored.write_bytes(PDF + b"% ajout\n")
    at = _public({"document": str(data["published"])})
    assert not at.exception
    assert [e.value for e in at.error] == [INDISPONIBLE]
    assert _download_labels(at) == []
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "fichier_indisponible")).all()
    assert [(e.entite, str(e.entite_id)) for e in events] == [("document", str(data["published"]))]
    assert "indisponible" in action_label("fichier_indisponible")
    assert ("introuvable" if damage == "absent" else "altéré") in str(events[0].apres)


def test_public_feeds_written_by_the_command_line_before_any_page(
    data: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 21 #13: after `upgrade` (deployment) the .ics feeds exist; no page was opened."""
    from q2030.cli import main

    folder = tmp_path / "agenda-frais"
    monkeypatch.setenv("Q2030_AGENDA_DIR", str(folder))
    assert not folder.exists()
    assert main(["upgrade"]) == 0
    feed = (folder / "93.ics").read_text(encoding="utf-8")
    assert "BEGIN:VCALENDAR" in feed
    assert feed.count("BEGIN:VEVENT") == 2  # the held and the planned rencontre of the 93
    assert (folder / "75.ics").exists()


ORGANISATEUR = Actor(
    email="camille.martin@tilleuls.example.org",
    role="organisateur",
    departement_code="93",
    organisation="Centre social Les Tilleuls",
    nom="Camille Martin",
)


def test_organisers_validated_upcoming_meeting_shows_the_organisation_never_the_person(
    data: dict[str, int], anonymous: None, engine: Engine
) -> None:
    def declare(lieu: str, days: int) -> int:
        meeting: SaisieRencontre = {
            "departement_code": "93", "statut": "prevue", "date": TODAY + dt.timedelta(days=days), "lieu": lieu,
            "perimetre": "quartier", "qpv_codes": ["QN09302A"], "type_lieu": "centre_social",
            "format": "reunion_publique",
        }  # fmt: skip
        with session_scope(engine) as session:
            return create_rencontre(session, actor=ORGANISATEUR, data=meeting).id or 0

    validated = declare("Salle des Tilleuls", 10)
    declare("Salle en attente", 12)
    with session_scope(engine) as session:
        version = fetch(session, Rencontre, validated).version
        valider(session, actor=REFERENT, rencontre_id=validated, version=version)
    at = _public({"dep": "93"})
    assert not at.exception
    upcoming = _tables(at)[0]
    assert upcoming[["Lieu", "Organisée par"]].values.tolist() == [
        [f"Salle {TODAY + dt.timedelta(days=8):%d/%m}", "—"],  # the préfecture's own meeting
        ["Salle des Tilleuls", "Centre social Les Tilleuls"],
    ]
    text = _rendered(at)
    assert "Salle en attente" not in text, "a declaration awaiting validation is not public"
    assert "Camille" not in text
    assert "Martin" not in text
    _no_secret(text)
