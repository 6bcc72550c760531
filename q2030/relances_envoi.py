"""Sending the relances: one message per person through SMTP (`Q2030_SMTP_URL`,
`Q2030_MAIL_FROM`), and what is recorded of it.

`envoyer(...)` sends the day's digests (`relances.digests`: opt-outs honoured), and records
each item sent with its state (`RelanceEnvoi`, unique per day, person and item): a second
run the same day sends nothing twice, and the next day's digest knows what is new or has
changed. Items are claimed (inserted and committed) before the message goes out and
released if it fails, so two concurrent runs cannot both send one. A failure for one
recipient is logged and recorded in the run; the others still go out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from q2030 import audit, clock
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.errors import Q2030Error
from q2030.models import RelanceEnvoi, RelanceExecution, stored_id
from q2030.relances import Digest, digests
from q2030.relances_courriel import html, sujet, texte

log = logging.getLogger("q2030.relances")

ECHECS_CONNEXION_MAX = 3  # failed SMTP connections in a row before the run stops trying


# --- Sending ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    ssl: bool  # smtps:// (implicit TLS); smtp:// uses STARTTLS when offered
    user: str
    password: str
    expediteur: str


def smtp_config() -> SmtpConfig:
    """Read Q2030_SMTP_URL (smtp://user:pass@host:587 or smtps://...) and Q2030_MAIL_FROM."""
    raw = os.environ.get("Q2030_SMTP_URL", "")
    sender = os.environ.get("Q2030_MAIL_FROM", "")
    if not raw:
        raise Q2030Error(
            "Q2030_SMTP_URL n'est pas défini : par exemple smtp://utilisateur:motdepasse@smtp.exemple.fr:587."
        )
    if not sender:
        raise Q2030Error("Q2030_MAIL_FROM n'est pas défini : l'adresse d'expédition des relances.")
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise Q2030Error("Q2030_SMTP_URL doit être de la forme smtp://hôte:587 ou smtps://hôte:465.")
    secure = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if secure else 587),
        ssl=secure,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        expediteur=sender,
    )


class ServeurInjoignable(Q2030Error):
    """The SMTP server could not be reached (or refused the session) several times in a row."""


class Expediteur:
    """One SMTP connection, reopened after a failure. After `ECHECS_CONNEXION_MAX` failed
    connections in a row the server is deemed down: the remaining recipients are not tried
    (each attempt could wait the 30 s timeout), they fail at once and go out at the next run."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.connexions_ratees = 0

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        # The system's certificates are read (about 20 ms) only when TLS is used.
        if c.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=30, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=30)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif c.user:
                smtp.quit()
                raise Q2030Error(f"Le serveur {c.host} ne propose pas STARTTLS : identifiants non envoyés en clair.")
        if c.user:
            smtp.login(c.user, c.password)
        return smtp

    def envoyer(self, message: EmailMessage) -> None:
        if self.smtp is None:
            if self.connexions_ratees >= ECHECS_CONNEXION_MAX:
                raise ServeurInjoignable(
                    f"Non tenté : {self.connexions_ratees} connexions au serveur {self.config.host} ont échoué."
                )
            try:
                self.smtp = self._connect()
            except Exception:
                self.connexions_ratees += 1
                raise
            self.connexions_ratees = 0
        try:
            self.smtp.send_message(message)
        except Exception:
            self.fermer()
            raise

    def fermer(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.smtp.quit()
            self.smtp = None


def message(digest: Digest, expediteur: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = expediteur
    msg["To"] = digest.email
    msg["Subject"] = sujet(digest)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=expediteur.rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no automatic replies
    msg.set_content(texte(digest))
    msg.add_alternative(html(digest), subtype="html")
    return msg


@dataclass(frozen=True)
class Bilan:
    execution_id: int
    destinataires: int
    messages: int
    echecs: int


def envoyer(session: Session, *, actor: Actor, au: dt.date | None = None) -> Bilan:
    """Send the day's digests; one commit per recipient (what went out stays recorded)."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut envoyer les relances.")
    config = smtp_config()
    au = au or clock.today()
    run = RelanceExecution(au=au, envoi=True)
    session.add(run)
    session.commit()
    to_send = digests(session, actor=actor, au=au)
    # End the read transaction: each claim below starts its own (on SQLite, a read snapshot
    # upgraded to a write after another process committed fails at once instead of waiting).
    session.commit()
    sender = Expediteur(config)
    sent = 0
    errors: list[dict[str, str]] = []
    try:
        for digest in to_send:
            claimed = _reserver(session, stored_id(run), digest)
            if not claimed:
                continue
            try:
                sender.envoyer(message(digest, config.expediteur))
            except Exception as error:  # one recipient's failure must not stop the others
                log.error("Relance non envoyée à %s : %s", digest.email, error)
                errors.append({"email": digest.email, "erreur": str(error)[:500]})
                session.exec(delete(RelanceEnvoi).where(col(RelanceEnvoi.id).in_(claimed)))
                session.commit()
            else:
                sent += 1
    finally:
        sender.fermer()
        run.fin = dt.datetime.now(dt.UTC)
        run.destinataires = len(to_send)
        run.messages = sent
        run.echecs = len(errors)
        run.erreurs = errors
        session.add(run)
        audit.record(
            session,
            actor=actor,
            action="envoi",
            entite="relances",
            entite_id=run.id or "",
            apres={"au": au.isoformat(), "messages": sent, "echecs": len(errors)},
        )
        session.commit()
    return Bilan(stored_id(run), len(to_send), sent, len(errors))


def _reserver(session: Session, run_id: int, digest: Digest) -> list[int]:
    """Claim the digest's items for the day (committed); [] if another run took them first."""
    rows = [
        RelanceEnvoi(
            execution_id=run_id, jour=digest.au, email=digest.email, type=ligne.type, cle=ligne.cle, etat=ligne.etat
        )
        for ligne in digest.lignes
    ]
    try:
        session.add_all(rows)
        session.commit()
    except IntegrityError:
        session.rollback()
        return []
    return [stored_id(row) for row in rows]


def dernieres_executions(session: Session, *, actor: Actor, limite: int = 20) -> list[RelanceExecution]:
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut consulter les relances.")
    return list(session.exec(select(RelanceExecution).order_by(col(RelanceExecution.debut).desc()).limit(limite)).all())
