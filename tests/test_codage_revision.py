"""Coded texts listed with filters, and a decision corrected: compare-and-set, audited, history kept."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from q2030 import codage, codage_revision
from q2030.access import Actor
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import QuestionnaireTheme, TexteLibre
from tests.test_codage import ANA, BOB, seed_texts


def _code_three(session: Session) -> list[int]:
    ids = sorted(seed_texts(session, 4))
    for texte_id, theme in zip(ids[:3], ["logement", "sante", "logement"], strict=True):
        codage.coder(session, actor=ANA, texte_id=texte_id, axe="changements", theme=theme)
    session.commit()
    return ids


def test_coded_texts_are_listed_and_filtered(session: Session) -> None:
    ids = _code_three(session)
    textes, total = codage_revision.textes_codes(session, actor=BOB)
    assert total == 3
    assert {t.id for t in textes} == set(ids[:3])  # the text still to code is not listed
    logement, n = codage_revision.textes_codes(session, actor=BOB, theme="logement")
    assert n == 2
    assert {t.theme for t in logement} == {"logement"}
    mot = textes[0].texte.split()[-1].strip(".!,").lower()
    found, _n = codage_revision.textes_codes(session, actor=BOB, recherche=mot)
    assert textes[0].id in {t.id for t in found}
    with pytest.raises(PermissionRefusee):
        codage_revision.textes_codes(session, actor=Actor(email="r@x.fr", role="referent", departement_code="93"))


def test_a_decision_is_corrected_with_compare_and_set_and_its_history_kept(session: Session) -> None:
    ids = _code_three(session)
    texte = session.get(TexteLibre, ids[0])
    assert texte is not None
    version = texte.version
    nouvelle = codage_revision.corriger(
        session, actor=BOB, texte_id=ids[0], version=version, axe="solutions", theme="sante", public="jeunes"
    )
    session.commit()
    assert nouvelle == version + 1
    themes = session.exec(select(QuestionnaireTheme).where(QuestionnaireTheme.texte_id == ids[0])).all()
    assert [(t.axe, t.theme, t.public) for t in themes] == [("solutions", "sante", "jeunes")]
    # A second analyst correcting from the old version is refused: nothing changes.
    with pytest.raises(ConflitDeVersion):
        codage_revision.corriger(session, actor=ANA, texte_id=ids[0], version=version, hors_sujet=True)
    session.rollback()
    historique = codage_revision.historique(session, actor=BOB, texte_id=ids[0])
    assert [(d.action, d.acteur, d.theme) for d in historique] == [
        ("codage", ANA.email, "logement"),
        ("correction", BOB.email, "sante"),
    ]
    # Set aside as off-topic: its theme no longer counts.
    codage_revision.corriger(session, actor=ANA, texte_id=ids[0], version=nouvelle, hors_sujet=True)
    session.commit()
    assert session.exec(select(QuestionnaireTheme).where(QuestionnaireTheme.texte_id == ids[0])).all() == []
    with pytest.raises(ValidationError, match="pas encore codé"):
        codage_revision.corriger(session, actor=ANA, texte_id=ids[3], version=1, axe="changements", theme="sante")
