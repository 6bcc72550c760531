"""Coding queue of free texts: one text at a time, several analysts at once, every decision audited.

Claim: an analyst asking for the next text takes a claim on it (`reserve_par`,
`reserve_jusqu_a`) in one UPDATE ... WHERE (not claimed, or claim expired) RETURNING id:
a compare-and-set, atomic on SQLite (one statement under the write lock) and PostgreSQL
(the row lock; `FOR UPDATE SKIP LOCKED` in the sub-select lets a second analyst pass over
a row being claimed instead of queueing behind it). A claim is released by the decision,
by "passer", or after `DUREE_RESERVATION`.

Suggestions: once `SEUIL_SUGGESTIONS` texts are coded, an administrator trains a small
local model (TF-IDF on folded text without French stop words, logistic regression), one
for the axis and one for the theme; its accuracy is measured by 5-fold cross-validation
on the coded texts. A suggestion is only shown: the analyst confirms it with one key, and
only that confirmation (`coder`) writes anything.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass

from sqlalchemy import func, insert, or_, update
from sqlmodel import Session, col, select

from q2030 import audit
from q2030.access import NATIONAL, Action, Actor, exiger
from q2030.campaigns import active_campaign
from q2030.db import select_columns
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.formatting import fr_count
from q2030.frontieres import ObjetNonType, ValeurSql
from q2030.models import ModeleCodage, QuestionnaireReponse, QuestionnaireTheme, TexteLibre, utcnow
from q2030.nomenclature import AXES, PUBLICS, THEMES
from q2030.stopwords import STOP_WORDS
from q2030.textnorm import normalize

DUREE_RESERVATION = dt.timedelta(minutes=10)
SEUIL_SUGGESTIONS = 200
PLIS = 5
STATUTS: dict[str, str] = {"a_coder": "À coder", "code": "Codé", "hors_sujet": "Hors sujet"}


@dataclass(frozen=True)
class ATexte:
    """A text handed to an analyst (plain values: safe to cache and to show)."""

    id: int
    texte: str
    question: str
    axe_question: str | None
    reponse: str  # the response's id in the export ("" for a contribution)
    reserve_jusqu_a: dt.datetime


@dataclass(frozen=True)
class Suggestion:
    axe: str
    confiance_axe: float
    theme: str
    confiance_theme: float


def _require_analyste(actor: Actor) -> None:
    exiger(
        actor, Action.CODER_TEXTES, NATIONAL, "Le codage des textes est réservé à la commission et aux administrateurs."
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def progression(session: Session) -> tuple[int, int]:
    """(texts coded or set aside, texts in the queue) for the active campaign."""
    campaign = active_campaign(session)
    total, faits = session.exec(
        select(func.count(), func.count().filter(col(TexteLibre.statut) != "a_coder")).where(
            col(TexteLibre.campaign_id) == campaign.id
        )
    ).one()
    return int(faits or 0), int(total or 0)


def valider_decision(*, axe: str | None, theme: str | None, public: str, hors_sujet: bool) -> None:
    """The one rule of a coding decision (first decision or its correction): an axis and a theme
    of the nomenclature unless the text is off-topic, and a known public."""
    errors: dict[str, list[str]] = {}
    if not hors_sujet:
        if axe not in AXES:
            errors["axe"] = ["Choisissez un axe."]
        if theme not in THEMES:
            errors["theme"] = ["Choisissez un thème."]
    if public not in PUBLICS:
        errors["public"] = [f"Public inconnu : « {public} »."]
    if errors:
        raise ValidationError(errors)


def _texte(session: Session, texte_id: int) -> ATexte:
    row = session.exec(
        select(TexteLibre, col(QuestionnaireReponse.identifiant))
        .outerjoin(QuestionnaireReponse, col(QuestionnaireReponse.id) == col(TexteLibre.reponse_id))
        .where(col(TexteLibre.id) == texte_id)
    ).one()
    texte, identifiant = row
    return ATexte(
        id=texte.id or 0,
        texte=texte.texte,
        question=texte.question,
        axe_question=texte.axe_question,
        reponse=identifiant or "",
        reserve_jusqu_a=_aware(texte.reserve_jusqu_a) or utcnow(),
    )


def prochain(
    session: Session,
    *,
    actor: Actor,
    maintenant: dt.datetime | None = None,
    exclure: tuple[int, ...] = (),
    duree: dt.timedelta = DUREE_RESERVATION,
) -> ATexte | None:
    """The analyst's next text, claimed for `duree` (the one it already holds first); None when done."""
    _require_analyste(actor)
    now = maintenant or utcnow()
    campaign = active_campaign(session)
    until = now + duree
    # Already holding one (a page reload): extend the claim and give it back. A write first, so
    # that on SQLite the transaction holds the write lock before anything below is read.
    held = session.exec(
        update(TexteLibre)
        .where(
            col(TexteLibre.campaign_id) == campaign.id,
            col(TexteLibre.statut) == "a_coder",
            col(TexteLibre.reserve_par) == actor.email,
            col(TexteLibre.reserve_jusqu_a) > now,
            col(TexteLibre.id).not_in(exclure),
        )
        .values(reserve_jusqu_a=until)
        .returning(col(TexteLibre.id))
        .execution_options(synchronize_session=False)
    ).all()
    if held:
        return _texte(session, min(r[0] for r in held))
    libre = or_(col(TexteLibre.reserve_jusqu_a).is_(None), col(TexteLibre.reserve_jusqu_a) <= now)
    for _attempt in range(50):
        candidate = (
            select(col(TexteLibre.id))
            .where(
                col(TexteLibre.campaign_id) == campaign.id,
                col(TexteLibre.statut) == "a_coder",
                libre,
                col(TexteLibre.id).not_in(exclure),
            )
            .order_by(col(TexteLibre.id))
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite serialises writers anyway
            .scalar_subquery()
        )
        claimed = session.exec(
            update(TexteLibre)
            .where(col(TexteLibre.id) == candidate, col(TexteLibre.statut) == "a_coder", libre)
            .values(reserve_par=actor.email, reserve_jusqu_a=until)
            .returning(col(TexteLibre.id))
            .execution_options(synchronize_session=False)
        ).all()
        if claimed:
            return _texte(session, claimed[0][0])
        remaining = session.exec(
            select(func.count()).where(
                col(TexteLibre.campaign_id) == campaign.id,
                col(TexteLibre.statut) == "a_coder",
                libre,
                col(TexteLibre.id).not_in(exclure),
            )
        ).one()
        if not remaining:
            return None
    return None


def passer(session: Session, *, actor: Actor, texte_id: int) -> None:
    """Give the text back to the queue (another analyst may take it)."""
    _require_analyste(actor)
    session.exec(
        update(TexteLibre)
        .where(col(TexteLibre.id) == texte_id, col(TexteLibre.reserve_par) == actor.email)
        .values(reserve_par="", reserve_jusqu_a=None)
        .execution_options(synchronize_session=False)
    )


def coder(
    session: Session,
    *,
    actor: Actor,
    texte_id: int,
    axe: str | None = None,
    theme: str | None = None,
    public: str = "tous",
    hors_sujet: bool = False,
    suggestion: Suggestion | None = None,
    maintenant: dt.datetime | None = None,
) -> None:
    """The analyst's decision on a text it holds (or whose claim expired unclaimed), audited.

    A coded questionnaire text then counts in the questionnaire channel of the priorities.
    """
    _require_analyste(actor)
    valider_decision(axe=axe, theme=theme, public=public, hors_sujet=hors_sujet)
    now = maintenant or utcnow()
    statut = "hors_sujet" if hors_sujet else "code"
    accepted = None if suggestion is None or hors_sujet else (suggestion.axe, suggestion.theme) == (axe, theme)
    values: dict[str, ValeurSql] = {  # the UPDATE's values
        "statut": statut,
        "axe": None if hors_sujet else axe,
        "theme": None if hors_sujet else theme,
        "public": None if hors_sujet else public,
        "suggestion_acceptee": accepted,
        "code_par": actor.email,
        "code_le": now,
        "reserve_par": "",
        "reserve_jusqu_a": None,
        "version": col(TexteLibre.version) + 1,
    }
    done = session.exec(
        update(TexteLibre)
        .where(
            col(TexteLibre.id) == texte_id,
            col(TexteLibre.statut) == "a_coder",
            or_(
                col(TexteLibre.reserve_par) == actor.email,
                col(TexteLibre.reserve_jusqu_a).is_(None),
                col(TexteLibre.reserve_jusqu_a) <= now,
            ),
        )
        .values(**values)
        .returning(col(TexteLibre.reponse_id))
        .execution_options(synchronize_session=False)
    ).all()
    if not done:
        raise ConflitDeVersion(
            "Ce texte a déjà été codé, ou un autre analyste l'a pris après l'expiration de votre réservation : "
            "passez au suivant."
        )
    reponse_id = done[0][0]
    if reponse_id is not None and not hors_sujet:
        session.exec(
            insert(QuestionnaireTheme).values(
                reponse_id=reponse_id, axe=axe, theme=theme, public=public, origine="texte", texte_id=texte_id
            )
        )
    apres = {k: v for k, v in values.items() if k in ("statut", "axe", "theme", "public", "suggestion_acceptee")}
    if suggestion is not None:
        apres["suggestion"] = {"axe": suggestion.axe, "theme": suggestion.theme,
                               "confiance_theme": round(suggestion.confiance_theme, 3)}  # fmt: skip
    audit.record(
        session, actor=actor, action="codage", entite="texte_libre", entite_id=texte_id,
        avant={"statut": "a_coder"}, apres=apres,
    )  # fmt: skip


# --- Suggestions ------------------------------------------------------------------------------


def _pipeline() -> ObjetNonType:  # scikit-learn's Pipeline
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(
            preprocessor=normalize, stop_words=sorted(STOP_WORDS), ngram_range=(1, 2), sublinear_tf=True, min_df=1
        ),
        LogisticRegression(max_iter=2000, C=10.0),
    )


def _exactitude(textes: list[str], cibles: list[str]) -> float:
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    smallest = min(cibles.count(c) for c in set(cibles))
    folds = (
        StratifiedKFold(PLIS, shuffle=True, random_state=0)
        if smallest >= PLIS
        else KFold(PLIS, shuffle=True, random_state=0)
    )
    return float(cross_val_score(_pipeline(), textes, cibles, cv=folds, scoring="accuracy").mean())


def entrainer(session: Session, *, actor: Actor) -> ModeleCodage:
    """Train (or retrain) the suggestion model on the coded texts; accuracy by cross-validation."""
    exiger(actor, Action.ADMINISTRER, NATIONAL, "Seul un administrateur peut entraîner le modèle de suggestion.")
    campaign = active_campaign(session)
    rows = session.exec(
        select(col(TexteLibre.texte), col(TexteLibre.axe), col(TexteLibre.theme))
        .where(col(TexteLibre.campaign_id) == campaign.id, col(TexteLibre.statut) == "code")
        .order_by(col(TexteLibre.id))
    ).all()
    if len(rows) < SEUIL_SUGGESTIONS:
        raise ValidationError(
            f"{fr_count(len(rows), 'texte codé', 'textes codés')} : il en faut au moins {SEUIL_SUGGESTIONS} "
            "pour proposer des suggestions."
        )
    from threadpoolctl import threadpool_limits

    textes = [r[0] for r in rows]
    modeles: dict[str, ObjetNonType] = {}  # a fitted pipeline, or the one label
    exactitudes: dict[str, float | None] = {}
    for cible, column in (("axe", 1), ("theme", 2)):
        labels = [r[column] or "" for r in rows]  # a coded text has both (never empty)
        if len(set(labels)) < 2:
            exactitudes[cible] = None
            modeles[cible] = labels[0]  # a single class: always that one
            continue
        # One BLAS thread: on a busy 2-core server, the default thread pool made the
        # cross-validation of 300 texts take 16 s instead of 0.15 s (oversubscription).
        with threadpool_limits(limits=1):
            exactitudes[cible] = _exactitude(textes, labels)
            modeles[cible] = _pipeline().fit(textes, labels)
    modele = ModeleCodage(
        campaign_id=campaign.id or 0,
        entraine_par=actor.email,
        effectif=len(rows),
        exactitude_axe=exactitudes["axe"],
        exactitude_theme=exactitudes["theme"],
        plis=PLIS,
        contenu=pickle.dumps(modeles),
    )
    session.add(modele)
    session.flush()
    audit.record(
        session, actor=actor, action="entrainement", entite="modele_codage", entite_id=modele.id or "",
        apres={"effectif": modele.effectif, "exactitude_axe": modele.exactitude_axe,
               "exactitude_theme": modele.exactitude_theme, "plis": PLIS},
    )  # fmt: skip
    return modele


@dataclass(frozen=True)
class EtatModele:
    id: int
    entraine_le: dt.datetime
    effectif: int
    exactitude_axe: float | None
    exactitude_theme: float | None
    plis: int


def etat_modele(session: Session) -> EtatModele | None:
    campaign = active_campaign(session)
    row = session.exec(
        select_columns(ModeleCodage.id, ModeleCodage.entraine_le, ModeleCodage.effectif, ModeleCodage.exactitude_axe,
                       ModeleCodage.exactitude_theme, ModeleCodage.plis)
        .where(col(ModeleCodage.campaign_id) == campaign.id)
        .order_by(col(ModeleCodage.id).desc())
        .limit(1)
    ).first()  # fmt: skip
    return EtatModele(*row) if row else None


_MODELES: dict[tuple[str, int], dict[str, ObjetNonType]] = {}


def _modele(session: Session, modele_id: int) -> dict[str, ObjetNonType]:
    """The unpickled model, kept per process (a retrained model has a new id)."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), modele_id)
    if key not in _MODELES:
        contenu = session.exec(select(col(ModeleCodage.contenu)).where(col(ModeleCodage.id) == modele_id)).one()
        if len(_MODELES) > 4:
            _MODELES.clear()
        _MODELES[key] = pickle.loads(contenu)
    return _MODELES[key]


def suggerer(session: Session, *, texte: ATexte) -> Suggestion | None:
    """The model's axis and theme for a text, with their probabilities; None without a model.

    Writes nothing: only `coder`, called on the analyst's confirmation, assigns.
    """
    etat = etat_modele(session)
    if etat is None:
        return None
    modeles = _modele(session, etat.id)

    def best(cible: str) -> tuple[str, float]:
        model = modeles[cible]
        if isinstance(model, str):
            return model, 1.0
        probabilities = model.predict_proba([texte.texte])[0]
        index = int(probabilities.argmax())
        return str(model.classes_[index]), float(probabilities[index])

    axe, confiance_axe = best("axe")
    if texte.axe_question in AXES:  # the question says the axis
        axe, confiance_axe = texte.axe_question, 1.0
    theme, confiance_theme = best("theme")
    return Suggestion(axe=axe, confiance_axe=confiance_axe, theme=theme, confiance_theme=confiance_theme)
