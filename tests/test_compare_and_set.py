"""Version checks are compare-and-set: a save based on a version that changed meanwhile is
refused with a French message and changes nothing, even when the saving request read the
row before the other one committed (two sessions interleaved: B reads, A writes and commits,
B writes). A read-then-write check passes on B's stale copy and overwrites A's save."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.campaign_admin import update_campaign
from q2030.campaigns import active_campaign
from q2030.errors import ConflitDeVersion
from q2030.models import AuditEvent, Campaign, SyntheseDepartementale
from q2030.syntheses import enregistrer_etape, synthese_departementale
from q2030.versioning import compare_and_set

ADMIN_A = Actor(email="admin.a@anct.gouv.fr", role="admin")
ADMIN_B = Actor(email="admin.b@anct.gouv.fr", role="admin")
REFERENT_A = Actor(email="ref93.a@x.gouv.fr", role="referent", departement_code="93", region_code="11")
REFERENT_B = Actor(email="ref93.b@x.gouv.fr", role="referent", departement_code="93", region_code="11")
TODAY = dt.date(2023, 12, 31)


def _audits(engine: Engine, entite: str) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent.acteur).where(AuditEvent.entite == entite)).all())


def _campaign_payload(campaign: Campaign, **changes: Any) -> dict[str, Any]:
    fields = campaign.model_dump(exclude={"id", "version", "geographie", "active"})
    return {"campaign_id": campaign.id, "version": campaign.version, **fields, **changes}


def test_campaign_save_from_a_stale_version_is_refused_between_two_sessions(engine: Engine) -> None:
    with Session(engine) as first, Session(engine) as second:
        read_by_b = active_campaign(second)  # B's save has read the row (kept: the session's identity map)
        opened_by_b = _campaign_payload(read_by_b, nom="Campagne de B")
        update_campaign(first, actor=ADMIN_A, **_campaign_payload(active_campaign(first), nom="Campagne de A"))
        first.commit()  # A saves first
        with pytest.raises(ConflitDeVersion, match="modifiée par quelqu'un d'autre"):
            update_campaign(second, actor=ADMIN_B, **opened_by_b)  # B's request had read the old row
        second.rollback()
    with Session(engine) as check:
        campaign = active_campaign(check)
        assert (campaign.nom, campaign.version) == ("Campagne de A", 2)
    assert _audits(engine, "campagne") == [ADMIN_A.email]


def test_campaign_stale_version_number_is_refused(session: Session) -> None:
    campaign = active_campaign(session)
    stale = _campaign_payload(campaign, nom="Ancienne", version=campaign.version - 1)
    with pytest.raises(ConflitDeVersion, match="rechargez la page"):
        update_campaign(session, actor=ADMIN_A, **stale)
    session.rollback()
    assert active_campaign(session).version == campaign.version


def _step(session: Session, actor: Actor, etape: str, date: dt.date, version: int) -> Any:
    return enregistrer_etape(
        session, actor=actor, departement_code="93", etape=etape, date=date, version=version, aujourd_hui=TODAY
    )


def test_synthese_save_from_a_stale_version_is_refused_between_two_sessions(engine: Engine) -> None:
    with Session(engine) as setup:
        _step(setup, REFERENT_A, "transmise_region", dt.date(2023, 9, 1), 0)
        setup.commit()
    with Session(engine) as first, Session(engine) as second:
        seen_by_b = synthese_departementale(second, actor=REFERENT_B, departement_code="93")  # B opens the page
        read_by_b = second.exec(select(SyntheseDepartementale)).one()  # B's save has read the row
        assert seen_by_b.version == read_by_b.version == 1
        _step(first, REFERENT_A, "transmise_region", dt.date(2023, 9, 5), 1)  # A corrects the date
        first.commit()
        with pytest.raises(ConflitDeVersion, match="modifiée entre-temps"):
            _step(second, REFERENT_B, "transmise_region", dt.date(2023, 9, 20), seen_by_b.version)
        second.rollback()
    with Session(engine) as check:
        row = check.exec(select(SyntheseDepartementale)).one()
        assert (row.transmise_region_le, row.version, row.modifie_par) == (dt.date(2023, 9, 5), 2, REFERENT_A.email)
    assert _audits(engine, "synthese_departementale") == [REFERENT_A.email] * 2


def test_two_first_saves_of_a_synthese_one_wins(engine: Engine) -> None:
    """Both referents saw "nothing recorded" (version 0): the second is told, not merged."""
    with Session(engine) as first, Session(engine) as second:
        assert synthese_departementale(second, actor=REFERENT_B, departement_code="93").version == 0
        _step(first, REFERENT_A, "transmise_region", dt.date(2023, 9, 1), 0)
        first.commit()
        with pytest.raises(ConflitDeVersion, match="rechargez la page"):
            _step(second, REFERENT_B, "transmise_region", dt.date(2023, 9, 2), 0)
        second.rollback()
    with Session(engine) as check:
        rows = check.exec(select(SyntheseDepartementale)).all()
        assert [(r.transmise_region_le, r.version) for r in rows] == [(dt.date(2023, 9, 1), 1)]
        assert check.exec(select(func.count()).select_from(AuditEvent)).one() == 1


def test_a_refused_save_names_who_changed_the_row_and_when(engine: Engine) -> None:
    """The conflict message says who saved in between and when, from the audit log."""
    with Session(engine) as first, Session(engine) as second:
        opened_by_b = _campaign_payload(active_campaign(second), nom="Campagne de B")
        update_campaign(first, actor=ADMIN_A, **_campaign_payload(active_campaign(first), nom="Campagne de A"))
        first.commit()
        with pytest.raises(ConflitDeVersion) as refused:
            update_campaign(second, actor=ADMIN_B, **opened_by_b)
        second.rollback()
    assert re.search(
        r"Dernière modification par admin\.a@anct\.gouv\.fr le \d\d/\d\d/\d{4} à \d\d:\d\d\.", str(refused.value)
    )


def test_compare_and_set_returns_the_new_version_and_refuses_a_stale_one(session: Session) -> None:
    campaign = active_campaign(session)
    opened = campaign.version
    kwargs: dict[str, Any] = {"row_id": campaign.id, "entite": "campagne", "conflit": "Modifiée entre-temps."}
    assert compare_and_set(session, Campaign, version=opened, values={"nom": "Nouvelle"}, **kwargs) == opened + 1
    with pytest.raises(ConflitDeVersion, match=r"^Modifiée entre-temps\.$"):  # nothing audited: the sentence alone
        compare_and_set(session, Campaign, version=opened, values={"nom": "Perdue"}, **kwargs)
    session.expire_all()
    assert (active_campaign(session).nom, active_campaign(session).version) == ("Nouvelle", opened + 1)


def test_the_row_count_check_is_written_once_and_no_screen_computes_a_version() -> None:
    """Every versioned write goes through q2030.versioning.compare_and_set."""
    package = Path(__file__).resolve().parent.parent / "q2030"
    checks = [p.relative_to(package).as_posix() for p in package.rglob("*.py") if ".rowcount" in p.read_text()]
    assert checks == ["versioning.py"]
    guessing = [
        f"{p.name}: {line.strip()}"
        for p in (package / "ui").rglob("*.py")
        for line in p.read_text().splitlines()
        if re.search(r"version\W*\)?\s*\+\s*1", line)
    ]
    assert guessing == []
