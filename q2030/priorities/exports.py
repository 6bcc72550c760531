"""The Priorités tables with French headers (page, CSV, Excel share them) and the CSV exports.

The Excel workbook of the filtered view is built by `q2030.excel.priorites` with the one
XLSX writer (`q2030.excel.writer`).
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from q2030.access import Lecteur
from q2030.csv_export import to_csv
from q2030.errors import ValidationError
from q2030.priorities.agregation import classement
from q2030.priorities.filtres import Filtres
from q2030.priorities.textes import contributions

CONTRIBUTION_HEADERS = {
    "id": "Identifiant", "texte": "Contribution", "axe": "Axe", "theme": "Thème", "rang": "Rang",
    "public": "Public", "date": "Date de la rencontre", "lieu": "Lieu", "commune": "Commune",
    "qpv": "Quartiers (QPV)", "departement": "Département", "departement_nom": "Nom du département",
    "region": "Région", "format": "Format", "rencontre_id": "Rencontre",
}  # fmt: skip
CLASSEMENT_HEADERS = {
    "groupe_libelle": "Regroupement", "rang": "Rang", "theme_libelle": "Thème", "contributions": "Contributions",
    "rencontres": "Rencontres citant le thème", "rencontres_total": "Rencontres du regroupement",
    "part_rencontres": "Part des rencontres", "departements": "Départements citant le thème", "poids": "Poids",
    "part": "Part pondérée", "score_rang": "Score de rang",
}  # fmt: skip


def table_classement(df: pd.DataFrame) -> pd.DataFrame:
    """A ranking with French headers (page tables, CSV and Excel share it)."""
    return df[list(CLASSEMENT_HEADERS)].rename(columns=CLASSEMENT_HEADERS)


def table_contributions(df: pd.DataFrame) -> pd.DataFrame:
    return df[list(CONTRIBUTION_HEADERS)].rename(columns=CONTRIBUTION_HEADERS)


def export_csv(
    session: Session, *, actor: Lecteur, filtres: Filtres, quoi: str, ponderation: str = "contribution"
) -> bytes:
    """ "contributions" (all readable ones of the view) or "classement" (per axis); shares keep 4 decimals."""
    if quoi == "contributions":
        return to_csv(
            table_contributions(contributions(session, actor=actor, filtres=filtres, limite=None)), decimals=4
        )
    if quoi == "classement":
        ranking = classement(session, actor=actor, filtres=filtres, ponderation=ponderation)
        return to_csv(table_classement(ranking), decimals=4)
    raise ValidationError({"quoi": [f"Export inconnu : « {quoi} »."]})
