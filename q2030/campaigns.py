"""The campaign as every page, document and import reads it: which one is active, and the date
a page opens on. Editing it is `q2030.campaign_admin`.

This module depends on the models only: the audit, the after-write step and the public feeds
all read the active campaign, so it must not import them back.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from q2030.models import Campaign


def active_campaign(session: Session) -> Campaign:
    """The campaign every page, document and import works in (the latest active one)."""
    campaign = session.exec(select(Campaign).where(Campaign.active).order_by(col(Campaign.id).desc())).first()
    if campaign is None:
        raise LookupError("Aucune campagne active : lancez l'application ou `python -m q2030 upgrade`.")
    return campaign


def situation_par_defaut(restitution_fin: dt.date, today: dt.date) -> dt.date:
    """The « situation au » date pages and documents open on: today while the campaign runs;
    once its restitution window is over, the end of that window (a finished campaign opened
    today would otherwise show every deadline as long past)."""
    return min(today, restitution_fin)


def constat_au(au: dt.date, restitution_fin: dt.date, today: dt.date) -> dt.date:
    """The day up to which what has been done (a compte rendu deposited, a synthesis sent) counts
    in a situation at `au`. Deadlines are judged at `au`; what has been done is judged at `au` too
    while replaying the campaign (`au` before the end of its restitution window), but once `au`
    reaches that end (the default situation of a finished campaign, situation_par_defaut) it is
    judged today: a compte rendu deposited since the end is deposited, not « à déposer »."""
    return au if au < restitution_fin else max(au, today)
