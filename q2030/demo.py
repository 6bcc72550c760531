"""Believable demo campaign, deterministic for a seed.

Writes in bulk (Core inserts, not one service call per row) so that the national scale
used by the benchmark (250,000 contributions, or 2.5 million) is built in minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, text
from sqlmodel import Session, col, select

from q2030 import audit, clock, cube
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.campaigns import active_campaign
from q2030.db import analyser
from q2030.demo_texts import LIEUX, NOMS_FICTIFS, TEXTES
from q2030.errors import ValidationError
from q2030.formatting import add_months
from q2030.frontieres import ValeurSql
from q2030.models import (
    Campaign,
    Contribution,
    Epci,
    Qpv,
    QpvCommune,
    QpvEpci,
    Rencontre,
    RencontreQpv,
    SyntheseDepartementale,
)
from q2030.nomenclature import AXES, FORMATS, ORGANISATEURS, PUBLICS, THEMES, Perimetre, StatutRencontre
from q2030.qpv_import import import_qpv
from q2030.referentiel import DEPARTEMENTS
from q2030.textnorm import normalize

# Scale name: (rencontres, contributions in all, spread over the held rencontres)
SCALES: dict[str, tuple[int, int]] = {
    "campagne": (531, 4_000),
    "national": (5_000, 250_000),
    "x10": (50_000, 2_500_000),
}
# Theme weights: security first, then education, then housing (public figures, 2024).
THEME_WEIGHTS: dict[str, float] = {code: 3.0 for code in THEMES}
THEME_WEIGHTS.update({"securite": 16.0, "education": 12.0, "logement": 9.5, "emploi": 6.0, "sante": 5.0})
BATCH = 20_000
Progress = Callable[[float, str], None]


@dataclass
class DemoReport:
    qpv: int = 0
    rencontres: int = 0
    contributions: int = 0
    by_statut: dict[str, int] = field(default_factory=dict)


def fictional_qpv_csv(rng: random.Random) -> bytes:
    """A clearly labelled fictional QPV list, spread over the 101 real départements."""
    lines = ["code_qp;lib_qp;insee_com;lib_com"]
    for dep in DEPARTEMENTS:
        dep3 = dep if len(dep) == 3 else f"0{dep}"
        for number in range(1, rng.randint(3, 25)):
            name = f"{rng.choice(NOMS_FICTIFS)} {number} (fictif)"
            commune = f"{dep}{rng.randint(1, 60):03d}" if len(dep) == 2 else f"{dep}{rng.randint(1, 30):02d}"
            lines.append(f"QN{dep3}{number:02d}N;{name};{commune};Commune fictive {commune}")
    return "\n".join(lines).encode()


def load_demo(
    session: Session,
    *,
    actor: Actor,
    qpv_file: Path | None = None,
    seed: int = 2023,
    scale: str = "campagne",
    progress: Progress | None = None,
) -> DemoReport:
    """Fill an empty database with a campaign. Refuses a database that has rencontres."""
    exiger(
        actor,
        Action.ADMINISTRER,
        NATIONAL,
        "Seul un administrateur peut charger les données de démonstration.",
    )
    if scale not in SCALES:
        raise ValidationError(f"Échelle inconnue « {scale} » : {', '.join(SCALES)}.")
    if session.exec(select(func.count()).select_from(Rencontre)).one():
        raise ValidationError("La base contient déjà des rencontres : la démonstration se charge dans une base vide.")
    rng = random.Random(seed)
    notify = progress or (lambda _f, _m: None)
    campaign = active_campaign(session)
    notify(0.02, "Import des quartiers…")
    if qpv_file is not None:
        import_qpv(
            session,
            actor=actor,
            content=qpv_file.read_bytes(),
            filename=qpv_file.name,
            geographie=campaign.geographie,
        )
    elif not session.exec(select(func.count()).select_from(Qpv)).one():
        import_qpv(
            session,
            actor=actor,
            content=fictional_qpv_csv(rng),
            filename="quartiers-fictifs.csv",
            geographie=campaign.geographie,
        )
    session.flush()

    qpv_by_dep: dict[str, list[str]] = defaultdict(list)
    for code, dep in session.exec(
        select(Qpv.code, Qpv.departement_code).where(Qpv.geographie == campaign.geographie).order_by(Qpv.code)
    ):
        qpv_by_dep[dep].append(code)
    communes: dict[str, list[tuple[str, str]]] = defaultdict(list)  # qpv -> communes
    qpv_by_commune: dict[str, set[str]] = defaultdict(set)
    for link in session.exec(select(QpvCommune).order_by(col(QpvCommune.qpv_code), col(QpvCommune.insee))):
        communes[link.qpv_code].append((link.insee, link.nom))
        qpv_by_commune[link.insee].add(link.qpv_code)
    qpv_by_epci: dict[str, set[str]] = defaultdict(set)
    epci_of_qpv: dict[str, list[str]] = defaultdict(list)
    for epci_link in session.exec(select(QpvEpci).order_by(col(QpvEpci.qpv_code), col(QpvEpci.epci_siren))):
        qpv_by_epci[epci_link.epci_siren].add(epci_link.qpv_code)
        epci_of_qpv[epci_link.qpv_code].append(epci_link.epci_siren)
    known_epci = set(session.exec(select(Epci.siren)))

    n_rencontres, n_contributions = SCALES[scale]
    deps = sorted(qpv_by_dep)
    weights = [len(qpv_by_dep[d]) for d in deps]
    today = clock.today()
    report = DemoReport(qpv=sum(weights))
    rencontre_rows: list[dict[str, ValeurSql]] = []  # bulk insert parameters
    links: list[dict[str, ValeurSql]] = []
    next_id = (session.exec(select(func.max(Rencontre.id))).one() or 0) + 1
    for index in range(n_rencontres):
        dep = rng.choices(deps, weights)[0]
        row, covered = _rencontre(
            rng,
            campaign,
            dep,
            qpv_by_dep[dep],
            communes,
            epci_of_qpv,
            qpv_by_commune,
            qpv_by_epci,
            known_epci,
            today,
        )
        row["id"] = next_id + index
        rencontre_rows.append(row)
        links.extend(
            {"rencontre_id": row["id"], "qpv_code": code, "direct": direct} for code, direct in covered.items()
        )
        report.by_statut[row["statut"]] = report.by_statut.get(row["statut"], 0) + 1
    notify(0.1, "Enregistrement des rencontres…")
    for start in range(0, len(rencontre_rows), BATCH):
        session.exec(insert(Rencontre), params=rencontre_rows[start : start + BATCH])
    for start in range(0, len(links), BATCH):
        session.exec(insert(RencontreQpv), params=links[start : start + BATCH])
    report.rencontres = len(rencontre_rows)
    if rencontre_rows and session.get_bind().dialect.name == "postgresql":
        # Ids were given explicitly: move the sequence past them, or the next rencontre
        # saved through the form or the Excel import collides with id 1.
        session.connection().execute(
            text("SELECT setval(pg_get_serial_sequence('rencontre', 'id'), (SELECT MAX(id) FROM rencontre))")
        )

    held = [r for r in rencontre_rows if r["statut"] == StatutRencontre.TENUE]
    themes, theme_weights = list(THEME_WEIGHTS), list(THEME_WEIGHTS.values())
    batch: list[dict[str, ValeurSql]] = []
    total_expected = n_contributions
    per_meeting = n_contributions / max(1, len(held))
    for position, rencontre in enumerate(held):
        remaining_meetings = len(held) - position
        left = n_contributions - report.contributions - len(batch)
        # Around the average, but the last meeting takes what is left: the total is exact.
        count = (
            left
            if remaining_meetings == 1
            else max(1, min(left - remaining_meetings + 1, round(rng.gauss(per_meeting, per_meeting / 4))))
        )
        # Each meeting stresses a few themes: draw its own top themes first.
        meeting_themes = rng.choices(themes, theme_weights, k=count)
        for rang, theme in enumerate(meeting_themes, start=1):
            texte = rng.choice(TEXTES[theme])
            batch.append(
                {
                    "rencontre_id": rencontre["id"],
                    "axe": rng.choice(list(AXES)),
                    "theme": theme,
                    "texte": texte,
                    "texte_norm": normalize(texte),
                    "rang": rang,
                    "public": rng.choices(list(PUBLICS), [10, 3, 2, 2, 1, 1, 1])[0],
                    "cree_le": dt.datetime.now(dt.UTC),
                }
            )
        if len(batch) >= BATCH or position == len(held) - 1:
            session.exec(insert(Contribution), params=batch)
            report.contributions += len(batch)
            batch = []
            notify(
                0.1 + 0.85 * min(1.0, report.contributions / total_expected),
                f"Contributions : {report.contributions:,}".replace(",", " "),
            )

    _syntheses(session, rng, campaign.id or 0, deps, campaign)
    notify(0.97, "Agrégats des priorités…")
    cube.reconstruire(session)
    audit.record(session, actor=actor, action="demo", entite="campagne", entite_id=campaign.id or "", apres={
        "graine": seed, "echelle": scale, "rencontres": report.rencontres, "contributions": report.contributions,
    })  # fmt: skip
    session.flush()
    analyser(session.connection())  # a database filled in one go: the planner's statistics of every table
    notify(1.0, "Démonstration chargée.")
    return report


def _rencontre(
    rng: random.Random,
    campaign: Campaign,
    dep: str,
    dep_qpv: list[str],
    communes: dict[str, list[tuple[str, str]]],
    epci_of_qpv: dict[str, list[str]],
    qpv_by_commune: dict[str, set[str]],
    qpv_by_epci: dict[str, set[str]],
    known_epci: set[str],
    today: dt.date,
) -> tuple[dict[str, ValeurSql], dict[str, bool]]:
    roll = rng.random()
    if roll < 0.06:
        statut, date = StatutRencontre.PREVUE, today + dt.timedelta(days=rng.randint(1, 60))
    elif roll < 0.09:
        statut, date = (
            StatutRencontre.ANNULEE,
            campaign.lancement + dt.timedelta(days=rng.randint(5, 90)),
        )
    else:
        statut = StatutRencontre.TENUE
        late = rng.random() < 0.15  # after the July deadline
        start = (
            campaign.rencontres_echeance + dt.timedelta(days=1) if late else campaign.lancement + dt.timedelta(days=5)
        )
        end = campaign.rencontres_echeance + dt.timedelta(days=60) if late else campaign.rencontres_echeance
        date = start + dt.timedelta(days=rng.randint(0, (end - start).days))
    anchor = rng.choice(dep_qpv)
    scope_roll = rng.random()
    covered: dict[str, bool] = {}
    commune_insee = commune_nom = epci_siren = None
    small_epci = [e for e in epci_of_qpv.get(anchor, []) if e in known_epci and len(qpv_by_epci[e]) <= 6]
    small_commune = communes.get(anchor) and len(qpv_by_commune[communes[anchor][0][0]]) <= 8
    if scope_roll < 0.04 and small_epci:
        perimetre, epci_siren = Perimetre.EPCI, small_epci[0]
        covered = {code: False for code in qpv_by_epci[epci_siren]}
    elif scope_roll < 0.12 and small_commune:
        perimetre, (commune_insee, commune_nom) = Perimetre.COMMUNE, communes[anchor][0]
        covered = {code: False for code in qpv_by_commune[commune_insee]}
    else:
        perimetre = Perimetre.QUARTIER
        covered = {
            code: True
            for code in {
                anchor,
                *rng.sample(dep_qpv, k=min(len(dep_qpv), rng.choice([0, 0, 0, 1]))),
            }
        }
    lieu, type_lieu = rng.choice(LIEUX)
    participants = rng.randint(8, 140) if statut == StatutRencontre.TENUE else None
    share = (lambda p: int(participants * p)) if participants else (lambda p: None)
    sent = None
    accord = share(rng.uniform(0.3, 0.9))
    if statut == StatutRencontre.TENUE:
        due = add_months(date, campaign.synthese_participants_delai_mois)
        chance = rng.random()
        if chance < 0.6:
            sent = date + dt.timedelta(days=rng.randint(3, (due - date).days))
        elif chance < 0.75:
            sent = due + dt.timedelta(days=rng.randint(1, 40))
    start_hour = rng.choice([10, 14, 17, 18, 18, 19])
    return {
        "campaign_id": campaign.id,
        "departement_code": dep,
        "statut": statut,
        "date": date,
        "heure_debut": dt.time(start_hour, 0),
        "heure_fin": dt.time(start_hour + 2, 0),
        "lieu": f"{lieu} {commune_nom or ''}".strip(),
        "adresse": f"{rng.randint(1, 80)} rue de la République",
        "type_lieu": type_lieu,
        "perimetre": perimetre,
        "commune_insee": commune_insee,
        "commune_nom": commune_nom,
        "epci_siren": epci_siren,
        "quartier_hors_qpv": "",
        "organisateurs": rng.sample(list(ORGANISATEURS), k=rng.randint(1, 3)),
        "format": rng.choices(list(FORMATS), [12, 5, 2, 2, 1, 1])[0],
        "participants": participants,
        "femmes": share(rng.uniform(0.4, 0.65)),
        "jeunes": share(rng.uniform(0.1, 0.35)),
        "habitants_qpv": share(rng.uniform(0.5, 0.85)),
        "professionnels": share(rng.uniform(0.05, 0.15)),
        "elus": share(rng.uniform(0.0, 0.05)),
        "publics_precaires": "",
        "representant_etat_present": rng.random() < 0.8,
        "elu_present": rng.random() < 0.85,
        "membre_commission_present": rng.random() < 0.05,
        "plateforme_presentee": rng.random() < 0.6,
        "accessibilite": rng.sample(
            ["pmr", "garde_enfants", "horaire_adapte", "traduction"],
            k=rng.randint(0, 2),
        ),
        "participants_accord_synthese": accord,
        "synthese_envoyee_le": sent,
        "notes": "",
        "motif_annulation": "Salle indisponible" if statut == StatutRencontre.ANNULEE else "",
        "version": 1,
        "cree_le": dt.datetime.now(dt.UTC),
        "cree_par": "demo@q2030",
        "modifie_le": dt.datetime.now(dt.UTC),
        "modifie_par": "demo@q2030",
    }, covered


def _syntheses(session: Session, rng: random.Random, campaign_id: int, deps: list[str], campaign: Campaign) -> None:
    rows: list[dict[str, ValeurSql]] = []
    for dep in deps:
        roll = rng.random()
        row: dict[str, ValeurSql] = {
            "campaign_id": campaign_id, "departement_code": dep, "statut": "brouillon", "notes": "", "version": 1,
            "modifie_le": dt.datetime.now(dt.UTC), "modifie_par": "demo@q2030",
        }  # fmt: skip
        due = campaign.synthese_departementale_echeance
        if roll > 0.25:
            row["statut"] = "transmise_region"
            row["transmise_region_le"] = due - dt.timedelta(days=rng.randint(-5, 20))
        if roll > 0.45:
            row["statut"] = "transmise_commission"
            row["transmise_commission_le"] = row["transmise_region_le"] + dt.timedelta(days=rng.randint(2, 15))
        if roll > 0.7:
            row["statut"] = "restituee"
            row["restitution_le"] = campaign.restitution_debut + dt.timedelta(days=rng.randint(0, 80))
        rows.append(row)
    session.exec(insert(SyntheseDepartementale), params=rows)
