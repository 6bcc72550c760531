"""Contributions of a rencontre: replaced as a table, every bad cell named."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from q2030.contributions import LigneContribution, lignes_lues, list_contributions, replace_contributions
from q2030.errors import ConflitDeVersion, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Contribution, stored_id
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre
from q2030.rencontres.lecture import list_rencontres
from q2030.rencontres.verrous import lock_rencontre
from tests.rencontres_data import PREFET_IDF, REFERENT_69, REFERENT_93, REFERENT_93_BIS, held, load_geography

ROWS: list[LigneContribution] = [
    {"axe": "changements", "theme": "securite", "texte": "Plus de médiateurs le soir", "rang": 1, "public": "jeunes"},
    # French labels, as pasted from a spreadsheet or chosen in the editor
    {
        "axe": "4. Solutions et dispositifs à déployer en priorité",
        "theme": "Éducation",
        "texte": "Études dirigées",
        "rang": 2.0,
        "public": "Familles",
    },
    {"axe": "projets", "theme": "logement", "texte": "  Rénover les halls  ", "rang": None, "public": None},
]


@pytest.fixture
def rencontre_id(session: Session) -> int:
    load_geography(session)
    return stored_id(create_rencontre(session, actor=REFERENT_93, data=held()))


def test_replace_accepts_codes_and_labels_fills_search_text_and_audits(session: Session, rencontre_id: int) -> None:
    created = replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS).contributions
    session.commit()
    assert [(c.axe, c.theme, c.rang, c.public) for c in created] == [
        ("changements", "securite", 1, "jeunes"),
        ("solutions", "education", 2, "familles"),
        ("projets", "logement", None, "tous"),
    ]
    stored = session.exec(select(Contribution).where(Contribution.texte == "Études dirigées")).one()
    assert stored.texte_norm == "etudes dirigees"
    assert created[2].texte == "Rénover les halls"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "contributions")).one()
    assert event.apres is not None
    assert event.avant == {"contributions": []}
    assert len(event.apres["contributions"]) == 3
    frame = list_contributions(session, actor=PREFET_IDF, rencontre_id=rencontre_id)
    assert list(frame["theme"]) == ["Tranquillité publique et sécurité", "Éducation", "Logement et habitat"]
    assert list_rencontres(session, actor=REFERENT_93, departement_code="93")["contributions"].tolist() == [3]


def test_replace_replaces_and_skips_blank_rows(session: Session, rencontre_id: int) -> None:
    replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS)
    blank = lignes_lues([{"axe": None, "theme": "", "texte": float("nan"), "rang": None, "public": None}])  # a cell
    replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=[ROWS[0], *blank])
    texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == rencontre_id)).all()
    assert texts == ["Plus de médiateurs le soir"]


def test_rows_added_by_enter_in_the_grid_holding_only_the_default_public_are_ignored(
    session: Session, rencontre_id: int
) -> None:
    """Issue 21, item 2: Enter on the last row adds rows with « Tous » as public; main refused the
    whole save (« à remplir » on each) instead of ignoring them."""
    added: list[LigneContribution] = [{"axe": None, "theme": None, "texte": None, "rang": None, "public": "Tous"}] * 2
    replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=[ROWS[0], *added])
    texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == rencontre_id)).all()
    assert texts == ["Plus de médiateurs le soir"]


def test_errors_name_row_and_column_and_change_nothing(session: Session, rencontre_id: int) -> None:
    replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS)
    session.commit()
    bad: list[LigneContribution] = [
        ROWS[0],
        {"axe": "5. Autre", "theme": "Sécurité routière", "texte": "", "rang": -2, "public": "tous"},
        {"axe": "projets", "theme": "sport", "texte": "Un city stade", "rang": 0, "public": "enfants"},
    ]
    with pytest.raises(ValidationError) as caught:
        replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=bad)
    messages = caught.value.errors["contributions"]
    assert "Ligne 2, colonne « Axe » : « 5. Autre » n'est pas une valeur possible." in messages
    assert any(m.startswith("Ligne 2, colonne « Thème »") for m in messages)
    assert "Ligne 2, colonne « Contribution » : à remplir." in messages
    assert any(m.startswith("Ligne 2, colonne « Rang de priorité »") for m in messages)
    assert any(m.startswith("Ligne 3, colonne « Rang de priorité »") for m in messages)
    assert any(m.startswith("Ligne 3, colonne « Public concerné »") for m in messages)
    session.rollback()
    assert len(session.exec(select(Contribution)).all()) == 3


def test_only_the_referent_writes_and_not_on_a_cancelled_rencontre(session: Session, rencontre_id: int) -> None:
    for actor in (REFERENT_69, PREFET_IDF):
        with pytest.raises(PermissionRefusee):
            replace_contributions(session, actor=actor, rencontre_id=rencontre_id, rows=ROWS)
    with pytest.raises(PermissionRefusee):
        list_contributions(session, actor=REFERENT_69, rencontre_id=rencontre_id)
    planned = create_rencontre(session, actor=REFERENT_93, data=held(statut="prevue", qpv_codes=["QN09303A"]))
    cancel_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(planned), version=1, motif="Pluie")
    with pytest.raises(ValidationError, match="annulée"):
        replace_contributions(session, actor=REFERENT_93, rencontre_id=stored_id(planned), rows=ROWS)


def test_a_grid_saved_over_rows_it_did_not_show_is_refused_and_theirs_are_kept(
    session: Session, rencontre_id: int
) -> None:
    """Two référents type in the same rencontre's grid: the second save sends the rows its grid
    showed, finds a colleague's rows in their place and is refused, in French, naming who saved;
    the colleague's rows stay. A save over the rows it showed passes, even after the rencontre's
    version moved for another reason (a document, the form)."""
    replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS)
    session.commit()
    shown = lignes_lues(list_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id).to_dict("records"))
    colleague = ROWS[1:]
    replace_contributions(session, actor=REFERENT_93_BIS, rencontre_id=rencontre_id, rows=colleague, lues=shown)
    session.commit()
    with pytest.raises(ConflitDeVersion, match=f"Dernière modification par {REFERENT_93_BIS.email}") as refused:
        replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS[:1], lues=shown)
    session.rollback()
    assert "les vôtres n'ont pas été enregistrées" in str(refused.value)
    texts = session.exec(select(Contribution.texte).where(Contribution.rencontre_id == rencontre_id)).all()
    assert sorted(texts) == ["Rénover les halls", "Études dirigées"]

    shown = lignes_lues(list_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id).to_dict("records"))
    with pytest.raises(ConflitDeVersion):  # a grid opened empty, saved over the two rows since
        replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS[:1], lues=[])
    session.rollback()
    lock_rencontre(session, rencontre_id, actor=REFERENT_93)  # the version moves (as a document upload does)
    session.commit()
    saved = replace_contributions(session, actor=REFERENT_93, rencontre_id=rencontre_id, rows=ROWS[:1], lues=shown)
    session.commit()
    assert [c.texte for c in saved.contributions] == ["Plus de médiateurs le soir"]
