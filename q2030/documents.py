"""Comptes rendus: PDF, DOCX or ODT files attached to a rencontre.

The type is read from the bytes, never from the name. Files are stored once per content
under Q2030_UPLOAD_DIR/<sha256> (outside any served folder); the database keeps the
name shown to users. A rolled-back upload may leave its file behind: harmless, since a
file is only reachable through a Document row and identical content reuses it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import TypeVar

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030 import apres_ecriture, audit, pdf_reecriture
from q2030.access import SYSTEM, Action, Actor, DepartementCible, allowed, exiger
from q2030.audit import ActionAudit, EntiteAudit
from q2030.comptage import compte_valeur, soumettre
from q2030.db import PROJECT_ROOT, select_columns
from q2030.errors import IntrouvableError, ValidationError
from q2030.models import Document, SyntheseDocument, utcnow
from q2030.rencontres.acces import cible, find_rencontre, require_read_rencontre
from q2030.rencontres.verrous import lock_rencontre

MAX_BYTES = 10 * 1024 * 1024
TYPES: dict[str, tuple[str, str]] = {
    # kind: (MIME type, extension)
    "pdf": ("application/pdf", ".pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "odt": ("application/vnd.oasis.opendocument.text", ".odt"),
}


ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"

# What comes after a PDF's last "%%EOF": only whitespace (PDF counts NUL as whitespace).
PDF_SPACE = b"\x00\t\n\x0c\r "
HTML_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe)\b", re.IGNORECASE)
_IMAGE = r"(?:png|jpe?g|jpe|gif|bmp|tiff?|emf|wmf|emz|wmz|svg|wdp|jxr)"
# Every member a WordprocessingML (DOCX) or OpenDocument text (ODT) file holds, as written
# by Word, LibreOffice, Google Docs, WPS: XML parts, images, fonts. Nothing else: no program,
# no macro (vbaProject.bin, Basic/), no embedded object (a workbook in word/embeddings/, which
# may carry macros, an OLE package, an ODT « Object N » with its replacement picture).
MEMBERS: dict[str, re.Pattern[str]] = {
    "docx": re.compile(
        r"\[Content_Types\]\.xml|_rels/\.rels"
        r"|docProps/[^/]+\.xml|docProps/thumbnail\.(?:jpe?g|png|emf|wmf)"
        r"|word/(?:[^/]+/)*[^/]+\.(?:xml|rels)"
        rf"|word/media/[^/]+\.{_IMAGE}"
        r"|word/fonts/[^/]+\.(?:odttf|ttf|otf|fntdata)"
        r"|word/printerSettings/[^/]+\.bin"
        r"|customXml/(?:_rels/)?[^/]+\.(?:xml|rels)"
        r"|_xmlsignatures/(?:_rels/)?[^/]+\.(?:xml|rels|sigs)",
        re.IGNORECASE,
    ),
    "odt": re.compile(
        r"mimetype|content\.xml|styles\.xml|meta\.xml|settings\.xml|manifest\.rdf|layout-cache"
        r"|META-INF/manifest\.xml|META-INF/documentsignatures\.xml"
        r"|Thumbnails/thumbnail\.png"
        rf"|Pictures/[^/]+\.{_IMAGE}"
        r"|Configurations2/(?:[^/]+/)*(?:[^/]+\.(?:xml|png))?",
        re.IGNORECASE,
    ),
}
KIND_LABEL = {"docx": "un document Word (DOCX)", "odt": "un document ODT"}


def upload_dir() -> Path:
    """Read at call time so that tests and deployments can move it."""
    return Path(os.environ.get("Q2030_UPLOAD_DIR") or PROJECT_ROOT / "data" / "uploads")


def detect_type(content: bytes) -> str | None:
    """ "pdf", "docx", "odt" from the content, or None."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            # The declared size is checked before reading: a tiny compressed "mimetype"
            # could otherwise inflate to gigabytes in memory (zip bomb).
            if (
                "mimetype" in names
                and archive.getinfo("mimetype").file_size <= len(ODT_MIMETYPE) + 2
                and archive.read("mimetype").strip() == ODT_MIMETYPE
            ):
                return "odt"
            if "[Content_Types].xml" in names and any(name.startswith("word/") for name in names):
                return "docx"
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError):
        return None
    return None


# Image parts of a DOCX or ODT: they must be images by their content (signatures below).
MEDIA = re.compile(rf"(?:word/media/|Pictures/|docProps/thumbnail\.|Thumbnails/)[^/]*\.?{_IMAGE}", re.IGNORECASE)
# Embedded objects: a workbook or document inside a DOCX (word/embeddings/, OLE or OOXML, with
# or without macros) or an ODT (« Object 1/ », its replacement picture).
EMBEDDED = re.compile(r"word/embeddings/|Object \d+/|ObjectReplacements/", re.IGNORECASE)
IMAGE_SIGNATURES = (
    b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM", b"II*\x00", b"MM\x00*",  # PNG, JPEG, GIF, BMP, TIFF
    b"\xd7\xcd", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00", b"\x01\x00\x00\x00",  # WMF, EMF
    b"\x1f\x8b", b"II\xbc", b"<", b"\xef\xbb\xbf<",  # EMZ / WMZ (gzip), JPEG XR, SVG
)  # fmt: skip


def _is_image(content: bytes, info: zipfile.ZipInfo) -> bool:
    """Whether an archive part starts like an image (an executable renamed photo.png does not)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(info) as part:
            head = part.read(16).lstrip(b" \t\r\n")
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return False
    return head.startswith(IMAGE_SIGNATURES)


def structure_problem(content: bytes, kind: str) -> str | None:
    """Why a file of the detected type must still be refused (French, after its name), or None.

    A PDF ends with "%%EOF": anything appended after it (an archive, a web page) is
    refused. A DOCX or ODT holds only the parts such a document has (MEMBERS).
    """
    if kind == "pdf":
        if not content.rstrip(PDF_SPACE).endswith(b"%%EOF"):
            return (
                "ne se termine pas comme un PDF (« %%EOF ») : il est tronqué ou des données y ont été "
                "ajoutées. Exportez-le de nouveau en PDF depuis son logiciel."
            )
        after_first_end = content[content.find(b"%%EOF") :]
        if zipfile.is_zipfile(io.BytesIO(content)) or HTML_MARKUP.search(after_first_end):
            return (
                "contient, après la fin du PDF, une archive ou une page web : fichier refusé. "
                "Exportez-le de nouveau en PDF depuis son logiciel."
            )
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return "est une archive illisible."
    allowed = MEMBERS[kind]
    if any(EMBEDDED.match(info.filename) for info in infos):
        return (
            "contient un objet incorporé (un classeur, un graphique ou un autre document dans le document) : "
            "fichier refusé. Collez le tableau ou le graphique comme image, ou exportez le document en PDF."
        )
    for info in infos:
        if MEDIA.fullmatch(info.filename) and not _is_image(content, info):
            shown = info.filename if len(info.filename) <= 80 else info.filename[:77] + "…"
            return (
                f"contient « {shown} », qui porte un nom d'image mais n'en est pas une : fichier refusé. "
                "Enregistrez-le de nouveau depuis son logiciel, ou exportez-le en PDF."
            )
    for info in infos:
        name = info.filename
        unsafe = name.startswith("/") or "\\" in name or ".." in name.split("/")
        folder = name.endswith("/") and info.file_size == 0
        if unsafe or not (folder or allowed.fullmatch(name)):
            shown = name if len(name) <= 80 else name[:77] + "…"
            return (
                f"contient « {shown} », qu'{KIND_LABEL[kind]} ne contient jamais : fichier refusé. "
                "Enregistrez-le de nouveau sans objet incorporé, ou exportez-le en PDF."
            )
    return None


# Unicode categories removed from file names: controls, format characters (bidi overrides and
# isolates, zero-width), surrogates, private use, unassigned, line and paragraph separators.
_INVISIBLES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def sanitize_filename(filename: str, kind: str) -> str:
    """Base name only, no control, bidirectional or invisible characters (U+202E « right-to-left
    override » makes « facture<RLO>fdp.exe » read as « factureexe.pdf »), no path
    characters, the extension of the real type."""
    name = unicodedata.normalize("NFC", str(filename)).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _INVISIBLES)
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().lstrip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    wanted = TYPES[kind][1]
    if f".{extension.lower()}" != wanted:
        stem = name  # keep what the user called it, add the real extension
    stem = stem[: 255 - len(wanted)].strip() or "compte-rendu"
    return f"{stem}{wanted}"


def add_document(
    session: Session,
    *,
    actor: Actor,
    rencontre_id: int,
    filename: str,
    content: bytes,
    depose_le: dt.datetime | None = None,
) -> Document:
    """Check, store and record a compte rendu of the rencontre; `depose_le`: the moment of the
    deposit (now unless a replay or a test gives its own, as services take their day)."""
    rencontre = find_rencontre(session, rencontre_id)
    exiger(
        actor,
        Action.ECRIRE_RENCONTRE,
        cible(rencontre),
        "Seul le référent du département peut déposer les comptes rendus de ses rencontres.",
    )
    kind, digest = check_and_store(filename, content)
    document = Document(
        rencontre_id=rencontre_id,
        nom_fichier=sanitize_filename(filename, kind),
        type_mime=TYPES[kind][0],
        taille=len(content),
        sha256=digest,
        depose_par=actor.email,
        depose_le=depose_le or utcnow(),
    )
    if not allowed(actor, Action.VALIDER_RENCONTRE, cible(rencontre)):  # an organiser's compte rendu
        deposes = session.exec(select(func.count()).where(Document.rencontre_id == rencontre_id)).one()
        rencontre = lock_rencontre(session, rencontre_id, actor=actor)
        soumettre(rencontre, avant={"comptes_rendus": int(deposes)})
        apres_ecriture.noter(session, entite="rencontre", entite_id=rencontre_id)  # it stops counting
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="depot_document",
        entite="document",
        entite_id=document.id,
        apres=audit.snapshot(document),
    )
    session.flush()
    return document


def check_and_store(filename: str, content: bytes) -> tuple[str, str]:
    """The checks every uploaded document passes (size, real type); store it; (kind, sha256)."""
    if not content:
        raise ValidationError({"document": [f"Le fichier « {filename} » est vide."]})
    if len(content) > MAX_BYTES:
        raise ValidationError(
            {"document": [f"Le fichier « {filename} » dépasse 10 Mo ({len(content) / 1024 / 1024:.1f} Mo)."]}
        )
    kind = detect_type(content)
    if kind is None:
        raise ValidationError(
            {"document": [f"Le fichier « {filename} » n'est ni un PDF, ni un document Word (DOCX), ni un ODT."]}
        )
    problem = structure_problem(content, kind)
    if problem is not None:
        raise ValidationError({"document": [f"Le fichier « {filename} » {problem}"]})
    if kind == "pdf":
        content = pdf_reecriture.rewrite(content, filename)  # only the rewritten file is kept
    digest = hashlib.sha256(content).hexdigest()
    _store(digest, content)
    return kind, digest


class FichierIndisponible(IntrouvableError):
    """A stored file is missing or altered on disk (its content no longer matches its digest)."""


INDISPONIBLE = "Ce document n'est plus disponible."


def read_stored(digest: str, nom_fichier: str) -> bytes:
    """The stored bytes of a document, checked against their digest."""
    path = upload_dir() / digest
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise FichierIndisponible(f"Le fichier de « {nom_fichier} » est introuvable sur le serveur.") from None
    if hashlib.sha256(content).hexdigest() != digest:
        raise FichierIndisponible(f"Le fichier de « {nom_fichier} » est altéré sur le serveur.")
    return content


def _public_content(session: Session, document: _Stored, entite: EntiteAudit) -> tuple[_Stored, bytes]:
    """A published file for a visitor; missing or altered on disk: « Ce document n'est plus
    disponible » for the visitor, and an audit row for the administrators (Administration,
    journal: « Fichier publié indisponible »), committed even though the visitor's read fails."""
    try:
        return _content(document)
    except FichierIndisponible as error:
        audit.record(
            session, actor=SYSTEM, action="fichier_indisponible", entite=entite, entite_id=document.id,
            apres={"nom_fichier": document.nom_fichier, "sha256": document.sha256, "motif": str(error)},
        )  # fmt: skip
        session.commit()
        raise IntrouvableError(INDISPONIBLE) from None


def _store(digest: str, content: bytes) -> None:
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if target.exists():
        return  # same content already stored
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    os.replace(temporary, target)  # atomic: a reader never sees half a file


def read_document(session: Session, *, actor: Actor, document_id: int) -> tuple[Document, bytes]:
    document = session.get(Document, document_id)
    if document is None:
        raise IntrouvableError(f"Le document n° {document_id} n'existe pas (ou plus).")
    require_read_rencontre(actor, find_rencontre(session, document.rencontre_id))
    return _content(document)


def _set_synthese_publication(session: Session, *, actor: Actor, document_id: int, publier: bool) -> SyntheseDocument:
    document = session.get(SyntheseDocument, document_id)
    if document is None:
        raise IntrouvableError(f"La version de synthèse n° {document_id} n'existe pas (ou plus).")
    exiger(
        actor,
        Action.REDIGER_SYNTHESE,
        DepartementCible(document.departement_code),
        "Seul le référent du département peut publier ou retirer sa synthèse départementale.",
    )
    return _switch_publication(session, actor=actor, document=document, publier=publier, entite="synthese")


def publier_synthese(session: Session, *, actor: Actor, document_id: int) -> SyntheseDocument:
    """« Publier » a version of the synthèse départementale on the public page."""
    return _set_synthese_publication(session, actor=actor, document_id=document_id, publier=True)


def retirer_synthese(session: Session, *, actor: Actor, document_id: int) -> SyntheseDocument:
    return _set_synthese_publication(session, actor=actor, document_id=document_id, publier=False)


def read_published_synthese(session: Session, *, document_id: int) -> tuple[SyntheseDocument, bytes]:
    """The public download of a synthèse version: published only, same refusal otherwise."""
    document = session.get(SyntheseDocument, document_id)
    if document is None or document.publie_le is None:
        raise IntrouvableError(NON_PUBLIE)
    return _public_content(session, document, "synthese_document")


_Stored = TypeVar("_Stored", Document, SyntheseDocument)


def _content(document: _Stored) -> tuple[_Stored, bytes]:
    return document, read_stored(document.sha256, document.nom_fichier)


# The audit action of a publication (True) or its withdrawal (False), by kind of document.
_PUBLICATION: dict[str, dict[bool, ActionAudit]] = {
    "document": {True: "publication_document", False: "retrait_document"},
    "synthese": {True: "publication_synthese", False: "retrait_synthese"},
}


def _switch_publication(session: Session, *, actor: Actor, document: _Stored, publier: bool, entite: str) -> _Stored:
    """Publish or withdraw a stored file, audited; already in the asked state: nothing written."""
    if (document.publie_le is not None) == publier:
        return document
    before = audit.snapshot(document)
    document.publie_le = utcnow() if publier else None
    document.publie_par = actor.email if publier else ""
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=_PUBLICATION[entite][publier],
        entite="synthese_document" if entite == "synthese" else "document",
        entite_id=document.id,
        avant=before,
        apres=audit.snapshot(document),
    )
    session.flush()
    return document


def list_documents(session: Session, *, actor: Actor, rencontre_id: int) -> pd.DataFrame:
    require_read_rencontre(actor, find_rencontre(session, rencontre_id))
    rows = session.exec(
        select_columns(
            Document.id,
            Document.nom_fichier,
            Document.type_mime,
            Document.taille,
            Document.depose_le,
            Document.publie_le,
        )
        .where(Document.rencontre_id == rencontre_id)
        .order_by(col(Document.id))
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=["id", "nom_fichier", "type_mime", "taille", "depose_le", "publie_le"]
    )


# --- Publication: nothing is public until a référent publishes it ------------------------

NON_PUBLIE = "Ce document n'existe pas ou n'est pas publié."


def _set_publication(session: Session, *, actor: Actor, document_id: int, publier: bool) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise IntrouvableError(f"Le document n° {document_id} n'existe pas (ou plus).")
    exiger(
        actor,
        Action.PUBLIER_DOCUMENT,
        cible(find_rencontre(session, document.rencontre_id)),
        "Seul le référent du département peut publier ou retirer les comptes rendus de ses rencontres.",
    )
    return _switch_publication(session, actor=actor, document=document, publier=publier, entite="document")


def publier_document(session: Session, *, actor: Actor, document_id: int) -> Document:
    """« Publier » : the compte rendu appears on the public restitution pages."""
    return _set_publication(session, actor=actor, document_id=document_id, publier=True)


def retirer_document(session: Session, *, actor: Actor, document_id: int) -> Document:
    """« Retirer » : the compte rendu is no longer served to anyone without a sign-in."""
    return _set_publication(session, actor=actor, document_id=document_id, publier=False)


def read_published_document(session: Session, *, document_id: int) -> tuple[Document, bytes]:
    """The download path of the public pages: a published document, or the same refusal
    whether it does not exist or is not published (its existence is not revealed)."""
    document = session.get(Document, document_id)
    if document is None or document.publie_le is None:
        raise IntrouvableError(NON_PUBLIE)
    if not compte_valeur(find_rencontre(session, document.rencontre_id).validation):
        raise IntrouvableError(NON_PUBLIE)  # its meeting awaits validation again
    return _public_content(session, document, "document")
