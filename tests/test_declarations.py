"""The pipeline of the organisers' declarations beside coverage (issue 24): per quartier
declared / validated, per territory, the share filed by organisers and the median delay
between a meeting and its validated compte rendu."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from q2030 import declarations
from q2030.access import Actor
from q2030.errors import PermissionRefusee
from q2030.models import Rencontre
from tests import factories as f

COMMISSION = Actor(email="c@x.fr", role="commission")
REFERENT_93 = Actor(email="r93@x.fr", role="referent", departement_code="93", region_code="11")
ORGANISATEUR = Actor(email="o@x.org", role="organisateur", departement_code="93", organisation="Centre social")
DAY = dt.timedelta(days=1)
D0 = dt.date(2023, 6, 1)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _organiser(row: Rencontre, validation: str, validee_le: dt.datetime | None = None) -> Rencontre:
    row.organisation = "Centre social Les Tilleuls"
    row.validation = validation
    row.validee_le = validee_le
    return row


@pytest.fixture
def built(session: Session) -> Session:
    for code in ("QN09301A", "QN09302A", "QN09303A", "QN09304A", "QN09305A"):
        f.qpv(session, code, "93")
    f.qpv(session, "QN06901A", "69")
    # The préfecture's meeting: compte rendu 4 days after, counts at upload.
    own = f.rencontre(session, departement="93", date=D0, qpv=["QN09301A"])
    f.compte_rendu(session, own.id or 0, depose_le=_at(D0 + 4 * DAY, 23))
    # An organiser's meeting: compte rendu 2 days after, validated 10 days after the meeting.
    validated = f.rencontre(session, departement="93", date=D0, qpv=["QN09302A"])
    _organiser(validated, "validee", _at(D0 + 10 * DAY))
    f.compte_rendu(session, validated.id or 0, depose_le=_at(D0 + 2 * DAY))
    # Validated first, compte rendu uploaded later by the référent: 20 days.
    late = _organiser(f.rencontre(session, departement="69", date=D0, qpv=["QN06901A"]), "validee", _at(D0 + DAY))
    f.compte_rendu(session, late.id or 0, depose_le=_at(D0 + 20 * DAY))
    # Pending declarations: one on a covered quartier, one on an uncovered one (its compte
    # rendu never counts), one cancelled (left out), one returned to the organiser.
    _organiser(f.rencontre(session, departement="93", date=D0, qpv=["QN09302A"], statut="prevue"), "a_valider")
    pending = _organiser(f.rencontre(session, departement="93", date=D0, qpv=["QN09303A"]), "a_valider")
    f.compte_rendu(session, pending.id or 0, depose_le=_at(D0 + DAY))
    _organiser(f.rencontre(session, departement="93", date=D0, qpv=["QN09304A"], statut="annulee"), "a_valider")
    _organiser(f.rencontre(session, departement="93", date=D0, qpv=["QN09305A"]), "renvoyee")
    session.commit()
    return session


def test_each_quartier_shows_declared_and_validated_meetings(built: Session) -> None:
    frame = declarations.quartiers(built, actor=REFERENT_93)
    got = {row.qpv_code: (row.declarees, row.validees, row.etape) for row in frame.itertuples()}
    assert got == {
        "QN09301A": (0, 1, "1 validée"),
        "QN09302A": (1, 1, "1 validée, 1 déclarée à valider"),
        "QN09303A": (1, 0, "1 déclarée, à valider"),
        "QN09304A": (0, 0, "—"),  # cancelled
        "QN09305A": (0, 0, "—"),  # returned: waits for the organiser, not for the référent
    }


def test_territory_counts_of_the_pipeline(built: Session) -> None:
    columns = ["declarees", "validees", "validees_organisateurs", "qpv_declares"]
    by_dep = declarations.par_territoire(built, actor=COMMISSION, niveau="departement").set_index("code")
    assert by_dep.loc["93", columns].tolist() == [2, 2, 1, 1]
    assert by_dep.loc["69", columns].tolist() == [0, 1, 1, 0]
    national = declarations.par_territoire(built, actor=COMMISSION, niveau="national")
    assert national[columns].iloc[0].tolist() == [2, 3, 2, 1]
    by_region = declarations.par_territoire(built, actor=COMMISSION, niveau="region").set_index("code")
    assert by_region.loc["11", columns].tolist() == [2, 2, 1, 1]
    region = declarations.par_territoire(built, actor=REFERENT_93, niveau="departement")
    assert list(region["code"]) == ["93"]  # the référent reads its own département only


def test_share_filed_by_organisers_and_median_delay_to_a_validated_compte_rendu(built: Session) -> None:
    figures = declarations.chaine(built, actor=COMMISSION)
    assert (figures.rencontres, figures.par_organisateurs, figures.en_attente) == (3, 2, 2)
    assert figures.part_organisateurs == pytest.approx(2 / 3)
    # Delays: 4 (préfecture), 10 (uploaded on day 2, validated on day 10), 20 (uploaded after validation).
    assert figures.comptes_rendus == 3
    assert figures.delai_median_jours == 10
    assert figures.delai_median_organisateurs_jours == 15  # (10 + 20) / 2
    ile_de_france = declarations.chaine(built, actor=COMMISSION, region_code="11")
    assert (ile_de_france.rencontres, ile_de_france.delai_median_jours) == (2, 7)


def test_validation_moves_a_quartier_from_declared_to_validated(built: Session) -> None:
    query = select(Rencontre).where(Rencontre.validation == "a_valider", Rencontre.statut == "tenue")
    pending = built.exec(query).one()
    pending.validation, pending.validee_le = "validee", _at(D0 + 30 * DAY)
    built.commit()
    frame = declarations.quartiers(built, actor=REFERENT_93).set_index("qpv_code")
    assert frame.loc["QN09303A", ["declarees", "validees"]].tolist() == [0, 1]
    assert declarations.chaine(built, actor=COMMISSION).delai_median_jours == 15  # 4, 10, 20, 30


def test_no_figures_without_meetings_and_none_for_an_organiser(session: Session) -> None:
    figures = declarations.chaine(session, actor=COMMISSION)
    assert (figures.rencontres, figures.part_organisateurs, figures.delai_median_jours) == (0, None, None)
    with pytest.raises(PermissionRefusee):
        declarations.chaine(session, actor=ORGANISATEUR)
    with pytest.raises(PermissionRefusee):
        declarations.quartiers(session, actor=ORGANISATEUR)
