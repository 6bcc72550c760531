"""What a resident may read without signing in: the restitution publique.

Every query here returns only public information, for any visitor:
- rencontres: date, hours, place, format, accessibility, the quartiers they are for, the
  attendance count; never notes, authors, e-mails, cancellation reasons;
- comptes rendus: only those a référent has **published** (`Document.publie_le`);
- priorities: counts of contributions per theme, and a theme appears only when at least
  `SEUIL_CONTRIBUTIONS` contributions cite it in the territory (so that no one is
  identifiable); never a contribution's text;
- the restitution date of the département; the engagements (public by nature).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from q2030 import agenda, clock, coverage, feeds, geo
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.errors import IntrouvableError
from q2030.formatting import fr_date, fr_date_long
from q2030.frontieres import LigneSql
from q2030.models import (
    Contribution,
    Departement,
    Document,
    Qpv,
    Rencontre,
    RencontreQpv,
    SyntheseDepartementale,
    SyntheseDocument,
)
from q2030.nomenclature import ACCESSIBILITE, FORMATS, TYPES_LIEU, Role, StatutRencontre, label, theme_label

# A theme's count is shown only from this many contributions in the territory (département
# or quartier). Stated on the public page and in the README.
SEUIL_CONTRIBUTIONS = 5


def qpv(session: Session, code: str) -> tuple[str, str]:
    """(nom, département) of a quartier of the active campaign's geography."""
    row = session.get(Qpv, code.strip().upper()) if code else None
    if row is None or row.geographie != active_campaign(session).geographie:
        raise IntrouvableError(f"Quartier inconnu : {code}.")
    return row.nom, row.departement_code


def departement_nom(session: Session, code: str) -> str:
    row = session.get(Departement, code)
    if row is None:
        raise IntrouvableError(f"Département inconnu : {code}.")
    return row.nom


def quartiers(session: Session, *, departement_code: str) -> dict[str, str]:
    """Code -> name of the département's quartiers (campaign geography), by name."""
    rows = session.exec(
        select(Qpv.code, Qpv.nom)
        .where(Qpv.departement_code == departement_code, Qpv.geographie == active_campaign(session).geographie)
        .order_by(Qpv.nom, Qpv.code)
    )
    return {code: nom for code, nom in rows}


def _in_territory(query: Select[*LigneSql], departement_code: str | None, qpv_code: str | None) -> Select[*LigneSql]:
    if qpv_code:
        return query.where(
            col(Rencontre.id).in_(select(col(RencontreQpv.rencontre_id)).where(col(RencontreQpv.qpv_code) == qpv_code))
        )
    return query.where(col(Rencontre.departement_code) == departement_code)


UPCOMING_COLUMNS = [
    "id", "date", "heure_debut", "heure_fin", "pour", "lieu", "adresse", "format", "accessibilite", "organise_par",
]  # fmt: skip


def rencontres_a_venir(
    session: Session, *, departement_code: str | None = None, qpv_code: str | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Planned rencontres from `today` on, in date order, with labels ready to show.

    `organise_par`: the local organiser's organisation for a meeting it declared (validated:
    only counting meetings are public), "" for the préfecture's. An organisation's name,
    never a person's (the organiser's name and e-mail stay in the accounts)."""
    campaign = active_campaign(session)
    query = agenda.public_query(col(Rencontre.accessibilite), col(Rencontre.organisation))
    query = query.where(
        col(Rencontre.campaign_id) == campaign.id,
        col(Rencontre.statut) == StatutRencontre.PREVUE,
        compte(),
        col(Rencontre.date) >= (today or clock.today()),
    )
    query = _in_territory(query, departement_code, qpv_code)
    query = query.order_by(col(Rencontre.date), col(Rencontre.heure_debut), col(Rencontre.id))
    columns = [*agenda.AGENDA_COLUMNS, "accessibilite", "organisation"]
    rows = [dict(zip(columns, r, strict=True)) for r in session.exec(query)]
    out = [
        (
            row["id"],
            row["date"],
            row["heure_debut"],
            row["heure_fin"],
            agenda.where(row),
            row["lieu"],
            row["adresse"],
            label(FORMATS, row["format"]),
            ", ".join(label(ACCESSIBILITE, c) for c in row["accessibilite"] or []) or "Non précisée",
            row["organisation"] or "",
        )
        for row in rows
    ]
    return pd.DataFrame(out, columns=UPCOMING_COLUMNS)


HELD_COLUMNS = ["id", "date", "pour", "lieu", "format", "type_lieu", "participants", "documents"]


def rencontres_tenues(
    session: Session, *, departement_code: str | None = None, qpv_code: str | None = None
) -> pd.DataFrame:
    """Held rencontres, latest first; `documents` lists the **published** comptes rendus
    as (id, nom_fichier, type_mime, taille)."""
    campaign = active_campaign(session)
    query = agenda.public_query(col(Rencontre.participants))
    query = query.where(
        col(Rencontre.campaign_id) == campaign.id, col(Rencontre.statut) == StatutRencontre.TENUE, compte()
    )
    query = _in_territory(query, departement_code, qpv_code).order_by(col(Rencontre.date).desc(), col(Rencontre.id))
    rows = [dict(zip([*agenda.AGENDA_COLUMNS, "participants"], r, strict=True)) for r in session.exec(query)]
    published = published_documents(session, [row["id"] for row in rows])
    out = [
        (
            row["id"],
            row["date"],
            agenda.where(row),
            row["lieu"],
            label(FORMATS, row["format"]),
            label(TYPES_LIEU, row["type_lieu"]),
            row["participants"],
            published.get(row["id"], []),
        )
        for row in rows
    ]
    return pd.DataFrame(out, columns=HELD_COLUMNS)


def published_documents(session: Session, rencontre_ids: list[int]) -> dict[int, list[tuple[int, str, str, int]]]:
    out: dict[int, list[tuple[int, str, str, int]]] = {}
    for start in range(0, len(rencontre_ids), 500):
        chunk = rencontre_ids[start : start + 500]
        rows = session.execute(
            sa_select(
                col(Document.rencontre_id),
                col(Document.id),
                col(Document.nom_fichier),
                col(Document.type_mime),
                col(Document.taille),
            )
            .where(col(Document.rencontre_id).in_(chunk), col(Document.publie_le).is_not(None))
            .order_by(col(Document.id))
        )
        for rencontre_id, *document in rows:
            out.setdefault(rencontre_id, []).append(
                (int(document[0]), str(document[1]), str(document[2]), int(document[3]))
            )
    return out


PRIORITY_COLUMNS = ["theme", "libelle", "contributions", "rencontres"]


TOUS_THEMES = "*"  # the territory's total, suppressed like a theme


def _comptes(session: Session, campaign_id: int, departement_code: str) -> dict[tuple[str | None, str], int]:
    """Held contributions per (quartier or None for the département, theme or TOUS_THEMES)."""
    held = (Rencontre.campaign_id == campaign_id, Rencontre.statut == StatutRencontre.TENUE, compte())
    counts: dict[tuple[str | None, str], int] = {}
    per_dep = (
        select(Contribution.theme, func.count(col(Contribution.id)))
        .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
        .where(*held, Rencontre.departement_code == departement_code)
        .group_by(Contribution.theme)
    )
    for theme, n in session.exec(per_dep):
        counts[(None, theme)] = int(n)
    per_qpv = (
        select(RencontreQpv.qpv_code, Contribution.theme, func.count(col(Contribution.id)))
        .join(Rencontre, col(Rencontre.id) == col(RencontreQpv.rencontre_id))
        .join(Contribution, col(Contribution.rencontre_id) == col(Rencontre.id))
        .where(*held, Rencontre.departement_code == departement_code)
        .group_by(RencontreQpv.qpv_code, Contribution.theme)
    )
    for code, theme, n in session.exec(per_qpv):
        counts[(code, theme)] = int(n)
    for (where, _theme), n in list(counts.items()):
        counts[(where, TOUS_THEMES)] = counts.get((where, TOUS_THEMES), 0) + n
    return counts


def publiables(counts: dict[tuple[str | None, str], int]) -> dict[tuple[str | None, str], int]:
    """The cells that may be published, as statistical offices do:
    - primary suppression: no figure under SEUIL_CONTRIBUTIONS;
    - secondary suppression: for each theme (and the total), the département's figure minus
      the published quartier figures must be 0 or at least SEUIL_CONTRIBUTIONS, otherwise a
      hidden figure could be derived by subtraction: the smallest published quartier figure
      is hidden until it holds. If the département's own figure is hidden, the quartiers'
      figures are checked against each other the same way (their sum is never published)."""
    shown = {cell: n for cell, n in counts.items() if n >= SEUIL_CONTRIBUTIONS}
    for theme in {theme for _where, theme in counts}:
        departement = counts.get((None, theme), 0)
        if (None, theme) not in shown:
            continue  # nothing to subtract from
        quartiers = sorted((n, code) for (code, t), n in shown.items() if t == theme and code is not None)
        while quartiers and 0 < departement - sum(n for n, _code in quartiers) < SEUIL_CONTRIBUTIONS:
            _n, code = quartiers.pop(0)
            del shown[(code, theme)]
    return shown


def priorites(
    session: Session, *, departement_code: str | None = None, qpv_code: str | None = None
) -> tuple[pd.DataFrame, int | None]:
    """Themes whose count may be published in the territory (`publiables`: at least
    SEUIL_CONTRIBUTIONS contributions, and no hidden figure derivable by subtraction from
    the département's), most cited first; and the territory's total number of contributions,
    None when it may not be published."""
    campaign = active_campaign(session)
    if qpv_code and not departement_code:
        departement_code = session.exec(select(Qpv.departement_code).where(Qpv.code == qpv_code)).first()
    meetings = (
        select(Contribution.theme, func.count(func.distinct(Contribution.rencontre_id)))
        .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
        .where(Rencontre.campaign_id == campaign.id, Rencontre.statut == StatutRencontre.TENUE, compte())
    )
    query = _in_territory(meetings, departement_code, qpv_code).group_by(Contribution.theme)
    rencontres = {theme: int(n) for theme, n in session.exec(query)}
    shown = publiables(_comptes(session, campaign.id or 0, departement_code or "")) if departement_code else {}
    where = qpv_code or None
    kept = [
        (theme, theme_label(theme), n, int(rencontres.get(theme, 0)))
        for (code, theme), n in shown.items()
        if code == where and theme != TOUS_THEMES
    ]
    frame = pd.DataFrame(kept, columns=PRIORITY_COLUMNS)
    total = shown.get((where, TOUS_THEMES))
    return frame.sort_values(["contributions", "theme"], ascending=[False, True]).reset_index(drop=True), total


def restitution(session: Session, *, departement_code: str) -> dt.date | None:
    """The date of the département's public restitution, once the référent recorded it."""
    campaign = active_campaign(session)
    return session.exec(
        select(col(SyntheseDepartementale.restitution_le)).where(
            SyntheseDepartementale.campaign_id == campaign.id,
            SyntheseDepartementale.departement_code == departement_code,
        )
    ).first()


def syntheses_publiees(session: Session, *, departement_code: str) -> list[tuple[int, int, str, str, int]]:
    """Published versions of the département's synthèse: (id, numero, nom_fichier, type_mime, taille)."""
    campaign = active_campaign(session)
    rows = session.execute(
        sa_select(
            col(SyntheseDocument.id),
            col(SyntheseDocument.numero),
            col(SyntheseDocument.nom_fichier),
            col(SyntheseDocument.type_mime),
            col(SyntheseDocument.taille),
        )
        .where(
            col(SyntheseDocument.campaign_id) == campaign.id,
            col(SyntheseDocument.departement_code) == departement_code,
            col(SyntheseDocument.publie_le).is_not(None),
        )
        .order_by(col(SyntheseDocument.numero).desc())
    )
    return [(int(a), int(b), str(c), str(d), int(e)) for a, b, c, d, e in rows]


def restitution_window(session: Session) -> tuple[dt.date, dt.date]:
    campaign = active_campaign(session)
    return campaign.restitution_debut, campaign.restitution_fin


_LECTEUR_PUBLIC = Actor(email="public@q2030", role=Role.COMMISSION)  # coverage reads: public facts only
CARTE_COLUMNS = ["qpv_code", "qpv_nom", "communes", "statut", "statut_libelle", "detail", "x", "y"]


def carte_quartiers(session: Session, *, departement_code: str, au: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The public map of a département: each quartier (name, communes, status, its first held or
    next planned meeting, position) and the meetings held at commune or EPCI scale with the
    quartiers they covered (q2030.geo). Public facts only: no attendance, no author."""
    status = coverage.qpv_status(session, actor=_LECTEUR_PUBLIC, au=au, departement_code=departement_code)
    points = geo.map_points(status, geo.quartier_positions(session, departement_code=departement_code))
    meetings = geo.map_meetings(geo.rencontres_de_territoire(session, departement_code=departement_code, au=au), points)
    return points[CARTE_COLUMNS], meetings


# --- Wording that follows the date, and the addresses to share ------------------------------


def restitution_sentence(day: dt.date | None, window: tuple[dt.date, dt.date], today: dt.date) -> str:
    """The restitution publique in words, in the tense the date calls for."""
    start, end = (fr_date_long(d) for d in window)
    if day is not None:
        if day < today:
            return f"La restitution publique des propositions a eu lieu le {fr_date_long(day)}."
        if day == today:
            return f"La restitution publique des propositions a lieu aujourd'hui, {fr_date_long(day)}."
        return f"La restitution publique des propositions aura lieu le {fr_date_long(day)}."
    if today > window[1]:
        return (
            f"La restitution publique devait avoir lieu entre le {start} et le {end} ; aucune date n'a été "
            "enregistrée pour ce département."
        )
    if today >= window[0]:
        return f"La restitution publique a lieu entre le {start} et le {end} ; sa date et son lieu seront annoncés ici."
    return f"La restitution publique aura lieu entre le {start} et le {end} ; sa date et son lieu seront annoncés ici."


def meeting_sentence(day: dt.date, today: dt.date) -> str:
    """« a eu lieu le … », « a lieu aujourd'hui », « aura lieu le … »."""
    if day < today:
        return f"a eu lieu le {fr_date(day)}"
    if day == today:
        return "a lieu aujourd'hui"
    return f"aura lieu le {fr_date(day)}"


def share_address(base: str, **query: str) -> str:
    """The public page's full address: `https://hôte/Restitution?dep=93`."""
    params = "&".join(f"{key}={quote(value)}" for key, value in query.items())
    return f"{base.rstrip('/')}/Restitution" + (f"?{params}" if params else "")


def agenda_addresses(base: str, departement_code: str) -> tuple[str, str]:
    """(webcal:// subscription address, https:// address to copy) of the département's feed."""
    https = f"{base.rstrip('/')}/{feeds.url_path(departement_code)}"
    return "webcal://" + https.split("://", 1)[-1], https
