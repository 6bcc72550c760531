"""Administration of users: validation, scope rules, self-protection, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030.access import Actor
from q2030.errors import PermissionRefusee, ValidationError
from q2030.models import AuditEvent, User, stored_id
from q2030.users import add_user, list_users, set_user_active, update_user

ADMIN = Actor(email="admin@anct.gouv.fr", role="admin", nom="Admin")


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_add_user_normalises_email_and_is_audited(session: Session) -> None:
    user = add_user(
        session, actor=ADMIN, email="  Marie.Curie@Nord.gouv.fr ", nom="Marie Curie", role="referent",
        departement_code="59",
    )  # fmt: skip
    assert user.email == "marie.curie@nord.gouv.fr"
    assert user.actif
    event = session.exec(select(AuditEvent).where(AuditEvent.entite == "utilisateur")).one()
    assert (event.acteur, event.action, event.entite_id) == ("admin@anct.gouv.fr", "creation", str(user.id))
    assert event.apres is not None
    assert event.apres["departement_code"] == "59"
    frame = list_users(session, actor=ADMIN)
    assert frame.loc[0, "Rôle"] == "Référent départemental (préfecture)"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"email": "pas-une-adresse", "role": "commission"}, "email", "Adresse électronique invalide"),
        ({"email": "a b@x.fr", "role": "commission"}, "email", "Adresse électronique invalide"),
        ({"email": "x@y.fr", "role": "maire"}, "role", "Rôle inconnu"),
        ({"email": "x@y.fr", "role": "referent"}, "departement_code", "doit avoir un département"),
        ({"email": "x@y.fr", "role": "referent", "departement_code": "99"}, "departement_code", "inconnu"),
        ({"email": "x@y.fr", "role": "prefet_region"}, "region_code", "doit avoir une région"),
        ({"email": "x@y.fr", "role": "prefet_region", "region_code": "00"}, "region_code", "Région inconnue"),
        ({"email": "x@y.fr", "role": "commission", "region_code": "11"}, "role", "est national"),
        ({"email": "x@y.fr", "role": "admin", "departement_code": "75"}, "role", "est national"),
    ],
)
def test_invalid_users_are_refused_and_nothing_written(
    session: Session, payload: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add_user(session, actor=ADMIN, **payload)
    assert message in " ".join(refused.value.errors[field])
    assert _count(session, User) == 0
    assert _count(session, AuditEvent) == 0


def test_duplicate_email_differing_in_case_is_refused(session: Session) -> None:
    add_user(session, actor=ADMIN, email="chef@anct.gouv.fr", role="commission")
    with pytest.raises(ValidationError, match="existe déjà"):
        add_user(session, actor=ADMIN, email="CHEF@anct.gouv.fr", role="commission")
    assert _count(session, User) == 1


def test_change_role_and_scope(session: Session) -> None:
    user = add_user(session, actor=ADMIN, email="agent@x.gouv.fr", role="referent", departement_code="2A")
    update_user(session, actor=ADMIN, user_id=stored_id(user), role="prefet_region", region_code="94")
    assert (user.role, user.departement_code, user.region_code) == ("prefet_region", None, "94")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "modification")).one()
    assert event.avant is not None
    assert event.apres is not None
    assert event.avant["departement_code"] == "2A"
    assert event.apres["region_code"] == "94"
    with pytest.raises(ValidationError, match="doit avoir un département"):
        update_user(session, actor=ADMIN, user_id=stored_id(user), role="referent")
    assert user.role == "prefet_region"


def test_admin_cannot_disable_or_demote_themself(session: Session) -> None:
    me = add_user(session, actor=ADMIN, email="Admin@anct.gouv.fr", role="admin")
    with pytest.raises(ValidationError, match="propre compte"):
        set_user_active(session, actor=ADMIN, user_id=stored_id(me), actif=False)
    with pytest.raises(ValidationError, match="propre rôle d'administrateur"):
        update_user(session, actor=ADMIN, user_id=stored_id(me), role="commission")
    assert me.actif
    assert me.role == "admin"


def test_disable_then_enable_is_audited_each_time(session: Session) -> None:
    user = add_user(session, actor=ADMIN, email="x@y.gouv.fr", role="commission")
    set_user_active(session, actor=ADMIN, user_id=stored_id(user), actif=False)
    set_user_active(session, actor=ADMIN, user_id=stored_id(user), actif=True)
    actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == ["creation", "desactivation", "activation"]


@pytest.mark.parametrize("role", ["referent", "prefet_region", "commission"])
def test_only_admin_reads_the_user_list(session: Session, role: str) -> None:
    with pytest.raises(PermissionRefusee):
        list_users(session, actor=Actor(email="x@y.fr", role=role, departement_code="93", region_code="11"))


def test_first_admin_is_created_from_the_command_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from q2030.cli import main
    from q2030.db import make_engine

    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    assert main(["add-user", "Premier.Admin@anct.gouv.fr"]) == 0
    assert "premier.admin@anct.gouv.fr" in capsys.readouterr().out
    assert main(["add-user", "x@y.fr", "--role", "referent"]) == 2
    assert "doit avoir un département" in capsys.readouterr().err
    engine = make_engine(database_url)
    with Session(engine) as session:
        users = session.exec(select(User)).all()
        events = session.exec(select(AuditEvent)).all()
    engine.dispose()
    assert [(u.email, u.role) for u in users] == [("premier.admin@anct.gouv.fr", "admin")]
    assert [e.acteur for e in events] == ["systeme@q2030"]
