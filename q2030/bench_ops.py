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
