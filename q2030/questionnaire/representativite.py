"""Who spoke, in each channel: women, young people and QPV residents among the rencontres'
participants and the questionnaire's respondents, beside France.

Rencontres: the attendance the référents record (`participation.participant_sums`, held
rencontres). Questionnaire: the age band and gender respondents gave (a gender starting
with « F »/« femme »/« female » is a woman; an age band whose upper bound is under 25 is
young), « habite un QPV » answered yes; shares over the respondents who answered.
France (INSEE, 2023): women 51,6 %, under 25 29,5 %, QPV residents 8 % (5,4 M).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pandas as pd
from sqlmodel import Session, col, func, select

from q2030.campaigns import active_campaign
from q2030.models import QuestionnaireReponse
from q2030.participation import participant_sums
from q2030.priorities import Filtres
from q2030.referentiel import departements_of_region
from q2030.textnorm import normalize

FRANCE = {"femmes": 0.516, "jeunes": 0.295, "habitants_qpv": 0.08}
PUBLICS = {"femmes": "Femmes", "jeunes": "Jeunes (moins de 25 ans)", "habitants_qpv": "Habitants des QPV"}


def femme(genre: str) -> bool | None:
    folded = normalize(genre)
    if not folded:
        return None
    if folded.startswith(("f", "woman", "women")):
        return True
    if folded.startswith(("h", "m", "man", "men")):
        return False
    return None


def jeune(tranche: str) -> bool | None:
    nombres = [int(n) for n in re.findall(r"\d+", tranche)]
    if not nombres:
        return None
    return max(nombres) <= 25


def _departements(filtres: Filtres) -> list[str] | None:
    if filtres.departement:
        return [filtres.departement]
    return departements_of_region(filtres.region) if filtres.region else None


def representativite(session: Session, *, filtres: Filtres, au: dt.date) -> pd.DataFrame:
    """Public, rencontres (participants, share), questionnaire (respondents who answered, share), France."""
    campaign = active_campaign(session)
    departements = _departements(filtres)
    sums = participant_sums(session, campaign_id=campaign.id or 0, au=au, departements=departements)
    query = select(
        QuestionnaireReponse.genre, QuestionnaireReponse.tranche_age, QuestionnaireReponse.habite_qpv, func.count()
    ).where(QuestionnaireReponse.campaign_id == campaign.id)
    if departements is not None:
        query = query.where(col(QuestionnaireReponse.departement_code).in_(departements))
    oui: Counter[str] = Counter()
    repondu: Counter[str] = Counter()
    for genre, tranche, habite, n in session.exec(
        query.group_by(
            QuestionnaireReponse.genre, QuestionnaireReponse.tranche_age, col(QuestionnaireReponse.habite_qpv)
        )
    ):
        for key, value in (("femmes", femme(genre)), ("jeunes", jeune(tranche)), ("habitants_qpv", habite)):
            if value is not None:
                repondu[key] += n
                oui[key] += n if value else 0
    rows = []
    for key, label in PUBLICS.items():
        participants = sums["participants"]
        rows.append(
            {
                "Public": label,
                "Rencontres (participants)": sums[key],
                "Part rencontres": sums[key] / participants if participants else None,
                "Questionnaire (répondants)": oui[key],
                "Part questionnaire": oui[key] / repondu[key] if repondu[key] else None,
                "Réponses renseignées": repondu[key],
                "France": FRANCE[key],
            }
        )
    return pd.DataFrame(rows)
