"""The correspondance: which column of a platform's export is what, saved per campaign.

The response id, the date, the localisation (QPV code, commune, postcode), "habite un
QPV", the age band, the gender; the closed questions and how each of their answers maps
to an axis and a theme; the free-text questions and their axis. No personal data: a
column whose title says name, e-mail, telephone or address cannot be mapped.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic import ValidationError as PydanticError
from sqlmodel import Session, select

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.campaigns import active_campaign
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.frontieres import JsonValeur
from q2030.models import QuestionnaireCorrespondance, utcnow
from q2030.nomenclature import AXES, THEMES
from q2030.questionnaire.personnel import donnee_personnelle
from q2030.textnorm import fold_header
from q2030.versioning import compare_and_set

IDENTITE: dict[str, str] = {
    "identifiant": "Identifiant de la réponse",
    "date": "Date de la réponse",
    "qpv": "Quartier (code ou nom du QPV)",
    "commune": "Commune (code INSEE ou nom)",
    "departement": "Département (code ou nom)",
    "code_postal": "Code postal",
    "habite_qpv": "Habite un QPV (oui / non)",
    "tranche_age": "Tranche d'âge",
    "genre": "Genre",
}


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
    departement: str | None = None
    code_postal: str | None = None
    habite_qpv: str | None = None
    tranche_age: str | None = None
    genre: str | None = None
    fermees: list[QuestionFermee] = Field(default_factory=list)
    libres: list[QuestionLibre] = Field(default_factory=list)
    # Cell values meaning "no answer", beside the usual ones (lecture.MARQUEURS_ABSENCE).
    marqueurs: list[str] = Field(default_factory=list)
    # "large": one row per respondent; "long": one row per answer (respondent, question, answer),
    # pivoted to one row per respondent before anything else.
    format: Literal["large", "long"] = "large"
    colonne_question: str | None = None
    colonne_reponse: str | None = None

    @field_validator("identifiant")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("à choisir")
        return value

    def colonnes(self) -> list[tuple[str, str]]:
        """(role label, column) of every mapped column."""
        out = [(IDENTITE[key], str(getattr(self, key))) for key in IDENTITE if getattr(self, key)]
        out += [(f"Question fermée ({AXES.get(q.axe, q.axe)})", q.colonne) for q in self.fermees]
        out += [("Texte libre", q.colonne) for q in self.libres]
        return out


def valider_correspondance(contenu: dict[str, JsonValeur], colonnes_fichier: list[str] | None = None) -> Correspondance:
    """A checked Correspondance, or ValidationError with one French message per problem."""
    try:
        mapping = Correspondance.model_validate(contenu)
    except PydanticError as error:
        raise ValidationError(
            {"correspondance": [f"{'.'.join(str(p) for p in e['loc'])} : {e['msg']}" for e in error.errors()]}
        ) from None
    messages: list[str] = []
    used: Counter[str] = Counter(fold_header(c) for _role, c in mapping.colonnes())
    fichier = {fold_header(c) for c in colonnes_fichier} if colonnes_fichier is not None else None
    for role, colonne in mapping.colonnes():
        if donnee_personnelle(colonne):
            messages.append(
                f"La colonne « {colonne} » ({role}) semble contenir des données personnelles (nom, courriel, "
                "téléphone, adresse) : elle ne peut pas être importée."
            )
        if used[fold_header(colonne)] > 1:
            messages.append(f"La colonne « {colonne} » est utilisée deux fois.")
            used[fold_header(colonne)] = 1
        if fichier is not None and fold_header(colonne) not in fichier:
            messages.append(f"La colonne « {colonne} » ({role}) n'existe pas dans le fichier.")
    messages += _axes_et_themes(mapping)
    if not mapping.fermees and not mapping.libres:
        messages.append("Choisissez au moins une question fermée ou un texte libre.")
    if messages:
        raise ValidationError({"correspondance": messages})
    return mapping


def _axes_et_themes(mapping: Correspondance) -> list[str]:
    messages: list[str] = []
    for question in mapping.fermees:
        if question.axe not in AXES:
            messages.append(f"Question « {question.colonne} » : axe inconnu « {question.axe} ».")
        for answer, theme in question.valeurs.items():
            if theme and theme not in THEMES:
                messages.append(f"Question « {question.colonne} », réponse « {answer} » : thème inconnu « {theme} ».")
    for libre in mapping.libres:
        if libre.axe is not None and libre.axe not in AXES:
            messages.append(f"Texte libre « {libre.colonne} » : axe inconnu « {libre.axe} ».")
    if mapping.format == "long":
        for role, colonne_long in (("question", mapping.colonne_question), ("réponse", mapping.colonne_reponse)):
            if not colonne_long:
                messages.append(f"Format « une ligne par réponse » : choisissez la colonne de la {role}.")
    return messages


def nom_source(source: str) -> str:
    """The source's name, checked: every import says where its answers come from."""
    nom = " ".join((source or "").split())
    if not nom:
        raise ValidationError({"source": ["Nommez la source des réponses (par exemple « Decidim Lyon »)."]})
    if len(nom) > 100:
        raise ValidationError({"source": [f"Nom de source trop long (100 caractères au plus) : « {nom[:40]}… »."]})
    return nom


def ligne_source(
    session: Session, *, source: str, campaign_id: int | None = None
) -> QuestionnaireCorrespondance | None:
    campaign_id = campaign_id or active_campaign(session).id
    return session.exec(
        select(QuestionnaireCorrespondance).where(
            QuestionnaireCorrespondance.campaign_id == campaign_id, QuestionnaireCorrespondance.source == source
        )
    ).first()


def correspondance(session: Session, *, source: str, campaign_id: int | None = None) -> Correspondance | None:
    """The column mapping remembered for this source of the campaign (None before its first save)."""
    row = ligne_source(session, source=nom_source(source), campaign_id=campaign_id)
    return Correspondance.model_validate(row.contenu) if row else None


def enregistrer_correspondance(
    session: Session,
    *,
    actor: Actor,
    source: str,
    contenu: dict[str, JsonValeur],
    colonnes_fichier: list[str] | None = None,
    version: int | None = None,
) -> int:
    """Save a source's mapping (administrators), audited; the new version.

    `version` is the one the editor was opened on (0: no mapping yet): a compare-and-set, so
    that a second administrator's save is not silently overwritten. None (the command line)
    saves whatever is there.
    """
    exiger(
        actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut définir la correspondance du questionnaire."
    )
    source = nom_source(source)
    mapping = valider_correspondance(contenu, colonnes_fichier)
    campaign = active_campaign(session)
    row = ligne_source(session, source=source, campaign_id=campaign.id)
    data = mapping.model_dump()
    if row is None:
        if version:
            raise ConflitDeVersion(f"La correspondance de la source « {source} » a été supprimée entre-temps.")
        row = QuestionnaireCorrespondance(
            campaign_id=campaign.id or 0, source=source, contenu=data, modifie_par=actor.email
        )
        session.add(row)
        session.flush()
        nouvelle = 1
        avant = None
    else:
        avant = row.contenu
        nouvelle = compare_and_set(
            session, QuestionnaireCorrespondance, row_id=row.id or 0,
            version=row.version if version is None else version, entite="correspondance_questionnaire",
            conflit=f"La correspondance de la source « {source} » a été modifiée depuis l'ouverture de la page : "
            "rechargez-la pour partir de la version enregistrée.",
            values={"contenu": data, "modifie_le": utcnow(), "modifie_par": actor.email},
        )  # fmt: skip
        session.expire(row)
    audit.record(
        session, actor=actor, action="modification" if avant else "creation",
        entite="correspondance_questionnaire", entite_id=row.id or "", avant=avant, apres={"source": source} | data,
    )  # fmt: skip
    return nouvelle
