"""The operations the benchmark times: coverage, priorities and Excel read models, each with
its SQL floor when one exists (the same result from one hand-written statement)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from benchmarks.measures import DEPARTEMENT, NATIONAL, REFERENT, Operation
from q2030 import clock, coverage
from q2030 import priorities as p
from q2030.access import Actor
from q2030.campaigns import active_campaign

# --- Coverage ---------------------------------------------------------------------------------

COVERAGE_FLOOR = """
SELECT q.code, q.nom, q.communes_label, q.departement_code, d.region_code,
  CASE
    WHEN MAX(CASE WHEN r.statut = 'tenue' AND r.date <= :au AND r.date <= :echeance THEN 1 ELSE 0 END) = 1
      THEN 'couvert_delais'
    WHEN MIN(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.date END) IS NOT NULL THEN 'couvert_retard'
    WHEN MIN(CASE WHEN r.statut = 'prevue' OR (r.statut = 'tenue' AND r.date > :au) THEN r.date END) IS NOT NULL
      THEN 'prevu'
    ELSE 'non_couvert' END AS statut,
  MIN(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.date END) AS premiere,
  MIN(CASE WHEN r.statut = 'prevue' OR (r.statut = 'tenue' AND r.date > :au) THEN r.date END) AS prochaine,
  MAX(CASE WHEN r.statut = 'tenue' AND r.date <= :au AND rq.direct THEN 1 ELSE 0 END) AS direct,
  COUNT(CASE WHEN r.statut = 'tenue' AND r.date <= :au THEN r.id END) AS tenues
FROM qpv q
JOIN departement d ON d.code = q.departement_code
LEFT JOIN rencontreqpv rq ON rq.qpv_code = q.code
LEFT JOIN rencontre r ON r.id = rq.rencontre_id AND r.campaign_id = :campaign AND r.statut <> 'annulee'
WHERE q.geographie = :geographie {extra}
GROUP BY q.code, q.nom, q.communes_label, q.departement_code, d.region_code
ORDER BY q.departement_code, q.code
"""


def _campaign_params(session: Session) -> dict[str, Any]:
    campaign = active_campaign(session)
    return {
        "au": clock.today(),
        "echeance": campaign.rencontres_echeance,
        "campaign": campaign.id,
        "geographie": campaign.geographie,
        "dep": DEPARTEMENT,
    }


def operations() -> list[Operation]:
    """Every operation, in the order of the README's table."""
    ops = [
        Operation(
            "Couverture : statut de tous les QPV (France)",
            lambda s: coverage.qpv_status(s, actor=NATIONAL),
            COVERAGE_FLOOR.format(extra=""),
            _campaign_params,
            reference=True,
        ),
        Operation(
            f"Couverture : statut des QPV d'un département ({DEPARTEMENT})",
            lambda s: coverage.qpv_status(s, actor=REFERENT),
            COVERAGE_FLOOR.format(extra="AND q.departement_code = :dep"),
            _campaign_params,
            reference=True,
        ),
        Operation(
            "Couverture : comptes par département",
            lambda s: coverage.coverage_counts(s, actor=NATIONAL, niveau="departement"),
        ),
    ]
    ops.extend(priorities_operations(NATIONAL, REFERENT))
    ops.extend(excel_operations(NATIONAL, REFERENT))
    return ops


# --- Priorities -------------------------------------------------------------------------------

# Held and validated rencontres: the ones every figure counts (q2030.comptage.compte).
_HELD = """
FROM contribution c JOIN rencontre r ON r.id = c.rencontre_id JOIN departement d ON d.code = r.departement_code
WHERE r.campaign_id = :campaign AND r.statut = 'tenue' AND r.validation = 'validee' {extra}
"""
# Floors compute the same figures as the service (counts, meetings citing, reciprocal-rank
# score, meeting-weighted share) in one hand-written statement: meeting level, then theme.
_PER_MEETING = (
    """
WITH m AS (
  SELECT c.rencontre_id, {group} c.theme, count(*) AS n,
         sum(CASE WHEN c.rang > 0 THEN 1.0 / c.rang ELSE 0 END) AS sr, min(r.departement_code) AS dep
  """
    + _HELD
    + """
  GROUP BY c.rencontre_id, {group} c.theme
), t AS (SELECT rencontre_id, {group} sum(n) AS mn FROM m GROUP BY rencontre_id {group_tail})
SELECT {group} m.theme, sum(m.n), count(*), sum(m.sr), sum(m.n * 1.0 / t.mn), count(DISTINCT m.dep)
FROM m JOIN t ON t.rencontre_id = m.rencontre_id {join_axis}
GROUP BY {group} m.theme
"""
)
RANKING_FLOOR = _PER_MEETING.replace("{group}", "").replace("{group_tail}", "").replace("{join_axis}", "")
RANKING_AXIS_FLOOR = (
    _PER_MEETING.replace("{group} c.theme", "c.axe, c.theme")
    .replace("SELECT rencontre_id, {group}", "SELECT rencontre_id, axe,")
    .replace("{group_tail}", ", axe")
    .replace("{join_axis}", "AND t.axe = m.axe")
    .replace("SELECT {group} m.theme", "SELECT m.axe, m.theme")
    .replace("GROUP BY {group} m.theme", "GROUP BY m.axe, m.theme")
)
RANKING_REGION_FLOOR = (
    """
WITH m AS (
  SELECT c.rencontre_id, c.theme, count(*) AS n, sum(CASE WHEN c.rang > 0 THEN 1.0 / c.rang ELSE 0 END) AS sr,
         min(r.departement_code) AS dep, min(d.region_code) AS reg
  """
    + _HELD
    + """
  GROUP BY c.rencontre_id, c.theme
), t AS (SELECT rencontre_id, sum(n) AS mn FROM m GROUP BY rencontre_id)
SELECT m.reg, m.theme, sum(m.n), count(*), sum(m.sr), sum(m.n * 1.0 / t.mn), count(DISTINCT m.dep)
FROM m JOIN t ON t.rencontre_id = m.rencontre_id
GROUP BY m.reg, m.theme
"""
)
CONTRIBUTIONS_FLOOR = (
    "SELECT c.id, c.texte, r.date, r.lieu" + _HELD + " ORDER BY r.date DESC, c.rencontre_id, c.rang, c.id LIMIT 500"
)
SEARCH_FLOOR = "SELECT c.theme, count(*)" + _HELD + " AND c.texte_norm LIKE '%securite%' GROUP BY c.theme"


JUILLET = (dt.date(2023, 7, 1), dt.date(2023, 7, 31))  # the demo's busiest month
DIX_JOURS = (dt.date(2023, 7, 10), dt.date(2023, 7, 19))  # a period that cuts months
LONGUE = (dt.date(2023, 5, 25), dt.date(2023, 9, 10))  # cuts two months, three whole months between


def _params(session: Any) -> dict[str, Any]:
    return {
        "campaign": active_campaign(session).id, "region": "11", "dep": DEPARTEMENT, "public": "jeunes",
        "format": "atelier", "debut": JUILLET[0], "fin": JUILLET[1], "debut10": DIX_JOURS[0], "fin10": DIX_JOURS[1],
        "debut_long": LONGUE[0], "fin_long": LONGUE[1],
        "qpv": _busiest_qpv(session),
    }  # fmt: skip


def _busiest_qpv(session: Any) -> str:
    """The quartier with the most held rencontres (a quartier filter that selects something)."""
    row = session.connection().execute(text(
        "SELECT rq.qpv_code FROM rencontreqpv rq JOIN rencontre r ON r.id = rq.rencontre_id WHERE r.statut = 'tenue' "
        "GROUP BY rq.qpv_code ORDER BY count(*) DESC, rq.qpv_code LIMIT 1"
    )).first()  # fmt: skip
    return str(row[0]) if row else ""


_QUARTIERS: dict[str, str] = {}


def _quartier(session: Any) -> str:
    """The busiest quartier of the session's database, looked up once (not timed with the ranking:
    DuckDB's statement receives it as a parameter)."""
    database = session.get_bind().url.render_as_string(hide_password=False)
    if database not in _QUARTIERS:
        _QUARTIERS[database] = _busiest_qpv(session)
    return _QUARTIERS[database]


def same_ranking(ranking: Any, rows: list[tuple[Any, ...]]) -> bool:
    """A ranking of all axes equals the reference rows (theme, contributions, meetings, 1/rang sum, weight, deps)."""
    app = {
        str(r.theme): (int(r.contributions), int(r.rencontres), round(float(r.score_rang), 6), int(r.departements))
        for r in ranking.itertuples()
    }
    ref = {str(t): (int(n), int(m), round(float(sr), 6), int(deps)) for t, n, m, sr, _w, deps in rows}
    return app == ref


def _filtered(name: str, filtres: p.Filtres, extra: str, national: Actor) -> Operation:
    return Operation(
        f"Priorités : classement tous axes, {name} (France)",
        lambda s: p.classement(s, actor=national, filtres=filtres, groupe="aucun"),
        RANKING_FLOOR.format(extra=extra),
        _params,
        reference=True,
        compare=same_ranking,
    )


def filtered_operations(national: Actor) -> list[Operation]:
    """Every filter of the Priorités page beside the unfiltered ranking, each against DuckDB."""
    quartier = "AND EXISTS (SELECT 1 FROM rencontreqpv q WHERE q.rencontre_id = r.id AND q.qpv_code = :qpv)"
    ops = [
        _filtered("public « jeunes »", p.Filtres(public="jeunes"), "AND c.public = :public", national),
        _filtered("format « atelier »", p.Filtres(format="atelier"), "AND r.format = :format", national),
        _filtered("juillet 2023", p.Filtres(debut=JUILLET[0], fin=JUILLET[1]),
                  "AND r.date BETWEEN :debut AND :fin", national),
        _filtered("du 10 au 19/07/2023", p.Filtres(debut=DIX_JOURS[0], fin=DIX_JOURS[1]),
                  "AND r.date BETWEEN :debut10 AND :fin10", national),
        _filtered("du 25/05 au 10/09/2023", p.Filtres(debut=LONGUE[0], fin=LONGUE[1]),
                  "AND r.date BETWEEN :debut_long AND :fin_long", national),
        _filtered("« atelier » du 10 au 19/07/2023", p.Filtres(format="atelier", debut=DIX_JOURS[0], fin=DIX_JOURS[1]),
                  "AND r.format = :format AND r.date BETWEEN :debut10 AND :fin10", national),
        _filtered("« atelier » en juillet 2023, public « jeunes »",
                  p.Filtres(format="atelier", debut=JUILLET[0], fin=JUILLET[1], public="jeunes"),
                  "AND r.format = :format AND r.date BETWEEN :debut AND :fin AND c.public = :public", national),
        _filtered("recherche « securite »", p.Filtres(recherche="securite"),
                  "AND c.texte_norm LIKE '%securite%'", national),
        _filtered("recherche « jeunes »", p.Filtres(recherche="jeunes"),
                  "AND c.texte_norm LIKE '%jeunes%'", national),
    ]  # fmt: skip
    quartier_op = _filtered("le quartier le plus rencontré", p.Filtres(), quartier, national)
    quartier_op.app = lambda s: p.classement(
        s, actor=national, filtres=p.Filtres(qpv=_quartier(s), departement=None), groupe="aucun"
    )
    return [*ops, quartier_op]


def priorities_operations(national: Actor, referent: Actor) -> list[Operation]:
    everything, region = p.Filtres(), p.Filtres(region="11")
    return [
        Operation(
            "Priorités : classement tous axes (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="aucun"),
            RANKING_FLOOR.format(extra=""),
            _params,
            reference=True,
        ),
        Operation(
            "Priorités : classement par axe (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="axe"),
            RANKING_AXIS_FLOOR.format(extra=""),
            _params,
            reference=True,
        ),
        Operation(
            "Priorités : classement tous axes (région 11)",
            lambda s: p.classement(s, actor=national, filtres=region, groupe="aucun"),
            RANKING_FLOOR.format(extra="AND d.region_code = :region"),
            _params,
            reference=True,
        ),
        Operation(
            f"Priorités : classement par axe (département {DEPARTEMENT})",
            lambda s: p.classement(s, actor=national, filtres=p.Filtres(departement=DEPARTEMENT), groupe="axe"),
            RANKING_AXIS_FLOOR.format(extra="AND r.departement_code = :dep"),
            _params,
            reference=True,
        ),
        Operation(
            "Priorités : petits multiples par région (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="region"),
            RANKING_REGION_FLOOR.format(extra=""),
            _params,
            reference=True,
        ),
        *filtered_operations(national),
        Operation(
            "Priorités : contributions (500 premières, France)",
            lambda s: p.contributions(s, actor=national, filtres=everything),
            CONTRIBUTIONS_FLOOR.format(extra=""),
            _params,
        ),
        Operation(
            "Priorités : recherche « securite » (France)",
            lambda s: p.recherche_par_theme(s, actor=national, filtres=everything, texte="securite"),
            SEARCH_FLOOR.format(extra=""),
            _params,
        ),
        Operation(
            "Priorités : mots fréquents (France)",
            lambda s: p.mots_frequents(s, actor=national, filtres=everything),
        ),
        Operation(
            "Priorités : comparaison département 93 / France",
            lambda s: p.comparaison(s, actor=referent, filtres=p.Filtres(departement="93")),
        ),
    ]


def _departement(referent: Actor) -> str:
    if referent.departement_code is None:
        raise ValueError(f"{referent.email} n'a pas de département : un référent est attendu.")
    return referent.departement_code


# --- Excel ------------------------------------------------------------------------------------

IMPORT_ROWS = 2_000


def filled_template(session: Any, referent: Actor, rows: int = IMPORT_ROWS) -> bytes:
    """The département's template with `rows` new rencontres (and one contribution each) appended."""
    import io

    from openpyxl import load_workbook
    from sqlmodel import col, select

    from q2030.excel.template import build_template
    from q2030.models import Qpv, Rencontre, RencontreQpv

    dep = _departement(referent)
    qpv = list(session.exec(select(Qpv.code).where(Qpv.departement_code == dep).order_by(Qpv.code)))
    workbook = load_workbook(io.BytesIO(build_template(session, actor=referent, departement_code=dep)))
    rencontres, contributions = workbook["Rencontres"], workbook["Contributions"]
    header = [cell.value for cell in rencontres[1]]
    taken = set(
        session.exec(
            select(col(Rencontre.date), col(RencontreQpv.qpv_code))
            .join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
            .where(Rencontre.departement_code == dep, Rencontre.statut != "annulee")
        )
    )
    # (date, QPV) pairs used by no rencontre: no row is a probable duplicate.
    free = (
        (day, code)
        for day in (dt.date(2023, 5, 20) + dt.timedelta(days=n) for n in range(70))
        for code in qpv
        if (day, code) not in taken
    )
    for number, (day, code) in zip(range(1, rows + 1), free, strict=False):
        values = {
            "Identifiant": f"B{number}",
            "Statut": "Tenue",
            "Date": day.strftime("%d/%m/%Y"),
            "Périmètre": "Quartier(s)",
            "QPV": code,
            "Lieu": f"Salle {number}",
            "Type de lieu": "Centre social",
            "Format": "Réunion publique",
            "Participants": 30,
            "Femmes": 16,
            "Jeunes": 8,
        }
        rencontres.append([values.get(h) for h in header])
        contributions.append(
            [f"B{number}", "4", "Tranquillité publique et sécurité", f"Éclairage de l'allée {number}", 1]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_operations(national: Actor, referent: Actor) -> list[Operation]:
    import io

    from q2030.excel.exports import export_departement, export_national
    from q2030.excel.importer import import_workbook

    prepared: dict[str, bytes] = {}

    def import_and_roll_back(session: Any) -> Any:
        if "content" not in prepared:
            prepared["content"] = filled_template(session, referent)
            session.rollback()
        try:
            return import_workbook(
                session, actor=referent, departement_code=_departement(referent), content=prepared["content"]
            )
        finally:
            session.rollback()  # every run imports into the same database

    return [
        Operation(
            f"Excel : synthèse départementale ({referent.departement_code})",
            lambda s: export_departement(s, actor=national, departement_code=_departement(referent), out=io.BytesIO()),
            runs=3,
        ),
        Operation(
            "Excel : export national (toutes les contributions)",
            lambda s: export_national(s, actor=national, out=io.BytesIO()),
            runs=1,
            command=["export-national", "{tmp}/national.xlsx"],
            scales=("campagne", "national"),
        ),
        Operation(
            f"Excel : import d'un modèle de {IMPORT_ROWS} rencontres (annulé après mesure)",
            import_and_roll_back,
            runs=1,
            scales=("campagne", "national"),
        ),
    ]
