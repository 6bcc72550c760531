"""A rencontre's input and its checked result: field labels and groups, the raw payload
(`SaisieRencontre`), the values `validate_rencontre` returns (`RencontreValidee`).

The form, the Excel template, the CLI and the audit log name fields with `LABELS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict, cast

from q2030.frontieres import ValeurChamp, ValeurSql
from q2030.nomenclature import (
    ACCESSIBILITE,
    FORMATS,
    ORGANISATEURS,
    PERIMETRES,
    STATUTS_RENCONTRE,
    TYPES_LIEU,
)

# French labels of the fields, shared by messages and the form.
LABELS: dict[str, str] = {
    "statut": "Statut",
    "date": "Date",
    "heure_debut": "Heure de début",
    "heure_fin": "Heure de fin",
    "lieu": "Nom du lieu",
    "adresse": "Adresse",
    "type_lieu": "Type de lieu",
    "perimetre": "Périmètre",
    "qpv_codes": "Quartiers prioritaires",
    "commune_insee": "Commune",
    "epci_siren": "Intercommunalité (EPCI)",
    "quartier_hors_qpv": "Quartier hors QPV",
    "organisateurs": "Organisateurs",
    "format": "Format",
    "participants": "Participants",
    "femmes": "dont femmes",
    "jeunes": "dont jeunes (moins de 26 ans)",
    "habitants_qpv": "dont habitants du QPV",
    "professionnels": "dont professionnels",
    "elus": "dont élus",
    "publics_precaires": "Attention portée aux publics précaires",
    "representant_etat_present": "Représentant de l'État présent",
    "elu_present": "Élu présent",
    "membre_commission_present": "Membre de la commission présent",
    "plateforme_presentee": "Plateforme en ligne présentée",
    "accessibilite": "Mesures d'accessibilité",
    "participants_accord_synthese": "Participants d'accord pour recevoir la synthèse",
    "synthese_envoyee_le": "Synthèse envoyée aux participants le",
    "notes": "Notes",
    "motif_annulation": "Motif d'annulation",
    "departement_code": "Département",
}
COUNTS = ("participants", "femmes", "jeunes", "habitants_qpv", "professionnels", "elus", "participants_accord_synthese")
BREAKDOWNS = COUNTS[1:]
BOOLEANS = ("representant_etat_present", "elu_present", "membre_commission_present", "plateforme_presentee")
TEXTS = {"lieu": 300, "adresse": 500, "quartier_hors_qpv": 500, "publics_precaires": None, "notes": None}
CHOICES = {"statut": STATUTS_RENCONTRE, "type_lieu": TYPES_LIEU, "perimetre": PERIMETRES, "format": FORMATS}
MULTI = {"organisateurs": ORGANISATEURS, "accessibilite": ACCESSIBILITE}
EDITABLE = (
    *LABELS.keys() - {"qpv_codes", "departement_code"},
    "commune_nom",
)
# Keys tolerated in `data` but not written (the form or an export may carry them).
IGNORED = {"id", "version", "campaign_id", "cree_le", "cree_par", "modifie_le", "modifie_par", "reference_import"}


# --- Payloads ----------------------------------------------------------------------------

# Raw values as a person or a file typed them: a code or its French label, 31/07/2023 or a
# date, 18h30 or a time, "12" or 12, "Oui" or True, « a; b » or a list. The service cleans
# them and answers a bad one with a French message naming the field.
Texte = str | None
Jour = dt.date | str | None
Heure = dt.time | str | None
Nombre = int | float | str | None
OuiNon = bool | str | None
Codes = Sequence[str] | str | None


class SaisieRencontre(TypedDict, total=False):
    """What the form, a spreadsheet row, the CLI or a platform's event gives for a rencontre.

    Every key is optional: on update an absent key keeps the stored value; on creation it
    takes the model's default (or « choisissez une valeur » for a required one). A mapping
    read from a file may carry other keys: `validate_rencontre` names them (« Champ inconnu »).
    """

    statut: Texte
    date: Jour
    heure_debut: Heure
    heure_fin: Heure
    lieu: Texte
    adresse: Texte
    type_lieu: Texte
    perimetre: Texte
    qpv_codes: Codes
    commune_insee: Texte
    commune_nom: Texte
    epci_siren: Texte
    quartier_hors_qpv: Texte
    organisateurs: Codes
    format: Texte
    participants: Nombre
    femmes: Nombre
    jeunes: Nombre
    habitants_qpv: Nombre
    professionnels: Nombre
    elus: Nombre
    publics_precaires: Texte
    representant_etat_present: OuiNon
    elu_present: OuiNon
    membre_commission_present: OuiNon
    plateforme_presentee: OuiNon
    accessibilite: Codes
    participants_accord_synthese: Nombre
    synthese_envoyee_le: Jour
    notes: Texte
    motif_annulation: Texte
    departement_code: Texte


def saisie_brute(values: Mapping[str, ValeurChamp]) -> SaisieRencontre:
    """A rencontre's raw values read at a boundary (a file's cells, widget state, of any
    type) as the typed input; `validate_rencontre` checks keys and values alike."""
    return cast(SaisieRencontre, dict(values))


@dataclass(frozen=True)
class RencontreValidee:
    """A rencontre's values cleaned and checked by `validate_rencontre`: the Rencontre
    columns it writes, plus `qpv_codes` (every QPV covered, sorted)."""

    departement_code: str
    statut: str
    date: dt.date
    heure_debut: dt.time | None
    heure_fin: dt.time | None
    lieu: str
    adresse: str
    type_lieu: str
    perimetre: str
    qpv_codes: tuple[str, ...]
    commune_insee: str | None
    commune_nom: str | None
    epci_siren: str | None
    quartier_hors_qpv: str
    organisateurs: tuple[str, ...]
    format: str
    participants: int | None
    femmes: int | None
    jeunes: int | None
    habitants_qpv: int | None
    professionnels: int | None
    elus: int | None
    publics_precaires: str
    representant_etat_present: bool
    elu_present: bool
    membre_commission_present: bool
    plateforme_presentee: bool
    accessibilite: tuple[str, ...]
    participants_accord_synthese: int | None
    synthese_envoyee_le: dt.date | None
    notes: str
    motif_annulation: str

    def colonnes(self) -> dict[str, ValeurSql]:
        """The Rencontre column values (lists for the JSON columns), without `qpv_codes`:
        keyword arguments of the ORM row, an UPDATE or an INSERT (its boundary)."""
        out: dict[str, ValeurSql] = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del out["qpv_codes"]
        out["organisateurs"], out["accessibilite"] = list(self.organisateurs), list(self.accessibilite)
        return out
