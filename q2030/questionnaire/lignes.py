"""The rows of an export checked against the correspondance: one `Ligne` per response, or problems.

Tolerant cells, strict file: a cell that cannot be read (a date, a "oui / non", an answer
absent from the correspondance) is a problem naming its row, column and value; a place
that cannot be found is « non localisé », never a problem. Free texts are masked here
(`personnel.masquer`), before anything is stored; mapped columns are watched for cells that
are wholly personal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from q2030.nomenclature import THEMES, code_from_label
from q2030.questionnaire.correspondance import Correspondance, QuestionFermee
from q2030.questionnaire.lecture import SEPARATEURS, trop_personnelle
from q2030.questionnaire.localisation import Geo, localiser
from q2030.questionnaire.personnel import MASQUE_NOM, masquer, nature_personnelle
from q2030.questionnaire.rapport import Probleme
from q2030.textnorm import fold_header, normalize

OUI = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NON = {"non", "n", "no", "faux", "false", "0"}
MAX_TEXTE = 5_000
MAX_ERREURS = 200


# A response's profile or location value: date, « habite un QPV », text or code.
ValeurReponse = dt.date | bool | str | None


@dataclass
class Ligne:
    ligne: int
    identifiant: str
    valeurs: dict[str, ValeurReponse]
    themes: list[tuple[str, str]]  # (axe, theme)
    textes: dict[str, tuple[str, str | None]]  # question -> (text, axis)
    empreinte: str = ""


def date_reponse(value: str) -> dt.date:
    text = value.strip()
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})", text) or None
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError


def _identifiant(
    row: dict[str, str], index: int, mapping: Correspondance, seen: dict[str, int], problemes: list[Probleme]
) -> str:
    colonne = mapping.identifiant
    identifiant = row.get(fold_header(colonne), "").strip()
    if not identifiant:
        problemes.append(Probleme(index, colonne, "", "identifiant de la réponse manquant."))
    elif len(identifiant) > 100:
        problemes.append(Probleme(index, colonne, identifiant[:40], "identifiant trop long (100 caractères au plus)."))
    elif identifiant in seen:
        conseil = (
            " Si le fichier a une ligne par réponse (répondant, question, réponse), choisissez le format « une ligne "
            "par réponse » dans la correspondance."
            if mapping.format == "large"
            else ""
        )
        problemes.append(
            Probleme(index, colonne, identifiant, f"identifiant déjà présent ligne {seen[identifiant]}.{conseil}")
        )
    else:
        seen[identifiant] = index
    return identifiant


def _profil(
    row: dict[str, str], index: int, mapping: Correspondance, problemes: list[Probleme]
) -> dict[str, ValeurReponse]:
    """Date, "habite un QPV", age band and gender of a response."""
    valeurs: dict[str, ValeurReponse] = {"date": None, "habite_qpv": None, "tranche_age": "", "genre": ""}
    if mapping.date and (raw := row.get(fold_header(mapping.date), "")):
        try:
            valeurs["date"] = date_reponse(raw)
        except ValueError:
            problemes.append(Probleme(index, mapping.date, raw, "date illisible (JJ/MM/AAAA ou AAAA-MM-JJ)."))
    if mapping.habite_qpv and (raw := row.get(fold_header(mapping.habite_qpv), "")):
        folded = normalize(raw)
        if folded in OUI:
            valeurs["habite_qpv"] = True
        elif folded in NON:
            valeurs["habite_qpv"] = False
        elif folded not in {"ne sait pas", "nsp", "je ne sais pas"}:
            problemes.append(Probleme(index, mapping.habite_qpv, raw, "réponse attendue : oui ou non."))
    for key in ("tranche_age", "genre"):
        colonne = getattr(mapping, key)
        if colonne and (raw := row.get(fold_header(colonne), "")):
            if len(raw) > 50:
                problemes.append(Probleme(index, colonne, raw[:40], "50 caractères au plus."))
            valeurs[key] = raw[:50]
    return valeurs


def _themes(
    row: dict[str, str], index: int, fermees: list[tuple[QuestionFermee, dict[str, str]]], problemes: list[Probleme]
) -> list[tuple[str, str]]:
    themes: list[tuple[str, str]] = []
    for question, answers in fermees:
        raw = row.get(fold_header(question.colonne), "")
        for part in SEPARATEURS.split(raw) if raw else []:
            if not part:
                continue
            theme = answers.get(_normalise(part))
            if theme is None:
                theme = code_from_label(THEMES, part)  # an answer that is a theme's own name
            if theme is None:
                problemes.append(
                    Probleme(index, question.colonne, part,
                             "réponse absente de la correspondance : associez-la à un thème (ou « ignorer »).")
                )  # fmt: skip
            elif theme and (question.axe, theme) not in themes:
                themes.append((question.axe, theme))
    return themes


@lru_cache(maxsize=8192)
def _normalise(answer: str) -> str:
    return normalize(answer)  # closed answers repeat: folded once


@lru_cache(maxsize=8192)
def _nature(value: str) -> str | None:
    return nature_personnelle(value)


NATURES = {
    "courriel": "des adresses électroniques",
    "telephone": "des numéros de téléphone",
    "nom": "des noms de personnes",
    "adresse": "des adresses postales",
}


@dataclass
class Controle:
    """Checks the rows one by one (a stream), keeping only what the report and the duplicate check need."""

    mapping: Correspondance
    geo: Geo
    problemes: list[Probleme] = field(default_factory=list)
    vus: dict[str, int] = field(default_factory=dict)  # response id -> file line
    masques: Counter[str] = field(default_factory=Counter)
    localisation: Counter[str] = field(default_factory=Counter)
    personnelles: dict[str, Counter[str]] = field(default_factory=dict)  # mapped column -> wholly personal cells
    premiere_personnelle: dict[str, int] = field(default_factory=dict)
    remplies: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.fermees = [(q, {normalize(k): v for k, v in q.valeurs.items()}) for q in self.mapping.fermees]
        self.surveillees = {fold_header(c): c for _role, c in self.mapping.colonnes()}

    def ligne(self, index: int, row: dict[str, str]) -> Ligne | None:
        """The response of a file line, or None (an empty row, or problems recorded)."""
        if not any(row.values()):
            return None
        before = len(self.problemes)
        self._personnelles(index, row)
        identifiant = _identifiant(row, index, self.mapping, self.vus, self.problemes)
        valeurs = _profil(row, index, self.mapping, self.problemes)
        valeurs |= localiser(row, self.mapping, self.geo)
        self.localisation[str(valeurs["localisation"])] += 1
        themes = _themes(row, index, self.fermees, self.problemes)
        textes = self._textes(row, index)
        if len(self.problemes) > before:
            return None
        ligne = Ligne(index, identifiant, valeurs, sorted(themes), textes)
        ligne.empreinte = hashlib.sha256(
            json.dumps([valeurs, ligne.themes, sorted(textes.items())], default=str, sort_keys=True).encode()
        ).hexdigest()
        return ligne

    def _personnelles(self, index: int, row: dict[str, str]) -> None:
        for key in self.surveillees:
            value = row.get(key, "")
            if not value:
                continue
            self.remplies[key] += 1
            if nature := _nature(value):
                self.personnelles.setdefault(key, Counter())[nature] += 1
                self.premiere_personnelle.setdefault(key, index)

    def _textes(self, row: dict[str, str], index: int) -> dict[str, tuple[str, str | None]]:
        textes: dict[str, tuple[str, str | None]] = {}
        for question in self.mapping.libres:
            raw = row.get(fold_header(question.colonne), "")
            if not raw:
                continue
            if len(raw) > MAX_TEXTE:
                message = f"texte trop long ({MAX_TEXTE} caractères au plus)."
                self.problemes.append(Probleme(index, question.colonne, raw[:40] + "…", message))
            if _nature(raw) == "nom":
                texte, masques = MASQUE_NOM, Counter({"nom": 1})
            else:
                texte, masques = masquer(raw)
            self.masques.update(masques)
            textes[question.colonne] = (texte, question.axe)
        return textes

    def fin(self) -> list[Probleme]:
        """The problems of the whole file: mapped columns holding personal data, no response at all."""
        for key, natures in self.personnelles.items():
            cellules = sum(natures.values())
            if trop_personnelle(cellules, self.remplies[key]):
                nature = NATURES[natures.most_common(1)[0][0]]
                self.problemes.append(
                    Probleme(self.premiere_personnelle[key], self.surveillees[key], "[valeur masquée]",
                             f"{cellules} cellules de cette colonne sont {nature} : données personnelles, la colonne "
                             "ne peut pas être importée ; retirez-la de la correspondance.")
                )  # fmt: skip
        if not self.vus and not self.problemes:
            self.problemes.append(Probleme(None, "", "", "aucune réponse dans le fichier."))
        return self.problemes
