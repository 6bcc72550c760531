"""Priorities' operations for the national benchmark (q2030.bench picks this module up)."""

from __future__ import annotations

from typing import Any

from q2030 import priorities as p
from q2030.access import Actor
from q2030.bootstrap import active_campaign

_HELD = """
FROM contribution c JOIN rencontre r ON r.id = c.rencontre_id JOIN departement d ON d.code = r.departement_code
WHERE r.campaign_id = :campaign AND r.statut = 'tenue' {extra}
"""
# Floor: the raw counts per theme in one statement (no weighting, no meeting-level pass).
RANKING_FLOOR = "SELECT c.theme, count(*), count(DISTINCT c.rencontre_id)" + _HELD + " GROUP BY c.theme"
RANKING_AXIS_FLOOR = (
    "SELECT c.axe, c.theme, count(*), count(DISTINCT c.rencontre_id)" + _HELD + " GROUP BY c.axe, c.theme"
)
CONTRIBUTIONS_FLOOR = (
    "SELECT c.id, c.texte, r.date, r.lieu" + _HELD + " ORDER BY r.date DESC, c.rencontre_id, c.rang, c.id LIMIT 500"
)
SEARCH_FLOOR = "SELECT c.theme, count(*)" + _HELD + " AND c.texte_norm LIKE '%securite%' GROUP BY c.theme"


def _params(session: Any) -> dict[str, Any]:
    return {"campaign": active_campaign(session).id, "region": "11"}


def operations(national: Actor, referent: Actor) -> list[Any]:
    from q2030.bench import Operation

    everything, region = p.Filtres(), p.Filtres(region="11")
    return [
        Operation(
            "Priorités : classement tous axes (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="aucun"),
            RANKING_FLOOR.format(extra=""),
            _params,
        ),
        Operation(
            "Priorités : classement par axe (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="axe"),
            RANKING_AXIS_FLOOR.format(extra=""),
            _params,
        ),
        Operation(
            "Priorités : classement tous axes (région 11)",
            lambda s: p.classement(s, actor=national, filtres=region, groupe="aucun"),
            RANKING_FLOOR.format(extra="AND d.region_code = :region"),
            _params,
        ),
        Operation(
            "Priorités : petits multiples par région (France)",
            lambda s: p.classement(s, actor=national, filtres=everything, groupe="region"),
        ),
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


# --- Excel ------------------------------------------------------------------------------------

IMPORT_ROWS = 2_000


def filled_template(session: Any, referent: Actor, rows: int = IMPORT_ROWS) -> bytes:
    """The département's template with `rows` new rencontres (and one contribution each) appended."""
    import datetime as dt
    import io

    from openpyxl import load_workbook
    from sqlmodel import select

    from q2030.excel.template import build_template
    from q2030.models import Qpv, Rencontre, RencontreQpv

    dep = referent.departement_code
    qpv = list(session.exec(select(Qpv.code).where(Qpv.departement_code == dep).order_by(Qpv.code)))
    workbook = load_workbook(io.BytesIO(build_template(session, actor=referent, departement_code=dep)))
    rencontres, contributions = workbook["Rencontres"], workbook["Contributions"]
    header = [cell.value for cell in rencontres[1]]
    taken = set(
        session.exec(
            select(Rencontre.date, RencontreQpv.qpv_code)
            .join(RencontreQpv, RencontreQpv.rencontre_id == Rencontre.id)
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


def excel_operations(national: Actor, referent: Actor) -> list[Any]:
    import io

    from q2030.bench import Operation
    from q2030.excel.exports import export_departement, export_national
    from q2030.excel.importer import import_workbook

    prepared: dict[str, bytes] = {}

    def import_and_roll_back(session: Any) -> Any:
        if "content" not in prepared:
            prepared["content"] = filled_template(session, referent)
            session.rollback()
        try:
            return import_workbook(
                session, actor=referent, departement_code=referent.departement_code, content=prepared["content"]
            )
        finally:
            session.rollback()  # every run imports into the same database

    return [
        Operation(
            f"Excel : synthèse départementale ({referent.departement_code})",
            lambda s: export_departement(
                s, actor=national, departement_code=referent.departement_code, out=io.BytesIO()
            ),
            runs=3,
            measure_memory=False,
        ),
        Operation(
            "Excel : export national (toutes les contributions)",
            lambda s: export_national(s, actor=national, out=io.BytesIO()),
            runs=1,
            measure_memory=True,
            scales=("campagne", "national"),
        ),
        Operation(
            f"Excel : import d'un modèle de {IMPORT_ROWS} rencontres (annulé après mesure)",
            import_and_roll_back,
            runs=1,
            scales=("campagne", "national"),
        ),
    ]
