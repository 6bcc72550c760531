"""The synthèse départementale as a document: free text with versions, uploaded versions
never overwritten, transmitted with the file, returned "à reprendre", forwarded, listed
and zipped for the commission. Every step audited and bumping the data version."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from q2030.access import Actor
from q2030.apres_ecriture import data_version
from q2030.campaigns import active_campaign
from q2030.coverage import coverage_counts
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, SyntheseDocument
from q2030.syntheses import (
    archive_syntheses,
    deposer_version,
    enregistrer_etape,
    enregistrer_textes,
    lire_version,
    renvoyer,
    synthese_departementale,
    tableau_syntheses,
    textes_synthese,
    versions,
)
from tests import factories as f
from tests.helpers import pdf_document

REFERENT = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
OTHER_REFERENT = Actor(email="r69@x.fr", role="referent", departement_code="69", region_code="84")
PREFET = Actor(email="p11@x.fr", role="prefet_region", region_code="11")
OTHER_PREFET = Actor(email="p84@x.fr", role="prefet_region", region_code="84")
COMMISSION = Actor(email="c@x.fr", role="commission")
PDF = pdf_document()
PDF2 = pdf_document("Version 2")
TODAY = dt.date(2023, 12, 31)


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("Q2030_UPLOAD_DIR", str(folder))
    return folder


def _audits(session: Session, action: str) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).one()


def test_free_text_is_versioned_audited_and_checked(session: Session) -> None:
    f.qpv(session, "QN09301M", "93")
    session.commit()
    before = data_version(session)
    view = enregistrer_textes(
        session, actor=REFERENT, departement_code="93", enseignements=" Premier jet ", vigilance="",
        motifs={"QN09301M": "Salle fermée", "": ""}, version=0,
    )  # fmt: skip
    session.commit()
    assert (view.version, view.enseignements, view.motifs) == (1, "Premier jet", {"QN09301M": "Salle fermée"})
    assert data_version(session) == before + 1
    assert _audits(session, "textes_synthese") == 1
    view = enregistrer_textes(session, actor=REFERENT, departement_code="93", enseignements="Second jet",
                              vigilance="=1+1 <script>", motifs={}, version=1)  # fmt: skip
    session.commit()
    assert (view.version, view.vigilance) == (2, "=1+1 <script>")
    with pytest.raises(ConflitDeVersion):  # a stale form (version 1) never overwrites version 2
        enregistrer_textes(session, actor=REFERENT, departement_code="93", enseignements="Périmé", vigilance="",
                           motifs={}, version=1)  # fmt: skip
    session.rollback()
    with pytest.raises(ConflitDeVersion):
        enregistrer_textes(session, actor=REFERENT, departement_code="93", enseignements="x", vigilance="",
                           motifs={}, version=0)  # fmt: skip
    session.rollback()
    with pytest.raises(ValidationError, match="QN06901M"):
        enregistrer_textes(session, actor=REFERENT, departement_code="93", enseignements="", vigilance="",
                           motifs={"QN06901M": "pas chez nous"}, version=2)  # fmt: skip
    with pytest.raises(PermissionRefusee):
        enregistrer_textes(session, actor=PREFET, departement_code="93", enseignements="", vigilance="",
                           motifs={}, version=2)  # fmt: skip
    session.rollback()
    assert textes_synthese(session, actor=PREFET, departement_code="93").enseignements == "Second jet"


def test_the_chain_carries_the_document(session: Session, uploads: Path) -> None:
    f.qpv(session, "QN09301M", "93")
    session.commit()
    first = deposer_version(session, actor=REFERENT, departement_code="93", filename="synthese.pdf", content=PDF)
    session.commit()
    assert (first.numero, first.nom_fichier, first.etat) == (1, "synthese.pdf", "Déposée, non transmise")
    # Not transmitted: the préfecture de région and the commission do not see it.
    assert versions(session, actor=PREFET, departement_code="93") == []
    with pytest.raises(PermissionRefusee):
        lire_version(session, actor=PREFET, document_id=first.id)
    with pytest.raises(PermissionRefusee):
        deposer_version(session, actor=PREFET, departement_code="93", filename="x.pdf", content=PDF)
    with pytest.raises(ValidationError, match="ni un PDF"):
        deposer_version(session, actor=REFERENT, departement_code="93", filename="x.pdf", content=b"<html>")
    session.rollback()

    view = enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                             date=dt.date(2023, 8, 20), version=0, aujourd_hui=TODAY, document_id=first.id)  # fmt: skip
    session.commit()
    assert view.statut == "transmise_region"
    assert lire_version(session, actor=PREFET, document_id=first.id)[1] == PDF
    with pytest.raises(PermissionRefusee):
        lire_version(session, actor=OTHER_PREFET, document_id=first.id)
    with pytest.raises(PermissionRefusee):
        renvoyer(session, actor=OTHER_PREFET, departement_code="93", commentaire="Non", version=view.version)
    with pytest.raises(ValidationError, match="à reprendre"):
        renvoyer(session, actor=PREFET, departement_code="93", commentaire="  ", version=view.version)

    view = renvoyer(session, actor=PREFET, departement_code="93", commentaire="Ajouter les quartiers <non> couverts",
                    version=view.version, date=dt.date(2023, 8, 22), aujourd_hui=TODAY)  # fmt: skip
    session.commit()
    assert (view.statut, view.transmise_region_le) == ("a_reprendre", None)
    counts = coverage_counts(session, actor=REFERENT, au=TODAY).set_index("code")
    assert counts.loc["93", "synthese_statut_libelle"].startswith("À reprendre")
    returned = versions(session, actor=REFERENT, departement_code="93")[0]
    assert returned.renvoye_le == dt.date(2023, 8, 22)
    assert returned.commentaire_retour == "Ajouter les quartiers <non> couverts"
    # The returned file cannot be transmitted again: a new version is a new document.
    with pytest.raises(ValidationError, match="nouvelle version"):
        enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                          date=dt.date(2023, 8, 25), version=view.version, aujourd_hui=TODAY,
                          document_id=first.id)  # fmt: skip
    session.rollback()
    second = deposer_version(session, actor=REFERENT, departement_code="93", filename="synthese v2.pdf",
                             content=PDF2)  # fmt: skip
    view = enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                             date=dt.date(2023, 8, 25), version=view.version, aujourd_hui=TODAY,
                             document_id=second.id)  # fmt: skip
    view = enregistrer_etape(session, actor=PREFET, departement_code="93", etape="transmise_commission",
                             date=dt.date(2023, 8, 30), version=view.version, aujourd_hui=TODAY)  # fmt: skip
    session.commit()
    assert view.statut == "transmise_commission"
    history = versions(session, actor=REFERENT, departement_code="93")
    assert [(v.numero, v.etat) for v in history] == [
        (2, "Transmise à la commission et à l'ANCT"),
        (1, "Renvoyée par la préfecture de région (à reprendre)"),
    ]
    assert [v.numero for v in versions(session, actor=PREFET, departement_code="93")] == [2, 1]
    assert [v.numero for v in versions(session, actor=COMMISSION, departement_code="93")] == [2]
    with pytest.raises(PermissionRefusee):
        lire_version(session, actor=COMMISSION, document_id=first.id)
    # Files are never overwritten: both contents are still there, each under its own digest.
    rows = session.exec(select(SyntheseDocument).order_by(col(SyntheseDocument.numero))).all()
    assert [(uploads / r.sha256).read_bytes() for r in rows] == [PDF, PDF2]
    assert _audits(session, "depot_synthese") == 2
    assert _audits(session, "renvoyee") == 1
    assert _audits(session, "transmise_region") == 2
    assert _audits(session, "transmise_commission") == 1

    table = tableau_syntheses(session, actor=COMMISSION, au=TODAY).set_index("code")
    assert len(table) == 101
    assert table.loc["93", "synthese_statut"] == "transmise_commission"
    assert table.loc["93", "document_nom"] == "synthese v2.pdf"
    assert table.loc["93", "versions"] == 1
    assert table.loc["69", "document_nom"] == ""
    content, files = archive_syntheses(session, actor=COMMISSION)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["93-v2-synthese v2.pdf"]
        assert files == 1
        assert archive.read("93-v2-synthese v2.pdf") == PDF2
    assert len(tableau_syntheses(session, actor=PREFET, au=TODAY)) == 8  # Île-de-France


def test_transmission_needs_a_file_of_the_departement_and_not_twice(session: Session) -> None:
    mine = deposer_version(session, actor=REFERENT, departement_code="93", filename="a.pdf", content=PDF)
    theirs = deposer_version(session, actor=OTHER_REFERENT, departement_code="69", filename="b.pdf", content=PDF)
    session.commit()
    with pytest.raises(ValidationError, match="n'existe pas pour ce département"):
        enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                          date=TODAY, version=0, aujourd_hui=TODAY, document_id=theirs.id)  # fmt: skip
    session.rollback()
    view = enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                             date=TODAY, version=0, aujourd_hui=TODAY, document_id=mine.id)  # fmt: skip
    session.commit()
    other = deposer_version(session, actor=REFERENT, departement_code="93", filename="c.pdf", content=PDF)
    with pytest.raises(ValidationError, match="déjà transmise"):
        enregistrer_etape(session, actor=REFERENT, departement_code="93", etape="transmise_region",
                          date=TODAY, version=view.version, aujourd_hui=TODAY, document_id=other.id)  # fmt: skip
    session.rollback()
    assert synthese_departementale(session, actor=REFERENT, departement_code="93").version == 1
    assert active_campaign(session).synthese_departementale_echeance == dt.date(2023, 9, 1)


def test_one_access_rule_decides_which_versions_each_level_sees(session: Session) -> None:
    """Issue 21 #7: access.versions_de_synthese_lues is the only rule; drafts stay with the référent."""
    from q2030 import access, documents

    assert not hasattr(documents, "versions_synthese")  # the second list, with its own rule, is gone
    draft = deposer_version(session, actor=REFERENT, departement_code="93", filename="brouillon.pdf", content=PDF)
    session.commit()

    def seen(actor: Actor) -> list[int]:
        rows = session.exec(
            select(col(SyntheseDocument.id)).where(
                SyntheseDocument.departement_code == "93", access.versions_de_synthese_lues(actor, "93")
            )
        ).all()
        ids = [i for i in rows if i is not None]  # a primary key is never NULL: narrows the type
        assert [v.id for v in versions(session, actor=actor, departement_code="93")] == ids
        return ids

    assert seen(REFERENT) == [draft.id]
    assert seen(PREFET) == []
    assert seen(COMMISSION) == []
    with pytest.raises(PermissionRefusee):
        access.versions_de_synthese_lues(OTHER_PREFET, "93")
    with pytest.raises(PermissionRefusee):
        access.versions_de_synthese_lues(OTHER_REFERENT, "93")
