"""What an import says: the problems that refused it (row, column, value), or what it wrote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from q2030.errors import Q2030Error
from q2030.formatting import fr_count, fr_number, fr_percent

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


MASQUES: dict[str, str] = {
    "courriel": "adresses électroniques",
    "telephone": "numéros de téléphone",
    "adresse": "adresses postales",
    "nom": "noms seuls",
}
SEUIL_NON_LOCALISE = 0.20


@dataclass
class RapportImport:
    source: str = ""
    problemes: list[Probleme] = field(default_factory=list)
    lues: int = 0
    creees: int = 0
    mises_a_jour: int = 0
    inchangees: int = 0
    retirees: int = 0  # responses of the source absent from a replacing file
    textes: int = 0
    localisation: Counter[str] = field(default_factory=Counter)
    masques: Counter[str] = field(default_factory=Counter)  # what was masked in free texts
    vides: int = 0  # cells read as empty ("?", "NSP"…)
    codes_postaux_hors: int = 0
    non_resolues: list[tuple[str, int]] = field(default_factory=list)  # the ten most frequent, when warned

    def part(self, niveau: str) -> float:
        return self.localisation[niveau] / self.lues if self.lues else 0.0

    @property
    def alerte_localisation(self) -> bool:
        return self.part("non_localise") > SEUIL_NON_LOCALISE

    def lignes(self) -> list[str]:
        if self.problemes:
            out = [f"{fr_count(len(self.problemes), 'erreur')} : rien n'a été importé."]
            for p in self.problemes:
                where = f"ligne {p.ligne}" if p.ligne else "fichier"
                column = f", colonne « {p.colonne} »" if p.colonne else ""
                value = f" (valeur « {p.valeur} »)" if p.valeur else ""
                out.append(f"- {where}{column}{value} : {p.message}")
            return out
        loc = ", ".join(
            f"{LOCALISATIONS[k].lower()} : {fr_number(self.localisation[k])} ({fr_percent(self.part(k))})"
            for k in LOCALISATIONS
        )
        masques = ", ".join(f"{MASQUES[k]} : {fr_number(n)}" for k, n in self.masques.items()) or "aucune"
        out = [
            f"Source « {self.source} » — réponses lues : {fr_number(self.lues)} ; créées : {fr_number(self.creees)}, "
            f"mises à jour : {fr_number(self.mises_a_jour)}, inchangées : {fr_number(self.inchangees)}"
            + (f", retirées : {fr_number(self.retirees)}" if self.retirees else "")
            + ".",
            f"Textes libres à coder ajoutés ou modifiés : {fr_number(self.textes)}.",
            f"Données personnelles masquées dans les textes libres — {masques}.",
            f"Cellules lues comme sans réponse (?, NSP, NA…) : {fr_number(self.vides)}.",
            f"Localisation des réponses lues — {loc}.",
        ]
        if self.codes_postaux_hors:
            out.append(
                f"Codes postaux sans département de la campagne (étranger, Polynésie, Nouvelle-Calédonie…) : "
                f"{fr_count(self.codes_postaux_hors, 'réponse comptée', 'réponses comptées')} « non localisé »."
            )
        if self.alerte_localisation:
            valeurs = ", ".join(f"« {v} » ({fr_number(n)})" for v, n in self.non_resolues)
            out.append(
                f"Attention : {fr_percent(self.part('non_localise'))} des réponses ne sont pas localisées. "
                f"Valeurs les plus fréquentes non reconnues : {valeurs}."
            )
        return out

    def tableau(self) -> list[dict[str, str]]:
        return [
            {
                "Ligne": str(p.ligne) if p.ligne else "fichier",
                "Colonne": p.colonne or "—",
                "Valeur": p.valeur or "—",
                "Message": p.message,
            }
            for p in self.problemes
        ]


class ImportRefuse(Q2030Error):
    """The file has errors: nothing was written (the caller's transaction rolls back)."""

    def __init__(self, rapport: RapportImport) -> None:
        self.rapport = rapport
        super().__init__(f"{fr_count(len(rapport.problemes), 'erreur')} dans le fichier : rien n'a été importé.")
