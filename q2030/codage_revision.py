"""Coded texts reviewed: the list an analyst filters, and the correction of a decision.

A correction is a compare-and-set on the text's version (`versioning.compare_and_set`):
two analysts correcting the same text from one version cannot both pass. The theme the
text gave its response is replaced, the change audited (`action="correction"`, before and
after): the audit log keeps the history of every decision on the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, insert
from sqlmodel import Session, col, func, select

from q2030 import audit
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.codage import STATUTS, _require_analyste, valider_decision
from q2030.errors import IntrouvableError, ValidationError
from q2030.models import AuditEvent, QuestionnaireReponse, QuestionnaireTheme, TexteLibre, utcnow
from q2030.versioning import compare_and_set

LIMITE = 200


@dataclass(frozen=True)
class TexteCode:
    id: int
    texte: str
    question: str
    source: str
    reponse: str
    statut: str
    axe: str | None
    theme: str | None
    public: str | None
    code_par: str
    code_le: dt.datetime | None
    version: int


@dataclass(frozen=True)
class Decision:
    horodatage: dt.datetime
    acteur: str
    action: str  # "codage" | "correction"
    statut: str
    axe: str | None
    theme: str | None
    public: str | None


def textes_codes(
    session: Session,
    *,
    actor: Actor,
    statut: str | None = None,
    axe: str | None = None,
    theme: str | None = None,
    recherche: str = "",
    limite: int = LIMITE,
) -> tuple[list[TexteCode], int]:
    """Coded (or set aside) texts of the active campaign, latest first, filtered; and how many match."""
    _require_analyste(actor)
    campaign = active_campaign(session)
    conds: list[ColumnElement[bool]] = [
        col(TexteLibre.campaign_id) == campaign.id,
        col(TexteLibre.statut) != "a_coder",
    ]
    if statut:
        conds.append(col(TexteLibre.statut) == statut)
    if axe:
        conds.append(col(TexteLibre.axe) == axe)
    if theme:
        conds.append(col(TexteLibre.theme) == theme)
    if mot := recherche.strip().lower():
        conds.append(func.lower(col(TexteLibre.texte)).contains(mot, autoescape=True))
    total = session.exec(select(func.count()).select_from(TexteLibre).where(*conds)).one()
    rows = session.exec(
        select(TexteLibre, QuestionnaireReponse.source, QuestionnaireReponse.identifiant)
        .outerjoin(QuestionnaireReponse, col(QuestionnaireReponse.id) == col(TexteLibre.reponse_id))
        .where(*conds)
        .order_by(col(TexteLibre.code_le).desc(), col(TexteLibre.id).desc())
        .limit(limite)
    ).all()
    return [
        TexteCode(
            id=t.id or 0,
            texte=t.texte,
            question=t.question,
            source=source or "",
            reponse=ident or "",
            statut=t.statut,
            axe=t.axe,
            theme=t.theme,
            public=t.public,
            code_par=t.code_par,
            code_le=t.code_le,
            version=t.version,
        )
        for t, source, ident in rows
    ], int(total)


def corriger(
    session: Session,
    *,
    actor: Actor,
    texte_id: int,
    version: int,
    axe: str | None = None,
    theme: str | None = None,
    public: str = "tous",
    hors_sujet: bool = False,
) -> int:
    """Correct the decision on a coded text (compare-and-set on its version), audited; the new version."""
    _require_analyste(actor)
    texte = session.get(TexteLibre, texte_id)
    if texte is None or texte.campaign_id != active_campaign(session).id:
        raise IntrouvableError("Ce texte n'existe pas (ou plus).")
    if texte.statut == "a_coder":
        raise ValidationError("Ce texte n'est pas encore codé : codez-le depuis la file.")
    valider_decision(axe=axe, theme=theme, public=public, hors_sujet=hors_sujet)
    avant = {"statut": texte.statut, "axe": texte.axe, "theme": texte.theme, "public": texte.public,
             "code_par": texte.code_par}  # fmt: skip
    apres = {"statut": "hors_sujet" if hors_sujet else "code", "axe": None if hors_sujet else axe,
             "theme": None if hors_sujet else theme, "public": None if hors_sujet else public}  # fmt: skip
    nouvelle = compare_and_set(
        session, TexteLibre, row_id=texte_id, version=version, entite="texte_libre",
        conflit="Ce texte a été recodé ou corrigé depuis son affichage : rechargez la liste.",
        values=apres | {"code_par": actor.email, "code_le": utcnow()},
    )  # fmt: skip
    session.exec(delete(QuestionnaireTheme).where(col(QuestionnaireTheme.texte_id) == texte_id))
    if texte.reponse_id is not None and not hors_sujet:
        session.exec(
            insert(QuestionnaireTheme).values(
                reponse_id=texte.reponse_id, axe=axe, theme=theme, public=public, origine="texte", texte_id=texte_id
            )
        )
    session.expire(texte)
    audit.record(
        session, actor=actor, action="correction", entite="texte_libre", entite_id=texte_id, avant=avant, apres=apres
    )
    return nouvelle


def historique(session: Session, *, actor: Actor, texte_id: int) -> list[Decision]:
    """Every decision on a text, oldest first (from the audit log)."""
    _require_analyste(actor)
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entite == "texte_libre", AuditEvent.entite_id == str(texte_id))
        .order_by(col(AuditEvent.id))
    ).all()
    out = []
    for event in events:
        apres = event.apres or {}
        out.append(
            Decision(
                horodatage=event.horodatage, acteur=event.acteur, action=event.action,
                statut=STATUTS.get(str(apres.get("statut")), str(apres.get("statut") or "")),
                axe=apres.get("axe"), theme=apres.get("theme"), public=apres.get("public"),
            )
        )  # fmt: skip
    return out
