"""Reading a questionnaire export as a stream of responses.

The QPV import's reader does the file (encodings, `;`/`,`/tab, CR-only line ends, XLSX).
Here: cells that mean "no answer" become empty (`MARQUEURS_ABSENCE`, plus the
correspondance's own), and a long file (one row per answer: respondent, question, answer)
is pivoted to one row per respondent before anything else looks at it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from q2030.errors import ValidationError
from q2030.qpv_import import read_table
from q2030.questionnaire.correspondance import Correspondance
from q2030.questionnaire.personnel import SEUIL_LIGNES, SEUIL_PART, donnee_personnelle, nature_personnelle
from q2030.textnorm import fold_header, normalize

# A multiple-choice cell joins its answers with one of these.
SEPARATEURS = re.compile(r"\s*[|;\n]\s*")
# Cells that mean "no answer" (compared folded): empty by default, never a refusal.
MARQUEURS_ABSENCE = frozenset(
    {"?", "??", "-", "--", "nsp", "na", "n/a", "n.a.", "nr", "ne sait pas", "je ne sais pas", "non renseigne",
     "non renseignee", "sans reponse", "pas de reponse", "null", "none", "#n/a"}
)  # fmt: skip
MAX_DISTINCTES = 1_000  # distinct answers counted per column for the editor


@dataclass
class Format:
    """How the rows are laid out: one per respondent ("large") or one per answer ("long")."""

    format: str = "large"
    identifiant: str | None = None
    question: str | None = None
    reponse: str | None = None
    marqueurs: frozenset[str] = MARQUEURS_ABSENCE

    @classmethod
    def de(cls, mapping: Correspondance) -> Format:
        return cls(
            mapping.format, mapping.identifiant, mapping.colonne_question, mapping.colonne_reponse,
            MARQUEURS_ABSENCE | {normalize(m) for m in mapping.marqueurs if m.strip()},
        )  # fmt: skip


@dataclass
class Fichier:
    """The columns (folded keys) and their titles as written, and the rows: (file line, cells)."""

    colonnes: list[str]
    titres: dict[str, str]
    lignes: Iterator[tuple[int, dict[str, str]]]
    marques_absentes: Counter[str] = field(default_factory=Counter)  # column -> cells read as empty
    renommees: list[tuple[str, str]] = field(default_factory=list)  # (title, new title) of a repeated title

    def titre(self, colonne: str) -> str:
        return self.titres.get(colonne, colonne)


def ouvrir(content: bytes, filename: str, forme: Format | None = None) -> Fichier:
    """The export as a stream of rows (pivoted when long); ValidationError when unreadable."""
    forme = forme or Format()
    table = read_table(content, filename)
    if not table.header or not any(table.header):
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    titres = dict(zip(table.header, table.titles or table.header, strict=False))
    fichier = Fichier(list(table.header), titres, iter(()), renommees=table.renamed)

    bas = {m for m in forme.marqueurs if m.isascii()}

    def absent(value: str) -> bool:
        if len(value) > 20 or value[0].isdigit():
            return False
        low = value.lower()
        return low in bas or (not low.isascii() and normalize(low) in forme.marqueurs)

    def cleaned() -> Iterator[tuple[int, dict[str, str]]]:
        for index, row in enumerate(table.rows, start=2):
            for key, value in row.items():
                if value and absent(value):
                    row[key] = ""
                    fichier.marques_absentes[key] += 1
            yield index, row

    fichier.lignes = cleaned()
    return _pivoter(fichier, forme) if forme.format == "long" else fichier


def _pivoter(fichier: Fichier, forme: Format) -> Fichier:
    """One row per respondent: its answers under the question's text; other columns keep their first value."""
    cles = {role: fold_header(c or "") for role, c in
            (("identifiant", forme.identifiant), ("question", forme.question), ("reponse", forme.reponse))}  # fmt: skip
    absentes = [fichier.titres.get(k, k) for k in cles.values() if k not in fichier.colonnes]
    if absentes or not all(cles.values()):
        raise ValidationError(
            "Format « une ligne par réponse » : "
            + ("colonne absente" if len(absentes or [""]) == 1 else "colonnes absentes")
            + " du fichier : "
            + ", ".join(f"« {a} »" for a in absentes or ["(à choisir)"])
            + "."
        )
    fixes = [c for c in fichier.colonnes if c not in (cles["question"], cles["reponse"])]
    repondants: dict[str, tuple[int, dict[str, str]]] = {}
    questions: dict[str, str] = {}
    for index, row in fichier.lignes:
        ident = row.get(cles["identifiant"], "").strip()
        if not ident:
            continue
        _ligne, cells = repondants.setdefault(ident, (index, {c: "" for c in fixes}))
        for colonne in fixes:
            if not cells[colonne] and row.get(colonne):
                cells[colonne] = row[colonne]
        question, reponse = row.get(cles["question"], "").strip(), row.get(cles["reponse"], "")
        if question:
            key = fold_header(question)
            questions.setdefault(key, question)
            cells[key] = f"{cells[key]} | {reponse}" if cells.get(key) and reponse else cells.get(key) or reponse
    colonnes = fixes + [q for q in questions if q not in fixes]
    titres = {c: fichier.titre(c) for c in fixes} | questions
    lignes = ((ligne, {c: cells.get(c, "") for c in colonnes}) for ligne, cells in repondants.values())
    return Fichier(colonnes, titres, lignes, fichier.marques_absentes, fichier.renommees)


@dataclass
class Apercu:
    colonnes: list[str]
    titres: dict[str, str]
    premieres: list[dict[str, str]]
    valeurs: dict[str, list[str]]  # column -> its most frequent answers (30)
    personnelles: dict[str, str]  # column -> why it cannot be mapped (title or content)
    lignes: int = 0
    doublons: list[str] = field(default_factory=list)  # one sentence per column renamed (its title repeats)


def lire(content: bytes, filename: str, forme: Format | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """(column names, rows) of an export, held whole: for small files and tests."""
    fichier = ouvrir(content, filename, forme)
    return fichier.colonnes, [row for _index, row in fichier.lignes]


def apercu(content: bytes, filename: str, forme: Format | None = None, lignes: int = 10) -> Apercu:
    """Columns, the first rows, the answers of each column for the editor, the columns refused as personal."""
    fichier = ouvrir(content, filename, forme)
    distinct: dict[str, Counter[str]] = {c: Counter() for c in fichier.colonnes}
    personnelles: dict[str, Counter[str]] = {c: Counter() for c in fichier.colonnes}
    remplies: Counter[str] = Counter()
    premieres: list[dict[str, str]] = []
    total = 0
    for _index, row in fichier.lignes:
        if not any(row.values()):
            continue
        total += 1
        if len(premieres) < lignes:
            premieres.append(row)
        _compter(row, distinct, personnelles, remplies)
    refusees = {c: "titre" for c in fichier.colonnes if donnee_personnelle(fichier.titre(c))}
    for colonne, natures in personnelles.items():
        if colonne not in refusees and trop_personnelle(sum(natures.values()), remplies[colonne]):
            refusees[colonne] = natures.most_common(1)[0][0]
    valeurs = {c: [v for v, _n in counter.most_common(30)] for c, counter in distinct.items()}
    doublons = [
        f"Titre répété « {titre} » : la colonne suivante est gardée sous le nom « {nouveau} »."
        for titre, nouveau in fichier.renommees
    ]
    return Apercu(fichier.colonnes, fichier.titres, premieres, valeurs, refusees, total, doublons)


def _compter(
    row: dict[str, str],
    distinct: dict[str, Counter[str]],
    personnelles: dict[str, Counter[str]],
    remplies: Counter[str],
) -> None:
    for colonne, value in row.items():
        if not value:
            continue
        remplies[colonne] += 1
        if nature := nature_personnelle(value):
            personnelles[colonne][nature] += 1
        for part in SEPARATEURS.split(value):
            if part and (part in distinct[colonne] or len(distinct[colonne]) < MAX_DISTINCTES):
                distinct[colonne][part] += 1


def trop_personnelle(cellules: int, remplies: int) -> bool:
    """A column whose cells are wholly personal (e-mail, phone, name, address) in more than a few rows."""
    return cellules > SEUIL_LIGNES and cellules > SEUIL_PART * remplies
