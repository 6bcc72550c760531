"""The sources of a campaign's questionnaire answers, as the page lists them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from q2030.campaigns import active_campaign
from q2030.models import QuestionnaireCorrespondance, QuestionnaireReponse, TexteLibre
from q2030.questionnaire.correspondance import Correspondance


@dataclass(frozen=True)
class SourceQuestionnaire:
    source: str
    reponses: int
    textes: int
    codes: int  # texts coded or set aside
    importe_le: dt.datetime | None
    importe_par: str
    fichier: str
    version: int  # of its correspondance (0: none)
    colonnes: list[tuple[str, str]]  # (role, column) of its correspondance
    format: str


def sources(session: Session, *, campaign_id: int | None = None) -> list[SourceQuestionnaire]:
    """Every source of the campaign (with a correspondance or responses), by name."""
    campaign_id = campaign_id or active_campaign(session).id
    reponses = dict(
        session.exec(
            select(QuestionnaireReponse.source, func.count())
            .where(QuestionnaireReponse.campaign_id == campaign_id)
            .group_by(QuestionnaireReponse.source)
        ).all()
    )
    textes = {
        source: (int(total), int(codes or 0))
        for source, total, codes in session.exec(
            select(QuestionnaireReponse.source, func.count(), func.count().filter(col(TexteLibre.statut) != "a_coder"))
            .join(QuestionnaireReponse, col(QuestionnaireReponse.id) == col(TexteLibre.reponse_id))
            .where(QuestionnaireReponse.campaign_id == campaign_id)
            .group_by(QuestionnaireReponse.source)
        )
    }
    rows = {
        row.source: row
        for row in session.exec(
            select(QuestionnaireCorrespondance).where(QuestionnaireCorrespondance.campaign_id == campaign_id)
        )
    }
    out: list[SourceQuestionnaire] = []
    for name in sorted(set(rows) | set(reponses), key=str.casefold):
        row = rows.get(name)
        mapping = Correspondance.model_validate(row.contenu) if row else None
        total, codes = textes.get(name, (0, 0))
        out.append(
            SourceQuestionnaire(
                source=name, reponses=int(reponses.get(name, 0)), textes=total, codes=codes,
                importe_le=row.importe_le if row else None, importe_par=row.importe_par if row else "",
                fichier=row.fichier if row else "", version=row.version if row else 0,
                colonnes=mapping.colonnes() if mapping else [], format=mapping.format if mapping else "large",
            )
        )  # fmt: skip
    return out
