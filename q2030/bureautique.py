"""Editable office documents (DOCX with python-docx, ODT with odfdo) from one neutral outline.

A document is a list of blocks (title lines, numbered headings, paragraphs, quotes, bullet
lists, tables, page breaks). Both renderers walk the same list, so the DOCX and the ODT of
a synthesis say exactly the same thing. Text is always set through the libraries' text
APIs (never spliced into XML): `<`, `&`, quotes and a leading `=` stay plain text.

Style: sober State style (sans-serif, headings in bleu France #000091, numbered in their
text so that numbering survives any editor), page number in the footer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

BLEU_FRANCE = "#000091"
FONT = "Arial"


@dataclass(frozen=True)
class Titre:
    """Cover line: level 0 is the document title, 1 a subtitle, 2 a plain cover line."""

    texte: str
    niveau: int = 0


@dataclass(frozen=True)
class Intertitre:
    """Numbered heading ("1. La démarche"), level 1 or 2."""

    texte: str
    niveau: int = 1


@dataclass(frozen=True)
class Paragraphe:
    texte: str
    style: Literal["normal", "citation", "source", "note"] = "normal"


@dataclass(frozen=True)
class Liste:
    elements: list[str]


@dataclass(frozen=True)
class Tableau:
    entetes: list[str]
    lignes: list[list[str]]


@dataclass(frozen=True)
class SautDePage:
    pass


Bloc = Titre | Intertitre | Paragraphe | Liste | Tableau | SautDePage


@dataclass
class Plan:
    """A whole document: blocks plus the footer text (the page number is appended)."""

    titre: str
    pied: str
    blocs: list[Bloc] = field(default_factory=list)

    def add(self, *blocs: Bloc) -> None:
        self.blocs.extend(blocs)


FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


def rendre(plan: Plan, fmt: str) -> bytes:
    if fmt == "docx":
        return rendre_docx(plan)
    if fmt == "odt":
        return rendre_odt(plan)
    raise ValueError(f"Format inconnu : {fmt} (attendu : docx ou odt).")


# --- DOCX ------------------------------------------------------------------------------------


def rendre_docx(plan: Plan) -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = plan.titre
    document.core_properties.language = "fr-FR"
    _docx_styles(document)
    _docx_footer(document, plan.pied)
    for bloc in plan.blocs:
        _DOCX[type(bloc)](document, bloc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_styles(document) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Cm, Pt, RGBColor

    bleu = RGBColor.from_string(BLEU_FRANCE.lstrip("#").upper())
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    for name, size in (("Title", 24), ("Subtitle", 14), ("Heading 1", 15), ("Heading 2", 12.5)):
        style = document.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = bleu
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))


def _docx_footer(document, text: str) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{text} — page ")
    # A PAGE field, built with python-docx's element factory (the library has no field API).
    page_field = OxmlElement("w:fldSimple")
    page_field.set(qn("w:instr"), "PAGE")
    page_field.append(footer.add_run("1")._r)
    footer._p.append(page_field)
    for run in footer.runs:
        run.font.size = Pt(8.5)


def _docx_titre(document, bloc: Titre) -> None:  # type: ignore[no-untyped-def]
    document.add_paragraph(bloc.texte, style={0: "Title", 1: "Subtitle"}.get(bloc.niveau))


def _docx_intertitre(document, bloc: Intertitre) -> None:  # type: ignore[no-untyped-def]
    document.add_heading(bloc.texte, level=bloc.niveau)


def _docx_paragraphe(document, bloc: Paragraphe) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Cm, Pt

    paragraph = document.add_paragraph()
    run = paragraph.add_run(bloc.texte)
    if bloc.style in ("citation", "source"):
        paragraph.paragraph_format.left_indent = Cm(1)
    if bloc.style in ("source", "note"):
        run.font.size = Pt(9)
    run.italic = bloc.style in ("citation", "note") or None


def _docx_liste(document, bloc: Liste) -> None:  # type: ignore[no-untyped-def]
    for element in bloc.elements:
        document.add_paragraph(element, style="List Bullet")


def _docx_tableau(document, bloc: Tableau) -> None:  # type: ignore[no-untyped-def]
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(bloc.entetes))
    table.style = "Table Grid"
    for row_index, values in enumerate([bloc.entetes, *bloc.lignes]):
        cells = table.rows[0].cells if row_index == 0 else table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(9)
            run.bold = row_index == 0 or None
    document.add_paragraph()


def _docx_saut(document, _bloc: SautDePage) -> None:  # type: ignore[no-untyped-def]
    document.add_page_break()


_DOCX: dict[type, Callable[[Any, Any], None]] = {
    Titre: _docx_titre, Intertitre: _docx_intertitre, Paragraphe: _docx_paragraphe, Liste: _docx_liste,
    Tableau: _docx_tableau, SautDePage: _docx_saut,
}  # fmt: skip


# --- ODT -------------------------------------------------------------------------------------

ODT_STYLES_PARAGRAPHE = {"normal": "Q_Normal", "citation": "Q_Citation", "source": "Q_Source", "note": "Q_Note"}


def rendre_odt(plan: Plan) -> bytes:
    from odfdo import Document

    document = Document("text")
    document.meta.title = plan.titre
    document.meta.language = "fr-FR"
    document.body.clear()
    _odt_styles(document, plan.pied)
    for bloc in plan.blocs:
        _odt_bloc(document.body, bloc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _odt_styles(document, footer_text: str) -> None:  # type: ignore[no-untyped-def]
    from odfdo import Paragraph, Style, VarPageNumber

    for style in (
        Style("paragraph", "Q_Normal", parent_style="Standard", area="text", font_name=FONT, font_family=FONT),
        Style("paragraph", "Q_Titre", parent_style="Standard", area="text", color=BLEU_FRANCE, bold=True),
        Style("paragraph", "Q_SousTitre", parent_style="Standard", area="text", color=BLEU_FRANCE),
        Style("paragraph", "Q_Citation", parent_style="Standard", area="text", italic=True),
        Style("paragraph", "Q_Source", parent_style="Standard", area="text"),
        Style("paragraph", "Q_Note", parent_style="Standard", area="text", italic=True),
        Style("paragraph", "Q_Pied", parent_style="Standard", area="text"),
        Style("paragraph", "Q_Saut", parent_style="Standard", break_before="page"),
        Style("paragraph", "Q_Cellule", parent_style="Standard", area="text"),
        Style("paragraph", "Q_Entete", parent_style="Standard", area="text", bold=True),
    ):
        document.insert_style(style, automatic=False)
    _odt_sizes(document)
    for name in ("Heading_20_1", "Heading_20_2"):
        heading = document.get_style("paragraph", name)
        if heading is not None:
            heading.set_properties(area="text", color=BLEU_FRANCE)
    master = document.get_style("master-page", "Standard")
    footer = Paragraph(f"{footer_text} — page ", style="Q_Pied")
    footer.append(VarPageNumber())
    if master is not None:
        master.set_page_footer(footer)


def _odt_bloc(body, bloc: Bloc) -> None:  # type: ignore[no-untyped-def]
    from odfdo import Header, List, ListItem, Paragraph

    if isinstance(bloc, Titre):
        body.append(Paragraph(bloc.texte, style={0: "Q_Titre", 1: "Q_SousTitre"}.get(bloc.niveau, "Q_Normal")))
    elif isinstance(bloc, Intertitre):
        body.append(Header(bloc.niveau, bloc.texte, suppress_numbering=True))
    elif isinstance(bloc, Paragraphe):
        body.append(Paragraph(bloc.texte, style=ODT_STYLES_PARAGRAPHE[bloc.style]))
    elif isinstance(bloc, Liste):
        items = List()
        for element in bloc.elements:
            items.append(ListItem(Paragraph(element, style="Q_Normal")))
        body.append(items)
    elif isinstance(bloc, Tableau):
        _odt_tableau(body, bloc)
    else:
        body.append(Paragraph("", style="Q_Saut"))


def _odt_tableau(body, bloc: Tableau) -> None:  # type: ignore[no-untyped-def]
    from odfdo import Cell, Column, Paragraph, Row, Table

    # Rows are built then appended (no pre-sized grid: odfdo's set_cell clones cells, slow).
    table = Table(f"Tableau{len(body.get_tables()) + 1}")
    table.append(Column(repeated=len(bloc.entetes)))
    for index, values in enumerate([bloc.entetes, *bloc.lignes]):
        row = Row()
        for text in values:
            cell = Cell()
            cell.append(Paragraph(text, style="Q_Entete" if index == 0 else "Q_Cellule"))
            row.append(cell)
        table.append(row)
    body.append(table)
    body.append(Paragraph("", style="Q_Normal"))


def _odt_sizes(document) -> None:  # type: ignore[no-untyped-def]
    sizes = {"Q_Titre": "24pt", "Q_SousTitre": "14pt", "Q_Source": "9pt", "Q_Note": "9pt", "Q_Pied": "8.5pt",
             "Q_Cellule": "9pt", "Q_Entete": "9pt", "Q_Normal": "10.5pt", "Q_Citation": "10.5pt"}  # fmt: skip
    for name, size in sizes.items():
        style = document.get_style("paragraph", name)
        if style is not None:
            style.set_properties(area="text", **{"fo:font-size": size, "style:font-name": FONT})
    for name in ("Q_Citation", "Q_Source"):
        style = document.get_style("paragraph", name)
        if style is not None:
            style.set_properties(area="paragraph", **{"fo:margin-left": "1cm"})
