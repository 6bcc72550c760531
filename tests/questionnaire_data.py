"""A realistic export of an online questionnaire platform, and its correspondance.

One row per response: id, submission date, postcode, commune, QPV (a select, often left
empty), "habitez-vous un QPV", age band, gender, two closed questions (one multiple
choice joined by " | "), two free-text questions. Localisation is mixed on purpose: QPV
named, commune only (with one or several QPV), postcode only, nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, select

from q2030.demo_texts import TEXTES
from q2030.models import Qpv, QpvCommune

COLONNES = [
    "ID réponse", "Date de soumission", "Code postal", "Commune", "Quartier prioritaire",
    "Habitez-vous un quartier prioritaire ?", "Tranche d'âge", "Genre",
    "Q1 - Vos priorités pour votre quartier d'ici 2030", "Q2 - Ce qui manque le plus",
    "Q3 - Vos idées pour le quartier", "Q4 - Autre chose à ajouter ?",
]  # fmt: skip
PRIORITES = {  # Q1 answers (as the platform exports them) -> theme
    "Sécurité et tranquillité": "securite",
    "Éducation, école": "education",
    "Logement": "logement",
    "Santé": "sante",
    "Emploi": "emploi",
    "Propreté": "proprete",
    "Transports": "mobilite",
    "Autre": "",
}
MANQUE = {  # Q2 -> theme
    "Des commerces": "commerces",
    "Des activités pour les jeunes": "jeunesse",
    "Des services publics": "acces_droits",
    "Des espaces verts": "environnement",
    "Rien de particulier": "",
}
AGES = ["Moins de 18 ans", "18-24 ans", "25-39 ans", "40-59 ans", "60 ans et plus"]
GENRES = ["Femme", "Homme", "Autre / ne souhaite pas répondre"]
DEBUTS = ["", "Il faudrait ", "Je voudrais ", "Pour moi, ", "Franchement, ", "Surtout : "]
FINS = ["", ".", " !", " dans notre quartier.", " s'il vous plaît.", ", c'est urgent."]


def correspondance() -> dict[str, Any]:
    return {
        "identifiant": "ID réponse",
        "date": "Date de soumission",
        "qpv": "Quartier prioritaire",
        "commune": "Commune",
        "code_postal": "Code postal",
        "habite_qpv": "Habitez-vous un quartier prioritaire ?",
        "tranche_age": "Tranche d'âge",
        "genre": "Genre",
        "fermees": [
            {"colonne": COLONNES[8], "axe": "changements", "valeurs": PRIORITES},
            {"colonne": COLONNES[9], "axe": "ressources", "valeurs": MANQUE},
        ],
        "libres": [{"colonne": COLONNES[10], "axe": "projets"}, {"colonne": COLONNES[11], "axe": None}],
    }


def texte_libre(rng: random.Random) -> tuple[str, str]:
    """(text, the theme it was written from): lets a test know the right answer."""
    theme = rng.choice(sorted(TEXTES))
    phrase = rng.choice(TEXTES[theme])
    debut = rng.choice(DEBUTS)
    if debut:
        phrase = debut + phrase[0].lower() + phrase[1:]
    return phrase + rng.choice(FINS), theme


def rows(session: Session, n: int = 2000, seed: int = 17) -> list[list[str]]:
    rng = random.Random(seed)
    qpvs = session.exec(select(Qpv.code, Qpv.nom)).all()
    communes = session.exec(select(QpvCommune.insee, QpvCommune.nom, QpvCommune.qpv_code)).all()
    assert qpvs, "load the QPV list first"
    assert communes, "load the QPV list first"
    out: list[list[str]] = []
    day = dt.date(2023, 9, 19)
    for number in range(1, n + 1):
        insee, commune, qpv_code = rng.choice(communes)
        cp = {"2A": "20000", "2B": "20200"}.get(insee[:2], insee)
        kind = rng.random()
        quartier = commune_text = code_postal = ""
        if kind < 0.45:
            quartier = qpv_code if rng.random() < 0.7 else next(nom for c, nom in qpvs if c == qpv_code)
            commune_text, code_postal = commune, cp
        elif kind < 0.75:
            commune_text, code_postal = (insee if rng.random() < 0.5 else commune), cp
        elif kind < 0.92:
            code_postal = cp
        priorites = rng.sample(list(PRIORITES), rng.randint(0, 3))
        idee, _theme = texte_libre(rng)
        autre = texte_libre(rng)[0] if rng.random() < 0.3 else ""
        out.append([
            f"R-{number:06d}",
            (day + dt.timedelta(days=rng.randint(0, 42))).strftime("%d/%m/%Y" if number % 2 else "%Y-%m-%d 10:%M:00"),
            code_postal, commune_text, quartier,
            rng.choice(["Oui", "Non", "oui", "NON", ""]),
            rng.choice(AGES), rng.choice(GENRES),
            " | ".join(priorites), rng.choice(list(MANQUE)),
            idee if rng.random() < 0.8 else "", autre,
        ])  # fmt: skip
    return out


def csv_bytes(
    header: list[str],
    data: list[list[str]],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ";",
    blank_lines: bool = True,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for index, row in enumerate(data):
        writer.writerow(row)
        if blank_lines and index % 500 == 250:
            buffer.write("\r\n")
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], data: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
