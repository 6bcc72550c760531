"""A tiny, hand-made geography for the rencontres tests (no file needed).

Seine-Saint-Denis (93): three QPV on two communes; an EPCI spanning 93 and 94; an EPCI
only in 94. Rhône (69): one QPV, for the "other département" cases.
"""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from sqlmodel import Session

from q2030.access import Actor
from q2030.models import Epci, Qpv, QpvCommune, QpvEpci
from q2030.rencontres.saisie import SaisieRencontre

REFERENT_93 = Actor(email="referent.93@test.gouv.fr", role="referent", departement_code="93", region_code="11")
REFERENT_93_BIS = Actor(email="adjoint.93@test.gouv.fr", role="referent", departement_code="93", region_code="11")
REFERENT_69 = Actor(email="referent.69@test.gouv.fr", role="referent", departement_code="69", region_code="84")
REFERENT_94 = Actor(email="referent.94@test.gouv.fr", role="referent", departement_code="94", region_code="11")
PREFET_IDF = Actor(email="sgar.11@test.gouv.fr", role="prefet_region", region_code="11")
PREFET_ARA = Actor(email="sgar.84@test.gouv.fr", role="prefet_region", region_code="84")
COMMISSION = Actor(email="commission@test.gouv.fr", role="commission")
ADMIN = Actor(email="admin@test.gouv.fr", role="admin")

EPCI_93_94 = "200054781"
EPCI_94 = "200058790"


def load_geography(session: Session) -> None:
    session.add_all(
        [
            Qpv(code="QN09301A", nom="Les Courtillières", departement_code="93", communes_label="Pantin"),
            Qpv(code="QN09302A", nom="Les Quatre-Chemins", departement_code="93", communes_label="Pantin"),
            Qpv(code="QN09303A", nom="La Rose des Vents", departement_code="93", communes_label="Aulnay-sous-Bois"),
            Qpv(code="QN09401A", nom="Les Hautes-Noues", departement_code="94", communes_label="Villiers-sur-Marne"),
            Qpv(code="QN09402A", nom="Le Bois l'Abbé", departement_code="94", communes_label="Champigny-sur-Marne"),
            Qpv(code="QN06901A", nom="La Duchère", departement_code="69", communes_label="Lyon"),
            Qpv(code="QP093099", nom="Ancien quartier 2015", departement_code="93", geographie="2015"),
            Epci(siren=EPCI_93_94, nom="Métropole du Grand Paris"),
            Epci(siren=EPCI_94, nom="Paris Est Marne et Bois"),
        ]
    )
    session.flush()
    session.add_all(
        [
            QpvCommune(qpv_code="QN09301A", insee="93055", nom="Pantin"),
            QpvCommune(qpv_code="QN09302A", insee="93055", nom="Pantin"),
            QpvCommune(qpv_code="QN09303A", insee="93005", nom="Aulnay-sous-Bois"),
            QpvCommune(qpv_code="QN09401A", insee="94079", nom="Villiers-sur-Marne"),
            QpvCommune(qpv_code="QN09402A", insee="94017", nom="Champigny-sur-Marne"),
            QpvCommune(qpv_code="QN06901A", insee="69389", nom="Lyon"),
            QpvEpci(qpv_code="QN09301A", epci_siren=EPCI_93_94),
            QpvEpci(qpv_code="QN09302A", epci_siren=EPCI_93_94),
            QpvEpci(qpv_code="QN09401A", epci_siren=EPCI_93_94),
            QpvEpci(qpv_code="QN09402A", epci_siren=EPCI_94),
        ]
    )
    session.commit()


def held(days_ago: int = 10, **overrides: Unpack[SaisieRencontre]) -> SaisieRencontre:
    """A valid held rencontre on two QPV of the 93."""
    data: SaisieRencontre = {
        "statut": "tenue",
        "date": dt.date.today() - dt.timedelta(days=days_ago),
        "heure_debut": dt.time(18, 0),
        "heure_fin": dt.time(20, 0),
        "lieu": "Centre social Jacques-Prévert",
        "adresse": "12 rue de la République, Pantin",
        "type_lieu": "centre_social",
        "perimetre": "quartier",
        "qpv_codes": ["QN09301A", "QN09302A"],
        "organisateurs": ["prefecture", "commune"],
        "format": "reunion_publique",
        "participants": 40,
        "femmes": 22,
        "jeunes": 8,
        "habitants_qpv": 30,
        "professionnels": 5,
        "elus": 2,
        "representant_etat_present": True,
        "accessibilite": ["pmr"],
    }
    data.update(overrides)
    return data
