"""AppTest of the synthèse départementale screens: the référent's text and transmission,
the préfecture de région's return and forward, the commission's list (every role renders)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from q2030.access import Actor
from q2030.signataires import signataire
from q2030.syntheses import deposer_version, textes_synthese
from tests import factories as f
from tests.helpers import open_app, open_section, pdf_document

REFERENT = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
PDF = pdf_document()
TRICKY = "=1+1 <b>gras</b> & **pas du markdown**"


@pytest.fixture
def dep93(app_env: str, engine: Engine) -> Engine:
    with Session(engine) as session:
        f.qpv(session, "QN09301M", "93", nom="Cité des Fleurs")
        f.rencontre(session, departement="93", date=dt.date(2023, 6, 12), qpv=["QN09301M"])
        session.commit()
    return engine


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _statut(engine: Engine) -> str:
    with engine.connect() as connection:
        statut = connection.execute(
            text("SELECT statut FROM synthesedepartementale WHERE departement_code = '93'")
        ).scalar_one()
    assert isinstance(statut, str)
    return statut


def test_referent_writes_transmits_region_returns_then_forwards(dep93: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    open_section(at, "93", "Synthèse")
    assert not at.exception
    at.text_area(key="sy_enseignements_93_0").input("La sécurité d'abord.")
    at.text_area(key="sy_vigilance_93_0").input(TRICKY)
    _button(at, "Enregistrer les textes").click().run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    with Session(dep93) as session:
        texts = textes_synthese(session, actor=REFERENT, departement_code="93")
        assert (texts.version, texts.enseignements, texts.vigilance) == (1, "La sécurité d'abord.", TRICKY)
        deposer_version(session, actor=REFERENT, departement_code="93", filename="synthese.pdf", content=PDF)
        session.commit()
    at.run()
    at.date_input(key="sy_date_region_93").set_value(dt.date(2023, 8, 28))
    _button(at, "Transmettre à la préfecture de région").click().run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    assert _statut(dep93) == "transmise_region"

    prefet = open_app(role="prefet_region", region="11")
    prefet.switch_page("pages/9_Syntheses.py").run()
    assert not prefet.exception
    prefet.selectbox(key="sy_traiter").select("93").run()
    prefet.text_area(key="sy_commentaire_93").input("Ajouter les <quartiers> non couverts")
    _button(prefet, "Renvoyer au département (à reprendre)").click().run()
    assert not prefet.exception, [e.value for e in prefet.error]
    assert not prefet.error, [e.value for e in prefet.error]
    assert _statut(dep93) == "a_reprendre"

    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    open_section(at, "93", "Synthèse")
    assert "Ajouter les <quartiers> non couverts" in [t.value for t in at.text]
    with Session(dep93) as session:
        deposer_version(session, actor=REFERENT, departement_code="93", filename="v2.pdf",
                        content=pdf_document("Version 2"))  # fmt: skip
        session.commit()
    at.run()
    _button(at, "Transmettre à la préfecture de région").click().run()
    assert not at.error, [e.value for e in at.error]
    prefet = open_app(role="prefet_region", region="11")
    prefet.switch_page("pages/9_Syntheses.py").run()
    prefet.selectbox(key="sy_traiter").select("93").run()
    _button(prefet, "Transmettre à la commission et à l'ANCT").click().run()
    assert not prefet.error, [e.value for e in prefet.error]
    assert _statut(dep93) == "transmise_commission"

    commission = open_app(role="commission")
    commission.switch_page("pages/9_Syntheses.py").run()
    assert not commission.exception
    listing = next(d.value for d in commission.dataframe if "Statut" in d.value.columns)
    assert len(listing) == 101
    row = listing.set_index("Code").loc["93"]
    assert (row["Document"], row["Version"]) == ("v2.pdf", "v2")
    assert row["Statut"] == "Transmise à la commission et à l'ANCT"


@pytest.mark.parametrize(
    ("role", "scope"),
    [("commission", {}), ("admin", {}), ("prefet_region", {"region": "11"}), ("referent", {"departement": "93"})],
)
def test_syntheses_page_for_every_role(dep93: Engine, role: str, scope: dict[str, str]) -> None:
    at = open_app(role=role, **scope)
    at.switch_page("pages/9_Syntheses.py").run()
    assert not at.exception
    if role == "referent":
        assert [e.value for e in at.error] == ["Cette page n'est pas accessible avec votre rôle."]
    else:
        assert not at.error


def test_referent_sets_the_signatory_printed_on_the_documents(dep93: Engine) -> None:
    at = open_app(role="referent", departement="93")
    at.switch_page("pages/3_Mon_departement.py").run()
    open_section(at, "93", "Synthèse")
    assert not at.exception
    assert at.text_input(key="sy_sig_titre_93_0").value == "Le préfet de la Seine-Saint-Denis"
    _button(at, "Enregistrer le signataire").click().run()  # no name: refused, in French
    assert at.error, "a missing name must be refused"
    at.text_input(key="sy_sig_nom_93_0").input("Jacques Witkowski")
    _button(at, "Enregistrer le signataire").click().run()
    assert not at.exception, [e.value for e in at.error]
    assert not at.error, [e.value for e in at.error]
    assert "Signataire enregistré." in [s.value for s in at.success]
    with Session(dep93) as session:
        view = signataire(session, actor=REFERENT, departement_code="93")
    assert (view.nom, view.titre, view.version) == ("Jacques Witkowski", "Le préfet de la Seine-Saint-Denis", 1)
