"""The online questionnaire, second channel of the consultation: mapping, import, counts.

An export of the questionnaire platform has one row per response; its columns vary from
one platform (and one campaign) to the next, so a **correspondance** saved per campaign
says which column is what: the response id, the date, the localisation (QPV code, commune,
postcode), "habite un QPV", the age band, the gender; the closed questions and how each of
their answers maps to an axis and a theme; the free-text questions and their axis.

The import is all-or-nothing (an `ImportRefuse` carrying every issue: row, column, value,
French message) and idempotent (the response id): a response whose mapped values did not
change is not written. No personal data: a column whose title says name, e-mail,
telephone or address cannot be mapped, and a file holding an e-mail-like value in any
column is refused (naming the column).

Localisation of a respondent: the QPV when the answer names one (or a commune that has a
single QPV), else the commune / département, else "non localisé".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, field_validator
from pydantic import ValidationError as PydanticError
from sqlalchemy import delete, distinct, func, insert, update
from sqlmodel import Session, select

from q2030 import audit
from q2030.access import Actor, require
from q2030.bootstrap import active_campaign
from q2030.errors import Q2030Error, ValidationError
from q2030.models import (
    Departement,
    Qpv,
    QpvCommune,
    QuestionnaireCorrespondance,
    QuestionnaireReponse,
    QuestionnaireTheme,
    TexteLibre,
    utcnow,
)
from q2030.nomenclature import AXES, THEMES, code_from_label, theme_label
from q2030.priorities import Filtres
from q2030.qpv_import import _fold, read_table
from q2030.referentiel import DEPARTEMENTS
from q2030.textnorm import normalize

Progress = Callable[[float, str], None]

LOCALISATIONS: dict[str, str] = {
    "qpv": "Quartier (QPV)",
    "commune": "Commune",
    "departement": "Département",
    "non_localise": "Non localisé",
}
IDENTITE: dict[str, str] = {
    "identifiant": "Identifiant de la réponse",
    "date": "Date de la réponse",
    "qpv": "Quartier (code ou nom du QPV)",
    "commune": "Commune (code INSEE ou nom)",
    "code_postal": "Code postal",
    "habite_qpv": "Habite un QPV (oui / non)",
    "tranche_age": "Tranche d'âge",
    "genre": "Genre",
}
# Words of a column title that announce personal data (folded, compared word by word).
PERSONNEL = {"nom", "prenom", "email", "mail", "courriel", "telephone", "tel", "portable", "mobile", "adresse"}
# ... unless the title is about a place ("nom de la commune", "nom du quartier").
LIEU = {"commune", "ville", "quartier", "qpv", "lieu"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
SEPARATEURS = re.compile(r"\s*[|;\n]\s*")
OUI = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
NON = {"non", "n", "no", "faux", "false", "0"}
MAX_TEXTE = 5_000
MAX_ERREURS = 200
CHUNK = 5_000


# --- The correspondance ---------------------------------------------------------------------


class QuestionFermee(BaseModel):
    colonne: str
    axe: str
    valeurs: dict[str, str] = Field(default_factory=dict)  # answer as exported -> theme code ("" = ignored)


class QuestionLibre(BaseModel):
    colonne: str
    axe: str | None = None


class Correspondance(BaseModel):
    identifiant: str
    date: str | None = None
    qpv: str | None = None
    commune: str | None = None
    code_postal: str | None = None
    habite_qpv: str | None = None
    tranche_age: str | None = None
    genre: str | None = None
    fermees: list[QuestionFermee] = Field(default_factory=list)
    libres: list[QuestionLibre] = Field(default_factory=list)

    @field_validator("identifiant")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("à choisir")
        return value

    def colonnes(self) -> list[tuple[str, str]]:
        """(role label, column) of every mapped column."""
        out = [(IDENTITE[key], getattr(self, key)) for key in IDENTITE if getattr(self, key)]
        out += [(f"Question fermée ({AXES.get(q.axe, q.axe)})", q.colonne) for q in self.fermees]
        out += [("Texte libre", q.colonne) for q in self.libres]
        return out


def donnee_personnelle(colonne: str) -> bool:
    """True when a column title announces a name, an e-mail, a telephone or an address."""
    words = set(_fold(colonne).split("_"))
    return bool(words & PERSONNEL) and not words & LIEU


def valider_correspondance(contenu: dict[str, Any], colonnes_fichier: list[str] | None = None) -> Correspondance:
    """A checked Correspondance, or ValidationError with one French message per problem."""
    try:
        mapping = Correspondance.model_validate(contenu)
    except PydanticError as error:
        raise ValidationError(
            {"correspondance": [f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in error.errors()]}
        ) from None
    messages: list[str] = []
    used: Counter[str] = Counter(_fold(c) for _role, c in mapping.colonnes())
    for role, colonne in mapping.colonnes():
        if donnee_personnelle(colonne):
            messages.append(
                f"La colonne « {colonne} » ({role}) semble contenir des données personnelles (nom, courriel, "
                "téléphone, adresse) : elle ne peut pas être importée."
            )
        if used[_fold(colonne)] > 1:
            messages.append(f"La colonne « {colonne} » est utilisée deux fois.")
            used[_fold(colonne)] = 1
        if colonnes_fichier is not None and _fold(colonne) not in {_fold(c) for c in colonnes_fichier}:
            messages.append(f"La colonne « {colonne} » ({role}) n'existe pas dans le fichier.")
    for question in mapping.fermees:
        if question.axe not in AXES:
            messages.append(f"Question « {question.colonne} » : axe inconnu « {question.axe} ».")
        for answer, theme in question.valeurs.items():
            if theme and theme not in THEMES:
                messages.append(f"Question « {question.colonne} », réponse « {answer} » : thème inconnu « {theme} ».")
    for question in mapping.libres:
        if question.axe is not None and question.axe not in AXES:
            messages.append(f"Texte libre « {question.colonne} » : axe inconnu « {question.axe} ».")
    if not mapping.fermees and not mapping.libres:
        messages.append("Choisissez au moins une question fermée ou un texte libre.")
    if messages:
        raise ValidationError({"correspondance": messages})
    return mapping


def correspondance(session: Session, *, campaign_id: int | None = None) -> Correspondance | None:
    campaign_id = campaign_id or active_campaign(session).id
    row = session.exec(
        select(QuestionnaireCorrespondance).where(QuestionnaireCorrespondance.campaign_id == campaign_id)
    ).first()
    return Correspondance.model_validate(row.contenu) if row else None


def enregistrer_correspondance(
    session: Session, *, actor: Actor, contenu: dict[str, Any], colonnes_fichier: list[str] | None = None
) -> Correspondance:
    """Save the active campaign's mapping (administrators), audited."""
    require(actor.is_admin, "Seul un administrateur peut définir la correspondance du questionnaire.")
    mapping = valider_correspondance(contenu, colonnes_fichier)
    campaign = active_campaign(session)
    row = session.exec(
        select(QuestionnaireCorrespondance).where(QuestionnaireCorrespondance.campaign_id == campaign.id)
    ).first()
    avant = row.contenu if row else None
    data = mapping.model_dump()
    if row is None:
        row = QuestionnaireCorrespondance(campaign_id=campaign.id, contenu=data, modifie_par=actor.email)
        session.add(row)
    else:
        row.contenu, row.version, row.modifie_le, row.modifie_par = data, row.version + 1, utcnow(), actor.email
    session.flush()
    audit.record(
        session, actor=actor, action="modification" if avant else "creation",
        entite="correspondance_questionnaire", entite_id=row.id or "", avant=avant, apres=data,
    )  # fmt: skip
    return mapping


# --- Reading a file ---------------------------------------------------------------------------


def lire(content: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """(column names, rows) of an export; the QPV import's reader (encodings, `;`/`,`, XLSX)."""
    rows = list(read_table(content, filename).rows)  # encodings (cp1252, UTF-16, BOM), ";"/",", XLSX
    if not rows:
        raise ValidationError("Le fichier est vide ou n'a pas de ligne d'en-tête.")
    return list(rows[0].keys()), rows


def apercu(
    content: bytes, filename: str, lignes: int = 10
) -> tuple[list[str], list[dict[str, str]], dict[str, list[str]]]:
    """Columns, the first rows, and the distinct answers of each column (30 at most) for the editor."""
    colonnes, rows = lire(content, filename)
    distinct: dict[str, Counter[str]] = {c: Counter() for c in colonnes}
    for row in rows:
        for colonne in colonnes:
            value = row.get(colonne, "")
            if value:
                for part in SEPARATEURS.split(value):
                    if part:
                        distinct[colonne][part] += 1
    valeurs = {c: [v for v, _n in counter.most_common(30)] for c, counter in distinct.items()}
    return colonnes, [r for r in rows if any(r.values())][:lignes], valeurs


# --- Import ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probleme:
    ligne: int | None  # file line (1 = header)
    colonne: str
    valeur: str
    message: str


@dataclass
class RapportImport:
    problemes: list[Probleme] = field(default_factory=list)
    lues: int = 0
    creees: int = 0
    mises_a_jour: int = 0
    inchangees: int = 0
    textes: int = 0
    localisation: Counter[str] = field(default_factory=Counter)

    def lignes(self) -> list[str]:
        if self.problemes:
            out = [f"{len(self.problemes)} erreur(s) : rien n'a été importé."]
            for p in self.problemes:
                where = f"ligne {p.ligne}" if p.ligne else "fichier"
                column = f", colonne « {p.colonne} »" if p.colonne else ""
                value = f" (valeur « {p.valeur} »)" if p.valeur else ""
                out.append(f"- {where}{column}{value} : {p.message}")
            return out
        loc = ", ".join(f"{LOCALISATIONS[k].lower()} : {self.localisation[k]}" for k in LOCALISATIONS)
        return [
            f"Réponses lues : {self.lues} ; créées : {self.creees}, mises à jour : {self.mises_a_jour}, "
            f"inchangées : {self.inchangees}.",
            f"Textes libres à coder ajoutés ou modifiés : {self.textes}.",
            f"Localisation des réponses lues — {loc}.",
        ]

    def tableau(self) -> list[dict[str, Any]]:
        return [
            {"Ligne": p.ligne, "Colonne": p.colonne, "Valeur": p.valeur, "Message": p.message} for p in self.problemes
        ]


class ImportRefuse(Q2030Error):
    """The file has errors: nothing was written (the caller's transaction rolls back)."""

    def __init__(self, rapport: RapportImport) -> None:
        self.rapport = rapport
        super().__init__(f"{len(rapport.problemes)} erreur(s) dans le fichier : rien n'a été importé.")


@dataclass
class _Geo:
    qpv_codes: dict[str, str]  # code -> code
    qpv_noms: dict[str, set[str]]  # folded name -> codes
    qpv_dep: dict[str, str]
    communes: dict[str, set[str]]  # insee -> QPV codes
    noms: dict[str, set[str]]  # folded commune name -> insee codes


def _geo(session: Session, geographie: str) -> _Geo:
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
    return _Geo(qpv_codes, names, qpv_dep, communes, noms)


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


def _date(value: str) -> dt.date:
    text = value.strip()
    match = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})", text) or None
    if match:
        day, month, year = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return dt.date(year, month, day)
    raise ValueError


@dataclass
class _Ligne:
    ligne: int
    identifiant: str
    valeurs: dict[str, Any]
    themes: list[tuple[str, str]]  # (axe, theme)
    textes: dict[str, tuple[str, str | None]]  # question -> (text, axis)
    empreinte: str = ""


def _commune(raw: str, geo: _Geo, dep_cp: str | None) -> str | None:
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


def _localiser(
    row: dict[str, str], mapping: Correspondance, geo: _Geo, ligne: int, problemes: list[Probleme]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "localisation": "non_localise",
        "qpv_code": None,
        "commune_insee": None,
        "departement_code": None,
    }
    dep_cp = None
    if mapping.code_postal:
        raw = row.get(_fold(mapping.code_postal), "")
        if raw:
            dep_cp = departement_du_code_postal(raw)
            if dep_cp is None:
                problemes.append(
                    Probleme(ligne, mapping.code_postal, raw, "code postal invalide (5 chiffres attendus).")
                )
    insee = None
    if mapping.commune and (raw := row.get(_fold(mapping.commune), "")):
        insee = _commune(raw, geo, dep_cp)
    if mapping.qpv and (raw := row.get(_fold(mapping.qpv), "")):
        code = geo.qpv_codes.get(raw.strip().upper())
        if code is None:  # a name: several quartiers share some ("Centre-ville"): the commune decides
            candidates = geo.qpv_noms.get(normalize(raw), set())
            if len(candidates) > 1 and insee:
                candidates = candidates & geo.communes.get(insee, set())
            if len(candidates) > 1 and dep_cp:
                candidates = {c for c in candidates if geo.qpv_dep[c] == dep_cp}
            if len(candidates) == 1:
                code = next(iter(candidates))
            elif candidates:
                problemes.append(
                    Probleme(
                        ligne,
                        mapping.qpv,
                        raw,
                        "plusieurs quartiers portent ce nom : indiquez la commune ou le code du quartier.",
                    )
                )
                return out
        if code is None:
            problemes.append(
                Probleme(
                    ligne, mapping.qpv, raw, "quartier inconnu dans la géographie de la campagne (code ou nom exact)."
                )
            )
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


def _lire_lignes(
    rows: list[dict[str, str]], colonnes: list[str], mapping: Correspondance, geo: _Geo
) -> tuple[list[_Ligne], list[Probleme]]:
    problemes: list[Probleme] = []
    # No personal data: any e-mail-like value refuses the file, naming the column.
    for colonne in colonnes:
        for index, row in enumerate(rows, start=2):
            value = row.get(colonne, "")
            if value and "@" in value and EMAIL.search(value):
                problemes.append(
                    Probleme(index, colonne, "(adresse masquée)",
                             "une adresse électronique figure dans cette colonne : les données personnelles ne sont "
                             "pas importées ; retirez-la du fichier.")
                )  # fmt: skip
                break
    if problemes:
        return [], problemes
    fermees = [(q, {normalize(k): v for k, v in q.valeurs.items()}) for q in mapping.fermees]
    seen: dict[str, int] = {}
    lignes: list[_Ligne] = []
    id_col = _fold(mapping.identifiant)
    for index, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        before = len(problemes)
        identifiant = row.get(id_col, "").strip()
        if not identifiant:
            problemes.append(Probleme(index, mapping.identifiant, "", "identifiant de la réponse manquant."))
        elif len(identifiant) > 100:
            problemes.append(
                Probleme(
                    index, mapping.identifiant, identifiant[:40], "identifiant trop long (100 caractères au plus)."
                )
            )
        elif identifiant in seen:
            problemes.append(
                Probleme(
                    index, mapping.identifiant, identifiant, f"identifiant déjà présent ligne {seen[identifiant]}."
                )
            )
        else:
            seen[identifiant] = index
        valeurs: dict[str, Any] = {"date": None, "habite_qpv": None, "tranche_age": "", "genre": ""}
        if mapping.date and (raw := row.get(_fold(mapping.date), "")):
            try:
                valeurs["date"] = _date(raw)
            except ValueError:
                problemes.append(Probleme(index, mapping.date, raw, "date illisible (JJ/MM/AAAA ou AAAA-MM-JJ)."))
        if mapping.habite_qpv and (raw := row.get(_fold(mapping.habite_qpv), "")):
            folded = normalize(raw)
            if folded in OUI:
                valeurs["habite_qpv"] = True
            elif folded in NON:
                valeurs["habite_qpv"] = False
            elif folded not in {"ne sait pas", "nsp", "je ne sais pas"}:
                problemes.append(Probleme(index, mapping.habite_qpv, raw, "réponse attendue : oui ou non."))
        for key in ("tranche_age", "genre"):
            colonne = getattr(mapping, key)
            if colonne and (raw := row.get(_fold(colonne), "")):
                if len(raw) > 50:
                    problemes.append(Probleme(index, colonne, raw[:40], "50 caractères au plus."))
                valeurs[key] = raw[:50]
        valeurs |= _localiser(row, mapping, geo, index, problemes)
        themes: list[tuple[str, str]] = []
        for question, answers in fermees:
            raw = row.get(_fold(question.colonne), "")
            for part in SEPARATEURS.split(raw) if raw else []:
                if not part:
                    continue
                folded = normalize(part)
                theme = answers.get(folded)
                if theme is None:
                    theme = code_from_label(THEMES, part)  # an answer that is a theme's own name
                if theme is None:
                    problemes.append(
                        Probleme(index, question.colonne, part,
                                 "réponse absente de la correspondance : associez-la à un thème (ou « ignorer »).")
                    )  # fmt: skip
                elif theme and (question.axe, theme) not in themes:
                    themes.append((question.axe, theme))
        textes: dict[str, tuple[str, str | None]] = {}
        for question_libre in mapping.libres:
            raw = row.get(_fold(question_libre.colonne), "")
            if raw:
                if len(raw) > MAX_TEXTE:
                    problemes.append(
                        Probleme(
                            index,
                            question_libre.colonne,
                            raw[:40] + "…",
                            f"texte trop long ({MAX_TEXTE} caractères au plus).",
                        )
                    )
                textes[question_libre.colonne] = (raw, question_libre.axe)
        if len(problemes) == before:
            ligne = _Ligne(index, identifiant, valeurs, sorted(themes), textes)
            ligne.empreinte = hashlib.sha256(
                json.dumps([valeurs, ligne.themes, sorted(textes.items())], default=str, sort_keys=True).encode()
            ).hexdigest()
            lignes.append(ligne)
        if len(problemes) >= MAX_ERREURS:
            problemes.append(Probleme(None, "", "", f"plus de {MAX_ERREURS} erreurs : lecture arrêtée."))
            break
    if not lignes and not problemes:
        problemes.append(Probleme(None, "", "", "aucune réponse dans le fichier."))
    return lignes, problemes


def importer(
    session: Session, *, actor: Actor, content: bytes, filename: str, progress: Progress | None = None
) -> RapportImport:
    """Import an export with the active campaign's correspondance; ImportRefuse on any error."""
    require(actor.is_admin, "Seul un administrateur peut importer les réponses au questionnaire.")
    notify = progress or (lambda _f, _m: None)
    campaign = active_campaign(session)
    mapping = correspondance(session, campaign_id=campaign.id)
    if mapping is None:
        raise ValidationError("Définissez d'abord la correspondance des colonnes du questionnaire.")
    notify(0.05, "Lecture du fichier…")
    colonnes, rows = lire(content, filename)
    rapport = RapportImport()
    try:
        valider_correspondance(mapping.model_dump(), colonnes)
    except ValidationError as error:
        rapport.problemes = [Probleme(None, "", "", m) for m in error.errors["correspondance"]]
        raise ImportRefuse(rapport) from None
    notify(0.15, "Contrôle des réponses…")
    lignes, problemes = _lire_lignes(rows, colonnes, mapping, _geo(session, campaign.geographie))
    rapport.problemes = problemes
    if problemes:
        raise ImportRefuse(rapport)
    rapport.lues = len(lignes)
    rapport.localisation = Counter(ln.valeurs["localisation"] for ln in lignes)
    existing = {
        ident: (rid, empreinte)
        for rid, ident, empreinte in session.exec(
            select(QuestionnaireReponse.id, QuestionnaireReponse.identifiant, QuestionnaireReponse.empreinte).where(
                QuestionnaireReponse.campaign_id == campaign.id
            )
        )
    }
    nouvelles = [ln for ln in lignes if ln.identifiant not in existing]
    changees = [ln for ln in lignes if ln.identifiant in existing and existing[ln.identifiant][1] != ln.empreinte]
    rapport.creees, rapport.mises_a_jour = len(nouvelles), len(changees)
    rapport.inchangees = len(lignes) - len(nouvelles) - len(changees)
    now = utcnow()
    connection = session.connection()
    for start in range(0, len(nouvelles), CHUNK):
        notify(0.2 + 0.5 * start / max(1, len(nouvelles)), "Enregistrement des réponses…")
        connection.execute(
            insert(QuestionnaireReponse),
            [
                {
                    "campaign_id": campaign.id,
                    "identifiant": ln.identifiant,
                    "empreinte": ln.empreinte,
                    "importe_le": now,
                }
                | ln.valeurs
                for ln in nouvelles[start : start + CHUNK]
            ],
        )
    ids = dict(
        session.exec(
            select(QuestionnaireReponse.identifiant, QuestionnaireReponse.id).where(
                QuestionnaireReponse.campaign_id == campaign.id
            )
        ).all()
    )
    for ln in changees:
        connection.execute(
            update(QuestionnaireReponse)
            .where(QuestionnaireReponse.id == ids[ln.identifiant])  # type: ignore[arg-type]
            .values(empreinte=ln.empreinte, importe_le=now, **ln.valeurs)
        )
    notify(0.75, "Thèmes et textes libres…")
    changed_ids = [ids[ln.identifiant] for ln in changees]
    textes_avant: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(changed_ids), 900):
        chunk = changed_ids[start : start + 900]
        connection.execute(
            delete(QuestionnaireTheme).where(
                QuestionnaireTheme.reponse_id.in_(chunk),
                QuestionnaireTheme.origine == "fermee",
            )
        )
        for tid, rid, question, texte in session.exec(
            select(TexteLibre.id, TexteLibre.reponse_id, TexteLibre.question, TexteLibre.texte).where(
                TexteLibre.reponse_id.in_(chunk)  # type: ignore[union-attr]
            )
        ):
            textes_avant[(rid, question)] = (tid, texte)
    themes = [
        {"reponse_id": ids[ln.identifiant], "axe": axe, "theme": theme, "public": "tous", "origine": "fermee"}
        for ln in [*nouvelles, *changees]
        for axe, theme in ln.themes
    ]
    textes: list[dict[str, Any]] = []
    obsolete: list[int] = []
    for ln in [*nouvelles, *changees]:
        rid = ids[ln.identifiant]
        for question, (texte, axe) in ln.textes.items():
            before = textes_avant.pop((rid, question), None)
            if before and before[1] == texte:
                continue
            if before:
                obsolete.append(before[0])
            textes.append(
                {"campaign_id": campaign.id, "reponse_id": rid, "question": question, "axe_question": axe,
                 "texte": texte, "statut": "a_coder", "reserve_par": "", "code_par": "", "version": 1}
            )  # fmt: skip
    obsolete += [tid for tid, _texte in textes_avant.values()]  # a text emptied in the new file
    for start in range(0, len(obsolete), 900):
        connection.execute(
            delete(QuestionnaireTheme).where(QuestionnaireTheme.texte_id.in_(obsolete[start : start + 900]))
        )
        connection.execute(delete(TexteLibre).where(TexteLibre.id.in_(obsolete[start : start + 900])))  # type: ignore[union-attr]
    for start in range(0, len(themes), CHUNK):
        connection.execute(insert(QuestionnaireTheme), themes[start : start + CHUNK])
    for start in range(0, len(textes), CHUNK):
        notify(0.8 + 0.15 * start / max(1, len(textes)), "Textes libres…")
        connection.execute(insert(TexteLibre), textes[start : start + CHUNK])
    rapport.textes = len(textes)
    audit.record(
        session, actor=actor, action="import", entite="questionnaire", entite_id=filename[:40],
        apres={"lues": rapport.lues, "creees": rapport.creees, "mises_a_jour": rapport.mises_a_jour,
               "inchangees": rapport.inchangees, "textes": rapport.textes, "localisation": dict(rapport.localisation)},
    )  # fmt: skip
    if connection.dialect.name == "postgresql" and rapport.creees + rapport.textes > 1_000:
        # Fresh statistics after a bulk load: without them the planner sorted the whole coding queue.
        connection.exec_driver_sql("ANALYZE questionnairereponse, questionnairetheme, textelibre")
    notify(1.0, "Terminé.")
    return rapport


# --- Results: the questionnaire channel beside the rencontres ----------------------------------------

CANAUX: dict[str, str] = {
    "rencontres": "Rencontres",
    "questionnaire": "Questionnaire en ligne",
    "les_deux": "Les deux, côte à côte",
}
# Filters of the results pages that have no meaning for a questionnaire response.
FILTRES_SANS_OBJET = ("format", "recherche")


def _conditions(session: Session, filtres: Filtres) -> list[Any]:
    from q2030.priorities import valider

    valider(filtres)
    campaign = active_campaign(session)
    conds: list[Any] = [QuestionnaireReponse.campaign_id == campaign.id]
    if filtres.region:
        conds.append(Departement.region_code == filtres.region)
    if filtres.departement:
        conds.append(QuestionnaireReponse.departement_code == filtres.departement)
    if filtres.qpv:
        conds.append(QuestionnaireReponse.qpv_code == filtres.qpv)
    for column, value in (
        (QuestionnaireTheme.axe, filtres.axe),
        (QuestionnaireTheme.theme, filtres.theme),
        (QuestionnaireTheme.public, filtres.public),
    ):
        if value:
            conds.append(column == value)
    if filtres.debut:
        conds.append(QuestionnaireReponse.date >= filtres.debut)  # type: ignore[operator]
    if filtres.fin:
        conds.append(QuestionnaireReponse.date <= filtres.fin)  # type: ignore[operator]
    return conds


def _from(query: Any) -> Any:
    return (
        query.select_from(QuestionnaireTheme)
        .join(QuestionnaireReponse, QuestionnaireReponse.id == QuestionnaireTheme.reponse_id)
        .outerjoin(Departement, Departement.code == QuestionnaireReponse.departement_code)
    )


def totaux(session: Session, *, filtres: Filtres) -> tuple[int, int]:
    """(theme citations, responses citing at least one theme) of the questionnaire, filtered."""
    citations, reponses = session.exec(
        _from(select(func.count(), func.count(distinct(QuestionnaireTheme.reponse_id)))).where(
            *_conditions(session, filtres)
        )
    ).one()
    return int(citations or 0), int(reponses or 0)


def classement(session: Session, *, filtres: Filtres) -> pd.DataFrame:
    """Themes of the questionnaire, each response counting for one.

    Columns: theme, theme_libelle, citations (closed answers and coded texts), reponses
    (responses citing the theme), reponses_total, part_reponses, poids (a theme weighs, in
    a response, 1 / the response's themes), part (poids / responses: shares sum to 1).
    """
    conds = _conditions(session, filtres)
    inner = (
        _from(
            select(
                QuestionnaireTheme.reponse_id.label("rid"),  # type: ignore[attr-defined]
                QuestionnaireTheme.theme.label("theme"),  # type: ignore[attr-defined]
                func.count().label("n"),
                func.sum(func.count()).over(partition_by=QuestionnaireTheme.reponse_id).label("rn"),
            )
        )
        .where(*conds)
        .group_by(QuestionnaireTheme.reponse_id, QuestionnaireTheme.theme)
        .subquery("par_reponse")
    )
    rows = session.exec(
        select(
            inner.c.theme,
            func.sum(inner.c.n).label("citations"),
            func.count().label("reponses"),
            func.sum(inner.c.n * 1.0 / inner.c.rn).label("poids"),
        ).group_by(inner.c.theme)
    ).all()
    columns = ["theme", "theme_libelle", "citations", "reponses", "reponses_total", "part_reponses", "poids", "part"]
    df = pd.DataFrame(rows, columns=["theme", "citations", "reponses", "poids"])
    if df.empty:
        return pd.DataFrame(columns=columns)
    total = totaux(session, filtres=filtres)[1]
    df["citations"] = df["citations"].astype(int)
    df["reponses"] = df["reponses"].astype(int)
    df["poids"] = df["poids"].astype(float)
    df["reponses_total"] = total
    df["part_reponses"] = df["reponses"] / total
    df["part"] = df["poids"] / df["poids"].sum()
    df["theme_libelle"] = df["theme"].map(theme_label)
    df = df.sort_values(["poids", "citations", "theme_libelle"], ascending=[False, False, True], kind="mergesort")
    return df[columns].reset_index(drop=True)


def deux_canaux(session: Session, *, actor: Actor, filtres: Filtres, ponderation: str = "contribution") -> pd.DataFrame:
    """Per theme, the rencontres (with their weighting) and the questionnaire (each response counts for one).

    indice = part questionnaire / part rencontres (> 1: the questionnaire cites the theme more).
    """
    from q2030 import priorities

    rencontres = priorities.classement(session, actor=actor, filtres=filtres, ponderation=ponderation, groupe="aucun")
    rencontres = rencontres[["theme", "contributions", "rencontres", "part"]].rename(
        columns={"part": "part_rencontres_canal"}
    )
    questionnaire = classement(session, filtres=filtres)[["theme", "citations", "reponses", "part"]].rename(
        columns={"part": "part_questionnaire"}
    )
    df = rencontres.merge(questionnaire, on="theme", how="outer")
    for column in ("contributions", "rencontres", "citations", "reponses"):
        df[column] = pd.to_numeric(df[column]).fillna(0).astype(int)
    for column in ("part_rencontres_canal", "part_questionnaire"):
        df[column] = pd.to_numeric(df[column]).fillna(0.0).astype(float)
    df["indice"] = df["part_questionnaire"] / df["part_rencontres_canal"].where(df["part_rencontres_canal"] > 0)
    df["theme_libelle"] = df["theme"].map(theme_label)
    df["ordre"] = df["part_rencontres_canal"] + df["part_questionnaire"]
    df = df.sort_values(["ordre", "theme_libelle"], ascending=[False, True], kind="mergesort").drop(columns="ordre")
    return df[
        ["theme", "theme_libelle", "contributions", "rencontres", "part_rencontres_canal", "citations", "reponses",
         "part_questionnaire", "indice"]
    ].reset_index(drop=True)  # fmt: skip


def reponses_par_qpv(session: Session, *, departement_code: str | None = None) -> pd.DataFrame:
    """Responses of the active campaign located in each QPV (qpv_code, reponses)."""
    campaign = active_campaign(session)
    query = select(QuestionnaireReponse.qpv_code, func.count()).where(
        QuestionnaireReponse.campaign_id == campaign.id,
        QuestionnaireReponse.qpv_code.is_not(None),  # type: ignore[union-attr]
    )
    if departement_code:
        query = query.where(QuestionnaireReponse.departement_code == departement_code)
    rows = session.exec(query.group_by(QuestionnaireReponse.qpv_code)).all()
    return pd.DataFrame(rows, columns=["qpv_code", "reponses_questionnaire"])


def reponses_par_departement(session: Session) -> pd.DataFrame:
    """Responses of the active campaign per département (code, reponses, of which located in a QPV)."""
    campaign = active_campaign(session)
    rows = session.exec(
        select(
            QuestionnaireReponse.departement_code,
            func.count(),
            func.count(QuestionnaireReponse.qpv_code),
        )
        .where(QuestionnaireReponse.campaign_id == campaign.id, QuestionnaireReponse.departement_code.is_not(None))  # type: ignore[union-attr]
        .group_by(QuestionnaireReponse.departement_code)
    ).all()
    return pd.DataFrame(rows, columns=["code", "reponses_questionnaire", "reponses_questionnaire_qpv"])
