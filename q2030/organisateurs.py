"""A local organiser's own view: its organisation's meetings, what each still needs, the
deadlines in words and the référent's decisions. Nothing else of the département.

The same rules as the référent's follow-up (coverage.etat_synthese_participants for the
synthesis to participants); the relances (q2030.relances) read the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlmodel import Session

from q2030 import clock
from q2030.access import Actor, lecture, require
from q2030.campaigns import active_campaign
from q2030.coverage import etat_synthese_participants
from q2030.formatting import countdown, fr_date
from q2030.models import Rencontre
from q2030.nomenclature import STATUTS_RENCONTRE, VALIDATIONS_RENCONTRE, StatutRencontre, ValidationRencontre
from q2030.rencontres.lecture import list_rencontres

DELAI_COMPTE_RENDU_JOURS = 15  # a compte rendu is expected within 15 days of the meeting


@dataclass(frozen=True)
class MaRencontre:
    id: int
    date: dt.date
    lieu: str
    statut: str  # StatutRencontre
    validation: str  # ValidationRencontre
    commentaire: str  # the référent's, when it returned or refused the declaration
    compte_rendu: bool
    contributions: int
    synthese_envoyee_le: dt.date | None
    synthese_due_le: dt.date | None  # held meetings only
    compte_rendu_du_le: dt.date | None  # held meetings without a compte rendu

    @property
    def tenue(self) -> bool:
        return self.statut == StatutRencontre.TENUE

    @property
    def etat(self) -> str:
        """« Tenue — validée », « Prévue — déclarée, à valider »…"""
        statut = STATUTS_RENCONTRE.get(self.statut, self.statut)
        return f"{statut} — {VALIDATIONS_RENCONTRE.get(self.validation, self.validation).lower()}"

    def manquants(self) -> list[str]:
        """What the meeting still needs, in words."""
        if not self.tenue:
            return []
        out = []
        if not self.compte_rendu:
            out.append("compte rendu")
        if not self.contributions:
            out.append("contributions")
        if self.synthese_envoyee_le is None:
            out.append("synthèse envoyée aux participants")
        if self.validation == ValidationRencontre.RENVOYEE:
            out.append("corrections demandées par le référent")
        return out

    def echeances(self, au: dt.date) -> list[str]:
        """The deadlines in words: « compte rendu à déposer avant le 05/07/2023 (dans 3 jours) »."""
        if self.statut == StatutRencontre.PREVUE:
            return [f"rencontre prévue le {fr_date(self.date)} ({countdown(self.date, au)})"]
        out = []
        if self.compte_rendu_du_le is not None:
            due = self.compte_rendu_du_le
            out.append(f"compte rendu à déposer avant le {fr_date(due)} ({countdown(due, au)})")
        if self.synthese_due_le is not None and self.synthese_envoyee_le is None:
            due = self.synthese_due_le
            out.append(f"synthèse aux participants à envoyer au plus tard le {fr_date(due)} ({countdown(due, au)})")
        return out


def mes_rencontres(session: Session, *, actor: Actor, au: dt.date | None = None) -> list[MaRencontre]:
    """The organiser's meetings, latest first (its organisation's, in its département)."""
    scope = lecture(actor)
    require(
        scope.organisation is not None and scope.departement_code is not None,
        "Cette vue est celle des organisateurs locaux.",
    )
    au = au or clock.today()
    campaign = active_campaign(session)
    frame = list_rencontres(session, actor=actor, departement_code=scope.departement_code or "")
    out = []
    for row in frame.itertuples():
        held = row.statut == StatutRencontre.TENUE
        sent = row.synthese_envoyee_le if isinstance(row.synthese_envoyee_le, dt.date) else None
        due = etat_synthese_participants(row.date, sent, au, campaign.synthese_participants_delai_mois)[1]
        out.append(
            MaRencontre(
                id=int(row.id),
                date=row.date,
                lieu=str(row.lieu or ""),
                statut=str(row.statut),
                validation=str(row.validation),
                commentaire="",
                compte_rendu=int(row.comptes_rendus) > 0,
                contributions=int(row.contributions),
                synthese_envoyee_le=sent,
                synthese_due_le=due if held else None,
                compte_rendu_du_le=row.date + dt.timedelta(days=DELAI_COMPTE_RENDU_JOURS)
                if held and not int(row.comptes_rendus)
                else None,
            )
        )
    return _with_comments(session, out)


def _with_comments(session: Session, rows: list[MaRencontre]) -> list[MaRencontre]:
    """The référent's comment on each returned or refused declaration."""
    out = []
    for row in rows:
        stored = session.get(Rencontre, row.id)
        out.append(replace(row, commentaire=stored.commentaire_validation if stored else ""))
    return out
