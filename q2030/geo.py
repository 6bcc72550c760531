"""Where things are, for the maps: département outlines, a position for every quartier, and the
meetings held at the scale of a commune or an EPCI with the quartiers they covered.

The outlines and the commune positions ship with the app (`q2030/geodata/`, derived from
Licence Ouverte files by `tools/derive_geo.py`, provenance in `data/README.md`), in one plane
drawn with Altair's "identity" projection: x = longitude x cos(46.5°), y = latitude, the
overseas départements scaled into insets west of the metropolitan map. Nothing is
downloaded and no tile server is needed.

A quartier is placed at the position of its first commune that has one; quartiers sharing a
commune are spread on a small spiral around it so that each stays visible; a quartier whose
communes are all unknown (an imported file with other codes, the fictitious demo list)
sits near the middle of its département.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
from sqlmodel import Session, col, select

from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.db import select_columns
from q2030.formatting import fr_date
from q2030.frontieres import JsonValeur
from q2030.models import Epci, Qpv, QpvCommune, Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre

GEODATA = Path(__file__).resolve().parent / "geodata"
SPIRAL_STEP = 0.011  # plane units (about 1 km) between quartiers of one commune
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


@cache
def _departements() -> dict[str, dict[str, JsonValeur]]:
    collection = json.loads((GEODATA / "departements.json").read_text(encoding="utf-8"))
    return {feature["properties"]["code"]: feature for feature in collection["features"]}


@cache
def _communes() -> dict[str, tuple[float, float]]:
    raw = json.loads((GEODATA / "communes.json").read_text(encoding="utf-8"))
    return {insee: (float(x), float(y)) for insee, (x, y) in raw.items()}


def departement_features(codes: list[str] | None = None) -> list[dict[str, JsonValeur]]:
    """GeoJSON features (properties code, nom) of the given départements, or of all 101."""
    features = _departements()
    wanted = list(features) if codes is None else [c for c in codes if c in features]
    return [features[code] for code in wanted]


def publish_outlines(folder: Path) -> str:
    """Copy the département outlines into `folder` (the browser fetches them from there, once,
    instead of receiving them inline with every run of a page drawing a map); return a digest of
    their content, to put in the URL so that a browser never keeps outlines that have changed.

    The file is replaced atomically, and only when its content differs."""
    content = (GEODATA / "departements.json").read_bytes()
    target = folder / "departements.json"
    if not target.is_file() or target.read_bytes() != content:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".departements-", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, target)
    return hashlib.sha256(content).hexdigest()[:12]


def commune_position(insee: str) -> tuple[float, float] | None:
    return _communes().get(insee)


@cache
def departement_bounds(code: str) -> tuple[float, float, float, float] | None:
    """(x min, y min, x max, y max) of the département's outline."""
    feature = _departements().get(code)
    if feature is None:
        return None
    points = [p for polygon in feature["geometry"]["coordinates"] for p in polygon[0]]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


@cache
def departement_centre(code: str) -> tuple[float, float] | None:
    """The middle of the département's largest outline (its bounding box centre)."""
    feature = _departements().get(code)
    if feature is None:
        return None
    largest = max(feature["geometry"]["coordinates"], key=lambda polygon: len(polygon[0]))
    xs = [p[0] for p in largest[0]]
    ys = [p[1] for p in largest[0]]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def spread(centre: tuple[float, float], index: int) -> tuple[float, float]:
    """The index-th point of a sunflower spiral around `centre` (index 0 is the centre)."""
    if index == 0:
        return centre
    radius = SPIRAL_STEP * math.sqrt(index)
    angle = index * GOLDEN_ANGLE
    return round(centre[0] + radius * math.cos(angle), 4), round(centre[1] + radius * math.sin(angle), 4)


def quartier_positions(session: Session, *, departement_code: str) -> pd.DataFrame:
    """qpv_code, departement_code, x, y of every quartier of the campaign's geography in the département."""
    geographie = active_campaign(session).geographie
    rows = session.exec(
        select(Qpv.code, Qpv.departement_code)
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .order_by(col(Qpv.code))
    ).all()
    return qpv_positions(session, pd.DataFrame(rows, columns=["qpv_code", "departement_code"]))


def qpv_positions(session: Session, quartiers: pd.DataFrame) -> pd.DataFrame:
    """`quartiers` (columns qpv_code, departement_code) with x, y added: see the module doc."""
    codes = [str(code) for code in quartiers["qpv_code"]]
    communes: dict[str, list[str]] = {}
    for qpv_code, insee in session.exec(
        select(QpvCommune.qpv_code, QpvCommune.insee)
        .where(col(QpvCommune.qpv_code).in_(codes))
        .order_by(col(QpvCommune.qpv_code), col(QpvCommune.insee))
    ):
        communes.setdefault(qpv_code, []).append(insee)
    placed: dict[tuple[float, float], int] = {}
    xs: list[float | None] = []
    ys: list[float | None] = []
    for qpv_code, dep in zip(quartiers["qpv_code"], quartiers["departement_code"], strict=True):
        known = [p for p in (commune_position(i) for i in communes.get(qpv_code, [])) if p is not None]
        centre = known[0] if known else departement_centre(str(dep))
        if centre is None:
            xs.append(None)
            ys.append(None)
            continue
        x, y = spread(centre, placed.get(centre, 0))
        placed[centre] = placed.get(centre, 0) + 1
        xs.append(x)
        ys.append(y)
    return quartiers.assign(x=xs, y=ys)


def rencontres_de_territoire(session: Session, *, departement_code: str, au: dt.date) -> pd.DataFrame:
    """Meetings held or planned at the scale of a commune or an EPCI that cover quartiers of the
    département, one row per (meeting, quartier covered): rencontre_id, date, statut
    ("tenue" when held on or before `au`, else "prevue"), perimetre, territoire (its name), qpv_code.

    Cancelled meetings are left out, as in every coverage figure."""
    campaign_id = active_campaign(session).id
    rows = session.exec(
        select_columns(
            Rencontre.id,
            Rencontre.date,
            Rencontre.statut,
            Rencontre.perimetre,
            Rencontre.commune_nom,
            Epci.nom,
            RencontreQpv.qpv_code,
        )
        .join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
        .outerjoin(Epci, col(Epci.siren) == col(Rencontre.epci_siren))
        .where(
            col(Rencontre.campaign_id) == campaign_id,
            col(Rencontre.statut) != StatutRencontre.ANNULEE,
            compte(),
            col(Rencontre.perimetre) != "quartier",
            col(RencontreQpv.direct) == False,  # noqa: E712
            col(RencontreQpv.qpv_code).in_(select(Qpv.code).where(Qpv.departement_code == departement_code)),
        )
        .order_by(col(Rencontre.date), col(Rencontre.id), col(RencontreQpv.qpv_code))
    ).all()
    frame = pd.DataFrame(
        [
            {
                "rencontre_id": rid,
                "date": day,
                "statut": "tenue" if statut == StatutRencontre.TENUE and day <= au else "prevue",
                "perimetre": perimetre,
                "territoire": (commune if perimetre == "commune" else epci) or "",
                "qpv_code": qpv,
            }
            for rid, day, statut, perimetre, commune, epci, qpv in rows
        ],
        columns=["rencontre_id", "date", "statut", "perimetre", "territoire", "qpv_code"],
    )
    return frame


# --- What the quartiers map draws (plain frames, also the table beside it) ---------------


def map_points(status: pd.DataFrame, positions: pd.DataFrame) -> pd.DataFrame:
    """The quartiers of `status` (coverage.qpv_status columns) with their position and a
    sentence on their meetings ("Première rencontre tenue le 14/06/2023")."""
    points = status.merge(positions[["qpv_code", "x", "y"]], on="qpv_code", how="left")
    details = []
    for first, planned in zip(points["premiere_rencontre"], points["prochaine_prevue"], strict=True):
        if isinstance(first, dt.date):
            details.append(f"Première rencontre tenue le {fr_date(first)}")
        elif isinstance(planned, dt.date):
            details.append(f"Rencontre prévue le {fr_date(planned)}")
        else:
            details.append("Aucune rencontre")
    return points.assign(detail=details)


def map_meetings(meetings: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """One row per (commune/EPCI meeting, quartier covered): the meeting's diamond sits at the
    middle of the quartiers it covered (x, y), its line goes to each of them (x2, y2)."""
    columns = ["rencontre", "libelle", "quartiers", "qpv_code", "x", "y", "x2", "y2"]
    if meetings.empty:
        return pd.DataFrame(columns=columns)
    placed = meetings.merge(
        points[["qpv_code", "x", "y"]].rename(columns={"x": "x2", "y": "y2"}), on="qpv_code", how="inner"
    ).dropna(subset=["x2", "y2"])
    if placed.empty:
        return pd.DataFrame(columns=columns)
    grouped = placed.groupby("rencontre_id")
    placed["x"] = grouped["x2"].transform("mean").round(4)
    placed["y"] = grouped["y2"].transform("mean").round(4)
    placed["quartiers"] = grouped["qpv_code"].transform("count")
    placed["rencontre"] = placed["rencontre_id"]
    placed["libelle"] = [
        f"{'Tenue' if statut == 'tenue' else 'Prévue'} le {fr_date(day)}, "
        f"{'commune' if perimetre == 'commune' else 'intercommunalité'} : {territoire}"
        for statut, day, perimetre, territoire in zip(
            placed["statut"], placed["date"], placed["perimetre"], placed["territoire"], strict=True
        )
    ]
    return placed[columns].reset_index(drop=True)
