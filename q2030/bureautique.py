"""Editable office documents (DOCX with python-docx, ODT with odfdo) from one neutral outline.

A document is a list of blocks (the République française block, title lines, headings,
paragraphs, quotes, bullet lists, tables, charts, a signature, page breaks). Both renderers
(`bureautique_docx`, `bureautique_odt`) walk the same list, so the DOCX and the ODT say
exactly the same thing; `q2030.rendu.rendre(plan, "docx" | "odt")` picks one. Text is
always set through the libraries' text APIs (never spliced into XML): `<`, `&`, quotes and
a leading `=` stay plain text.

What both renderers share is decided here, once:
- heading numbers (`numeros`): « 1. », « 1.1 », written in the heading's text; neither
  format adds its own numbering (the ODT template's outline numbering is switched off);
- column widths of tables (`largeurs`), from the length of their content;
- the text (`propre`: no character lxml refuses);
- the font (sans-serif, Arial: LibreOffice draws it with the metric-compatible Liberation
  Sans), sizes and spacing (`TAILLES`, `ESPACES`), the page (A4, 2.2 cm margins).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Literal, TypeVar

from q2030.control_chars import clean_text

BLEU_FRANCE = "#000091"
ROUGE_MARIANNE = "#E1000F"
FOND_ENTETE = "#E3E3FD"  # header row of tables
BORDURE = "#3A3A3A"
FONT = "Arial"
PAGE_CM = (21.0, 29.7)
MARGE_CM = 2.2
LARGEUR_UTILE_CM = PAGE_CM[0] - 2 * MARGE_CM
# Points: body, headings, cover lines, table cells, notes, footer.
TAILLES = {"normal": 10.5, "titre": 22.0, "sous_titre": 14.0, "ligne": 11.0, "h1": 15.0, "h2": 12.5,
           "cellule": 9.0, "note": 9.0, "pied": 8.5, "marque": 12.0, "legende": 9.0}  # fmt: skip
# Points before / after: the same spacing in both formats (their templates differ otherwise).
ESPACES = {"normal": (0.0, 6.0), "h1": (18.0, 6.0), "h2": (12.0, 4.0), "liste": (0.0, 3.0), "cellule": (1.0, 1.0),
           "titre": (6.0, 6.0), "ligne": (0.0, 4.0), "legende": (2.0, 10.0)}  # fmt: skip
INTERLIGNE = 1.15


def xml_sur(text: str) -> str:
    """Text lxml accepts, by the rule every stored text follows (`q2030.control_chars`): a form
    feed or vertical tab becomes a line break, other control characters go, tabs and line
    breaks stay. Both renderers pass every text through it."""
    return clean_text(text)


@dataclass(frozen=True)
class BlocMarque:
    """The République française block of the cover: RÉPUBLIQUE FRANÇAISE, the motto, then the
    issuing service (« Préfecture de la Seine-Saint-Denis »)."""

    service: str


@dataclass(frozen=True)
class Titre:
    """Cover line: level 0 is the document title, 1 a subtitle, 2 a plain cover line."""

    texte: str
    niveau: int = 0


@dataclass(frozen=True)
class Intertitre:
    """Heading of level 1 or 2, numbered by the outline (`numeros`), not by its author."""

    texte: str
    niveau: int = 1


@dataclass(frozen=True)
class Paragraphe:
    texte: str
    style: Literal["normal", "citation", "source", "note", "droite"] = "normal"


@dataclass(frozen=True)
class Liste:
    elements: list[str]


@dataclass(frozen=True)
class Tableau:
    entetes: list[str]
    lignes: list[list[str]]


@dataclass(frozen=True)
class Graphique:
    """A chart as a PNG, its caption (« Figure 1 — … » is added) and a text alternative."""

    png: bytes
    legende: str
    alternative: str
    largeur_cm: float = 15.0

    @property
    def hauteur_cm(self) -> float:
        width, height = png_size(self.png)
        return round(self.largeur_cm * height / width, 2)


@dataclass(frozen=True)
class Signature:
    """The signatory, right-aligned: « À Bobigny, le 21 décembre 2023 », title, name."""

    lieu_date: str
    titre: str
    nom: str


@dataclass(frozen=True)
class SautDePage:
    pass


Bloc = BlocMarque | Titre | Intertitre | Paragraphe | Liste | Tableau | Graphique | Signature | SautDePage


@dataclass
class Plan:
    """A whole document: blocks plus the footer text (the page number is appended)."""

    titre: str
    pied: str
    blocs: list[Bloc] = field(default_factory=list)

    def add(self, *blocs: Bloc) -> None:
        self.blocs.extend(blocs)


def numeros(blocs: list[Bloc]) -> dict[int, str]:
    """The number of each heading, by its index in `blocs`: « 1. » for level 1, « 1.1 » for
    level 2 (the one numbering both formats print)."""
    out: dict[int, str] = {}
    first = second = 0
    for index, bloc in enumerate(blocs):
        if not isinstance(bloc, Intertitre):
            continue
        if bloc.niveau <= 1:
            first, second = first + 1, 0
            out[index] = f"{first}."
        else:
            second += 1
            out[index] = f"{first}.{second}"
    return out


def intitule(numero: str | None, bloc: Intertitre) -> str:
    return f"{numero} {bloc.texte}" if numero else bloc.texte


def figures(blocs: list[Bloc]) -> dict[int, int]:
    """The number of each chart (« Figure 2 »), by its index in `blocs`."""
    charts = [index for index, bloc in enumerate(blocs) if isinstance(bloc, Graphique)]
    return {index: n for n, index in enumerate(charts, start=1)}


CM_PAR_CARACTERE = 0.19  # a 9 pt Arial character, generously (bold headers, wide letters)
MARGE_CELLULE_CM = 0.19  # padding each side of a cell, both formats (Word's default)


def largeurs(bloc: Tableau, total_cm: float = LARGEUR_UTILE_CM) -> list[float]:
    """Column widths (cm) that fit their content: each column wants the width of its longest
    cell on one line (and at least its header's longest word). When all fit, the spare width
    is shared in proportion; otherwise the columns that fit keep their width (a date, a number
    never wraps) and the others share the rest in proportion to their length (they wrap)."""
    wanted = []
    for column, header in enumerate(bloc.entetes):
        cells = [row[column] for row in bloc.lignes if column < len(row)]
        longest = max((len(c) for c in cells), default=0)
        header_word = max((len(w) for w in header.split()), default=1)
        wanted.append(max(longest, header_word, 2) * CM_PAR_CARACTERE + 2 * MARGE_CELLULE_CM)
    if sum(wanted) <= total_cm:
        return [round(w * total_cm / sum(wanted), 2) for w in wanted]
    widths: list[float | None] = [None] * len(wanted)
    room = total_cm
    while True:  # water-filling: a column narrower than an equal share of what is left keeps its width
        open_columns = [i for i, w in enumerate(widths) if w is None]
        share = room / len(open_columns)
        fitting = [i for i in open_columns if wanted[i] <= share]
        if not fitting or len(fitting) == len(open_columns):
            break
        for i in fitting:
            widths[i] = wanted[i]
            room -= wanted[i]
    open_columns = [i for i, w in enumerate(widths) if w is None]
    weight = sum(wanted[i] for i in open_columns)
    for i in open_columns:
        widths[i] = room * wanted[i] / weight
    return [round(float(w or 0), 2) for w in widths]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG header (IHDR)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("Image PNG attendue.")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_BlocT = TypeVar("_BlocT", bound="DataclassInstance")


def _propre(value: object) -> object:
    if isinstance(value, str):
        return xml_sur(value)
    if isinstance(value, list):
        return [_propre(item) for item in value]
    return value


def _bloc_propre(bloc: _BlocT) -> _BlocT:
    """The same block, each of its texts made safe (generic: `replace` keeps the block's type)."""
    return replace(bloc, **{f.name: _propre(getattr(bloc, f.name)) for f in fields(bloc)})


def propre(plan: Plan) -> Plan:
    """The plan with every text made safe for XML (stored text never crashes a renderer)."""
    return Plan(xml_sur(plan.titre), xml_sur(plan.pied), [_bloc_propre(bloc) for bloc in plan.blocs])
