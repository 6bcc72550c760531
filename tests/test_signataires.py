"""The signatory of a département's documents: set by its référent, audited, compare-and-set,
printed in the signature block of the synthèse and of the letters."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from q2030.access import Actor
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent
from q2030.signataires import enregistrer_signataire, signataire

REFERENT = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
PREFET = Actor(email="p11@x.fr", role="prefet_region", region_code="11")


def test_unset_signatory_prints_the_prefet_title(session: Session) -> None:
    view = signataire(session, actor=REFERENT, departement_code="93")
    assert (view.nom, view.version) == ("", 0)
    assert view.titre_imprime == "Le préfet de la Seine-Saint-Denis"


def test_referent_sets_then_edits_with_the_version_it_saw(session: Session) -> None:
    first = enregistrer_signataire(
        session, actor=REFERENT, departement_code="93", nom=" Jacques Witkowski ",
        titre="Le préfet de la Seine-Saint-Denis", version=0,
    )  # fmt: skip
    session.commit()
    assert (first.nom, first.version, first.modifie_par) == ("Jacques Witkowski", 1, "r93@x.fr")
    second = enregistrer_signataire(
        session, actor=REFERENT, departement_code="93", nom="Jacques Witkowski",
        titre="Pour le préfet et par délégation, le sous-préfet chargé de la politique de la ville", version=1,
    )  # fmt: skip
    session.commit()
    assert second.version == 2
    assert second.titre_imprime.startswith("Pour le préfet et par délégation")
    with pytest.raises(ConflitDeVersion):  # a second tab still showing version 1
        enregistrer_signataire(session, actor=REFERENT, departement_code="93", nom="X", titre="Y", version=1)
    events = session.exec(select(AuditEvent).where(AuditEvent.entite == "signataire")).all()
    assert [e.action for e in events] == ["creation", "modification"]


def test_bad_input_and_other_roles_write_nothing(session: Session) -> None:
    with pytest.raises(ValidationError) as refused:
        enregistrer_signataire(session, actor=REFERENT, departement_code="93", nom="", titre="", version=0)
    assert set(refused.value.errors) == {"nom", "titre"}
    with pytest.raises(PermissionRefusee):
        enregistrer_signataire(session, actor=PREFET, departement_code="93", nom="A", titre="B", version=0)
    # Control characters pasted from a PDF never reach the documents.
    saved = enregistrer_signataire(
        session, actor=REFERENT, departement_code="93", nom="Jacques\x0cWitkowski", titre="Le préfet", version=0
    )
    assert saved.nom == "Jacques Witkowski"
