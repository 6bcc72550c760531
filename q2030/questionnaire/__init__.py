"""The online questionnaire, second channel of the consultation.

One module per reason to change:
- `correspondance`: which column is what (saved per campaign), no personal data by title;
- `lecture`: reading an export (encodings, separators, XLSX) and its preview;
- `localisation`: where a respondent lives (QPV, commune, département, « non localisé »);
- `lignes`: the rows checked against the correspondance;
- `importation`: the all-or-nothing, idempotent write; `rapport`: what it says;
- `resultats`: the questionnaire's themes beside the rencontres', responses per place.
"""

from q2030.questionnaire.correspondance import (
    IDENTITE,
    Correspondance,
    QuestionFermee,
    QuestionLibre,
    correspondance,
    donnee_personnelle,
    enregistrer_correspondance,
    valider_correspondance,
)
from q2030.questionnaire.importation import Progress, importer
from q2030.questionnaire.lecture import apercu, lire
from q2030.questionnaire.localisation import departement_de_commune, departement_du_code_postal
from q2030.questionnaire.rapport import LOCALISATIONS, ImportRefuse, Probleme, RapportImport
from q2030.questionnaire.resultats import (
    CANAUX,
    FILTRES_SANS_OBJET,
    classement,
    deux_canaux,
    reponses_par_departement,
    reponses_par_qpv,
    totaux,
)

__all__ = [
    "CANAUX",
    "FILTRES_SANS_OBJET",
    "IDENTITE",
    "LOCALISATIONS",
    "Correspondance",
    "ImportRefuse",
    "Probleme",
    "Progress",
    "QuestionFermee",
    "QuestionLibre",
    "RapportImport",
    "apercu",
    "classement",
    "correspondance",
    "departement_de_commune",
    "departement_du_code_postal",
    "deux_canaux",
    "donnee_personnelle",
    "enregistrer_correspondance",
    "importer",
    "lire",
    "reponses_par_departement",
    "reponses_par_qpv",
    "totaux",
    "valider_correspondance",
]
