"""What residents asked for: themes ranked, compared, searched, traced back to their sources.

Only contributions of rencontres *tenues* of the active campaign count. Every aggregate is
computed in SQL with the filters in the WHERE clause; pandas only reshapes results of a few
dozen rows. The Excel export (q2030.excel) calls `classement` so that the workbook and the
page show the same ranking.

The package, by reason to change:
- `filtres`: the shared filters, their validation, the WHERE clause and the reading scope;
- `agregation`: the rankings (read model q2030.cube, or raw rows), comparison, heatmap;
- `textes`: the contributions behind a figure, search, recurring words (reading scope);
- `exports`: French headers of the tables and the CSV exports (the workbook is built by
  `q2030.excel.priorites` with the one XLSX writer).
"""

from q2030.priorities.agregation import (
    CLASSEMENT_COLUMNS,
    agregats,
    carte_de_chaleur,
    classement,
    classer,
    comparaison,
    par_region,
)
from q2030.priorities.exports import (
    CLASSEMENT_HEADERS,
    CONTRIBUTION_HEADERS,
    export_csv,
    table_classement,
    table_contributions,
)
from q2030.priorities.filtres import (
    GROUPES,
    MAX_LIGNES,
    PONDERATIONS,
    TOUS,
    TRIS,
    Filtres,
    cherche_du_texte,
    perimetre_lecture,
    quartiers,
    valider,
)
from q2030.priorities.textes import (
    CONTRIBUTION_COLUMNS,
    compter_contributions,
    contributions,
    contributions_du_terme,
    mots_frequents,
    recherche_par_theme,
)

__all__ = [
    "CLASSEMENT_COLUMNS",
    "CLASSEMENT_HEADERS",
    "CONTRIBUTION_COLUMNS",
    "CONTRIBUTION_HEADERS",
    "GROUPES",
    "MAX_LIGNES",
    "PONDERATIONS",
    "TOUS",
    "TRIS",
    "Filtres",
    "agregats",
    "carte_de_chaleur",
    "cherche_du_texte",
    "classement",
    "classer",
    "comparaison",
    "compter_contributions",
    "contributions",
    "contributions_du_terme",
    "export_csv",
    "mots_frequents",
    "par_region",
    "perimetre_lecture",
    "quartiers",
    "recherche_par_theme",
    "table_classement",
    "table_contributions",
    "valider",
]
