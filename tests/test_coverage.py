"""Status of each QPV and the report chain, pinned on hand-built cases around the deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from q2030 import clock
from q2030.access import Actor, resolve_scope
from q2030.campaigns import active_campaign, constat_au, situation_par_defaut
from q2030.coverage import (
    _earliest_meeting_not_overdue,
    burnup,
    coverage_counts,
    echeances,
    etat_synthese_participants,
    qpv_non_couverts,
    qpv_status,
    suivi_rencontres,
)
from q2030.errors import PermissionRefusee
from q2030.formatting import add_months
from q2030.models import RencontreQpv, stored_id
from tests import factories as f

DAY = dt.timedelta(days=1)
COMMISSION = Actor(email="c@x.fr", role="commission")
REFERENT_93 = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
PREFET_IDF = Actor(email="p11@x.fr", role="prefet_region", region_code="11")


@pytest.fixture
def deadline(session: Session) -> dt.date:
    return active_campaign(session).rencontres_echeance


@pytest.fixture
def built(session: Session, deadline: dt.date) -> Session:
    for code in ("QN09301A", "QN09302A", "QN09303A", "QN09304A", "QN09305A", "QN09306A", "QN09307A", "QN09308A"):
        f.qpv(session, code, "93")
    f.qpv(session, "QP093999", "93", geographie="2015")  # other geography: never counted
    f.qpv(session, "QN06901A", "69")
    f.rencontre(session, departement="93", date=deadline - DAY, qpv=["QN09301A"])  # day before
    f.rencontre(session, departement="93", date=deadline, qpv=["QN09302A"])  # day of
    f.rencontre(session, departement="93", date=deadline + DAY, qpv=["QN09303A"])  # day after
    # EPCI-scope meeting: covers two QPV indirectly (one also has a late direct meeting).
    f.rencontre(session, departement="93", date=deadline - 10 * DAY, qpv=["QN09304A", "QN09303A"], perimetre="epci")
    f.rencontre(session, departement="93", date=deadline - 20 * DAY, qpv=["QN09305A"], statut="annulee")
    f.rencontre(session, departement="93", date=deadline + 30 * DAY, qpv=["QN09306A"], statut="prevue")
    old = f.rencontre(session, departement="93", date=deadline - 40 * DAY, qpv=["QN09307A"])
    # A link the service refuses today (a QPV of the 2015 geography), as stored before it changed.
    session.add(RencontreQpv(rencontre_id=stored_id(old), qpv_code="QP093999", direct=True))
    f.rencontre(session, departement="69", date=deadline, qpv=["QN06901A"], statut="annulee")
    session.commit()
    return session


def _statuses(session: Session, actor: Actor = COMMISSION, **kwargs) -> dict[str, tuple[str, str]]:
    frame = qpv_status(session, actor=actor, **kwargs)
    return {row.qpv_code: (row.statut, row.couverture) for row in frame.itertuples()}


def test_status_of_each_qpv_after_the_campaign(built: Session, deadline: dt.date) -> None:
    statuses = _statuses(built, au=deadline + 60 * DAY)
    assert statuses == {
        "QN09301A": ("couvert_delais", "directe"),  # the day before the deadline
        "QN09302A": ("couvert_delais", "directe"),  # the day of the deadline
        "QN09303A": ("couvert_delais", "directe"),  # late direct meeting, but the EPCI one was on time
        "QN09304A": ("couvert_delais", "indirecte"),  # EPCI scope only
        "QN09305A": ("non_couvert", ""),  # cancelled meeting does not count
        "QN09306A": ("prevu", ""),
        "QN09307A": ("couvert_delais", "directe"),
        "QN09308A": ("non_couvert", ""),
        "QN06901A": ("non_couvert", ""),  # only a cancelled meeting
    }


def test_day_after_the_deadline_is_late(session: Session, deadline: dt.date) -> None:
    f.qpv(session, "QN09301A", "93")
    f.rencontre(session, departement="93", date=deadline + DAY, qpv=["QN09301A"])
    session.commit()
    assert _statuses(session, au=deadline + DAY)["QN09301A"] == ("couvert_retard", "directe")
    # The "au" date before the meeting happened: it only counts as planned.
    assert _statuses(session, au=deadline)["QN09301A"] == ("prevu", "")


def test_au_before_a_meeting_replays_the_campaign(built: Session, deadline: dt.date) -> None:
    statuses = _statuses(built, au=deadline - 2 * DAY)
    assert statuses["QN09301A"] == ("prevu", "")  # held the day before the deadline: not yet
    assert statuses["QN09304A"] == ("couvert_delais", "indirecte")
    assert statuses["QN09307A"] == ("couvert_delais", "directe")
    assert _statuses(built, au=deadline - DAY)["QN09301A"] == ("couvert_delais", "directe")


def test_counts_per_departement_region_and_nation_agree(built: Session, deadline: dt.date) -> None:
    au = deadline + 60 * DAY
    by_dep = coverage_counts(built, actor=COMMISSION, au=au, niveau="departement").set_index("code")
    assert by_dep.loc["93", ["qpv", "couvert_delais", "couvert_retard", "prevu", "non_couvert"]].tolist() == [
        8, 5, 0, 1, 2,
    ]  # fmt: skip
    assert by_dep.loc["93", "couvert_direct"] == 4
    assert by_dep.loc["93", "couvert_indirect"] == 1
    assert by_dep.loc["93", "rencontres_tenues"] == 5
    assert by_dep.loc["93", "rencontres_prevues"] == 1
    assert by_dep.loc["93", "taux_couverts"] == pytest.approx(5 / 8)
    assert by_dep.loc["69", "qpv"] == 1
    assert by_dep.loc["69", "rencontres_tenues"] == 0
    by_region = coverage_counts(built, actor=COMMISSION, au=au, niveau="region").set_index("code")
    assert by_region.loc["11", "qpv"] == 8
    assert by_region.loc["84", "qpv"] == 1
    national = coverage_counts(built, actor=COMMISSION, au=au, niveau="national")
    assert national.loc[0, "qpv"] == 9
    assert national.loc[0, "couverts"] == 5
    # Replay: before any meeting everything held later is only planned.
    early = coverage_counts(built, actor=COMMISSION, au=deadline - 50 * DAY, niveau="national")
    assert early.loc[0, "couverts"] == 0
    assert early.loc[0, "prevu"] == 6


def test_late_only_coverage_counts_as_late(session: Session, deadline: dt.date) -> None:
    f.qpv(session, "QN09301A", "93")
    f.rencontre(session, departement="93", date=deadline + 5 * DAY, qpv=["QN09301A"], perimetre="commune")
    session.commit()
    counts = coverage_counts(session, actor=REFERENT_93, au=deadline + 10 * DAY).set_index("code")
    assert counts.loc["93", "couvert_retard"] == 1
    assert counts.loc["93", "couvert_indirect"] == 1


def test_uncovered_list_puts_unplanned_first(built: Session, deadline: dt.date) -> None:
    frame = qpv_non_couverts(built, actor=REFERENT_93, au=deadline + 60 * DAY)
    assert frame["qpv_code"].tolist() == ["QN09305A", "QN09308A", "QN09306A"]
    assert frame.loc[2, "prochaine_prevue"] == deadline + 30 * DAY
    assert frame.loc[0, "prochaine_prevue"] is None


def test_scope_is_enforced(built: Session) -> None:
    assert set(qpv_status(built, actor=REFERENT_93)["departement_code"]) == {"93"}
    assert set(qpv_status(built, actor=PREFET_IDF)["departement_code"]) == {"93"}
    with pytest.raises(PermissionRefusee):
        qpv_status(built, actor=REFERENT_93, departement_code="69")
    with pytest.raises(PermissionRefusee):
        resolve_scope(PREFET_IDF, departement_code="69")
    with pytest.raises(PermissionRefusee):
        resolve_scope(PREFET_IDF, region_code="84")


# --- Synthesis to participants ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sent_offset", "au_offset", "expected"),
    [
        (None, 0, "pas_encore_due"),  # the day the synthesis is due, not sent: not late yet
        (None, -1, "pas_encore_due"),
        (None, 1, "en_retard"),  # the day after: overdue
        (0, 0, "envoyee_a_temps"),  # sent on the due date
        (-1, 5, "envoyee_a_temps"),
        (1, 5, "envoyee_en_retard"),  # sent the day after the due date
        (1, 0, "pas_encore_due"),  # sent later than "au": at "au" not sent yet
        (3, 2, "en_retard"),
    ],
)
def test_participant_synthesis_rules(sent_offset: int | None, au_offset: int, expected: str) -> None:
    meeting = dt.date(2023, 6, 15)
    due = add_months(meeting, 1)
    assert due == dt.date(2023, 7, 15)
    sent = None if sent_offset is None else due + sent_offset * DAY
    state, returned_due = etat_synthese_participants(meeting, sent, due + au_offset * DAY, 1)
    assert (state, returned_due) == (expected, due)


def test_due_date_clamps_to_month_end() -> None:
    state, due = etat_synthese_participants(dt.date(2023, 1, 31), None, dt.date(2023, 3, 1), 1)
    assert due == dt.date(2023, 2, 28)
    assert state == "en_retard"


@pytest.mark.parametrize("au", [dt.date(2023, 3, 1), dt.date(2023, 3, 31), dt.date(2023, 2, 28), dt.date(2024, 3, 29)])
def test_overdue_threshold_matches_add_months(au: dt.date) -> None:
    threshold = _earliest_meeting_not_overdue(au, 1)
    assert add_months(threshold, 1) >= au
    assert add_months(threshold - DAY, 1) < au


def test_report_chain_and_overdue_counts_agree(session: Session, deadline: dt.date) -> None:
    f.qpv(session, "QN09301A", "93")
    meeting = deadline - 45 * DAY
    due = add_months(meeting, 1)
    on_time = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"], synthese_envoyee_le=due)
    late = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"], synthese_envoyee_le=due + DAY)
    overdue = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"])
    recent = f.rencontre(session, departement="93", date=due, qpv=["QN09301A"])
    f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"], statut="annulee")
    f.compte_rendu(
        session, stored_id(on_time), depose_le=dt.datetime.combine(meeting + 3 * DAY, dt.time(9), tzinfo=dt.UTC)
    )
    session.commit()
    au = due + 2 * DAY
    chain = suivi_rencontres(session, actor=REFERENT_93, au=au).set_index("id")
    assert chain.loc[on_time.id, "etat_synthese"] == "envoyee_a_temps"
    assert chain.loc[late.id, "etat_synthese"] == "envoyee_en_retard"
    assert chain.loc[overdue.id, "etat_synthese"] == "en_retard"
    assert chain.loc[overdue.id, "jours_restants"] == -2
    assert chain.loc[recent.id, "etat_synthese"] == "pas_encore_due"
    assert chain.loc[recent.id, "synthese_due_le"] == add_months(due, 1)
    assert chain["compte_rendu"].to_dict() == {on_time.id: True, late.id: False, overdue.id: False, recent.id: False}
    counts = coverage_counts(session, actor=REFERENT_93, au=au).set_index("code")
    assert counts.loc["93", "syntheses_en_retard"] == (chain["etat_synthese"] == "en_retard").sum() == 1
    assert counts.loc["93", "comptes_rendus_manquants"] == 3
    # On the due date itself the synthesis of `overdue` is not late yet.
    assert coverage_counts(session, actor=REFERENT_93, au=due).loc[0, "syntheses_en_retard"] == 0
    # Before the compte rendu was uploaded, it was missing.
    before = coverage_counts(session, actor=REFERENT_93, au=meeting + DAY)
    assert before.loc[0, "comptes_rendus_manquants"] == 3


def test_deadlines_days_left(session: Session) -> None:
    campaign = active_campaign(session)
    steps = echeances(campaign, campaign.rencontres_echeance - 3 * DAY)
    assert steps[0].date == campaign.rencontres_echeance
    assert steps[0].jours_restants == 3
    assert steps[1].date == campaign.synthese_departementale_echeance


def test_burnup_and_projection(session: Session, deadline: dt.date) -> None:
    campaign = active_campaign(session)
    for number in range(1, 11):
        f.qpv(session, f"QN0930{number:02d}", "93")
    au = deadline - 28 * DAY
    # Four QPV covered in the 28 days before "au", one earlier, one after "au".
    f.rencontre(session, departement="93", date=au - 40 * DAY, qpv=["QN093001"])
    for number in range(2, 6):
        f.rencontre(session, departement="93", date=au - number * DAY, qpv=[f"QN0930{number:02d}"])
    f.rencontre(session, departement="93", date=au + DAY, qpv=["QN093006"])
    session.commit()
    frame, projection = burnup(session, actor=COMMISSION, au=au)
    assert frame["date"].iloc[0] == campaign.lancement
    assert frame["date"].iloc[-1] == au
    assert frame["couverts"].iloc[-1] == 5
    assert frame["couverts"].is_monotonic_increasing
    assert projection.rythme_par_jour == pytest.approx(4 / 28)
    assert projection.couverts_projetes == 9  # 5 + 4/28 * 28
    assert projection.taux_projete == pytest.approx(0.9)
    # After the deadline the "projection" is what was actually done by the deadline.
    late_frame, done = burnup(session, actor=COMMISSION, au=deadline + 300 * DAY)
    assert done.realise
    assert done.couverts_projetes == 6
    assert late_frame["date"].iloc[-1] == deadline  # nothing changed after the deadline: the series stops there


def test_charts_are_valid_vega_lite(built: Session, deadline: dt.date) -> None:
    from q2030.ui import charts
    from q2030.ui import coverage as ui

    au = deadline - 5 * DAY
    by_dep = coverage_counts(built, actor=COMMISSION, au=au)
    tile = charts.tile_map_chart(by_dep).to_dict()
    values = tile["datasets"][next(iter(tile["datasets"]))]
    assert len(values) == 101  # every département has a tile, overseas included
    assert {"971", "972", "973", "974", "976"} <= {v["code"] for v in values}
    frame, projection = burnup(built, actor=COMMISSION, au=au)
    layered = charts.burnup_chart(frame, projection.valeurs(), "t").to_dict()
    # realised, then deadline, total and projection, each line with its text label on the chart
    assert len(layered["layer"]) == 7
    labels = {value["texte"] for dataset in layered["datasets"].values() for value in dataset if value.get("texte")}
    assert "Projection au rythme actuel" in labels
    assert any(label.startswith("Échéance des rencontres : ") for label in labels)
    assert any(label.startswith("Total des QPV : ") for label in labels)
    assert "rythme actuel" in ui.projection_sentence(projection.valeurs())
    bars = charts.status_chart(by_dep.assign(D=by_dep["nom"]), "D", "t").to_dict()
    assert bars["encoding"]["x"]["type"] == "quantitative"


def test_csv_is_french() -> None:
    import pandas as pd

    from q2030.csv_export import to_csv

    frame = pd.DataFrame({"Date": [dt.date(2023, 7, 31)], "Moyenne": [62.54], "Déposé": [True], "Taux": [3 / 7]})
    csv = to_csv(frame, percent_columns=["Taux"], decimals=1).decode("utf-8-sig")
    assert csv.splitlines() == ["Date;Moyenne;Déposé;Taux (%)", "31/07/2023;62,5;Oui;42,9"]


def test_finished_campaign_deadlines_at_its_end_what_is_done_now(session: Session) -> None:
    """A finished campaign opens at the end of its restitution window (situation_par_defaut):
    deadlines are judged there, but a compte rendu deposited or a synthesis sent since then
    is done, not « à déposer » / « en retard » (issue 27, « Noticed »)."""
    campaign = active_campaign(session)
    today = clock.today()
    end = situation_par_defaut(campaign.restitution_fin, today)
    assert end == campaign.restitution_fin < today  # the test campaign is over
    f.qpv(session, "QN09301A", "93")
    meeting = campaign.rencontres_echeance - 10 * DAY
    deposited_today = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"])
    sent_today = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"], synthese_envoyee_le=today)
    still_missing = f.rencontre(session, departement="93", date=meeting, qpv=["QN09301A"])
    f.compte_rendu(session, stored_id(deposited_today), depose_le=dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC))
    session.commit()

    chain = suivi_rencontres(session, actor=REFERENT_93, au=end).set_index("id")
    assert chain["compte_rendu"].to_dict() == {deposited_today.id: True, sent_today.id: False, still_missing.id: False}
    # Sent after its due date: done, and late (the deadline is still the campaign's).
    assert chain["etat_synthese"].to_dict() == {
        deposited_today.id: "en_retard",
        sent_today.id: "envoyee_en_retard",
        still_missing.id: "en_retard",
    }
    assert (chain["jours_restants"] == (chain["synthese_due_le"] - end).map(lambda d: d.days)).all()
    counts = coverage_counts(session, actor=REFERENT_93, au=end).set_index("code")
    assert counts.loc["93", "comptes_rendus_manquants"] == 2
    assert counts.loc["93", "syntheses_en_retard"] == 2

    # Replaying a day of the campaign judges everything that day: nothing was deposited yet.
    replay = campaign.rencontres_echeance
    assert constat_au(replay, campaign.restitution_fin, today) == replay
    chain = suivi_rencontres(session, actor=REFERENT_93, au=replay)
    assert not chain["compte_rendu"].any()
    assert coverage_counts(session, actor=REFERENT_93, au=replay).loc[0, "comptes_rendus_manquants"] == 3
    # An explicit constat date overrides the rule (what the UI's cache keys on).
    chain = suivi_rencontres(session, actor=REFERENT_93, au=end, constat_au=end).set_index("id")
    assert not chain["compte_rendu"].any()
    assert chain.loc[sent_today.id, "etat_synthese"] == "en_retard"
