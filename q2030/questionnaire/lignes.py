"""The rows of an export checked against the correspondance: one `Ligne` per response, or problems."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from q2030.nomenclature import THEMES, code_from_label
from q2030.questionnaire.correspondance import Correspondance, QuestionFermee
from q2030.questionnaire.lecture import SEPARATEURS
from q2030.questionnaire.localisation import Geo, localiser
from q2030.questionnaire.rapport import Probleme
from q2030.textnorm import fold_header, normalize

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
OUI = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NON = {"non", "n", "no", "faux", "false", "0"}
MAX_TEXTE = 5_000
MAX_ERREURS = 200


@dataclass
class Ligne:
    ligne: int
    identifiant: str
    valeurs: dict[str, Any]
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


def _courriels(rows: list[dict[str, str]], colonnes: list[str]) -> list[Probleme]:
    """No personal data: any e-mail-like value refuses the file, naming the column."""
    problemes: list[Probleme] = []
    for colonne in colonnes:
        for index, row in enumerate(rows, start=2):
            value = row.get(colonne, "")
            if value and "@" in value and EMAIL.search(value):
                problemes.append(
                    Probleme(index, colonne, "(adresse masquée)",
                             "une adresse électronique figure dans cette colonne : les données personnelles ne sont "
                             "pas importées ; retirez-la du fichier.")
                )  # fmt: skip
                break
    return problemes


def _identifiant(row: dict[str, str], index: int, colonne: str, seen: dict[str, int], problemes: list[Probleme]) -> str:
    identifiant = row.get(fold_header(colonne), "").strip()
    if not identifiant:
        problemes.append(Probleme(index, colonne, "", "identifiant de la réponse manquant."))
    elif len(identifiant) > 100:
        problemes.append(Probleme(index, colonne, identifiant[:40], "identifiant trop long (100 caractères au plus)."))
    elif identifiant in seen:
        problemes.append(Probleme(index, colonne, identifiant, f"identifiant déjà présent ligne {seen[identifiant]}."))
    else:
        seen[identifiant] = index
    return identifiant


def _profil(row: dict[str, str], index: int, mapping: Correspondance, problemes: list[Probleme]) -> dict[str, Any]:
    """Date, "habite un QPV", age band and gender of a response."""
    valeurs: dict[str, Any] = {"date": None, "habite_qpv": None, "tranche_age": "", "genre": ""}
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
            theme = answers.get(normalize(part))
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


def _textes(
    row: dict[str, str], index: int, mapping: Correspondance, problemes: list[Probleme]
) -> dict[str, tuple[str, str | None]]:
    textes: dict[str, tuple[str, str | None]] = {}
    for question in mapping.libres:
        raw = row.get(fold_header(question.colonne), "")
        if raw:
            if len(raw) > MAX_TEXTE:
                message = f"texte trop long ({MAX_TEXTE} caractères au plus)."
                problemes.append(Probleme(index, question.colonne, raw[:40] + "…", message))
            textes[question.colonne] = (raw, question.axe)
    return textes


def lire_lignes(
    rows: list[dict[str, str]], colonnes: list[str], mapping: Correspondance, geo: Geo
) -> tuple[list[Ligne], list[Probleme]]:
    problemes = _courriels(rows, colonnes)
    if problemes:
        return [], problemes
    fermees = [(q, {normalize(k): v for k, v in q.valeurs.items()}) for q in mapping.fermees]
    seen: dict[str, int] = {}
    lignes: list[Ligne] = []
    for index, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        before = len(problemes)
        identifiant = _identifiant(row, index, mapping.identifiant, seen, problemes)
        valeurs = _profil(row, index, mapping, problemes)
        valeurs |= localiser(row, mapping, geo, index, problemes)
        themes = _themes(row, index, fermees, problemes)
        textes = _textes(row, index, mapping, problemes)
        if len(problemes) == before:
            ligne = Ligne(index, identifiant, valeurs, sorted(themes), textes)
            ligne.empreinte = hashlib.sha256(
                json.dumps([valeurs, ligne.themes, sorted(textes.items())], default=str, sort_keys=True).encode()
            ).hexdigest()
            lignes.append(ligne)
        if len(problemes) >= MAX_ERREURS:
            problemes.append(Probleme(None, "", "", f"plus de {MAX_ERREURS} erreurs : lecture arrêtée."))
            break
    if not lignes and not problemes:
        problemes.append(Probleme(None, "", "", "aucune réponse dans le fichier."))
    return lignes, problemes
