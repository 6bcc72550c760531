"""The ODT renderer of a `bureautique.Plan` (odfdo). Layout values come from `bureautique`
so that the DOCX renderer draws the same page.

Two traps of odfdo's text template, both fixed here: its outline style numbers headings
(« 1. » before a heading already reading « 1. La démarche », hence « 1.1.1.1 ») — the
outline levels get no number format; and its default paragraph font is a serif — the
default style, every style of ours and the headings are set to the same sans-serif.
"""

from __future__ import annotations

import io

from odfdo import (
    Cell,
    Column,
    Document,
    DrawImage,
    Element,
    Frame,
    Header,
    HeaderRows,
    List,
    ListItem,
    Paragraph,
    Row,
    Style,
    StyleMasterPage,
    StylePageLayout,
    Table,
    VarPageNumber,
)  # fmt: skip

from q2030.bureautique import (
    BLEU_FRANCE,
    BORDURE,
    ESPACES,
    FOND_ENTETE,
    FONT,
    INTERLIGNE,
    MARGE_CELLULE_CM,
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

# Our paragraph styles: name -> (size key, spacing key, extra text properties, extra paragraph properties).
STYLES: dict[str, tuple[str, str, dict[str, str], dict[str, str]]] = {
    "Q_Normal": ("normal", "normal", {}, {}),
    "Q_Titre": ("titre", "titre", {"fo:font-weight": "bold", "fo:color": BLEU_FRANCE}, {}),
    "Q_SousTitre": ("sous_titre", "titre", {"fo:color": BLEU_FRANCE}, {}),
    "Q_Ligne": ("ligne", "ligne", {}, {}),
    "Q_Marque": ("marque", "ligne", {"fo:font-weight": "bold"}, {}),
    "Q_Devise": ("note", "titre", {"fo:font-style": "italic"}, {}),
    "Q_Service": ("ligne", "titre", {"fo:font-weight": "bold"}, {}),
    "Q_Citation": (
        "normal",
        "normal",
        {"fo:font-style": "italic"},
        {"fo:margin-left": "1cm", "fo:margin-bottom": "1pt"},
    ),
    "Q_Source": ("note", "normal", {}, {"fo:margin-left": "1cm"}),
    "Q_Note": ("note", "normal", {"fo:font-style": "italic"}, {}),
    "Q_Droite": ("normal", "normal", {}, {"fo:text-align": "end"}),
    # Word's "List Bullet" has contextual spacing (none between two items): the same here.
    "Q_Liste": ("normal", "liste", {}, {}),
    "Q_Cellule": ("cellule", "cellule", {}, {}),
    "Q_Entete": ("cellule", "cellule", {"fo:font-weight": "bold"}, {}),
    "Q_Image": ("normal", "normal", {}, {"fo:text-align": "center", "fo:keep-with-next": "always"}),
    "Q_Legende": ("legende", "legende", {"fo:font-style": "italic"}, {"fo:text-align": "center"}),
    "Q_Signature": ("normal", "cellule", {}, {"fo:margin-left": "9cm"}),
    "Q_SignatureNom": ("normal", "cellule", {"fo:font-weight": "bold"}, {"fo:margin-left": "9cm"}),
    "Q_Pied": ("pied", "cellule", {}, {"fo:text-align": "center"}),
    "Q_Saut": ("normal", "cellule", {}, {"fo:break-before": "page"}),
}
PARAGRAPHES = {
    "normal": "Q_Normal", "citation": "Q_Citation", "source": "Q_Source", "note": "Q_Note", "droite": "Q_Droite",
}  # fmt: skip


def rendre_odt(plan: Plan) -> bytes:
    document = Document("text")
    document.meta.title = plan.titre
    document.meta.language = "fr-FR"
    document.body.clear()
    _styles(document, plan.pied)
    numbers, charts = numeros(plan.blocs), figures(plan.blocs)
    for index, bloc in enumerate(plan.blocs):
        _bloc(document, bloc, numbers.get(index), charts.get(index))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pt(value: float) -> str:
    return f"{value:g}pt"


def _text_properties(size: str) -> dict[str, str]:
    return {"style:font-name": FONT, "fo:font-family": FONT, "fo:font-size": _pt(TAILLES[size])}


def _paragraph_properties(spacing: str) -> dict[str, str]:
    before, after = ESPACES[spacing]
    return {"fo:margin-top": _pt(before), "fo:margin-bottom": _pt(after), "fo:line-height": f"{INTERLIGNE:.0%}"}


def _styles(document: Document, footer_text: str) -> None:
    _font_face(document)
    default = document.get_style("paragraph", None)  # the default style: a serif in odfdo's template
    if isinstance(default, Style):
        default.set_properties(area="text", properties=_text_properties("normal"))
    for name in ("Standard", "Text_20_body", "Heading", "List"):
        found = document.get_style("paragraph", name)
        if isinstance(found, Style):
            font: dict[str, str] = {"style:font-name": FONT, "fo:font-family": FONT}
            found.set_properties(area="text", properties=font)
    for name, (size, spacing, text, paragraph) in STYLES.items():
        style = Style("paragraph", name, parent_style="Standard")
        style.set_properties(area="text", properties=(_text_properties(size) | text))
        style.set_properties(area="paragraph", properties=(_paragraph_properties(spacing) | paragraph))
        if name == "Q_Liste":  # odfdo's property filter does not know this attribute: set it directly
            properties = style.get_element("style:paragraph-properties")
            if properties is not None:
                properties.set_attribute("style:contextual-spacing", "true")
        document.insert_style(style, automatic=False)
    for level, key in ((1, "h1"), (2, "h2")):
        heading = document.get_style("paragraph", f"Heading_20_{level}")
        if isinstance(heading, Style):
            heading.set_properties(
                area="text", properties=_text_properties(key) | {"fo:color": BLEU_FRANCE, "fo:font-weight": "bold",
                                                                 "fo:font-style": "normal"}
            )  # fmt: skip
            heading.set_properties(
                area="paragraph", properties=_paragraph_properties(key) | {"fo:keep-with-next": "always"}
            )
    _no_outline_numbers(document)
    _bullets(document)
    _table_styles(document)
    _page(document, footer_text)


def _font_face(document: Document) -> None:
    decls = document.styles.get_element("//office:font-face-decls")
    if decls is not None and not decls.get_elements(f"style:font-face[@style:name='{FONT}']"):
        face = Element.from_tag(f'<style:font-face style:name="{FONT}" style:font-family-generic="swiss"/>')
        face.set_attribute("svg:font-family", FONT)
        face.set_attribute("style:font-pitch", "variable")
        decls.append(face)


def _no_outline_numbers(document: Document) -> None:
    """Headings carry their number in their text: the outline adds none."""
    for level in document.styles.get_elements("//text:outline-style/text:outline-level-style"):
        for attribute in ("style:num-suffix", "style:num-prefix", "loext:num-list-format", "text:display-levels"):
            if level.get_attribute(attribute) is not None:
                level.del_attribute(attribute)
        level.set_attribute("style:num-format", "")


def _bullets(document: Document) -> None:
    bullets = Style("list", "Q_Puces")
    bullets.set_level_style(1, bullet_char="•")
    level = bullets.get_level_style(1)
    if level is not None:
        properties = Element.from_tag(
            '<style:list-level-properties text:list-level-position-and-space-mode="label-alignment">'
            '<style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="0.63cm" '
            'fo:text-indent="-0.63cm" fo:margin-left="0.63cm"/></style:list-level-properties>'
        )
        level.append(properties)
    document.insert_style(bullets, automatic=False)


def _table_styles(document: Document) -> None:
    # A row never splits across two pages (a split row left an empty-looking stub under the repeated header).
    row = Element.from_tag(
        '<style:style style:name="Q_Rangee" style:family="table-row">'
        '<style:table-row-properties fo:keep-together="always"/></style:style>'
    )
    if not isinstance(row, Style):  # odfdo builds a <style:style> as its Style class
        raise TypeError(f"odfdo built {type(row).__name__} for a style")
    document.insert_style(row, automatic=True)
    border = f"0.5pt solid {BORDURE}"
    for name, fill in (("Q_Case", None), ("Q_CaseEntete", FOND_ENTETE)):
        cell = Style(
            "table-cell",
            name,
            border=border,
            padding_left=f"{MARGE_CELLULE_CM}cm",
            padding_right=f"{MARGE_CELLULE_CM}cm",
            padding_top="0cm",
            padding_bottom="0cm",
            background_color=fill,
        )
        document.insert_style(cell, automatic=True)


def _page(document: Document, footer_text: str) -> None:
    layout_name = None
    master = document.get_style("master-page", "Standard")
    if isinstance(master, StyleMasterPage):
        layout_name = master.get_attribute("style:page-layout-name")
        footer = Paragraph(f"{footer_text} — page ", style="Q_Pied")
        footer.append(VarPageNumber())
        master.set_page_footer(footer)
    layout = document.get_style("page-layout", layout_name) if isinstance(layout_name, str) else None
    if isinstance(layout, StylePageLayout):
        margin = f"{MARGE_CM}cm"
        layout.set_properties(
            area="page-layout",
            properties={"fo:page-width": f"{PAGE_CM[0]}cm", "fo:page-height": f"{PAGE_CM[1]}cm",
                        "fo:margin-top": margin, "fo:margin-bottom": margin, "fo:margin-left": margin,
                        "fo:margin-right": margin},
        )  # fmt: skip
        # Room between the text and the footer (a table ran into it).
        for old in layout.get_elements("style:footer-style"):
            layout.delete(old)
        layout.append(
            Element.from_tag(
                '<style:footer-style><style:header-footer-properties fo:min-height="0cm" fo:margin-top="0.4cm"/>'
                "</style:footer-style>"
            )
        )


def _bloc(document: Document, bloc: Bloc, numero: str | None, figure: int | None) -> None:
    body = document.body
    if isinstance(bloc, BlocMarque):
        body.append(Paragraph("RÉPUBLIQUE\nFRANÇAISE", style="Q_Marque"))
        body.append(Paragraph("Liberté\nÉgalité\nFraternité", style="Q_Devise"))
        body.append(Paragraph(bloc.service, style="Q_Service"))
    elif isinstance(bloc, Titre):
        body.append(Paragraph(bloc.texte, style={0: "Q_Titre", 1: "Q_SousTitre"}.get(bloc.niveau, "Q_Ligne")))
    elif isinstance(bloc, Intertitre):
        body.append(Header(bloc.niveau, intitule(numero, bloc), style=f"Heading_20_{bloc.niveau}"))
    elif isinstance(bloc, Paragraphe):
        body.append(Paragraph(bloc.texte, style=PARAGRAPHES[bloc.style]))
    elif isinstance(bloc, Graphique):
        _graphique(document, bloc, figure or 0)
    else:
        _autres(document, bloc)


def _autres(document: Document, bloc: Bloc) -> None:
    body = document.body
    if isinstance(bloc, Liste):
        items = List(style="Q_Puces")
        for element in bloc.elements:
            items.append(ListItem(Paragraph(element, style="Q_Liste")))
        body.append(items)
    elif isinstance(bloc, Tableau):
        _tableau(document, bloc)
    elif isinstance(bloc, Signature):
        lines = ((bloc.lieu_date, "Q_Signature"), (bloc.titre, "Q_SignatureNom"), ("", "Q_Signature"),
                 ("", "Q_Signature"), (bloc.nom, "Q_SignatureNom"))  # fmt: skip
        for text, style in lines:
            body.append(Paragraph(text, style=style))
    elif isinstance(bloc, SautDePage):
        body.append(Paragraph("", style="Q_Saut"))


def _tableau(document: Document, bloc: Tableau) -> None:
    body = document.body
    number = len(body.get_tables()) + 1
    widths = largeurs(bloc)
    table_style = Style("table", f"Q_Tableau{number}", width=f"{sum(widths):.2f}cm", align="center")
    document.insert_style(table_style, automatic=True)
    # Rows are built then appended (no pre-sized grid: odfdo's set_cell clones cells, slow).
    table = Table(f"Tableau{number}", style=f"Q_Tableau{number}")
    for index, width in enumerate(widths):
        column_style = Style("table-column", f"Q_Tableau{number}_{index}")
        column_width: dict[str, str] = {"style:column-width": f"{width}cm"}
        column_style.set_properties(area="table-column", properties=column_width)
        document.insert_style(column_style, automatic=True)
        table.append(Column(style=f"Q_Tableau{number}_{index}"))
    header = HeaderRows()  # repeated at the top of each page
    header.append(_row(bloc.entetes, "Q_CaseEntete", "Q_Entete"))
    table.append(header)
    for values in bloc.lignes:
        table.append(_row(values, "Q_Case", "Q_Cellule"))
    body.append(table)
    body.append(Paragraph("", style="Q_Ligne"))


def _row(values: list[str], cell_style: str, paragraph_style: str) -> Row:
    row = Row(style="Q_Rangee")
    for text in values:
        cell = Cell(style=cell_style)
        cell.append(Paragraph(text, style=paragraph_style))
        row.append(cell)
    return row


def _graphique(document: Document, bloc: Graphique, figure: int) -> None:
    href = document.add_file(io.BytesIO(bloc.png))
    image = DrawImage(href)
    frame = Frame.image_frame(
        image, name=f"Figure {figure}", size=(f"{bloc.largeur_cm}cm", f"{bloc.hauteur_cm}cm"), anchor_type="as-char"
    )
    # The text alternative (svg:title, svg:desc) read by screen readers and kept by LibreOffice.
    title = Element.from_tag("<svg:title/>")
    title.text = bloc.legende
    description = Element.from_tag("<svg:desc/>")
    description.text = bloc.alternative
    frame.append(title)
    frame.append(description)
    paragraph = Paragraph("", style="Q_Image")
    paragraph.append(frame)
    document.body.append(paragraph)
    document.body.append(Paragraph(f"Figure {figure} — {bloc.legende}", style="Q_Legende"))
