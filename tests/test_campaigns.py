"""Campaign administration: date order, delay, version check, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.campaign_admin import update_campaign
from q2030.campaigns import active_campaign
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent

ADMIN = Actor(email="admin@anct.gouv.fr", role="admin")


def _payload(session: Session, **changes: Any) -> dict[str, Any]:
    campaign = active_campaign(session)
    fields = campaign.model_dump(exclude={"id", "version", "geographie", "active"})
    return {"campaign_id": campaign.id, "version": campaign.version, **fields, **changes}


def test_next_campaign_is_configured_without_code(session: Session) -> None:
    payload = _payload(
        session,
        nom="Quartiers 2030 — seconde vague",
        lancement=dt.date(2025, 3, 1),
        rencontres_echeance=dt.date(2025, 6, 30),
        synthese_participants_delai_mois=2,
        synthese_departementale_echeance=dt.date(2025, 9, 15),
        restitution_debut=dt.date(2025, 10, 1),
        restitution_fin=dt.date(2025, 12, 15),
    )
    update_campaign(session, actor=ADMIN, **payload)
    campaign = active_campaign(session)
    assert (campaign.nom, campaign.rencontres_echeance, campaign.version) == (
        "Quartiers 2030 — seconde vague",
        dt.date(2025, 6, 30),
        2,
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.entite == "campagne")).one()
    assert (event.avant or {})["rencontres_echeance"] == "2023-07-31"
    assert (event.apres or {})["rencontres_echeance"] == "2025-06-30"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"rencontres_echeance": dt.date(2023, 5, 1)},
            "rencontres_echeance",
            "ne peut précéder le lancement (15/05/2023)",
        ),
        ({"synthese_departementale_echeance": dt.date(2023, 7, 1)}, "synthese_departementale_echeance", "31/07/2023"),
        ({"restitution_fin": dt.date(2023, 9, 1)}, "restitution_fin", "ne peut précéder son début"),
        ({"questionnaire_fermeture": dt.date(2023, 9, 1)}, "questionnaire_fermeture", "ouverture"),
        ({"synthese_participants_delai_mois": -1}, "synthese_participants_delai_mois", "positif ou nul"),
        ({"nom": "  "}, "nom", "obligatoire"),
    ],
)
def test_bad_dates_are_refused_and_nothing_changes(
    session: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    before = active_campaign(session).model_dump()
    with pytest.raises(ValidationError) as refused:
        update_campaign(session, actor=ADMIN, **_payload(session, **changes))
    assert message in " ".join(refused.value.errors[field])
    assert active_campaign(session).model_dump() == before
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == 0


def test_same_day_deadlines_are_allowed(session: Session) -> None:
    day = dt.date(2024, 6, 1)
    payload = _payload(session, lancement=day, rencontres_echeance=day, synthese_departementale_echeance=day)
    update_campaign(session, actor=ADMIN, **payload)
    assert active_campaign(session).synthese_departementale_echeance == day


def test_stale_version_is_refused(session: Session) -> None:
    stale = _payload(session, nom="Version A")
    update_campaign(session, actor=ADMIN, **_payload(session, nom="Version B"))
    with pytest.raises(ConflitDeVersion, match="rechargez"):
        update_campaign(session, actor=ADMIN, **stale)
    assert active_campaign(session).nom == "Version B"


@pytest.mark.parametrize("role", ["referent", "prefet_region", "commission"])
def test_only_admin_changes_the_campaign(session: Session, role: str) -> None:
    with pytest.raises(PermissionRefusee):
        update_campaign(session, actor=Actor(email="x@y.fr", role=role), **_payload(session, nom="Piratée"))
    assert active_campaign(session).nom == "Quartiers 2030"
