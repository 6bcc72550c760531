"""Service rules of q2030.rencontres (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from q2030 import apres_ecriture
from q2030.errors import ConflitDeVersion, IntrouvableError, PermissionRefusee, ValidationError
from q2030.models import AuditEvent, Rencontre, RencontreQpv, stored_id
from q2030.rencontres.controle import validate_rencontre
from q2030.rencontres.doublons import DoublonProbable, probable_duplicates
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, delete_rencontre, update_rencontre
from q2030.rencontres.lecture import get_rencontre, list_rencontres
from q2030.rencontres.saisie import SaisieRencontre, saisie_brute
from tests.helpers import fetch
from tests.rencontres_data import (
    ADMIN,
    COMMISSION,
    EPCI_93_94,
    EPCI_94,
    PREFET_ARA,
    PREFET_IDF,
    REFERENT_69,
    REFERENT_93,
    REFERENT_93_BIS,
    held,
    load_geography,
)

TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _geography(session: Session) -> None:
    load_geography(session)


def _errors(session: Session, data: SaisieRencontre, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_rencontre(session, actor=REFERENT_93, data=data, **kwargs)
    return caught.value.errors


def _links(session: Session, rencontre_id: int) -> dict[str, bool]:
    return {
        link.qpv_code: link.direct
        for link in session.exec(select(RencontreQpv).where(RencontreQpv.rencontre_id == rencontre_id))
    }


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_create_writes_rencontre_direct_links_and_audit_in_one_transaction(session: Session) -> None:
    version_before = apres_ecriture.data_version(session)
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    session.commit()
    assert rencontre.id is not None
    assert rencontre.version == 1
    assert rencontre.departement_code == "93"
    assert rencontre.cree_par == REFERENT_93.email
    assert _links(session, stored_id(rencontre)) == {"QN09301A": True, "QN09302A": True}
    event = session.exec(select(AuditEvent).where(AuditEvent.entite == "rencontre")).one()
    assert event.apres is not None
    assert event.action == "creation"
    assert event.avant is None
    assert event.apres["qpv"] == ["QN09301A", "QN09302A"]
    assert event.apres["participants"] == 40
    assert apres_ecriture.data_version(session) == version_before + 1


def test_labels_and_spreadsheet_text_are_accepted(session: Session) -> None:
    clean = validate_rencontre(
        session,
        actor=REFERENT_93,
        data=held(
            type_lieu="Centre social",
            format="marche exploratoire",
            organisateurs="Préfecture; Conseil citoyen",
            date=(TODAY - dt.timedelta(days=3)).strftime("%d/%m/%Y"),
            heure_debut="18h30",
            heure_fin="20:00",
            participants="1 200",
            femmes=600.0,
            representant_etat_present="oui",
            qpv_codes="qn09301a, QN09302A",
        ),
    )
    assert clean.type_lieu == "centre_social"
    assert clean.format == "marche_exploratoire"
    assert clean.organisateurs == ("prefecture", "conseil_citoyen")
    assert clean.heure_debut == dt.time(18, 30)
    assert clean.participants == 1200
    assert clean.femmes == 600
    assert clean.representant_etat_present is True
    assert clean.qpv_codes == ("QN09301A", "QN09302A")


def test_no_upper_cap_on_counts(session: Session) -> None:
    clean = validate_rencontre(session, actor=REFERENT_93, data=held(participants=12_000, femmes=6_500))
    assert clean.participants == 12_000


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("participants", -1, "négatif"),
        ("participants", 12.5, "n'est pas un nombre entier"),
        ("participants", "beaucoup", "n'est pas un nombre entier"),
        ("femmes", True, "nombre entier"),
        ("jeunes", 41, "dépasse le nombre de participants (40)"),
        ("femmes", 41, "dépasse le nombre de participants (40)"),
        ("habitants_qpv", 41, "dépasse"),
        ("professionnels", 41, "dépasse"),
        ("elus", 41, "dépasse"),
        ("participants_accord_synthese", 41, "dépasse"),
    ],
)
def test_counts_are_whole_non_negative_and_breakdowns_within_total(
    session: Session, field: str, value: object, fragment: str
) -> None:
    errors = _errors(session, saisie_brute({**held(), field: value}))
    assert any(fragment in message for message in errors[field]), errors


def test_breakdown_without_total_asks_for_the_total(session: Session) -> None:
    errors = _errors(session, held(participants=None, jeunes=None, habitants_qpv=None, professionnels=None, elus=None))
    assert errors["participants"] == ["Participants : indiquez le total, puisque « dont femmes » est rempli."]


def test_held_rencontre_not_in_future_but_planned_may_be(session: Session) -> None:
    future = TODAY + dt.timedelta(days=5)
    assert "futur" in _errors(session, held(date=future))["date"][0]
    clean = validate_rencontre(session, actor=REFERENT_93, data=held(statut="prevue", date=future))
    assert clean.date == future


def test_the_day_of_validation_is_an_argument(session: Session) -> None:
    """Replaying a form as of a past day: "in the future" is judged against that day."""
    meeting = TODAY - dt.timedelta(days=10)
    assert "futur" in _errors(session, held(date=meeting), today=meeting - dt.timedelta(days=1))["date"][0]
    clean = validate_rencontre(session, actor=REFERENT_93, data=held(date=meeting), today=meeting)
    assert clean.date == meeting


def test_synthesis_not_before_meeting_nor_in_future(session: Session) -> None:
    meeting = TODAY - dt.timedelta(days=10)
    errors = _errors(session, held(synthese_envoyee_le=meeting - dt.timedelta(days=1)))
    assert "avant la rencontre" in errors["synthese_envoyee_le"][0]
    errors = _errors(session, held(synthese_envoyee_le=TODAY + dt.timedelta(days=1)))
    assert "dans le futur" in errors["synthese_envoyee_le"][0]
    clean = validate_rencontre(session, actor=REFERENT_93, data=held(synthese_envoyee_le=meeting))
    assert clean.synthese_envoyee_le == meeting


def test_end_time_after_start_time(session: Session) -> None:
    errors = _errors(session, held(heure_debut=dt.time(19, 0), heure_fin=dt.time(18, 0)))
    assert errors["heure_fin"] == ["Heure de fin : 18:00 doit être après l'heure de début (19:00)."]
    assert "heure_fin" in _errors(session, held(heure_debut=dt.time(19, 0), heure_fin=dt.time(19, 0)))


def test_nomenclature_codes_are_checked(session: Session) -> None:
    errors = _errors(
        session,
        held(type_lieu="gymnase", format="concert", organisateurs=["prefecture", "mairie"], accessibilite=["wifi"]),
    )
    assert set(errors) == {"type_lieu", "format", "organisateurs", "accessibilite"}
    assert "mairie" in errors["organisateurs"][0]


def test_every_error_is_reported_at_once_and_nothing_is_written(session: Session) -> None:
    before = (_count(session, Rencontre), _count(session, AuditEvent), apres_ecriture.data_version(session))
    with pytest.raises(ValidationError) as caught:
        create_rencontre(
            session,
            actor=REFERENT_93,
            data=saisie_brute(
                {**held(date=None, participants=-3, heure_debut="25h", qpv_codes=[], statut="inconnu"), "bidule": 1}
            ),
        )
    assert {"date", "participants", "heure_debut", "qpv_codes", "statut", ""} <= set(caught.value.errors)
    assert all(message for messages in caught.value.errors.values() for message in messages)
    session.rollback()
    assert (_count(session, Rencontre), _count(session, AuditEvent), apres_ecriture.data_version(session)) == before


def test_qpv_must_belong_to_the_referent_departement_and_campaign_geography(session: Session) -> None:
    errors = _errors(session, held(qpv_codes=["QN09301A", "QN06901A", "QN99999Z", "QP093099"]))["qpv_codes"]
    assert any("QN06901A (La Duchère) n'est pas dans votre département (93)" in m for m in errors)
    assert any("QN99999Z n'est pas un quartier connu" in m for m in errors)
    assert any("QP093099 n'appartient pas à la géographie 2024" in m for m in errors)


def test_commune_perimeter_covers_its_qpv_indirectly(session: Session) -> None:
    rencontre = create_rencontre(
        session, actor=REFERENT_93, data=held(perimetre="commune", commune_insee="93055", qpv_codes=[])
    )
    assert rencontre.commune_nom == "Pantin"
    assert _links(session, stored_id(rencontre)) == {"QN09301A": False, "QN09302A": False}
    errors = _errors(session, held(perimetre="commune", commune_insee="94017"))
    assert "n'est pas dans votre département" in errors["commune_insee"][0]
    assert "choisissez la commune" in _errors(session, held(perimetre="commune"))["commune_insee"][0]


def test_epci_spanning_two_departements_covers_the_neighbours_qpv(session: Session) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held(perimetre="epci", epci_siren=EPCI_93_94))
    assert _links(session, stored_id(rencontre)) == {
        "QN09301A": False,
        "QN09302A": False,
        "QN09401A": False,
    }
    assert rencontre.commune_insee is None
    # An EPCI with no QPV in the référent's département is refused.
    errors = _errors(session, held(perimetre="epci", epci_siren=EPCI_94))
    assert "aucun quartier prioritaire dans votre département" in errors["epci_siren"][0]
    with pytest.raises(ValidationError) as caught:
        validate_rencontre(session, actor=REFERENT_69, data=held(perimetre="epci", epci_siren=EPCI_93_94))
    assert "epci_siren" in caught.value.errors


def test_probable_duplicate_is_flagged_then_may_be_forced(session: Session) -> None:
    first = create_rencontre(session, actor=REFERENT_93, data=held())
    with pytest.raises(DoublonProbable) as caught:
        create_rencontre(session, actor=REFERENT_93, data=held(qpv_codes=["QN09302A", "QN09303A"]))
    assert isinstance(caught.value, ValidationError)
    assert [d.id for d in caught.value.doublons] == [first.id]
    assert caught.value.doublons[0].qpv_communs == ("QN09302A",)
    assert "Doublon probable" in caught.value.errors["doublons"][0]
    # Another day, or a commune meeting the next day: no duplicate.
    assert not probable_duplicates(
        session, departement_code="93", date=first.date + dt.timedelta(days=1), qpv_codes=["QN09301A"]
    )
    second = create_rencontre(
        session, actor=REFERENT_93, data=held(qpv_codes=["QN09302A", "QN09303A"]), allow_duplicate=True
    )
    assert second.id != first.id
    # An update does not flag the rencontre against itself.
    update_rencontre(
        session,
        actor=REFERENT_93,
        rencontre_id=stored_id(first),
        version=1,
        data={"lieu": "Mairie"},
        allow_duplicate=True,
    )
    assert (
        probable_duplicates(
            session, departement_code="93", date=first.date, qpv_codes=["QN09301A"], exclude_id=first.id
        )
        == []
    )


def test_epci_meeting_is_a_duplicate_of_a_quartier_meeting_the_same_day(session: Session) -> None:
    create_rencontre(session, actor=REFERENT_93, data=held(qpv_codes=["QN09301A"]))
    with pytest.raises(DoublonProbable):
        create_rencontre(session, actor=REFERENT_93, data=held(perimetre="epci", epci_siren=EPCI_93_94))


def test_cancelled_rencontre_is_not_a_duplicate(session: Session) -> None:
    planned = create_rencontre(session, actor=REFERENT_93, data=held(statut="prevue"))
    cancel_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(planned), version=1, motif="Salle indisponible")
    created = create_rencontre(session, actor=REFERENT_93, data=held())  # no DoublonProbable raised
    assert created.id != planned.id
    assert created.statut == "tenue"


def test_update_increments_version_and_keeps_absent_fields(session: Session) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    sent = TODAY - dt.timedelta(days=2)
    updated = update_rencontre(
        session,
        actor=REFERENT_93_BIS,
        rencontre_id=stored_id(rencontre),
        version=1,
        data={"synthese_envoyee_le": sent, "participants_accord_synthese": 25},
    )
    session.commit()
    assert updated.version == 2
    assert updated.synthese_envoyee_le == sent
    assert updated.participants == 40
    assert updated.modifie_par == REFERENT_93_BIS.email
    assert _links(session, stored_id(rencontre)) == {"QN09301A": True, "QN09302A": True}
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "modification")).one()
    assert event.avant is not None
    assert event.apres is not None
    assert event.avant["synthese_envoyee_le"] is None
    assert event.apres["synthese_envoyee_le"] == sent.isoformat()
    assert event.avant["version"] == 1
    assert event.apres["version"] == 2


def test_stale_version_is_refused_with_a_clear_message_and_changes_nothing(session: Session) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    update_rencontre(
        session, actor=REFERENT_93_BIS, rencontre_id=stored_id(rencontre), version=1, data={"lieu": "Mairie"}
    )
    session.commit()
    with pytest.raises(ConflitDeVersion) as caught:
        update_rencontre(
            session, actor=REFERENT_93, rencontre_id=stored_id(rencontre), version=1, data={"lieu": "Gymnase"}
        )
    message = str(caught.value)
    assert "a été modifiée par adjoint.93@test.gouv.fr" in message
    assert "rechargez la rencontre" in message
    session.rollback()
    assert fetch(session, Rencontre, rencontre.id).lieu == "Mairie"
    with pytest.raises(ConflitDeVersion):
        cancel_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(rencontre), version=1, motif="x")


def test_two_sessions_saving_the_same_version_only_one_wins(engine, session: Session) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    session.commit()
    with Session(engine) as first, Session(engine) as second:
        # Both loaded version 1; the first saves and commits.
        assert fetch(first, Rencontre, rencontre.id).version == fetch(second, Rencontre, rencontre.id).version == 1
        update_rencontre(first, actor=REFERENT_93, rencontre_id=stored_id(rencontre), version=1, data={"lieu": "A"})
        first.commit()
        with pytest.raises(ConflitDeVersion):
            update_rencontre(
                second, actor=REFERENT_93_BIS, rencontre_id=stored_id(rencontre), version=1, data={"lieu": "B"}
            )
        second.rollback()
    session.expire_all()
    assert fetch(session, Rencontre, rencontre.id).lieu == "A"


@pytest.mark.parametrize("actor", [REFERENT_69, PREFET_IDF, COMMISSION, ADMIN])
def test_only_the_departements_referent_writes(session: Session, actor) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    with pytest.raises(PermissionRefusee):
        create_rencontre(session, actor=actor, data={**held(), "departement_code": "93"})
    with pytest.raises(PermissionRefusee):
        update_rencontre(session, actor=actor, rencontre_id=stored_id(rencontre), version=1, data={"lieu": "x"})
    with pytest.raises(PermissionRefusee):
        cancel_rencontre(session, actor=actor, rencontre_id=stored_id(rencontre), version=1, motif="x")
    assert fetch(session, Rencontre, rencontre.id).lieu == "Centre social Jacques-Prévert"


def test_cancel_keeps_history_and_requires_a_reason(session: Session) -> None:
    planned = create_rencontre(session, actor=REFERENT_93, data=held(statut="prevue", date=TODAY))
    with pytest.raises(ValidationError) as caught:
        cancel_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(planned), version=1, motif="  ")
    assert "motif_annulation" in caught.value.errors
    cancelled = cancel_rencontre(
        session, actor=REFERENT_93, rencontre_id=stored_id(planned), version=1, motif="Canicule"
    )
    assert (cancelled.statut, cancelled.motif_annulation, cancelled.version) == ("annulee", "Canicule", 2)
    assert _links(session, stored_id(planned))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "annulation")).one()
    assert event.avant is not None
    assert event.apres is not None
    assert event.avant["statut"] == "prevue"
    assert event.apres["statut"] == "annulee"
    tenue = create_rencontre(session, actor=REFERENT_93, data=held(qpv_codes=["QN09303A"]))
    with pytest.raises(ValidationError, match="tenue ne peut pas être annulée"):
        cancel_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(tenue), version=1, motif="x")


def test_delete_is_for_administrators_only_and_audited(session: Session) -> None:
    rencontre = create_rencontre(session, actor=REFERENT_93, data=held())
    with pytest.raises(PermissionRefusee):
        delete_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(rencontre))
    delete_rencontre(session, actor=ADMIN, rencontre_id=stored_id(rencontre))
    session.commit()
    assert session.get(Rencontre, rencontre.id) is None
    assert not _links(session, stored_id(rencontre))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "suppression")).one()
    assert event.avant is not None
    assert event.acteur == ADMIN.email
    assert event.avant["lieu"] == "Centre social Jacques-Prévert"
    with pytest.raises(IntrouvableError):
        delete_rencontre(session, actor=ADMIN, rencontre_id=stored_id(rencontre))


def test_list_filters_and_scope(session: Session) -> None:
    a = create_rencontre(session, actor=REFERENT_93, data=held(days_ago=40))
    b = create_rencontre(session, actor=REFERENT_93, data=held(days_ago=3, qpv_codes=["QN09303A"], statut="tenue"))
    c = create_rencontre(session, actor=REFERENT_93, data=held(days_ago=-20, statut="prevue", qpv_codes=["QN09303A"]))
    frame = list_rencontres(session, actor=REFERENT_93, departement_code="93")
    assert list(frame["id"]) == [c.id, b.id, a.id]  # most recent first
    assert frame.set_index("id").loc[a.id, "quartiers"] == "QN09301A, QN09302A"
    assert frame.set_index("id").loc[a.id, "nb_quartiers"] == 2
    assert list(list_rencontres(session, actor=REFERENT_93, departement_code="93", qpv_code="QN09303A")["id"]) == [
        c.id,
        b.id,
    ]
    assert list(list_rencontres(session, actor=REFERENT_93, departement_code="93", statut="prevue")["id"]) == [c.id]
    assert list(list_rencontres(session, actor=REFERENT_93, departement_code="93", month=f"{c.date:%Y-%m}")["id"]) == [
        c.id
    ] + ([b.id] if b.date.month == c.date.month else []) + ([a.id] if a.date.month == c.date.month else [])
    assert not frame["chaine_complete"].any()
    # Reading: the région's préfecture and the commission, not another région or département.
    assert len(list_rencontres(session, actor=PREFET_IDF, departement_code="93")) == 3
    assert len(list_rencontres(session, actor=COMMISSION, departement_code="93")) == 3
    for outsider in (PREFET_ARA, REFERENT_69):
        with pytest.raises(PermissionRefusee):
            list_rencontres(session, actor=outsider, departement_code="93")
    with pytest.raises(PermissionRefusee):
        get_rencontre(session, actor=REFERENT_69, rencontre_id=stored_id(a))
    assert get_rencontre(session, actor=PREFET_IDF, rencontre_id=stored_id(a))["qpv_codes"] == ["QN09301A", "QN09302A"]
