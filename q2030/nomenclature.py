"""Fixed nomenclatures of the consultation: one place for every code and its French label.

Codes are stored in the database (short, stable); labels are shown to users.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache


# Rôles des utilisateurs.
class Role(StrEnum):
    """A user's role: the value stored in `User.role` and carried by `Actor.role`."""

    REFERENT = "referent"
    PREFET_REGION = "prefet_region"
    COMMISSION = "commission"
    ADMIN = "admin"
    ORGANISATEUR = "organisateur"


ROLES: dict[str, str] = {
    Role.REFERENT: "Référent départemental (préfecture)",
    Role.PREFET_REGION: "Préfecture de région",
    Role.COMMISSION: "Commission participation citoyenne / ANCT",
    Role.ADMIN: "Administrateur",
    Role.ORGANISATEUR: "Organisateur local (commune, association…)",
}


class StatutRencontre(StrEnum):
    """Where a rencontre stands: stored in `Rencontre.statut`."""

    PREVUE = "prevue"
    TENUE = "tenue"
    ANNULEE = "annulee"


STATUTS_RENCONTRE: dict[str, str] = {
    StatutRencontre.PREVUE: "Prévue",
    StatutRencontre.TENUE: "Tenue",
    StatutRencontre.ANNULEE: "Annulée",
}


class ValidationRencontre(StrEnum):
    """Whether a rencontre counts: stored in `Rencontre.validation`. Only « validée » counts."""

    A_VALIDER = "a_valider"  # declared by an organiser or imported from a platform
    VALIDEE = "validee"
    RENVOYEE = "renvoyee"  # returned to the organiser with a comment
    REFUSEE = "refusee"  # refused as a duplicate of an existing meeting (merging nothing)


VALIDATIONS_RENCONTRE: dict[str, str] = {
    ValidationRencontre.A_VALIDER: "Déclarée, à valider",
    ValidationRencontre.VALIDEE: "Validée",
    ValidationRencontre.RENVOYEE: "Renvoyée à l'organisateur",
    ValidationRencontre.REFUSEE: "Refusée (doublon)",
}


class Perimetre(StrEnum):
    """What a rencontre covers: chosen quartiers, a whole commune or a whole EPCI (`Rencontre.perimetre`)."""

    QUARTIER = "quartier"
    COMMUNE = "commune"
    EPCI = "epci"


PERIMETRES: dict[str, str] = {
    Perimetre.QUARTIER: "Quartiers",
    Perimetre.COMMUNE: "Commune",
    Perimetre.EPCI: "Intercommunalité (EPCI)",
}

TYPES_LIEU: dict[str, str] = {
    "equipement_municipal": "Équipement municipal",
    "centre_social": "Centre social",
    "bailleur": "Bailleur social",
    "etablissement_scolaire": "Établissement scolaire",
    "association": "Association",
    "espace_public": "Espace public",
    "en_ligne": "En ligne",
    "autre": "Autre",
}

ORGANISATEURS: dict[str, str] = {
    "prefecture": "Préfecture",
    "sous_prefecture": "Sous-préfecture / délégué du préfet",
    "commune": "Commune",
    "epci": "EPCI",
    "association": "Association",
    "conseil_citoyen": "Conseil citoyen",
    "table_de_quartier": "Table de quartier",
    "centre_social": "Centre social",
    "bailleur": "Bailleur",
    "commission": "Commission participation citoyenne",
}

FORMATS: dict[str, str] = {
    "reunion_publique": "Réunion publique",
    "atelier": "Atelier",
    "marche_exploratoire": "Marche exploratoire",
    "porte_a_porte": "Porte-à-porte / aller-vers",
    "en_ligne": "En ligne",
    "autre": "Autre",
}

ACCESSIBILITE: dict[str, str] = {
    "pmr": "Accès PMR",
    "lsf": "Interprète LSF",
    "traduction": "Traduction",
    "garde_enfants": "Garde d'enfants",
    "horaire_adapte": "Horaire adapté",
    "autre": "Autre",
}

# Les quatre grandes questions posées aux habitants.
AXES: dict[str, str] = {
    "changements": "1. Changements attendus d'ici 2030",
    "ressources": "2. Ressources et acteurs à mobiliser",
    "projets": "3. Projets structurants",
    "solutions": "4. Solutions et dispositifs à déployer en priorité",
}

# Thèmes, rangés par pilier des contrats de ville.
PILIERS: dict[str, str] = {
    "cohesion": "Cohésion sociale",
    "cadre_de_vie": "Cadre de vie et renouvellement urbain",
    "emploi": "Emploi et développement économique",
    "transversal": "Thèmes transversaux",
}

THEMES: dict[str, tuple[str, str]] = {
    # code: (libellé, pilier)
    "education": ("Éducation", "cohesion"),
    "sante": ("Santé", "cohesion"),
    "jeunesse": ("Jeunesse", "cohesion"),
    "sport": ("Sport", "cohesion"),
    "culture": ("Culture", "cohesion"),
    "parentalite": ("Parentalité", "cohesion"),
    "acces_droits": ("Accès aux droits et services publics", "cohesion"),
    "logement": ("Logement et habitat", "cadre_de_vie"),
    "renouvellement_urbain": ("Renouvellement urbain", "cadre_de_vie"),
    "espaces_publics": ("Espaces publics", "cadre_de_vie"),
    "proprete": ("Propreté", "cadre_de_vie"),
    "mobilite": ("Mobilité et transports", "cadre_de_vie"),
    "environnement": ("Environnement", "cadre_de_vie"),
    "emploi": ("Emploi", "emploi"),
    "insertion": ("Insertion", "emploi"),
    "formation": ("Formation", "emploi"),
    "commerces": ("Commerces et développement économique", "emploi"),
    "securite": ("Tranquillité publique et sécurité", "transversal"),
    "discriminations": ("Lutte contre les discriminations", "transversal"),
    "participation": ("Participation citoyenne", "transversal"),
}

PUBLICS: dict[str, str] = {
    "tous": "Tous",
    "jeunes": "Jeunes",
    "femmes": "Femmes",
    "familles": "Familles",
    "seniors": "Seniors",
    "handicap": "Personnes en situation de handicap",
    "precaires": "Habitants précaires",
}

STATUTS_SYNTHESE_DEPARTEMENTALE: dict[str, str] = {
    "brouillon": "Brouillon",
    "a_reprendre": "À reprendre (renvoyée par la préfecture de région)",
    "transmise_region": "Transmise à la préfecture de région",
    "transmise_commission": "Transmise à la commission et à l'ANCT",
    "restituee": "Restitution publique tenue",
}

STATUTS_ENGAGEMENT: dict[str, str] = {
    "prevu": "Prévu",
    "engage": "Engagé",
    "realise": "Réalisé",
    "abandonne": "Abandonné",
}

GEOGRAPHIES: dict[str, str] = {
    "2015": "Géographie prioritaire 2015",
    "2024": "Géographie prioritaire 2024",
}


def theme_label(code: str) -> str:
    return THEMES[code][0] if code in THEMES else code


def label(nomenclature: dict[str, str], code: str | None) -> str:
    """French label of a code, or the code itself when unknown (never raises)."""
    if code is None:
        return ""
    return nomenclature.get(code, code)


_LOOKUPS: dict[int, tuple[object, dict[str, object], dict[str, str]]] = {}


@lru_cache(maxsize=4096)  # an import reads the same few labels on every row
def _folded(text: str) -> str:
    # Files filled before the labels lost their bracketed plural mark (an old « Quartier » list value) still read.
    return re.sub(r"\(s\)", "s", " ".join(text.split()).casefold())


def code_from_label(nomenclature: dict[str, str] | dict[str, tuple[str, str]], text: str) -> str | None:
    """Code from a code or a label typed by a user (case and spacing ignored).

    One dictionary lookup (an import reads ~100,000 cells through here): the folded codes and
    labels are indexed once per nomenclature, the first entry winning as in a scan in order,
    and re-indexed if the nomenclature's entries change (a copy kept beside the index:
    comparing two dicts costs ~0.7 µs, building a tuple of the items to compare ~5 µs).
    """
    if not nomenclature:
        return None
    wanted = _folded(str(text))
    cached = _LOOKUPS.get(id(nomenclature))
    if cached is None or cached[0] is not nomenclature or cached[1] != nomenclature:
        index: dict[str, str] = {}
        for code, value in nomenclature.items():
            shown = str(value[0] if isinstance(value, tuple) else value)
            index.setdefault(code.casefold(), code)
            index.setdefault(shown.casefold(), code)
        cached = (nomenclature, dict(nomenclature), index)
        if len(_LOOKUPS) >= 256:  # nomenclatures built on the fly: keep the cache small
            _LOOKUPS.clear()
        _LOOKUPS[id(nomenclature)] = cached
    return cached[2].get(wanted)
