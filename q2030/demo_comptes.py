"""Demo accounts for every role, and local organisers with declared and validated meetings.

After `load_demo` (the CLI `demo` and the welcome page's button), so that relances, the
référent's queue « À valider » and sign-in can be shown on a fresh install. The emails are
those of the demo sign-in (q2030.ui.shell): référent.93@demo.gouv.fr, sgar.11@demo.gouv.fr,
commission@demo.gouv.fr, admin@demo.gouv.fr, organisateur.93@demo.example.org…
Every write goes through the services (accounts, declarations, contributions, validation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NotRequired, TypedDict

from sqlmodel import Session, col, select

from q2030 import clock
from q2030.access import Actor
from q2030.campaigns import active_campaign
from q2030.contributions import LigneContribution, replace_contributions
from q2030.models import Qpv, User
from q2030.nomenclature import Role
from q2030.referentiel import DEPARTEMENTS, REGIONS
from q2030.rencontres.ecriture import create_rencontre
from q2030.rencontres.saisie import SaisieRencontre
from q2030.users import add_user
from q2030.validation import valider

DEMO_DEPARTEMENT = "93"
# (email, organisation, type): the first is the demo sign-in's organiser (ui.shell.DEMO_ORGANISATION).
ORGANISATEURS = [
    ("organisateur.93@demo.example.org", "Centre social Les Tilleuls", "centre_social"),
    ("voisins.93@demo.example.org", "Association Voisins solidaires", "association"),
    ("politique-de-la-ville.93@demo.example.org", "Commune — équipe politique de la ville", "commune"),
]
CONTRIBUTIONS: list[LigneContribution] = [
    {"axe": "changements", "theme": "securite", "texte": "Plus d'éclairage sur le chemin de l'école", "rang": 1},
    {"axe": "changements", "theme": "education", "texte": "Un lieu pour faire les devoirs le soir", "rang": 2},
    {"axe": "ressources", "theme": "culture", "texte": "Les animateurs de la médiathèque", "rang": 1},
    {"axe": "projets", "theme": "logement", "texte": "Rénover les halls et les ascenseurs", "rang": 1},
    {"axe": "solutions", "theme": "emploi", "texte": "Un forum de l'emploi au pied des immeubles", "rang": 1},
]


@dataclass
class ComptesReport:
    comptes: int = 0
    declarees: int = 0
    validees: int = 0


class _Compte(TypedDict):
    """The keyword arguments of `users.add_user` a demo account gives."""

    email: str
    role: str
    nom: str
    departement_code: NotRequired[str]
    region_code: NotRequired[str]
    organisation: NotRequired[str]
    organisation_type: NotRequired[str]


def _exists(session: Session, email: str) -> bool:
    return session.exec(select(User.id).where(User.email == email)).first() is not None


def load_comptes(session: Session, *, actor: Actor) -> ComptesReport:
    """Create the demo accounts (those missing) and the organisers' meetings of the 93."""
    report = ComptesReport()
    deps = sorted(set(session.exec(select(Qpv.departement_code))))
    accounts: list[_Compte] = [
        {"email": "admin@demo.gouv.fr", "role": Role.ADMIN, "nom": "Administrateur (démo)"},
        {"email": "commission@demo.gouv.fr", "role": Role.COMMISSION, "nom": "Commission (démo)"},
    ]
    accounts += [
        {"email": f"referent.{d.lower()}@demo.gouv.fr", "role": Role.REFERENT, "departement_code": d,
         "nom": f"Référent {DEPARTEMENTS[d][0]} (démo)"}
        for d in deps if d in DEPARTEMENTS
    ]  # fmt: skip
    accounts += [
        {"email": f"sgar.{r}@demo.gouv.fr", "role": Role.PREFET_REGION, "region_code": r,
         "nom": f"SGAR {REGIONS[r]} (démo)"}
        for r in sorted({DEPARTEMENTS[d][1] for d in deps if d in DEPARTEMENTS})
    ]  # fmt: skip
    dep = DEMO_DEPARTEMENT if DEMO_DEPARTEMENT in deps else (deps[0] if deps else None)
    if dep is None:
        return report
    for email, organisation, kind in ORGANISATEURS:
        accounts.append(
            {"email": email.replace(".93@", f".{dep.lower()}@"), "role": Role.ORGANISATEUR, "departement_code": dep,
             "organisation": organisation, "organisation_type": kind, "nom": f"{organisation} (démo)"}
        )  # fmt: skip
    for account in accounts:
        if not _exists(session, account["email"]):
            add_user(session, actor=actor, **account)
            report.comptes += 1
    _meetings(session, dep, report)
    return report


def _meetings(session: Session, dep: str, report: ComptesReport) -> None:
    """Per organiser: a held meeting validated with its contributions, a held meeting declared
    and waiting, a planned one waiting (the référent's queue)."""
    campaign = active_campaign(session)
    qpv = list(session.exec(select(Qpv.code).where(Qpv.departement_code == dep).order_by(col(Qpv.code))))
    if not qpv:
        return
    referent = Actor(email=f"referent.{dep.lower()}@demo.gouv.fr", role=Role.REFERENT, departement_code=dep)
    held_day = min(campaign.rencontres_echeance - dt.timedelta(days=20), clock.today() - dt.timedelta(days=10))
    for number, (email, organisation, _kind) in enumerate(ORGANISATEURS):
        organiser = Actor(
            email=email.replace(".93@", f".{dep.lower()}@"),
            role=Role.ORGANISATEUR,
            departement_code=dep,
            organisation=organisation,
        )
        for step, (statut, day, validate) in enumerate(
            [
                ("tenue", held_day - dt.timedelta(days=3 * number), True),
                ("tenue", held_day + dt.timedelta(days=2 + number), False),
                ("prevue", campaign.rencontres_echeance - dt.timedelta(days=2 + number), False),
            ]
        ):
            data: SaisieRencontre = {
                "departement_code": dep,
                "statut": statut,
                "date": day,
                "heure_debut": "18:00",
                "lieu": f"{organisation} — salle {step + 1}",
                "perimetre": "quartier",
                "qpv_codes": [qpv[(number * 3 + step) % len(qpv)]],
                "type_lieu": "centre_social" if "Centre" in organisation else "association",
                "format": "reunion_publique",
                "participants": 25 + number * 5 if statut == "tenue" else None,
                "femmes": 14 if statut == "tenue" else None,
                "jeunes": 6 if statut == "tenue" else None,
            }
            rencontre = create_rencontre(session, actor=organiser, data=data, allow_duplicate=True)
            report.declarees += 1
            if statut == "tenue":
                replace_contributions(session, actor=organiser, rencontre_id=rencontre.id or 0, rows=CONTRIBUTIONS)
            if validate:
                session.refresh(rencontre)
                valider(session, actor=referent, rencontre_id=rencontre.id or 0, version=rencontre.version)
                report.validees += 1
