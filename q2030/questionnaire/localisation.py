"""Where a respondent lives: the QPV it names (or the only QPV of its commune), else the
commune, else the département of its postcode, else « non localisé »."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from q2030.models import Qpv, QpvCommune
from q2030.questionnaire.correspondance import Correspondance
from q2030.questionnaire.rapport import Probleme
from q2030.referentiel import DEPARTEMENTS
from q2030.textnorm import fold_header, normalize


@dataclass
class Geo:
    """The campaign's geography, read once per import."""

    qpv_codes: dict[str, str]  # code -> code
    qpv_noms: dict[str, set[str]]  # folded name -> codes
    qpv_dep: dict[str, str]
    communes: dict[str, set[str]]  # insee -> QPV codes
    noms: dict[str, set[str]]  # folded commune name -> insee codes


def geo(session: Session, geographie: str) -> Geo:
    qpv_codes: dict[str, str] = {}
    qpv_dep: dict[str, str] = {}
    names: dict[str, set[str]] = defaultdict(set)
    for code, nom, dep in session.exec(
        select(Qpv.code, Qpv.nom, Qpv.departement_code).where(Qpv.geographie == geographie)
    ):
        qpv_codes[code] = code
        qpv_dep[code] = dep
        names[normalize(nom)].add(code)
    communes: dict[str, set[str]] = defaultdict(set)
    noms: dict[str, set[str]] = defaultdict(set)
    for qpv_code, insee, nom in session.exec(select(QpvCommune.qpv_code, QpvCommune.insee, QpvCommune.nom)):
        if qpv_code in qpv_dep:
            communes[insee].add(qpv_code)
            if nom:
                noms[normalize(nom)].add(insee)
    return Geo(qpv_codes, names, qpv_dep, communes, noms)


def departement_du_code_postal(code_postal: str) -> str | None:
    """75011 -> 75, 97400 -> 974, 20000 -> 2A, 20200 -> 2B (None when not a French postcode)."""
    cp = code_postal.strip().replace(" ", "")
    if len(cp) == 4 and cp.isdigit():
        cp = "0" + cp
    if not re.fullmatch(r"\d{5}", cp):
        return None
    if cp.startswith("97"):
        dep = cp[:3]
    elif cp.startswith("20"):
        dep = "2A" if cp[:3] in ("200", "201") else "2B"
    else:
        dep = cp[:2]
    return dep if dep in DEPARTEMENTS else None


def departement_de_commune(insee: str) -> str | None:
    dep = insee[:3] if insee.startswith("97") else insee[:2]
    return dep if dep in DEPARTEMENTS else None


def commune(raw: str, geo: Geo, dep_cp: str | None) -> str | None:
    """INSEE code of a commune answer (code, or a name unique in the postcode's département)."""
    text = raw.strip().upper()
    if re.fullmatch(r"\d[\dAB]\d{3}", text):
        return text
    if re.fullmatch(r"\d{4}", text):
        return "0" + text
    candidates = geo.noms.get(normalize(raw), set())
    if dep_cp:
        candidates = {c for c in candidates if departement_de_commune(c) == dep_cp}
    return next(iter(candidates)) if len(candidates) == 1 else None


def localiser(
    row: dict[str, str], mapping: Correspondance, geo: Geo, ligne: int, problemes: list[Probleme]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "localisation": "non_localise",
        "qpv_code": None,
        "commune_insee": None,
        "departement_code": None,
    }
    dep_cp = _departement_cp(row, mapping, ligne, problemes)
    insee = None
    if mapping.commune and (raw := row.get(fold_header(mapping.commune), "")):
        insee = commune(raw, geo, dep_cp)
    if mapping.qpv and (raw := row.get(fold_header(mapping.qpv), "")):
        code = _qpv(raw, mapping.qpv, geo, insee, dep_cp, ligne, problemes)
        if code is None:
            return out
        return out | {
            "localisation": "qpv",
            "qpv_code": code,
            "commune_insee": insee,
            "departement_code": geo.qpv_dep[code],
        }
    if insee:
        qpvs = geo.communes.get(insee, set())
        if len(qpvs) == 1:
            code = next(iter(qpvs))
            return out | {
                "localisation": "qpv",
                "qpv_code": code,
                "commune_insee": insee,
                "departement_code": geo.qpv_dep[code],
            }
        dep = departement_de_commune(insee)
        if dep:
            return out | {"localisation": "commune", "commune_insee": insee, "departement_code": dep}
    if dep_cp:
        return out | {"localisation": "departement", "departement_code": dep_cp}
    return out


def _departement_cp(row: dict[str, str], mapping: Correspondance, ligne: int, problemes: list[Probleme]) -> str | None:
    if not mapping.code_postal or not (raw := row.get(fold_header(mapping.code_postal), "")):
        return None
    dep = departement_du_code_postal(raw)
    if dep is None:
        problemes.append(Probleme(ligne, mapping.code_postal, raw, "code postal invalide (5 chiffres attendus)."))
    return dep


def _qpv(
    raw: str, colonne: str, geo: Geo, insee: str | None, dep_cp: str | None, ligne: int, problemes: list[Probleme]
) -> str | None:
    code = geo.qpv_codes.get(raw.strip().upper())
    if code is not None:
        return code
    # A name: several quartiers share some ("Centre-ville"): the commune decides.
    candidates = geo.qpv_noms.get(normalize(raw), set())
    if len(candidates) > 1 and insee:
        candidates = candidates & geo.communes.get(insee, set())
    if len(candidates) > 1 and dep_cp:
        candidates = {c for c in candidates if geo.qpv_dep[c] == dep_cp}
    if len(candidates) == 1:
        return next(iter(candidates))
    if candidates:
        problemes.append(
            Probleme(
                ligne, colonne, raw, "plusieurs quartiers portent ce nom : indiquez la commune ou le code du quartier."
            )
        )
        return None
    problemes.append(
        Probleme(ligne, colonne, raw, "quartier inconnu dans la géographie de la campagne (code ou nom exact).")
    )
    return None
