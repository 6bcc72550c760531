"""The référent's validation of declared meetings (local organisers, platform imports).

A meeting declared by a local organiser, imported from a platform's event list, or changed
by its organiser after validation waits in the référent's queue « À valider » (oldest
first, with what changed: the validated value against the current one). The référent
validates it (one or many at once), returns it to the organiser with a comment, or refuses
it as a duplicate of an existing meeting (nothing is merged). Each decision is a
compare-and-set on the meeting's version, authorised by the access rule and audited (the
audit of a rencontre refreshes its read model: q2030.apres_ecriture); a validated meeting
counts from then on (comptage.compte).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from q2030 import audit, cleaning
from q2030.access import Action, Actor, RencontreCible, exiger, region_of
from q2030.audit import ActionAudit
from q2030.campaigns import active_campaign
from q2030.errors import ValidationError
from q2030.models import Document, Rencontre, RencontreQpv
from q2030.nomenclature import VALIDATIONS_RENCONTRE, ValidationRencontre
from q2030.rencontres.acces import cible, find_rencontre
from q2030.rencontres.saisie import LABELS
from q2030.rencontres.verrous import lock_rencontre

REFUS = "Seul le référent du département valide les rencontres déclarées."
CHAMPS = {
    **LABELS,
    "qpv": "Quartiers prioritaires",
    "contributions": "Contributions",
    "comptes_rendus": "Comptes rendus",
}

_ORDRE = {champ: rang for rang, champ in enumerate(CHAMPS)}


@dataclass(frozen=True)
class Changement:
    champ: str  # French label
    avant: str
    apres: str


@dataclass(frozen=True)
class Declaration:
    """A meeting of the queue, as the référent sees it."""

    id: int
    version: int
    date: dt.date
    lieu: str
    statut: str
    organisation: str  # the organiser's organisation, or the platform it was imported from
    soumise_le: dt.datetime | None
    nouvelle: bool  # never validated (else: changed since its validation)
    changements: tuple[Changement, ...]


def _texte(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value)


def _actuel(session: Session, rencontre: Rencontre, champ: str) -> object:
    if champ == "qpv":
        return sorted(session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == rencontre.id)))
    if champ == "comptes_rendus":
        return len(session.exec(select(Document.id).where(Document.rencontre_id == rencontre.id)).all())
    if champ == "contributions":
        from q2030.models import Contribution

        return len(session.exec(select(Contribution.id).where(Contribution.rencontre_id == rencontre.id)).all())
    value = getattr(rencontre, champ, None)
    return value.isoformat() if isinstance(value, dt.date | dt.time) else value


def file_a_valider(session: Session, *, actor: Actor, departement_code: str) -> list[Declaration]:
    """The référent's queue: meetings of the département awaiting validation, oldest first."""
    region_of(departement_code)  # DepartementInconnu first
    exiger(actor, Action.VALIDER_RENCONTRE, RencontreCible(departement_code), REFUS)
    campaign = active_campaign(session)
    rows = session.exec(
        select(Rencontre)
        .where(
            Rencontre.campaign_id == campaign.id,
            Rencontre.departement_code == departement_code,
            Rencontre.validation == ValidationRencontre.A_VALIDER,
        )
        .order_by(col(Rencontre.soumise_le), col(Rencontre.id))
    ).all()
    out = []
    for r in rows:
        avant = r.avant_modification or {}
        changements = tuple(
            Changement(CHAMPS.get(champ, champ), _texte(value), _texte(_actuel(session, r, champ)))
            for champ, value in sorted(avant.items(), key=lambda item: _ORDRE.get(item[0], 99))
        )
        out.append(
            Declaration(
                id=r.id or 0,
                version=r.version,
                date=r.date,
                lieu=r.lieu,
                statut=r.statut,
                organisation=r.organisation or (f"Import {r.source}" if r.source else ""),
                soumise_le=r.soumise_le,
                nouvelle=r.validee_le is None,
                changements=changements,
            )
        )
    return out


# The audit action of each decision on an organiser's rencontre.
_ACTION_AUDIT: dict[str, ActionAudit] = {
    ValidationRencontre.VALIDEE: "validation",
    ValidationRencontre.RENVOYEE: "renvoi_organisateur",
    ValidationRencontre.REFUSEE: "refus_doublon",
}


def _decider(
    session: Session,
    *,
    actor: Actor,
    rencontre_id: int,
    version: int,
    validation: ValidationRencontre,
    commentaire: str = "",
    doublon_de: int | None = None,
) -> Rencontre:
    rencontre = find_rencontre(session, rencontre_id)
    exiger(actor, Action.VALIDER_RENCONTRE, cible(rencontre), REFUS)
    if rencontre.validation != ValidationRencontre.A_VALIDER:
        etat = VALIDATIONS_RENCONTRE[rencontre.validation]
        raise ValidationError({"validation": [f"La rencontre n° {rencontre_id} n'est pas à valider ({etat.lower()})."]})
    before = {
        k: getattr(rencontre, k) for k in ("validation", "commentaire_validation", "doublon_de", "avant_modification")
    }
    rencontre = lock_rencontre(session, rencontre_id, actor=actor, version=version)  # compare-and-set
    rencontre.validation = validation
    rencontre.commentaire_validation = commentaire
    rencontre.doublon_de = doublon_de
    if validation == ValidationRencontre.VALIDEE:
        rencontre.avant_modification = None
        rencontre.validee_le, rencontre.validee_par = dt.datetime.now(dt.UTC), actor.email
    session.add(rencontre)
    audit.record(
        session,
        actor=actor,
        action=_ACTION_AUDIT[validation],
        entite="rencontre",
        entite_id=rencontre_id,
        avant=before,
        apres={"validation": str(validation), "commentaire_validation": commentaire, "doublon_de": doublon_de},
    )
    session.flush()
    return rencontre


def valider(session: Session, *, actor: Actor, rencontre_id: int, version: int) -> Rencontre:
    """The meeting counts from now on (coverage, rankings, exports, public pages…)."""
    exiger(actor, Action.VALIDER_RENCONTRE, cible(find_rencontre(session, rencontre_id)), REFUS)
    if not session.exec(select(RencontreQpv.qpv_code).where(RencontreQpv.rencontre_id == rencontre_id)).first():
        raise ValidationError(
            {"qpv_codes": [f"Rencontre n° {rencontre_id} : précisez son quartier ou sa commune avant de la valider."]}
        )
    return _decider(
        session, actor=actor, rencontre_id=rencontre_id, version=version, validation=ValidationRencontre.VALIDEE
    )


def valider_plusieurs(session: Session, *, actor: Actor, versions: dict[int, int]) -> int:
    """Validate every meeting of `versions` ({id: version seen}) in one transaction: all or none."""
    for rencontre_id, version in sorted(versions.items()):
        valider(session, actor=actor, rencontre_id=rencontre_id, version=version)
    return len(versions)


def renvoyer(session: Session, *, actor: Actor, rencontre_id: int, version: int, commentaire: str) -> Rencontre:
    """Return the declaration to its organiser with a comment (it does not count)."""
    commentaire = cleaning.text(commentaire)
    if not commentaire:
        raise ValidationError({"commentaire": ["Indiquez à l'organisateur ce qu'il doit reprendre."]})
    if len(commentaire) > 2000:
        raise ValidationError({"commentaire": ["Le commentaire fait 2 000 caractères au plus."]})
    return _decider(
        session,
        actor=actor,
        rencontre_id=rencontre_id,
        version=version,
        validation=ValidationRencontre.RENVOYEE,
        commentaire=commentaire,
    )


def refuser_doublon(session: Session, *, actor: Actor, rencontre_id: int, version: int, doublon_de: int) -> Rencontre:
    """Refuse the declaration as a duplicate of an existing meeting of the département.
    Nothing is merged: the existing meeting is unchanged, the declaration stays, refused."""
    rencontre = find_rencontre(session, rencontre_id)
    existante = session.get(Rencontre, doublon_de) if doublon_de != rencontre_id else None
    if existante is None or existante.departement_code != rencontre.departement_code:
        raise ValidationError(
            {"doublon_de": [f"La rencontre n° {doublon_de} n'est pas une autre rencontre de ce département."]}
        )
    return _decider(
        session,
        actor=actor,
        rencontre_id=rencontre_id,
        version=version,
        validation=ValidationRencontre.REFUSEE,
        commentaire=f"Doublon de la rencontre n° {doublon_de} du {existante.date:%d/%m/%Y}.",
        doublon_de=doublon_de,
    )
