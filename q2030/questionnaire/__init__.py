"""The online questionnaire, second channel of the consultation.

One module per reason to change:
- `correspondance`: which column is what, saved per source of a campaign;
- `personnel`: no personal data (columns refused by title or content, free texts masked);
- `lecture`: reading an export as a stream (missing markers, long files pivoted), its preview;
- `localisation`: where a respondent lives (QPV, commune, département, « non localisé »);
- `lignes`: the rows checked against the correspondance;
- `importation`: the streamed, all-or-nothing write, idempotent by (campaign, source, id);
  replacing or withdrawing a source; `rapport`: what it says; `sources`: the sources listed;
- `resultats`: the questionnaire's themes beside the rencontres', responses per place.
"""

from q2030.questionnaire.correspondance import (
    IDENTITE,
    Correspondance,
    QuestionFermee,
    QuestionLibre,
    correspondance,
    enregistrer_correspondance,
    nom_source,
    valider_correspondance,
)
from q2030.questionnaire.importation import Progress, compter_source, importer, retirer_source
from q2030.questionnaire.lecture import MARQUEURS_ABSENCE, Apercu, Fichier, Format, apercu, lire, ouvrir
from q2030.questionnaire.localisation import departement_de_commune, departement_du_code_postal
from q2030.questionnaire.personnel import donnee_personnelle, masquer, nature_personnelle
from q2030.questionnaire.rapport import LOCALISATIONS, MASQUES, ImportRefuse, Probleme, RapportImport
from q2030.questionnaire.resultats import (
    CANAUX,
    FILTRES_SANS_OBJET,
    classement,
    deux_canaux,
    reponses_par_departement,
    reponses_par_qpv,
    totaux,
)
from q2030.questionnaire.sources import SourceQuestionnaire, sources

__all__ = [
    "CANAUX",
    "FILTRES_SANS_OBJET",
    "IDENTITE",
    "LOCALISATIONS",
    "MARQUEURS_ABSENCE",
    "MASQUES",
    "Apercu",
    "Correspondance",
    "Fichier",
    "Format",
    "ImportRefuse",
    "Probleme",
    "Progress",
    "QuestionFermee",
    "QuestionLibre",
    "RapportImport",
    "SourceQuestionnaire",
    "apercu",
    "classement",
    "compter_source",
    "correspondance",
    "departement_de_commune",
    "departement_du_code_postal",
    "deux_canaux",
    "donnee_personnelle",
    "enregistrer_correspondance",
    "importer",
    "lire",
    "masquer",
    "nature_personnelle",
    "nom_source",
    "ouvrir",
    "reponses_par_departement",
    "reponses_par_qpv",
    "retirer_source",
    "sources",
    "totaux",
    "valider_correspondance",
]
