"""Public agenda of upcoming rencontres and its iCalendar export (RFC 5545).

Times are local to the rencontre's département: Europe/Paris in metropolitan France, the
overseas zones for 971-976 (a meeting at 18:00 in La Réunion is 18:00 there).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from q2030 import clock
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.db import select_columns
from q2030.errors import IntrouvableError
from q2030.frontieres import CelluleBrute, LigneSql, ValeurSql
from q2030.models import Departement, Epci, Qpv, Rencontre, RencontreQpv
from q2030.nomenclature import FORMATS, ORGANISATEURS, STATUTS_RENCONTRE, TYPES_LIEU, Perimetre, StatutRencontre, label

# TZID, standard offset, name; overseas zones have no daylight saving time.
OVERSEAS_ZONES: dict[str, tuple[str, str, str]] = {
    "971": ("America/Guadeloupe", "-0400", "AST"),
    "972": ("America/Martinique", "-0400", "AST"),
    "973": ("America/Cayenne", "-0300", "-03"),
    "974": ("Indian/Reunion", "+0400", "+04"),
    "976": ("Indian/Mayotte", "+0300", "EAT"),
}
PARIS_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Paris",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]
AGENDA_COLUMNS = [
    "id",
    "version",
    "departement_code",
    "departement",
    "date",
    "heure_debut",
    "heure_fin",
    "lieu",
    "adresse",
    "type_lieu",
    "format",
    "perimetre",
    "commune_nom",
    "epci",
    "quartiers",
    "organisateurs",
    "statut",
    "modifie_le",
    "communes",  # the communes of its quartiers ("Bobigny, Pantin"), for the .ics LOCATION
]


def _query(*extra: ValeurSql) -> Select[*LigneSql]:
    names = (
        select(func.aggregate_strings(col(Qpv.nom), ", "))
        .join(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
        .where(col(RencontreQpv.rencontre_id) == col(Rencontre.id), RencontreQpv.direct)
        .scalar_subquery()
    )
    communes = (
        select(func.aggregate_strings(col(Qpv.communes_label), ", "))
        .join(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
        .where(col(RencontreQpv.rencontre_id) == col(Rencontre.id), RencontreQpv.direct)
        .scalar_subquery()
    )
    return (
        select_columns(
            Rencontre.id,
            Rencontre.version,
            Rencontre.departement_code,
            Departement.nom,
            Rencontre.date,
            Rencontre.heure_debut,
            Rencontre.heure_fin,
            Rencontre.lieu,
            Rencontre.adresse,
            Rencontre.type_lieu,
            Rencontre.format,
            Rencontre.perimetre,
            Rencontre.commune_nom,
            Epci.nom,
            names.label("quartiers"),
            Rencontre.organisateurs,
            Rencontre.statut,
            Rencontre.modifie_le,
            communes.label("communes"),
            *extra,
        )
        .join(Departement, col(Departement.code) == col(Rencontre.departement_code))
        .outerjoin(Epci, col(Epci.siren) == col(Rencontre.epci_siren))
        .where(compte())  # a meeting awaiting validation is not announced
    )


def public_query(*extra: ValeurSql) -> Select[*LigneSql]:
    """The agenda's select (columns AGENDA_COLUMNS, then `extra` columns), for the public reads
    to filter further."""
    return _query(*extra)


def upcoming_rencontres(
    session: Session, *, actor: Actor, departement_code: str | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Planned rencontres from `today` on, by département then date. Public for every role."""
    del actor  # public information: every signed-in role reads the agenda
    campaign = active_campaign(session)
    query = _query().where(
        col(Rencontre.statut) == StatutRencontre.PREVUE,
        col(Rencontre.date) >= (today or clock.today()),
        col(Rencontre.campaign_id) == campaign.id,
    )
    if departement_code:
        query = query.where(col(Rencontre.departement_code) == departement_code)
    query = query.order_by(
        col(Rencontre.departement_code), col(Rencontre.date), col(Rencontre.heure_debut), col(Rencontre.id)
    )
    return pd.DataFrame([tuple(r) for r in session.exec(query)], columns=AGENDA_COLUMNS)


def ics(
    session: Session,
    *,
    actor: Actor,
    rencontre_id: int | None = None,
    departement_code: str | None = None,
    today: dt.date | None = None,
) -> bytes:
    """One rencontre (any status; cancelled ones say so) or every upcoming one."""
    if rencontre_id is not None:
        frame = pd.DataFrame(
            [tuple(r) for r in session.exec(_query().where(col(Rencontre.id) == rencontre_id))], columns=AGENDA_COLUMNS
        )
        if frame.empty:
            raise IntrouvableError(f"La rencontre n° {rencontre_id} n'existe pas (ou plus).")
    else:
        frame = upcoming_rencontres(session, actor=actor, departement_code=departement_code, today=today)
    return calendar(frame.to_dict("records"))


def calendar(rows: Sequence[Mapping[str, CelluleBrute]], *, name: str = "Rencontres Quartiers 2030") -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Quartiers 2030//Suivi des concertations//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    zones = {_zone(row["departement_code"]) for row in rows if row["heure_debut"] is not None}
    for zone in sorted(zones):
        lines.extend(_vtimezone(zone))
    for row in rows:
        lines.extend(_event(row))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def _zone(departement_code: str) -> str:
    return OVERSEAS_ZONES[departement_code][0] if departement_code in OVERSEAS_ZONES else "Europe/Paris"


def _vtimezone(zone: str) -> list[str]:
    if zone == "Europe/Paris":
        return PARIS_VTIMEZONE
    offset, name = next((o, n) for z, o, n in OVERSEAS_ZONES.values() if z == zone)
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{zone}",
        "BEGIN:STANDARD",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        f"TZNAME:{name}",
        "DTSTART:19700101T000000",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def _event(row: Mapping[str, CelluleBrute]) -> list[str]:
    day: dt.date = row["date"]
    start: dt.time | None = row["heure_debut"]
    end: dt.time | None = row["heure_fin"]
    stamp: dt.datetime = row["modifie_le"]
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    lines = [
        "BEGIN:VEVENT",
        f"UID:rencontre-{row['id']}@quartiers2030",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%S}Z",
        f"SEQUENCE:{max(0, int(row['version']) - 1)}",
    ]
    if start is None:
        lines.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}")
        lines.append(f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}")
    else:
        zone = _zone(row["departement_code"])
        lines.append(f"DTSTART;TZID={zone}:{dt.datetime.combine(day, start):%Y%m%dT%H%M%S}")
        if end is not None:
            lines.append(f"DTEND;TZID={zone}:{dt.datetime.combine(day, end):%Y%m%dT%H%M%S}")
    lines.append(f"SUMMARY:{escape('Rencontre Quartiers 2030 – ' + where(row))}")
    location = ", ".join(part for part in (row["lieu"], row["adresse"], commune_text(row)) if part)
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    description = [
        f"Format : {label(FORMATS, row['format'])}",
        f"Lieu : {label(TYPES_LIEU, row['type_lieu'])}",
        f"Département : {row['departement']} ({row['departement_code']})",
    ]
    if row["organisateurs"]:
        description.append("Organisé par : " + ", ".join(label(ORGANISATEURS, c) for c in row["organisateurs"]))
    if row["statut"] != StatutRencontre.PREVUE:
        description.append(f"Statut : {label(STATUTS_RENCONTRE, row['statut'])}")
    lines.append(f"DESCRIPTION:{escape(chr(10).join(description))}")
    lines.append("STATUS:CANCELLED" if row["statut"] == StatutRencontre.ANNULEE else "STATUS:CONFIRMED")
    lines.append("END:VEVENT")
    return lines


def where(row: Mapping[str, CelluleBrute]) -> str:
    """Who the rencontre is for: its quartiers, or the commune / EPCI."""
    if row["perimetre"] == Perimetre.COMMUNE and row["commune_nom"]:
        return f"commune de {row['commune_nom']}"
    if row["perimetre"] == Perimetre.EPCI and row["epci"]:
        return str(row["epci"])
    return str(row["quartiers"] or "") or "quartiers prioritaires"


def commune_text(row: Mapping[str, CelluleBrute]) -> str:
    """The communes where the rencontre is, for LOCATION: the rencontre's commune, else
    those of its quartiers (each once); "" when the address already names them."""
    names = [row["commune_nom"]] if row.get("commune_nom") else []
    for name in str(row.get("communes") or "").split(", "):
        if name and name not in names:
            names.append(name)
    address = f"{row.get('lieu') or ''} {row.get('adresse') or ''}".casefold()
    missing = [name for name in names if name.casefold() not in address]
    return ", ".join(missing)


def escape(text: str) -> str:
    """TEXT value escaping of RFC 5545 §3.3.11."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued by CRLF + space, never inside a character."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, 74  # the leading space counts
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)
