"""The DOCX renderer of a `bureautique.Plan` (python-docx). Layout values come from
`bureautique` so that the ODT renderer draws the same page."""

from __future__ import annotations

import io
from typing import TypedDict, Unpack

from docx import Document
from docx.document import Document as DocumentDocx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from q2030.bureautique import (
    BLEU_FRANCE,
    BORDURE,
    ESPACES,
    FOND_ENTETE,
    FONT,
    INTERLIGNE,
    MARGE_CM,
    PAGE_CM,
    TAILLES,
    Bloc,
    BlocMarque,
    Graphique,
    Intertitre,
    Liste,
    Paragraphe,
    Plan,
    SautDePage,
    Signature,
    Tableau,
    Titre,
    figures,
    intitule,
    largeurs,
    numeros,
)  # fmt: skip

Docx = DocumentDocx  # python-docx's document (`docx.Document()` is its factory)


class _Run(TypedDict, total=False):
    """A run's character properties (`_paragraph`)."""

    bold: bool | None
    italic: bool | None
    color: str


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color.lstrip("#").upper())


def rendre_docx(plan: Plan) -> bytes:
    document = Document()
    document.core_properties.title = plan.titre
    document.core_properties.language = "fr-FR"
    _styles(document)
    _footer(document, plan.pied)
    numbers, charts = numeros(plan.blocs), figures(plan.blocs)
    for index, bloc in enumerate(plan.blocs):
        _bloc(document, bloc, numbers.get(index), charts.get(index))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _spacing(style_or_paragraph: ParagraphStyle | Paragraph, key: str) -> None:
    before, after = ESPACES[key]
    fmt = style_or_paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), INTERLIGNE


def _styles(document: Docx) -> None:
    bleu = _rgb(BLEU_FRANCE)
    normal = document.styles["Normal"]
    normal.font.size = Pt(TAILLES["normal"])
    _font(normal)
    _spacing(normal, "normal")
    for name, key in (("Heading 1", "h1"), ("Heading 2", "h2")):
        style = document.styles[name]
        _font(style)
        style.font.size, style.font.color.rgb, style.font.bold = Pt(TAILLES[key]), bleu, True
        style.font.italic = False
        _spacing(style, key)
        style.paragraph_format.keep_with_next = True
    _spacing(document.styles["List Bullet"], "liste")
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGE_CM))


def _font(style: ParagraphStyle) -> None:
    """FONT in every slot (East-Asian and complex scripts too), theme fonts removed: the
    template's headings name a theme font, which wins over a plain font name."""
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attribute)) is not None:
            del fonts.attrib[qn(attribute)]
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _footer(document: Docx, text: str) -> None:
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{text} — page ")
    # A PAGE field, built with python-docx's element factory (the library has no field API).
    page_field = OxmlElement("w:fldSimple")
    page_field.set(qn("w:instr"), "PAGE")
    page_field.append(footer.add_run("1")._r)
    footer._p.append(page_field)
    for run in footer.runs:
        run.font.size = Pt(TAILLES["pied"])


def _paragraph(
    document: Docx, text: str, *, size: str = "normal", spacing: str = "normal", **run: Unpack[_Run]
) -> Paragraph:
    paragraph = document.add_paragraph()
    _spacing(paragraph, spacing)
    added = paragraph.add_run(text)
    added.font.size = Pt(TAILLES[size])
    if "color" in run:
        added.font.color.rgb = _rgb(run["color"])
    if "bold" in run:
        added.bold = run["bold"]
    if "italic" in run:
        added.italic = run["italic"]
    return paragraph


def _bloc(document: Docx, bloc: Bloc, numero: str | None, figure: int | None) -> None:
    if isinstance(bloc, Intertitre):
        document.add_heading(intitule(numero, bloc), level=bloc.niveau)
    elif isinstance(bloc, Graphique):
        _graphique(document, bloc, figure or 0)
    elif isinstance(bloc, BlocMarque):
        _marque(document, bloc)
    elif isinstance(bloc, Titre):
        _titre(document, bloc)
    elif isinstance(bloc, Paragraphe):
        _paragraphe(document, bloc)
    elif isinstance(bloc, Liste):
        _liste(document, bloc)
    elif isinstance(bloc, Tableau):
        _tableau(document, bloc)
    elif isinstance(bloc, Signature):
        _signature(document, bloc)
    else:
        _saut(document, bloc)


def _titre(document: Docx, bloc: Titre) -> None:
    size, spacing = {0: ("titre", "titre"), 1: ("sous_titre", "titre")}.get(bloc.niveau, ("ligne", "ligne"))
    color = BLEU_FRANCE if bloc.niveau in (0, 1) else "#161616"
    _paragraph(document, bloc.texte, size=size, spacing=spacing, bold=bloc.niveau == 0 or None, color=color)


def _liste(document: Docx, bloc: Liste) -> None:
    for element in bloc.elements:
        document.add_paragraph(element, style="List Bullet")


def _signature(document: Docx, bloc: Signature) -> None:
    for text, bold in ((bloc.lieu_date, None), (bloc.titre, True), ("", None), ("", None), (bloc.nom, True)):
        paragraph = _paragraph(document, text, bold=bold)
        paragraph.paragraph_format.left_indent = Cm(9)
        paragraph.paragraph_format.space_after = Pt(0)


def _saut(document: Docx, _bloc: SautDePage) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # add_page_break, which is untyped


def _marque(document: Docx, bloc: BlocMarque) -> None:
    _paragraph(document, "RÉPUBLIQUE\nFRANÇAISE", size="marque", spacing="ligne", bold=True)
    _paragraph(document, "Liberté\nÉgalité\nFraternité", size="note", spacing="titre", italic=True)
    _paragraph(document, bloc.service, size="ligne", spacing="titre", bold=True)


def _paragraphe(document: Docx, bloc: Paragraphe) -> None:
    size = "note" if bloc.style in ("source", "note") else "normal"
    paragraph = _paragraph(document, bloc.texte, size=size, italic=bloc.style in ("citation", "note") or None)
    if bloc.style in ("citation", "source"):
        paragraph.paragraph_format.left_indent = Cm(1)
    if bloc.style == "citation":
        paragraph.paragraph_format.space_after = Pt(1)
    if bloc.style == "droite":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _cell_fill(cell: _Cell, hex_color: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_color.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _borders(table: Table) -> None:
    """Single borders on every edge and between cells (the table is readable printed)."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), BORDURE.lstrip("#"))
        borders.append(line)
    table._tbl.tblPr.append(borders)


def _tableau(document: Docx, bloc: Tableau) -> None:
    widths = largeurs(bloc)
    table = document.add_table(rows=1, cols=len(bloc.entetes))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row_index, values in enumerate([bloc.entetes, *bloc.lignes]):
        row = table.rows[0] if row_index == 0 else table.add_row()
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))  # a row never splits across two pages
        if row_index == 0:  # repeated at the top of each page
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            properties.append(header)
        for cell, text, width in zip(row.cells, values, widths, strict=True):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            _spacing(paragraph, "cellule")
            run = paragraph.add_run(text)
            run.font.size = Pt(TAILLES["cellule"])
            run.bold = row_index == 0 or None
            if row_index == 0:
                _cell_fill(cell, FOND_ENTETE)
    _paragraph(document, "", spacing="ligne")


def _graphique(document: Docx, bloc: Graphique, figure: int) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(paragraph, "normal")
    paragraph.paragraph_format.keep_with_next = True
    shape = paragraph.add_run().add_picture(io.BytesIO(bloc.png), width=Cm(bloc.largeur_cm), height=Cm(bloc.hauteur_cm))
    shape._inline.docPr.set("descr", bloc.alternative)  # the text alternative read by screen readers
    shape._inline.docPr.set("title", bloc.legende)
    caption = _paragraph(document, f"Figure {figure} — {bloc.legende}", size="legende", spacing="legende", italic=True)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
