"""Comptes rendus: type read from the content, size limit, safe names, dedup, rights."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session, select

from q2030.documents import MAX_BYTES, add_document, detect_type, list_documents, read_document, sanitize_filename
from q2030.errors import PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Document, stored_id
from q2030.rencontres.ecriture import create_rencontre
from q2030.rencontres.lecture import list_rencontres
from tests.helpers import pdf_document
from tests.rencontres_data import COMMISSION, PREFET_ARA, PREFET_IDF, REFERENT_69, REFERENT_93, held, load_geography

PDF = pdf_document()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


@pytest.fixture
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "depot"
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def rencontre_id(session: Session) -> int:
    load_geography(session)
    return stored_id(create_rencontre(session, actor=REFERENT_93, data=held()))


def test_detects_types_from_content_not_name() -> None:
    assert detect_type(PDF) == "pdf"
    assert detect_type(DOCX) == "docx"
    assert detect_type(ODT) == "odt"
    for other in (ODS, XLSX, b"PK\x03\x04broken zip", b"MZ\x90\x00 an exe", b"<html>", b""):
        assert detect_type(other) is None


def test_filenames_are_sanitised() -> None:
    assert sanitize_filename("../../etc/passwd.pdf", "pdf") == "passwd.pdf"
    assert sanitize_filename("C:\\Users\\moi\\CR réunion.pdf", "pdf") == "CR réunion.pdf"
    assert sanitize_filename("..", "pdf") == "compte-rendu.pdf"
    assert sanitize_filename("compte\x00rendu<1>.PDF", "pdf") == "compterendu1.pdf"
    assert sanitize_filename("rapport.pdf", "docx") == "rapport.pdf.docx"  # the content decides
    assert len(sanitize_filename("a" * 400 + ".odt", "odt")) == 255


def test_upload_stores_bytes_by_hash_once_and_audits(session: Session, rencontre_id: int, uploads: Path) -> None:
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="../cr.pdf", content=PDF)
    again = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="copie.pdf", content=PDF)
    word = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.docx", content=DOCX)
    session.commit()
    assert document.nom_fichier == "cr.pdf"
    assert document.type_mime == "application/pdf"
    assert document.sha256 == again.sha256
    assert sorted(p.name for p in uploads.iterdir()) == sorted({document.sha256, word.sha256})
    assert (uploads / document.sha256).read_bytes() == PDF
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "depot_document")).all()
    assert len(events) == 3
    assert (events[0].apres or {})["nom_fichier"] == "cr.pdf"
    assert list_rencontres(session, actor=REFERENT_93, departement_code="93")["comptes_rendus"].tolist() == [3]
    assert list(list_documents(session, actor=REFERENT_93, rencontre_id=rencontre_id)["nom_fichier"]) == [
        "cr.pdf",
        "copie.pdf",
        "cr.docx",
    ]


@pytest.mark.parametrize(
    ("filename", "content", "fragment"),
    [
        ("cr.pdf", b"", "est vide"),
        ("cr.pdf", b"MZ fake pdf", "n'est ni un PDF"),
        ("tableau.odt", ODS, "n'est ni un PDF"),
        ("gros.pdf", b"%PDF-" + b"0" * MAX_BYTES, "dépasse 10 Mo"),
    ],
    ids=["vide", "exe-renomme", "tableur-odt", "trop-gros"],  # stable ids: the ODS bytes hold a timestamp
)
def test_refused_files_write_nothing(
    session: Session, rencontre_id: int, uploads: Path, filename: str, content: bytes, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename=filename, content=content)
    assert fragment in caught.value.errors["document"][0]
    assert not session.exec(select(Document)).all()
    assert not uploads.exists() or not any(uploads.iterdir())


def test_exactly_ten_megabytes_is_accepted(session: Session, rencontre_id: int, uploads: Path) -> None:
    real = pdf_document()
    content = real + b"\n" * (MAX_BYTES - len(real))  # trailing white space: still a whole PDF
    assert len(content) == MAX_BYTES
    assert add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="a.pdf", content=content)


def test_rights_to_upload_and_read(session: Session, rencontre_id: int, uploads: Path) -> None:
    for outsider in (REFERENT_69, PREFET_IDF, COMMISSION):
        with pytest.raises(PermissionRefusee):
            add_document(session, actor=outsider, rencontre_id=rencontre_id, filename="cr.pdf", content=PDF)
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.odt", content=ODT)
    session.commit()
    for reader in (REFERENT_93, PREFET_IDF, COMMISSION):
        found, content = read_document(session, actor=reader, document_id=stored_id(document))
        assert content == ODT
        assert found.nom_fichier == "cr.odt"
    for outsider in (REFERENT_69, PREFET_ARA):
        with pytest.raises(PermissionRefusee):
            read_document(session, actor=outsider, document_id=stored_id(document))


def test_upload_dir_is_read_at_call_time(
    session: Session, rencontre_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(tmp_path / "ailleurs"))
    document = add_document(session, actor=REFERENT_93, rencontre_id=rencontre_id, filename="cr.pdf", content=PDF)
    assert (tmp_path / "ailleurs" / document.sha256).exists()
