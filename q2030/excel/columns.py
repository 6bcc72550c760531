"""Columns of the entry template, shared by the template writer and the importer.

One definition per column: French header (what the user sees and what the importer
matches, whatever the order), the Rencontre / Contribution field it feeds, its kind
(how a cell is read) and, for drop-downs, the nomenclature listed in the "Listes" sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from q2030 import nomenclature as nom

BLEU_FRANCE = "000091"
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=BLEU_FRANCE)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
THIN = Side(style="thin", color="BBBBBB")
HEADER_BORDER = Border(bottom=THIN)
DATE_FORMAT = "DD/MM/YYYY"
TIME_FORMAT = "HH:MM"

SHEET_README = "À lire"
SHEET_RENCONTRES = "Rencontres"
SHEET_CONTRIBUTIONS = "Contributions"
SHEET_LISTES = "Listes"

OUI, NON = "Oui", "Non"
DOUBLON_HEADER = "Doublon confirmé"
VERSION_HEADER = "Version (ne pas modifier)"
# Separator of multi-valued cells (organisers, accessibility, other QPV).
MULTI_SEPARATOR = ";"


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # Rencontre / Contribution attribute, or a pseudo-field of the importer
    kind: str  # text, int, date, time, bool, choice, multi, qpv, qpv_list, ident
    width: int = 18
    choices: dict[str, str] | None = None  # code -> label, for "choice" / "multi"
    required: bool = False
    note: str = ""
    optional: bool = False  # the column itself may be absent (older templates): read as blank
    hidden: bool = False  # bookkeeping for the importer, hidden in the template


THEME_LABELS = {code: label for code, (label, _pilier) in nom.THEMES.items()}

RENCONTRE_COLUMNS: tuple[Column, ...] = (
    Column("Identifiant", "identifiant", "ident", 14, required=True,
           note="numéro de la rencontre dans l'application, ou une référence libre (R1, R2…) pour une nouvelle"),
    Column("Statut", "statut", "choice", 12, nom.STATUTS_RENCONTRE, required=True),
    Column("Date", "date", "date", 12, required=True, note="JJ/MM/AAAA"),
    Column("Heure de début", "heure_debut", "time", 10, note="HH:MM"),
    Column("Heure de fin", "heure_fin", "time", 10, note="HH:MM"),
    Column("Périmètre", "perimetre", "choice", 22, nom.PERIMETRES, required=True),
    Column("QPV", "qpv_principal", "qpv", 40, note="périmètre « Quartiers » : le quartier principal"),
    Column("Autres QPV", "qpv_autres", "qpv_list", 22, note="codes séparés par « ; »"),
    Column("Commune (code INSEE)", "commune_insee", "text", 14, note="périmètre « Commune »"),
    Column("EPCI (SIREN)", "epci_siren", "text", 14, note="périmètre « Intercommunalité »"),
    Column("Quartier hors QPV", "quartier_hors_qpv", "text", 22),
    Column("Lieu", "lieu", "text", 28),
    Column("Adresse", "adresse", "text", 30),
    Column("Type de lieu", "type_lieu", "choice", 22, nom.TYPES_LIEU),
    Column("Organisateurs", "organisateurs", "multi", 30, nom.ORGANISATEURS, note="libellés séparés par « ; »"),
    Column("Format", "format", "choice", 22, nom.FORMATS),
    Column("Participants", "participants", "int", 12),
    Column("Femmes", "femmes", "int", 10),
    Column("Jeunes", "jeunes", "int", 10),
    Column("Habitants des QPV", "habitants_qpv", "int", 12),
    Column("Professionnels", "professionnels", "int", 12),
    Column("Élus", "elus", "int", 8),
    Column("Publics précaires (mobilisation)", "publics_precaires", "text", 28),
    Column("Représentant de l'État présent", "representant_etat_present", "bool", 14),
    Column("Élu présent", "elu_present", "bool", 10),
    Column("Membre de la commission présent", "membre_commission_present", "bool", 14),
    Column("Plateforme en ligne présentée", "plateforme_presentee", "bool", 14),
    Column("Accessibilité", "accessibilite", "multi", 26, nom.ACCESSIBILITE, note="libellés séparés par « ; »"),
    Column("Participants d'accord pour recevoir la synthèse", "participants_accord_synthese", "int", 16),
    Column("Synthèse envoyée aux participants le", "synthese_envoyee_le", "date", 14, note="JJ/MM/AAAA"),
    Column("Motif d'annulation", "motif_annulation", "text", 24),
    Column("Notes", "notes", "text", 36),
    Column(DOUBLON_HEADER, "doublon_confirme", "bool", 14, optional=True,
           note="« Oui » pour enregistrer quand même une rencontre signalée comme doublon probable"),
    Column(VERSION_HEADER, "version", "int", 10, hidden=True,
           note="version au téléchargement : l'import refuse une ligne plus ancienne que l'application"),
)  # fmt: skip

CONTRIBUTION_COLUMNS: tuple[Column, ...] = (
    Column("Identifiant de la rencontre", "identifiant", "ident", 16, required=True),
    Column("Axe", "axe", "choice", 40, nom.AXES, required=True),
    Column("Thème", "theme", "choice", 32, THEME_LABELS, required=True),
    Column("Contribution", "texte", "text", 70, required=True),
    Column("Rang", "rang", "int", 8, note="1 = la plus importante de la rencontre"),
    Column("Public", "public", "choice", 22, nom.PUBLICS),
)

BOOL_CHOICES = {True: OUI, False: NON}
