"""The priorities' read model (q2030.cube) is maintained by every write, in its transaction."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Float, Numeric, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from q2030 import cube, priorities
from q2030.cli import main
from q2030.contributions import LigneContribution, replace_contributions
from q2030.errors import ValidationError
from q2030.models import CubeFiltre, CubeGroupe, CubeRencontre, CubeTheme, Rencontre, stored_id, table_of
from q2030.nomenclature import AXES, FORMATS, PUBLICS
from q2030.priorities import Filtres, agregation, classement
from q2030.priorities.cube_filtres import Decoupage, decouper
from q2030.rencontres.ecriture import cancel_rencontre, create_rencontre, delete_rencontre, update_rencontre
from tests.rencontres_data import ADMIN, COMMISSION, REFERENT_69, REFERENT_93, held, load_geography

THEMES = ["securite", "education", "logement", "emploi", "sante"]


def contents(session: Session) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every cube row (column names, then the rows in order), floats rounded (sums kept by
    additions and subtractions). The database rounds and sorts, Python only receives plain
    tuples: the demo's cube has about 100 000 rows, and rounding, naming and sorting them in
    Python cost 1.5 s per call."""
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    for model in (CubeRencontre, CubeTheme, CubeGroupe, CubeFiltre):
        table = table_of(model)
        names = sorted(table.columns.keys())
        columns = [
            func.round(cast(table.c[k], Numeric), 9) if isinstance(table.c[k].type, Float) else table.c[k]
            for k in names
        ]
        ordered = sa_select(*columns).order_by(*columns)
        out[model.__tablename__] = (names, [tuple(row) for row in session.connection().execute(ordered)])
    return out


def values(snapshot: dict[str, tuple[list[str], list[tuple[Any, ...]]]], table: str, column: str) -> set[Any]:
    """The values of one column of a `contents` snapshot."""
    names, rows = snapshot[table]
    index = names.index(column)
    return {row[index] for row in rows}


def random_rows(rng: random.Random) -> list[LigneContribution]:
    return [
        {
            "axe": rng.choice(list(AXES)),
            "theme": rng.choice(THEMES),
            "texte": f"Proposition {rng.randrange(1000)}",
            "rang": rng.choice([None, 1, 2, 3, 4]),
            "public": rng.choice(list(PUBLICS)),
        }
        for _ in range(rng.randrange(0, 9))
    ]


def random_writes(session: Session, rng: random.Random, steps: int) -> None:
    ids: list[int] = []
    for step in range(steps):
        action = rng.choice(["create", "create", "contributions", "contributions", "contributions", "status",
                             "cancel", "delete"])  # fmt: skip
        try:
            if action == "create" or not ids:
                statut = rng.choice(["tenue", "tenue", "prevue"])
                days = rng.randrange(1, 60) * (1 if statut == "tenue" else -1)
                fmt = rng.choice(list(FORMATS))
                if rng.random() < 0.3:
                    data = held(days, statut=statut, qpv_codes=["QN06901A"], lieu=f"Salle {step}", format=fmt)
                    actor = REFERENT_69
                else:
                    data = held(days, statut=statut, lieu=f"Salle {step}", format=fmt, qpv_codes=rng.choice(_QPV_93))
                    actor = REFERENT_93
                ids.append(stored_id(create_rencontre(session, actor=actor, data=data, allow_duplicate=True)))
                continue
            rid = rng.choice(ids)
            meeting = session.get(Rencontre, rid)
            assert meeting is not None
            referent = REFERENT_69 if meeting.departement_code == "69" else REFERENT_93
            if action == "contributions":
                replace_contributions(session, actor=referent, rencontre_id=rid, rows=random_rows(rng))
            elif action == "status":  # tenue <-> prevue, or a held meeting moved (date, format)
                statut, days = ("prevue", -10) if meeting.statut == "tenue" else ("tenue", 10)
                if meeting.statut == "tenue" and rng.random() < 0.5:
                    statut, days = "tenue", rng.randrange(1, 60)
                data = held(days, statut=statut, qpv_codes=_qpv(meeting), format=rng.choice(list(FORMATS)))
                update_rencontre(
                    session, actor=referent, rencontre_id=rid, version=meeting.version, data=data, allow_duplicate=True
                )
            elif action == "cancel":
                cancel_rencontre(session, actor=referent, rencontre_id=rid, version=meeting.version, motif="Pluie")
            elif action == "delete":
                delete_rencontre(session, actor=ADMIN, rencontre_id=rid)
                ids.remove(rid)
        except ValidationError:
            session.rollback()  # a refused write changes nothing (e.g. cancelling a held meeting)
            ids = [i for i in ids if session.get(Rencontre, i) is not None]
            continue
        session.commit()


_QPV_93 = [["QN09301A", "QN09302A"], ["QN09301A"], ["QN09302A"]]


def _qpv(meeting: Rencontre) -> list[str]:
    return ["QN06901A"] if meeting.departement_code == "69" else ["QN09301A", "QN09302A"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_maintained_read_model_equals_rebuilt_after_random_writes(
    session: Session, seed: int, exemples: Callable[[int, int], int]
) -> None:
    load_geography(session)
    random_writes(session, random.Random(seed), exemples(120, 60))  # 60 writes in the quick loops
    maintained = contents(session)
    assert maintained["cube_theme"][1], "the random writes produced held meetings with contributions"
    assert values(maintained, "cube_theme", "departement_code") <= {"93", "69"}
    dimensions = values(maintained, "cube_filtre", "dimension")
    assert dimensions == {"tout", "format", "mois", "fmt_mois", "jour"}
    assert len(values(maintained, "cube_rencontre", "jour")) > 1, "meetings on several days"
    cube.reconstruire(session)
    session.commit()
    assert contents(session) == maintained


def _random_filtres(rng: random.Random) -> Filtres:
    """A random combination of every Priorités filter but the text search (whole months often)."""
    today = dt.date.today()
    first = (today - dt.timedelta(days=rng.randrange(0, 70))).replace(day=1)
    last_of_month = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    debut = rng.choice([None, first, today - dt.timedelta(days=rng.randrange(0, 60))])
    fin = rng.choice([None, last_of_month, today - dt.timedelta(days=rng.randrange(0, 30))])
    if debut and fin and debut > fin:
        debut, fin = fin, debut
    choices: dict[str, Any] = {
        "region": rng.choice(["11", "84"]),
        "departement": "93",
        "qpv": rng.choice(["QN09301A", "QN06901A"]),
        "axe": rng.choice(list(AXES)),
        "theme": rng.choice(THEMES),
        "public": rng.choice(list(PUBLICS)),
        "format": rng.choice(list(FORMATS)),
        "debut": debut,
        "fin": fin,
    }
    chosen = rng.sample(sorted(choices), rng.randint(1, 3))  # one to three filters at once
    return Filtres(**{name: choices[name] for name in chosen})


def _periodes() -> list[Filtres]:
    """Periods over the random meetings (held 1 to 60 days ago): edge days, whole months and
    both in one period, alone and with a format, a public, a theme or a quartier."""
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    end_of_last_month = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    both: dict[str, Any] = {
        "debut": last_month - dt.timedelta(days=12),
        "fin": end_of_last_month + dt.timedelta(days=3),
    }
    whole: dict[str, Any] = {"debut": last_month, "fin": end_of_last_month}
    days: dict[str, Any] = {"debut": last_month + dt.timedelta(days=3), "fin": last_month + dt.timedelta(days=20)}
    open_start: dict[str, Any] = {"fin": last_month + dt.timedelta(days=9)}
    open_end: dict[str, Any] = {"debut": last_month - dt.timedelta(days=5)}
    extras: list[dict[str, Any]] = [{}, {"format": "atelier"}, {"format": "reunion_publique", "public": "jeunes"},
                                    {"theme": "logement", "region": "11"}, {"qpv": "QN09301A"}]  # fmt: skip
    return [Filtres(**period, **extra) for period in (both, whole, days, open_start, open_end) for extra in extras]


@pytest.mark.parametrize(
    ("debut", "fin", "mois", "jours"),
    [
        (None, None, (None, None), ()),
        ("2023-07-01", "2023-07-31", ("2023-07", "2023-07"), ()),
        ("2023-07-10", "2023-07-19", None, (("2023-07-10", "2023-07-19"),)),
        ("2023-07-01", "2023-07-19", None, (("2023-07-01", "2023-07-19"),)),
        ("2023-07-10", "2023-07-31", None, (("2023-07-10", "2023-07-31"),)),
        ("2023-07-10", "2023-08-20", None, (("2023-07-10", "2023-07-31"), ("2023-08-01", "2023-08-20"))),
        (
            "2023-05-25",
            "2023-09-10",
            ("2023-06", "2023-08"),
            (("2023-05-25", "2023-05-31"), ("2023-09-01", "2023-09-10")),
        ),
        ("2023-02-15", None, ("2023-03", None), (("2023-02-15", "2023-02-28"),)),
        (None, "2024-02-28", (None, "2024-01"), (("2024-02-01", "2024-02-28"),)),
        (None, "2024-02-29", (None, "2024-02"), ()),
        ("2023-12-31", "2024-01-01", None, (("2023-12-31", "2023-12-31"), ("2024-01-01", "2024-01-01"))),
    ],
)
def test_a_period_is_whole_months_and_the_days_of_the_months_it_cuts(
    debut: str | None, fin: str | None, mois: tuple[str | None, str | None] | None, jours: tuple[Any, ...]
) -> None:
    day = dt.date.fromisoformat
    assert decouper(day(debut) if debut else None, day(fin) if fin else None) == Decoupage(mois, jours)


@pytest.mark.slow  # random writes then every filter combination, against the raw rows
def test_rankings_from_the_read_model_equal_the_raw_rows(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every filter (public, format, period, quartier, theme and their combinations) on the read
    model gives the ranking of the raw rows, for every grouping and weighting."""
    load_geography(session)
    random_writes(session, random.Random(7), 80)
    rng = random.Random(11)
    views = [Filtres(), Filtres(region="11"), Filtres(departement="69"), Filtres(axe="projets"),
             Filtres(region="84", axe="solutions"), Filtres(public="jeunes"), Filtres(format="atelier"),
             Filtres(theme="logement"), *_periodes(), *(_random_filtres(rng) for _ in range(40))]  # fmt: skip
    cases = [(f, g, p) for f in views for g in priorities.GROUPES for p in priorities.PONDERATIONS]
    from_cube = [classement(session, actor=COMMISSION, filtres=f, groupe=g, ponderation=p) for f, g, p in cases]
    monkeypatch.setattr(agregation, "_depuis_cube", lambda _filtres: False)
    monkeypatch.setattr(agregation, "_depuis_cube_filtre", lambda _filtres: False)
    non_empty = 0
    for (f, g, p), expected in zip(cases, from_cube, strict=True):
        raw = classement(session, actor=COMMISSION, filtres=f, groupe=g, ponderation=p)
        non_empty += not raw.empty
        assert expected.to_dict("records") == raw.to_dict("records"), (f, g, p)
    assert non_empty > len(cases) / 3, "the random filters often select something"


def test_a_saved_contribution_counts_at_once_and_a_meeting_set_back_to_planned_no_more(session: Session) -> None:
    load_geography(session)
    meeting = create_rencontre(session, actor=REFERENT_93, data=held())
    session.commit()
    rows: list[LigneContribution] = [
        {"axe": "changements", "theme": "securite", "texte": "Plus d'éclairage", "rang": 1}
    ]
    replace_contributions(session, actor=REFERENT_93, rencontre_id=stored_id(meeting), rows=rows)
    session.commit()
    ranking = classement(session, actor=REFERENT_93, filtres=Filtres(departement="93"), groupe="aucun")
    assert ranking[["theme", "contributions", "rencontres"]].to_dict("records") == [
        {"theme": "securite", "contributions": 1, "rencontres": 1}
    ]
    update_rencontre(session, actor=REFERENT_93, rencontre_id=stored_id(meeting), version=meeting.version,
                     data={"statut": "prevue", "date": held(-5)["date"]})  # fmt: skip
    session.commit()
    assert classement(session, actor=REFERENT_93, filtres=Filtres(), groupe="aucun").empty
    assert classement(session, actor=REFERENT_93, filtres=replace(Filtres(), departement="93")).empty
    assert not session.exec(select(CubeRencontre)).all()


def test_rebuild_command_recomputes_the_read_model(session: Session, database_url: str,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    load_geography(session)
    random_writes(session, random.Random(3), 40)
    maintained = contents(session)
    session.exec(table_of(CubeTheme).delete())
    session.commit()
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    assert main(["rebuild-agregats"]) == 0
    assert "Agrégats recalculés" in capsys.readouterr().out
    session.expire_all()
    assert contents(session) == maintained
