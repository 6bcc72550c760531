"""Where a respondent lives, never a reason to refuse a file.

Tried in order: the QPV it names (code, or a name the commune or département makes unique);
the commune (INSEE code, or its official name as people write it: any case and accents,
`ST`/`STE` for Saint/Sainte, a trailing `(NN)` département, `PARIS 19E`, `MARSEILLE 3E
ARRONDISSEMENT`, `Lyon 3ème`, arrondissement codes 751xx, 132xx, 6938x) — the only QPV of
the commune makes it « qpv »; the département column (code or name); the postcode's
département. What none of them resolves is « non localisé » and its value is counted: a
foreign or overseas collectivity's postcode (987xx, 988xx) is one of those, not an error.
A 4-digit postcode or INSEE code gets its leading zero back.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from q2030.models import Qpv, QpvCommune
from q2030.questionnaire.correspondance import Correspondance
from q2030.referentiel import DEPARTEMENTS
from q2030.textnorm import fold_header, normalize

# Arrondissements: QPV of Paris, Lyon and Marseille sit under the city's code.
VILLES_ARRONDISSEMENTS = {"paris": "75056", "marseille": "13055", "lyon": "69123"}
_ARRONDISSEMENT = re.compile(
    r"^(paris|marseille|lyon)\s*\d{0,2}\s*(?:e|er|eme|ieme|e?me)?\s*(?:arr(?:ondissement)?\.?)?$"
)
_DEP_FINAL = re.compile(r"\(\s*(\d{1,3}|2[abAB])\s*\)\s*$")
_DEPARTEMENTS_NOMS = {normalize(nom).replace("-", " "): code for code, (nom, _region) in DEPARTEMENTS.items()}
MAX_VALEURS = 10_000  # distinct unresolved values kept for the report's top ten


@dataclass
class Geo:
    """The campaign's geography, read once per import, and what could not be located."""

    qpv_codes: dict[str, str]  # code -> code
    qpv_noms: dict[str, set[str]]  # folded name -> codes
    qpv_dep: dict[str, str]
    communes: dict[str, set[str]]  # insee -> QPV codes
    noms: dict[str, set[str]]  # commune key (cle_commune) -> insee codes
    non_resolues: Counter[str] = field(default_factory=Counter)
    codes_postaux_hors: int = 0  # postcodes of no département of the referentiel (abroad, 987xx, 988xx…)


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
                noms[cle_commune(nom)[0]].add(insee)
    return Geo(qpv_codes, names, qpv_dep, communes, noms)


def code_postal(raw: str) -> str:
    """The postcode as 5 characters when it lost its leading zero in a spreadsheet (8120 -> 08120)."""
    cp = raw.strip().replace(" ", "")
    return "0" + cp if len(cp) == 4 and cp.isdigit() else cp


def departement_du_code_postal(raw: str) -> str | None:
    """75011 -> 75, 97400 -> 974, 20000 -> 2A, 20200 -> 2B, 8120 -> 08 (None when no département holds it)."""
    cp = code_postal(raw)
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


def departement(raw: str) -> str | None:
    """A département column's value: « 32 », « 2A », « Gers », « 32 - Gers », « Gers (32) »."""
    text = raw.strip().upper()
    match = re.match(r"^(\d{1,3}|2[AB])\b", text) or _DEP_FINAL.search(text)
    if match:
        code = match.group(1).upper()
        code = code.zfill(2) if code.isdigit() and len(code) < 2 else code
        return code if code in DEPARTEMENTS else None
    return _DEPARTEMENTS_NOMS.get(normalize(raw).replace("-", " "))


def cle_commune(raw: str) -> tuple[str, str | None]:
    """(the key a commune name is matched on, the département written after it in brackets)."""
    text = raw.strip()
    dep = None
    if match := _DEP_FINAL.search(text):
        dep = departement(match.group(1))
        text = text[: match.start()]
    words = re.sub(r"[-'’_.,/]+", " ", normalize(text)).split()
    words = [{"st": "saint", "ste": "sainte"}.get(w, w) for w in words]
    key = " ".join(words)
    if (arrondissement := _ARRONDISSEMENT.match(key)) is not None:
        key = arrondissement.group(1)
    return key, dep


def commune(raw: str, geo: Geo, dep: str | None) -> tuple[str | None, str | None]:
    """(INSEE code of a commune answer, the département it names) — code, or name unique in the département."""
    text = raw.strip().upper()
    if re.fullmatch(r"\d{4}", text):
        text = "0" + text
    if re.fullmatch(r"\d[\dAB]\d{3}", text):
        if text.startswith("751") and text != "75100":
            text = "75056"
        elif text.startswith("132") or text.startswith("6938"):
            text = "13055" if text.startswith("132") else "69123"
        return text, departement_de_commune(text)
    key, dep_ecrit = cle_commune(raw)
    dep = dep_ecrit or dep
    if key in VILLES_ARRONDISSEMENTS:
        insee = VILLES_ARRONDISSEMENTS[key]
        return insee, departement_de_commune(insee)
    candidates = geo.noms.get(key, set())
    if dep:
        candidates = {c for c in candidates if departement_de_commune(c) == dep}
    return (next(iter(candidates)) if len(candidates) == 1 else None), dep_ecrit


def _valeur(row: dict[str, str], colonne: str | None) -> str:
    return row.get(fold_header(colonne), "") if colonne else ""


def localiser(row: dict[str, str], mapping: Correspondance, geo: Geo) -> dict[str, str | None]:
    """localisation, qpv_code, commune_insee, departement_code of a response (never an error)."""
    out: dict[str, str | None] = {"localisation": "non_localise", "qpv_code": None, "commune_insee": None,
                           "departement_code": None}  # fmt: skip
    raw_cp = _valeur(row, mapping.code_postal)
    dep_cp = departement_du_code_postal(raw_cp) if raw_cp else None
    if raw_cp and dep_cp is None:
        geo.codes_postaux_hors += 1
    raw_dep = _valeur(row, mapping.departement)
    dep_col = departement(raw_dep) if raw_dep else None
    insee, dep_commune = None, None
    if raw_commune := _valeur(row, mapping.commune):
        insee, dep_commune = commune(raw_commune, geo, dep_col or dep_cp)
    dep = dep_col or dep_commune or dep_cp
    if (raw_qpv := _valeur(row, mapping.qpv)) and (code := _qpv(raw_qpv, geo, insee, dep)):
        return out | {"localisation": "qpv", "qpv_code": code, "commune_insee": insee,
                      "departement_code": geo.qpv_dep[code]}  # fmt: skip
    if insee:
        qpvs = geo.communes.get(insee, set())
        if len(qpvs) == 1:
            code = next(iter(qpvs))
            return out | {"localisation": "qpv", "qpv_code": code, "commune_insee": insee,
                          "departement_code": geo.qpv_dep[code]}  # fmt: skip
        if dep_insee := departement_de_commune(insee):
            return out | {"localisation": "commune", "commune_insee": insee, "departement_code": dep_insee}
    if dep:
        return out | {"localisation": "departement", "departement_code": dep}
    valeur = raw_qpv or raw_commune or raw_dep or raw_cp or "(aucune indication)"
    if valeur in geo.non_resolues or len(geo.non_resolues) < MAX_VALEURS:
        geo.non_resolues[valeur] += 1
    return out


def _qpv(raw: str, geo: Geo, insee: str | None, dep: str | None) -> str | None:
    """The QPV code of an answer (code, or a name the commune or département makes unique), or None."""
    code = geo.qpv_codes.get(raw.strip().upper())
    if code is not None:
        return code
    candidates = geo.qpv_noms.get(normalize(raw), set())  # "Centre-ville" names several quartiers
    if len(candidates) > 1 and insee:
        candidates = candidates & geo.communes.get(insee, set())
    if len(candidates) > 1 and dep:
        candidates = {c for c in candidates if geo.qpv_dep[c] == dep}
    return next(iter(candidates)) if len(candidates) == 1 else None
