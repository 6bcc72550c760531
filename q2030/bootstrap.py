"""Bring a database to a usable state: schema at head, régions/départements, a campaign.

Idempotent and cheap: run by the app and the CLI at every start.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from q2030.db import session_scope, upgrade
from q2030.models import Campaign, Departement, Region
from q2030.referentiel import DEPARTEMENTS, REGIONS


def quartiers_2030() -> Campaign:
    """The campaign created on an empty database."""
    return Campaign(
        nom="Quartiers 2030",
        # The 2023 consultation ran on the 2015 geography; the file published today is the
        # 2024 one. The administrator sets it per campaign; coverage counts only its QPV.
        geographie="2024",
        lancement=dt.date(2023, 5, 15),
        rencontres_echeance=dt.date(2023, 7, 31),
        synthese_participants_delai_mois=1,
        synthese_departementale_echeance=dt.date(2023, 9, 1),
        restitution_debut=dt.date(2023, 9, 23),
        restitution_fin=dt.date(2023, 12, 21),
        questionnaire_ouverture=dt.date(2023, 9, 19),
        questionnaire_fermeture=dt.date(2023, 10, 31),
    )


def prepare_database(engine: Engine) -> None:
    upgrade(engine)
    with session_scope(engine) as session:
        ensure_reference_geography(session)
        ensure_campaign(session)


def ensure_reference_geography(session: Session) -> None:
    regions = {r.code: r for r in session.exec(select(Region))}
    for code, nom in REGIONS.items():
        if code not in regions:
            session.add(Region(code=code, nom=nom))
        elif regions[code].nom != nom:
            regions[code].nom = nom
    session.flush()
    departements = {d.code: d for d in session.exec(select(Departement))}
    for code, (nom, region_code) in DEPARTEMENTS.items():
        existing = departements.get(code)
        if existing is None:
            session.add(Departement(code=code, nom=nom, region_code=region_code))
        elif (existing.nom, existing.region_code) != (nom, region_code):
            existing.nom, existing.region_code = nom, region_code


def ensure_campaign(session: Session) -> Campaign:
    campaign = session.exec(select(Campaign).where(Campaign.active)).first()
    if campaign is None:
        campaign = quartiers_2030()
        session.add(campaign)
        session.flush()
    return campaign
