"""Audit snapshots list a record's fields in its declared order, whatever the process.

A row reloaded after a commit used to dump its fields in set order (it changed with
PYTHONHASHSEED, so the audit page showed "version : 2 ; nom : …" in one process and
"nom : … ; version : 2" in another), and an expired row dumped as {}."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from q2030 import audit
from q2030.campaigns import active_campaign
from q2030.models import Campaign


def test_snapshot_of_a_reloaded_row_keeps_the_declared_field_order(engine: Engine) -> None:
    with Session(engine) as session:  # expire_on_commit: the row reloads on first access
        campaign = active_campaign(session)
        session.commit()
        expired = audit.snapshot(campaign)
        session.expire(campaign)
        _ = campaign.version  # reloads every column, in SQLAlchemy's (unordered) set order
        reloaded = audit.snapshot(campaign)
    declared = list(Campaign.model_fields)
    assert expired is not None
    assert list(expired) == declared
    assert reloaded is not None
    assert list(reloaded) == declared
    assert reloaded == expired
    assert reloaded["lancement"] == "2023-05-15"


def test_snapshot_excludes_fields(engine: Engine) -> None:
    with Session(engine) as session:
        snap = audit.snapshot(active_campaign(session), exclude={"id", "version"})
    assert snap is not None
    assert "id" not in snap
    assert "version" not in snap
    assert next(iter(snap)) == "nom"
