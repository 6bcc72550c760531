"""What an import says: the problems that refused it (row, column, value), or what it wrote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from q2030.errors import Q2030Error

LOCALISATIONS: dict[str, str] = {
    "qpv": "Quartier (QPV)",
    "commune": "Commune",
    "departement": "Département",
    "non_localise": "Non localisé",
}


@dataclass(frozen=True)
class Probleme:
    ligne: int | None  # file line (1 = header)
    colonne: str
    valeur: str
    message: str


@dataclass
class RapportImport:
    problemes: list[Probleme] = field(default_factory=list)
    lues: int = 0
    creees: int = 0
    mises_a_jour: int = 0
    inchangees: int = 0
    textes: int = 0
    localisation: Counter[str] = field(default_factory=Counter)

    def lignes(self) -> list[str]:
        if self.problemes:
            out = [f"{len(self.problemes)} erreur(s) : rien n'a été importé."]
            for p in self.problemes:
                where = f"ligne {p.ligne}" if p.ligne else "fichier"
                column = f", colonne « {p.colonne} »" if p.colonne else ""
                value = f" (valeur « {p.valeur} »)" if p.valeur else ""
                out.append(f"- {where}{column}{value} : {p.message}")
            return out
        loc = ", ".join(f"{LOCALISATIONS[k].lower()} : {self.localisation[k]}" for k in LOCALISATIONS)
        return [
            f"Réponses lues : {self.lues} ; créées : {self.creees}, mises à jour : {self.mises_a_jour}, "
            f"inchangées : {self.inchangees}.",
            f"Textes libres à coder ajoutés ou modifiés : {self.textes}.",
            f"Localisation des réponses lues — {loc}.",
        ]

    def tableau(self) -> list[dict[str, Any]]:
        return [
            {"Ligne": p.ligne, "Colonne": p.colonne, "Valeur": p.valeur, "Message": p.message} for p in self.problemes
        ]


class ImportRefuse(Q2030Error):
    """The file has errors: nothing was written (the caller's transaction rolls back)."""

    def __init__(self, rapport: RapportImport) -> None:
        self.rapport = rapport
        super().__init__(f"{len(rapport.problemes)} erreur(s) dans le fichier : rien n'a été importé.")
