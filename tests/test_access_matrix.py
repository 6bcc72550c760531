"""Every service write, tried by every role and scope.

Allowed: it succeeds and leaves audit events signed by the actor. Refused: it raises
PermissionRefusee and nothing changes, not even if the caller commits afterwards (every
row of every table, and the data version, compared before and after).

Add a write to OPERATIONS when a service gains one: `prepare` writes what the operation
needs (as SYSTEM, committed), `run` performs it as the actor, `allowed` is the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from q2030.access import SYSTEM, Actor
from q2030.bootstrap import active_campaign
from q2030.campaigns import update_campaign
from q2030.db import session_scope
from q2030.demo import load_demo
from q2030.errors import PermissionRefusee
from q2030.models import AuditEvent
from q2030.qpv_import import import_qpv
from q2030.users import add_user, set_user_active, update_user

ACTORS: dict[str, Actor] = {
    "referent_93": Actor(
        email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11"
    ),
    "referent_13": Actor(
        email="referent@bouches-du-rhone.gouv.fr", role="referent", departement_code="13", region_code="93"
    ),
    "prefet_11": Actor(email="sgar@ile-de-france.gouv.fr", role="prefet_region", region_code="11"),
    "prefet_93": Actor(email="sgar@paca.gouv.fr", role="prefet_region", region_code="93"),
    "commission": Actor(email="commission@anct.gouv.fr", role="commission"),
    "admin": Actor(email="admin@anct.gouv.fr", role="admin"),
}
QPV_CSV = "code_qp;lib_qp;insee_com;lib_com\nQN09301M;Cité A;93001;Aubervilliers\nQN01301M;Cité B;13055;Marseille\n"


def admin_only(actor: Actor) -> bool:
    return actor.role == "admin"


def referent_of(departement: str) -> Callable[[Actor], bool]:
    return lambda actor: actor.role == "referent" and actor.departement_code == departement


def prefet_of(region: str) -> Callable[[Actor], bool]:
    return lambda actor: actor.role == "prefet_region" and actor.region_code == region


def _nothing(_session: Session) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Operation:
    name: str
    allowed: Callable[[Actor], bool]
    run: Callable[[Session, Actor, dict[str, Any]], object]
    prepare: Callable[[Session], dict[str, Any]] = field(default=_nothing)


def _a_user(session: Session) -> dict[str, Any]:
    user = add_user(session, actor=SYSTEM, email="cible@nord.gouv.fr", role="referent", departement_code="59")
    return {"user_id": user.id}


def _campaign_edit(session: Session, actor: Actor, _ctx: dict[str, Any]) -> object:
    campaign = active_campaign(session)
    fields = campaign.model_dump(exclude={"id", "version", "geographie", "active"})
    fields["rencontres_echeance"] = dt.date(2023, 8, 31)
    return update_campaign(session, actor=actor, campaign_id=campaign.id, version=campaign.version, **fields)


OPERATIONS: list[Operation] = [
    Operation(
        "import_qpv",
        admin_only,
        lambda s, a, _c: import_qpv(s, actor=a, content=QPV_CSV.encode(), filename="qpv.csv", geographie="2024"),
    ),
    Operation("load_demo", admin_only, lambda s, a, _c: load_demo(s, actor=a, seed=7)),
    Operation(
        "add_user",
        admin_only,
        lambda s, a, _c: add_user(s, actor=a, email="nouveau@anct.gouv.fr", role="commission"),
    ),
    Operation(
        "update_user",
        admin_only,
        lambda s, a, c: update_user(s, actor=a, user_id=c["user_id"], role="prefet_region", region_code="32"),
        _a_user,
    ),
    Operation(
        "disable_user",
        admin_only,
        lambda s, a, c: set_user_active(s, actor=a, user_id=c["user_id"], actif=False),
        _a_user,
    ),
    Operation("update_campaign", admin_only, _campaign_edit),
]


def _fingerprint(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (the matrix databases are small)."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in connection.execute(query)]
    return out


def _events_by(engine: Engine, email: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.acteur == email)  # type: ignore[arg-type]
        ).scalar_one()


@pytest.mark.parametrize("who", list(ACTORS))
@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.name for op in OPERATIONS])
def test_write_allowed_or_refused(engine: Engine, operation: Operation, who: str) -> None:
    actor = ACTORS[who]
    with session_scope(engine) as session:
        context = operation.prepare(session)
    events_before = _events_by(engine, actor.email)
    with Session(engine, expire_on_commit=False) as session:
        if operation.allowed(actor):
            operation.run(session, actor, context)
            session.commit()
            assert _events_by(engine, actor.email) > events_before, f"{operation.name} by {who}: not audited"
            return
        before = _fingerprint(engine)
        with pytest.raises(PermissionRefusee) as refused:
            operation.run(session, actor, context)
        session.commit()  # a careless caller commits anyway: there must be nothing to commit
    assert str(refused.value), "the refusal explains itself in French"
    assert _fingerprint(engine) == before, f"{operation.name} refused for {who} but something changed"


def test_every_role_is_allowed_somewhere_or_read_only() -> None:
    """The matrix is not vacuous: admin may do every administration write, others none of them."""
    assert all(op.allowed(ACTORS["admin"]) for op in OPERATIONS if op.allowed is admin_only)
    assert not any(op.allowed(ACTORS["commission"]) for op in OPERATIONS), "commission writes nothing but exports"
