"""Key figures of the home page, for the scope of the acting user (aggregated in SQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, and_, distinct, func
from sqlmodel import Session, col, select

from q2030.access import Column, Lecteur, lit_tout, scope_clause, scope_label
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.frontieres import LigneSql
from q2030.models import Contribution, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre


@dataclass(frozen=True)
class KeyFigures:
    perimetre: str
    qpv: int
    qpv_couverts: int
    rencontres_tenues: int
    rencontres_prevues: int
    participants: int
    contributions: int
    echeance_rencontres: dt.date
    echeance_synthese: dt.date

    @property
    def taux_couverture(self) -> float | None:
        return self.qpv_couverts / self.qpv if self.qpv else None


def database_is_empty(session: Session) -> bool:
    return not session.exec(select(func.count()).select_from(Qpv)).one()


_Query = TypeVar("_Query", bound=Select[*LigneSql])  # sqlmodel's selects included


def _scoped(query: _Query, actor: Lecteur, departement_column: Column) -> _Query:
    if lit_tout(actor):
        return query
    return query.where(scope_clause(actor, departement_column))


def key_figures(session: Session, *, actor: Lecteur) -> KeyFigures:
    campaign = active_campaign(session)
    qpv_count = session.exec(
        _scoped(
            select(func.count()).select_from(Qpv).where(Qpv.geographie == campaign.geographie),
            actor,
            col(Qpv.departement_code),
        )
    ).one()
    held = and_(col(Rencontre.campaign_id) == campaign.id, col(Rencontre.statut) == StatutRencontre.TENUE, compte())
    covered = session.exec(
        _scoped(
            select(func.count(distinct(col(RencontreQpv.qpv_code))))
            .join(Rencontre, col(Rencontre.id) == col(RencontreQpv.rencontre_id))
            .where(held),
            actor,
            col(Rencontre.departement_code),
        )
    ).one()
    status_query = (
        select(
            Rencontre.statut,
            func.count(),
            func.coalesce(func.sum(Rencontre.participants), 0),
        )
        .where(Rencontre.campaign_id == campaign.id, compte())
        .group_by(Rencontre.statut)
    )
    by_status = {
        statut: (count, participants)
        for statut, count, participants in session.exec(_scoped(status_query, actor, col(Rencontre.departement_code)))
    }
    contributions = session.exec(
        _scoped(
            select(func.count())
            .select_from(Contribution)
            .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
            .where(Rencontre.campaign_id == campaign.id, compte()),
            actor,
            col(Rencontre.departement_code),
        )
    ).one()
    return KeyFigures(
        perimetre=scope_label(actor),
        qpv=qpv_count,
        qpv_couverts=covered,
        rencontres_tenues=by_status.get(StatutRencontre.TENUE, (0, 0))[0],
        rencontres_prevues=by_status.get(StatutRencontre.PREVUE, (0, 0))[0],
        participants=int(by_status.get(StatutRencontre.TENUE, (0, 0))[1] or 0),
        contributions=contributions,
        echeance_rencontres=campaign.rencontres_echeance,
        echeance_synthese=campaign.synthese_departementale_echeance,
    )
