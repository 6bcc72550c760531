"""Données ouvertes: the published, aggregated data as CSV files with a Frictionless data package.

`python -m q2030 export-donnees-ouvertes DOSSIER` and the download of the national page
write the same files (UTF-8, comma-separated, ISO dates: the data.gouv.fr habits):

- rencontres.csv — every rencontre of the active campaign without personal data (no notes,
  no author, no e-mail, no cancellation reason), with its count of published comptes rendus;
- couverture_qpv.csv — the coverage status of every QPV today;
- priorites_departements.csv / priorites_qpv.csv — contributions per theme of the held
  rencontres, a row only from `public.SEUIL_CONTRIBUTIONS` contributions (never a text);
- engagements.csv — the engagements and their milestones (public by nature).

User text (places, titles, public texts) goes through `safe_text.csv_cell`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030 import agenda, clock, coverage, engagements
from q2030.access import SYSTEM
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.frontieres import Cellule, ObjetJson
from q2030.models import Contribution, Document, Rencontre, RencontreQpv
from q2030.nomenclature import (
    FORMATS,
    PERIMETRES,
    STATUTS_ENGAGEMENT,
    STATUTS_RENCONTRE,
    TYPES_LIEU,
    StatutRencontre,
    label,
    theme_label,
)
from q2030.public import SEUIL_CONTRIBUTIONS
from q2030.safe_text import csv_cell

Field = tuple[str, str, str]  # name, Frictionless type, French description

RESOURCES: dict[str, tuple[str, list[Field]]] = {
    "rencontres": (
        "Rencontres publiques de la campagne (sans donnée personnelle)",
        [
            ("id", "integer", "Identifiant stable de la rencontre"),
            ("departement_code", "string", "Code du département"),
            ("departement", "string", "Nom du département"),
            ("date", "date", "Date de la rencontre"),
            ("heure_debut", "time", "Heure de début (heure locale)"),
            ("heure_fin", "time", "Heure de fin (heure locale)"),
            ("statut", "string", "Prévue, tenue ou annulée"),
            ("format", "string", "Format de la rencontre"),
            ("type_lieu", "string", "Type de lieu"),
            ("lieu", "string", "Lieu"),
            ("perimetre", "string", "Quartiers, commune ou intercommunalité"),
            ("pour", "string", "Quartiers, commune ou intercommunalité concernés"),
            ("qpv_codes", "string", "Codes des QPV couverts, séparés par « | »"),
            ("participants", "integer", "Nombre de participants"),
            ("comptes_rendus_publies", "integer", "Nombre de comptes rendus publiés"),
        ],
    ),
    "couverture_qpv": (
        "Couverture de chaque quartier prioritaire par une rencontre tenue",
        [
            ("qpv_code", "string", "Code du QPV"),
            ("qpv_nom", "string", "Nom du QPV"),
            ("departement_code", "string", "Code du département"),
            ("statut", "string", "Code du statut de couverture"),
            ("statut_libelle", "string", "Statut de couverture"),
            ("couverture", "string", "Directe (rencontre du quartier) ou indirecte (commune, EPCI)"),
            ("premiere_rencontre", "date", "Date de la première rencontre tenue"),
            ("prochaine_prevue", "date", "Date de la prochaine rencontre prévue"),
            ("rencontres_tenues", "integer", "Nombre de rencontres tenues"),
        ],
    ),
    "priorites_departements": (
        f"Contributions par thème et par département (thèmes cités au moins {SEUIL_CONTRIBUTIONS} fois)",
        [
            ("departement_code", "string", "Code du département"),
            ("theme", "string", "Code du thème"),
            ("theme_libelle", "string", "Thème"),
            ("contributions", "integer", "Nombre de contributions"),
            ("rencontres", "integer", "Nombre de rencontres tenues qui citent le thème"),
        ],
    ),
    "priorites_qpv": (
        f"Contributions par thème et par QPV (thèmes cités au moins {SEUIL_CONTRIBUTIONS} fois)",
        [
            ("qpv_code", "string", "Code du QPV"),
            ("theme", "string", "Code du thème"),
            ("theme_libelle", "string", "Thème"),
            ("contributions", "integer", "Nombre de contributions des rencontres couvrant le QPV"),
            ("rencontres", "integer", "Nombre de rencontres tenues qui citent le thème"),
        ],
    ),
    "engagements": (
        "Engagements pris après la consultation (« ce que nous avons fait de votre parole »)",
        [
            ("id", "integer", "Identifiant de l'engagement"),
            ("departement_code", "string", "Code du département"),
            ("titre", "string", "Titre"),
            ("statut", "string", "Prévu, engagé, réalisé ou abandonné"),
            ("date_debut", "date", "Date de début"),
            ("date_fin", "date", "Date de fin"),
            ("themes", "string", "Thèmes auxquels il répond, séparés par « | »"),
            ("qpv_codes", "string", "Codes des QPV concernés, séparés par « | »"),
            ("texte_public", "string", "Texte public"),
            ("jalons", "string", "Jalons « AAAA-MM-JJ : étape », séparés par « | »"),
        ],
    ),
}


def _cell(value: Cellule) -> Cellule:
    if value is None:
        return ""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_cell(value)


def _rencontres(session: Session) -> list[list[Cellule]]:
    campaign = active_campaign(session)
    codes = (
        select(func.aggregate_strings(col(RencontreQpv.qpv_code), "|"))
        .where(col(RencontreQpv.rencontre_id) == col(Rencontre.id))
        .scalar_subquery()
    )
    published = (
        select(func.count(col(Document.id)))
        .where(col(Document.rencontre_id) == col(Rencontre.id), col(Document.publie_le).is_not(None))
        .scalar_subquery()
    )
    query = (
        agenda.public_query(codes.label("qpv_codes"), col(Rencontre.participants), published.label("publies"))
        .where(col(Rencontre.campaign_id) == campaign.id, compte())
        .order_by(col(Rencontre.departement_code), col(Rencontre.date), col(Rencontre.id))
    )
    out = []
    for r in session.exec(query):
        row = dict(zip([*agenda.AGENDA_COLUMNS, "qpv_codes", "participants", "publies"], r, strict=True))
        out.append(
            [
                row["id"],
                row["departement_code"],
                row["departement"],
                row["date"],
                row["heure_debut"],
                row["heure_fin"],
                label(STATUTS_RENCONTRE, row["statut"]),
                label(FORMATS, row["format"]),
                label(TYPES_LIEU, row["type_lieu"]),
                row["lieu"],
                label(PERIMETRES, row["perimetre"]),
                agenda.where(row),
                "|".join(sorted((row["qpv_codes"] or "").split("|"))) if row["qpv_codes"] else "",
                row["participants"],
                int(row["publies"] or 0),
            ]
        )
    return out


def _couverture(session: Session, today: dt.date) -> list[list[Cellule]]:
    frame = coverage.qpv_status(session, actor=SYSTEM, au=today)
    names = [name for name, _, _ in RESOURCES["couverture_qpv"][1]]
    rows: list[list[Cellule]] = frame[names].astype(object).where(frame[names].notna(), None).values.tolist()
    return rows


def _priorites(session: Session, by_qpv: bool) -> list[list[Cellule]]:
    campaign = active_campaign(session)
    key = RencontreQpv.qpv_code if by_qpv else Rencontre.departement_code
    query = (
        select(key, Contribution.theme, func.count(col(Contribution.id)), func.count(func.distinct(Rencontre.id)))
        .select_from(Contribution)
        .join(Rencontre, col(Rencontre.id) == col(Contribution.rencontre_id))
        .where(Rencontre.campaign_id == campaign.id, Rencontre.statut == StatutRencontre.TENUE, compte())
    )
    if by_qpv:
        query = query.join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
    query = (
        query.group_by(key, Contribution.theme)
        .having(func.count(col(Contribution.id)) >= SEUIL_CONTRIBUTIONS)
        .order_by(key, func.count(col(Contribution.id)).desc(), Contribution.theme)
    )
    return [[code, theme, theme_label(theme), int(n), int(m)] for code, theme, n, m in session.exec(query)]


def _engagements(session: Session) -> list[list[Cellule]]:
    frame = engagements.list_engagements(session)
    return [
        [
            row.id,
            row.departement_code,
            row.titre,
            label(STATUTS_ENGAGEMENT, row.statut),
            row.date_debut,
            row.date_fin,
            "|".join(row.themes),
            "|".join(row.quartiers),
            row.texte_public,
            " | ".join(f"{j['date']} : {j['texte']}" if j["date"] else j["texte"] for j in row.jalons),
        ]
        for row in frame.itertuples()
    ]


def tables(session: Session, today: dt.date | None = None) -> dict[str, list[list[Cellule]]]:
    today = today or clock.today()
    return {
        "rencontres": _rencontres(session),
        "couverture_qpv": _couverture(session, today),
        "priorites_departements": _priorites(session, by_qpv=False),
        "priorites_qpv": _priorites(session, by_qpv=True),
        "engagements": _engagements(session),
    }


def _csv(fields: list[Field], rows: list[list[Cellule]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _, _ in fields])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def descriptor(campaign_name: str, today: dt.date) -> ObjetJson:
    return {
        "name": "quartiers-2030-concertation",
        "title": f"Quartiers 2030 — {campaign_name} : rencontres, couverture, priorités, engagements",
        "description": (
            "Données publiées de la concertation des habitants des quartiers prioritaires de la politique de la "
            f"ville. Agrégats de priorités à partir de {SEUIL_CONTRIBUTIONS} contributions par thème et par "
            "territoire ; aucune donnée personnelle, aucun texte de contribution."
        ),
        "licenses": [
            {
                "name": "etalab-2.0",
                "title": "Licence Ouverte / Open Licence version 2.0",
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            }
        ],
        "created": f"{today.isoformat()}T00:00:00Z",
        "resources": [
            {
                "name": name.replace("_", "-"),
                "path": f"{name}.csv",
                "title": title,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": field, "type": kind, "description": text} for field, kind, text in fields],
                    "missingValues": [""],
                },
            }
            for name, (title, fields) in RESOURCES.items()
        ],
    }


def files(session: Session, today: dt.date | None = None) -> dict[str, bytes]:
    """File name -> content: the CSV files and datapackage.json."""
    today = today or clock.today()
    data = tables(session, today)
    out = {f"{name}.csv": _csv(fields, data[name]) for name, (_, fields) in RESOURCES.items()}
    out["datapackage.json"] = json.dumps(
        descriptor(active_campaign(session).nom, today), ensure_ascii=False, indent=2
    ).encode("utf-8")
    return out


def write(session: Session, folder: Path, today: dt.date | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files(session, today).items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    return written


def zip_bytes(session: Session, today: dt.date | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files(session, today).items():
            archive.writestr(name, content)
    return buffer.getvalue()
