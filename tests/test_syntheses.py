"""The synthèse départementale chain: who records which step, order, dates, versions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.coverage import coverage_counts
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, SyntheseDepartementale, SyntheseDocument, stored_id
from q2030.syntheses import en_cours_region, enregistrer_etape, synthese_departementale
from tests import factories as f

REFERENT = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
OTHER_REFERENT = Actor(email="r69@x.fr", role="referent", departement_code="69", region_code="84")
PREFET = Actor(email="p11@x.fr", role="prefet_region", region_code="11")
OTHER_PREFET = Actor(email="p84@x.fr", role="prefet_region", region_code="84")
TODAY = dt.date(2023, 12, 31)


def _record(session: Session, actor: Actor, etape: str, date: dt.date | None, version: int):
    if etape == "transmise_commission":  # forwarding carries the version the département transmitted
        _version_transmise(session, date)
    return enregistrer_etape(
        session, actor=actor, departement_code="93", etape=etape, date=date, version=version, aujourd_hui=TODAY
    )


def _version_transmise(session: Session, date: dt.date | None) -> None:
    campaign_id = stored_id(active_campaign(session))
    if en_cours_region(session, campaign_id, "93") is None:
        session.add(SyntheseDocument(
            campaign_id=campaign_id, departement_code="93", numero=1, nom_fichier="synthese.pdf",
            type_mime="application/pdf", taille=10, sha256="0" * 64, transmis_region_le=date,
        ))  # fmt: skip
        session.flush()


def test_forwarding_without_a_transmitted_document_is_refused_saying_what_is_missing(session: Session) -> None:
    """Main let the préfecture de région forward a synthèse with no file: the commission read « 0 document(s) »."""
    enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                      date=dt.date(2023, 8, 20), version=0, aujourd_hui=TODAY)  # fmt: skip
    session.commit()
    with pytest.raises(ValidationError, match="sans document") as refused:
        enregistrer_etape(session, actor=PREFET, departement_code="93", etape="transmise_commission",
                          date=dt.date(2023, 8, 25), version=1, aujourd_hui=TODAY)  # fmt: skip
    assert "dépose une version" in str(refused.value)
    session.rollback()
    assert synthese_departementale(session, actor=PREFET, departement_code="93").statut == "transmise_region"


def _audits(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_full_chain(session: Session) -> None:
    due = active_campaign(session).synthese_departementale_echeance
    assert synthese_departementale(session, actor=REFERENT, departement_code="93").statut == "brouillon"
    view = _record(session, REFERENT, "transmise_region", due - dt.timedelta(days=10), 0)
    assert (view.statut, view.version) == ("transmise_region", 1)
    view = _record(session, PREFET, "transmise_commission", due, 1)
    assert view.statut == "transmise_commission"
    assert not view.transmise_en_retard
    view = _record(session, REFERENT, "restituee", dt.date(2023, 10, 12), 2)
    assert view.statut == "restituee"
    assert view.restitution_dans_fenetre
    session.commit()
    assert _audits(session) == 3
    row = session.exec(select(SyntheseDepartementale)).one()
    assert row.modifie_par == REFERENT.email
    assert row.version == 3


def test_transmission_after_the_deadline_is_late_and_shows_in_counts(session: Session) -> None:
    f.qpv(session, "QN09301A", "93")
    due = active_campaign(session).synthese_departementale_echeance
    _record(session, REFERENT, "transmise_region", due, 0)
    view = _record(session, PREFET, "transmise_commission", due + dt.timedelta(days=1), 1)
    assert view.transmise_en_retard
    session.commit()
    counts = coverage_counts(session, actor=REFERENT, au=TODAY).set_index("code")
    assert counts.loc["93", "synthese_statut"] == "transmise_commission"
    assert counts.loc["93", "synthese_en_retard"]
    # Replayed before the transmission, the chain was at the région.
    replay = coverage_counts(session, actor=REFERENT, au=due).set_index("code")
    assert replay.loc["93", "synthese_statut"] == "transmise_region"
    assert not replay.loc["93", "synthese_en_retard"]


@pytest.mark.parametrize(
    ("actor", "etape"),
    [
        (PREFET, "transmise_region"),  # the référent's step
        (REFERENT, "transmise_commission"),  # the préfet de région's step
        (OTHER_REFERENT, "transmise_region"),  # another département
        (OTHER_PREFET, "transmise_commission"),  # another région
        (Actor(email="c@x.fr", role="commission"), "restituee"),
    ],
)
def test_wrong_actor_is_refused_and_nothing_changes(session: Session, actor: Actor, etape: str) -> None:
    if etape == "transmise_commission":
        _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 20), 0)
        session.commit()
    before = _audits(session)
    with pytest.raises(PermissionRefusee):
        _record(session, actor, etape, dt.date(2023, 8, 25), 1 if etape == "transmise_commission" else 0)
    assert _audits(session) == before


def test_validation(session: Session) -> None:
    with pytest.raises(ValidationError, match="futur"):
        _record(session, REFERENT, "transmise_region", TODAY + dt.timedelta(days=1), 0)
    with pytest.raises(ValidationError, match="obligatoire"):
        _record(session, REFERENT, "transmise_region", None, 0)
    with pytest.raises(ValidationError, match="d'abord"):
        _record(session, REFERENT, "restituee", dt.date(2023, 10, 1), 0)
    with pytest.raises(ValidationError, match="lancement"):
        _record(session, REFERENT, "transmise_region", dt.date(2020, 1, 1), 0)
    assert session.exec(select(func.count()).select_from(SyntheseDepartementale)).one() == 0
    _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 20), 0)
    with pytest.raises(ValidationError, match="se suivre"):
        _record(session, PREFET, "transmise_commission", dt.date(2023, 8, 19), 1)
    _record(session, PREFET, "transmise_commission", dt.date(2023, 8, 25), 1)
    # Correcting the first date must keep the order.
    with pytest.raises(ValidationError, match="se suivre"):
        _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 26), 2)
    assert _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 21), 2).transmise_region_le == dt.date(
        2023, 8, 21
    )


def test_stale_version_is_refused(session: Session) -> None:
    _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 20), 0)
    with pytest.raises(ConflitDeVersion):
        _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 21), 0)


def test_restitution_outside_window_is_flagged(session: Session) -> None:
    _record(session, REFERENT, "transmise_region", dt.date(2023, 8, 20), 0)
    _record(session, PREFET, "transmise_commission", dt.date(2023, 8, 25), 1)
    view = _record(session, REFERENT, "restituee", dt.date(2023, 12, 28), 2)
    assert view.restitution_dans_fenetre is False
