"""Inviting a local organiser (issue 24): the account and an e-mail with the sign-in address,
sent through a real SMTP server (aiosmtpd on loopback, as the relances tests), audited; when
the message cannot go, no account is created."""

from __future__ import annotations

import socket
from typing import TypedDict

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.cli import main
from q2030.db import session_scope
from q2030.errors import PermissionRefusee, Q2030Error
from q2030.invitations import SUJET, inviter_organisateur, organisateurs
from q2030.models import AuditEvent, User
from tests.test_relances import Boite, boite, texte  # noqa: F401 - the loopback SMTP server fixture

REFERENT = Actor(email="referent@seine-saint-denis.gouv.fr", role="referent", departement_code="93", region_code="11")
ADMIN = Actor(email="admin@anct.gouv.fr", role="admin")
REFERENT_94 = Actor(email="referent@val-de-marne.gouv.fr", role="referent", departement_code="94", region_code="11")


class Invitation(TypedDict):
    """The keyword arguments of `inviter_organisateur` the tests pass."""

    email: str
    departement_code: str
    organisation: str


INVITE: Invitation = {
    "email": "Accueil@Tilleuls.example.org",
    "departement_code": "93",
    "organisation": "Centre social Les Tilleuls",
}


def test_the_organiser_receives_the_sign_in_address_and_the_invitation_is_audited(
    boite: Boite,  # noqa: F811
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        user = inviter_organisateur(session, actor=REFERENT, **INVITE)
        user_id = user.id
    [message] = boite.recus
    assert message["To"] == "accueil@tilleuls.example.org"
    assert message["From"] == "relances@quartiers2030.gouv.fr"
    assert message["Subject"] == SUJET
    body = texte(message)
    assert "Adresse de connexion : https://q2030.example.gouv.fr/" in body
    assert "ProConnect" in body
    assert "Centre social Les Tilleuls" in body
    assert "Seine-Saint-Denis" in body
    with Session(engine) as session:
        stored = session.get(User, user_id)
        assert stored is not None
        assert (stored.role, stored.departement_code, stored.organisation) == (
            "organisateur", "93", "Centre social Les Tilleuls",
        )  # fmt: skip
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "invitation")).one()
        assert audit.acteur == REFERENT.email
        assert audit.entite_id == str(user_id)


def test_no_account_when_the_invitation_cannot_be_sent(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("Q2030_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("Q2030_MAIL_FROM", "relances@quartiers2030.gouv.fr")
    with pytest.raises(Q2030Error, match="le compte n'a pas été créé"), session_scope(engine) as session:
        inviter_organisateur(session, actor=REFERENT, **INVITE)
    with Session(engine) as session:
        assert session.exec(select(User).where(User.email == "accueil@tilleuls.example.org")).first() is None
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "invitation")).first() is None


def test_only_the_referent_of_the_departement_invites(boite: Boite, engine: Engine) -> None:  # noqa: F811
    with pytest.raises(PermissionRefusee), session_scope(engine) as session:
        inviter_organisateur(session, actor=REFERENT_94, **INVITE)
    assert boite.recus == []


def test_add_user_command_invites_an_organiser(
    boite: Boite,  # noqa: F811
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    argv = ["add-user", "contact@voisins.example.org", "--role", "organisateur", "--departement", "93"]
    code = main([*argv, "--organisation", "Voisins solidaires", "--inviter"])
    assert code == 0, capsys.readouterr()
    assert "invitation envoyée : contact@voisins.example.org" in capsys.readouterr().out
    assert [str(m["To"]) for m in boite.recus] == ["contact@voisins.example.org"]


def test_the_list_of_organisers_is_the_departements_and_only_for_those_who_invite(
    boite: Boite,  # noqa: F811
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        inviter_organisateur(session, actor=REFERENT, **INVITE)
    with Session(engine) as session:
        [listed] = organisateurs(session, actor=REFERENT, departement_code="93")
        assert (listed.email, listed.organisation, listed.actif) == (
            "accueil@tilleuls.example.org", "Centre social Les Tilleuls", True,
        )  # fmt: skip
        assert organisateurs(session, actor=ADMIN, departement_code="94") == []
        organiser = Actor(email=listed.email, role="organisateur", departement_code="93", region_code="11")
        for outsider in (REFERENT_94, organiser):
            with pytest.raises(PermissionRefusee):
                organisateurs(session, actor=outsider, departement_code="93")
