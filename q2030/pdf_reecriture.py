"""Every uploaded PDF is rewritten by qpdf (through pikepdf) and only the rewritten file is kept.

A PDF can carry what a compte rendu never needs and a reader's viewer may act on: JavaScript
(document-level, in an OpenAction, in a link or form field), actions launching a program or
submitting a form, embedded files, and bytes hidden after its end or between its objects.
Rewriting keeps the pages (text, images, fonts, plain links) and drops all of that: the file
is parsed by qpdf and saved anew from its object graph, so nothing outside it survives. A file
qpdf cannot parse is refused.
"""

from __future__ import annotations

import io

import pikepdf

from q2030.errors import ValidationError

# Link actions that stay: move inside the document, open a web address.
SAFE_ACTIONS = {"/GoTo", "/URI", "/Named"}
# Annotations that carry media or files rather than marks on the page.
UNSAFE_ANNOTATIONS = {"/FileAttachment", "/Movie", "/Sound", "/Screen", "/RichMedia", "/3D"}


def _safe_action(action: object) -> bool:
    return isinstance(action, pikepdf.Dictionary) and str(action.get("/S", "")) in SAFE_ACTIONS


def _clean_annotations(page: pikepdf.Page) -> None:
    annots = page.obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return
    kept = pikepdf.Array()
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary) or str(annot.get("/Subtype", "")) in UNSAFE_ANNOTATIONS:
            continue
        _drop(annot, "/AA")
        if "/A" in annot and not _safe_action(annot["/A"]):
            del annot["/A"]
        kept.append(annot)
    page.obj["/Annots"] = kept


def _drop(dictionary: object, *keys: str) -> None:
    if isinstance(dictionary, pikepdf.Dictionary):
        for key in keys:
            if key in dictionary:
                del dictionary[key]


def _strip(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    _drop(root, "/OpenAction", "/AA", "/JavaScript", "/AF")  # /AF: PDF 2.0 associated files
    _drop(root.get("/Names"), "/JavaScript", "/EmbeddedFiles")
    acroform = root.get("/AcroForm")
    _drop(acroform, "/XFA")  # XFA forms run scripts in some readers
    for page in pdf.pages:
        _drop(page.obj, "/AA", "/AF")
        _clean_annotations(page)
    fields: object = acroform.get("/Fields", []) if isinstance(acroform, pikepdf.Dictionary) else []
    if not isinstance(fields, pikepdf.Array):
        return
    for field in fields:
        _drop(field, "/AA")


def rewrite(content: bytes, filename: str) -> bytes:
    """The PDF rewritten without scripts, actions, attachments or trailing data."""
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            _strip(pdf)
            pdf.remove_unreferenced_resources()
            out = io.BytesIO()
            pdf.save(out, fix_metadata_version=False, deterministic_id=True)
            return out.getvalue()
    except (pikepdf.PdfError, ValueError, RecursionError) as error:
        raise ValidationError(
            {
                "document": [
                    f"Le fichier « {filename} » est un PDF illisible ou endommagé : fichier refusé. "
                    "Exportez-le de nouveau en PDF depuis son logiciel."
                ]
            }
        ) from error
