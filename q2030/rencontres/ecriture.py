"""Writing one rencontre: create, update, cancel, delete. Each write checks the actor's right,
validates (`controle`), refuses a probable duplicate under the département's lock
(`doublons`, `verrous`), stores the covered QPV as links, sends an organiser's write back to
the référent, and audits before/after in the same transaction.

The Excel import creates its new rows in bulk (`creation_groupee`), under the same rules.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from q2030 import audit, cleaning
from q2030.access import Action, Actor, allowed, exiger
from q2030.campaigns import active_campaign
from q2030.comptage import compte_valeur, soumettre
from q2030.errors import ValidationError
from q2030.frontieres import ObjetJson
from q2030.models import Contribution, Document, Rencontre, RencontreQpv, stored_id
from q2030.nomenclature import Perimetre, StatutRencontre
from q2030.rencontres.acces import cible, find_rencontre
from q2030.rencontres.controle import validate_rencontre
from q2030.rencontres.doublons import DoublonProbable, probable_duplicates
from q2030.rencontres.lecture import qpv_couverts
from q2030.rencontres.saisie import LABELS, RencontreValidee, SaisieRencontre
from q2030.rencontres.verrous import bump_rencontre_version, check_rencontre_version, lock_departement


def create_rencontre(
    session: Session,
    *,
    actor: Actor,
    data: SaisieRencontre,
    allow_duplicate: bool = False,
    reference_import: str | None = None,
    source: tuple[str, str] | None = None,
    a_preciser: bool = False,
) -> Rencontre:
    """Validate, check for a probable duplicate and insert, atomically per département.

    `reference_import`: the Excel template's reference of a new row ("R1"), kept so that a
    re-import of the same file finds this rencontre again instead of creating another.
    A meeting declared by a local organiser, or imported from a platform's event list
    (`source`: the platform's name and the event's id), awaits the référent's validation.
    """
    clean = validate_rencontre(session, actor=actor, data=data, a_preciser=a_preciser)
    qpv_codes = list(clean.qpv_codes)
    lock_departement(session, clean.departement_code)
    if not allow_duplicate and clean.statut != StatutRencontre.ANNULEE:
        doublons = probable_duplicates(
            session, departement_code=clean.departement_code, date=clean.date, qpv_codes=qpv_codes
        )
        if doublons:
            raise DoublonProbable(doublons)
    rencontre = _nouvelle(
        actor, clean, campaign_id=stored_id(active_campaign(session)), reference_import=reference_import, source=source
    )
    session.add(rencontre)
    session.flush()
    _write_links(session, rencontre, qpv_codes)
    audit.record(
        session,
        actor=actor,
        action="creation",
        entite="rencontre",
        entite_id=rencontre.id,
        apres=_snapshot(rencontre, qpv_codes),
    )
    session.flush()
    return rencontre


def _nouvelle(
    actor: Actor,
    clean: RencontreValidee,
    *,
    campaign_id: int,
    reference_import: str | None = None,
    source: tuple[str, str] | None = None,
) -> Rencontre:
    """The row of a new rencontre from validated values, not yet added (its QPV links neither)."""
    rencontre = Rencontre(
        **clean.colonnes(),
        campaign_id=campaign_id,
        cree_par=actor.email,
        modifie_par=actor.email,
        reference_import=reference_import,
        organisation=actor.organisation,
        source=source[0] if source else None,
        source_id=source[1] if source else None,
    )
    if source or not allowed(actor, Action.VALIDER_RENCONTRE, cible(rencontre)):
        soumettre(rencontre)
    return rencontre


def update_rencontre(
    session: Session,
    *,
    actor: Actor,
    rencontre_id: int,
    version: int,
    data: SaisieRencontre,
    allow_duplicate: bool = False,
) -> Rencontre:
    """Apply `data` (absent keys keep their value) if `version` is still the stored one."""
    rencontre = find_rencontre(session, rencontre_id)
    exiger(
        actor,
        Action.ECRIRE_RENCONTRE,
        cible(rencontre),
        "Seul le référent du département peut saisir ou modifier ses rencontres.",
    )
    check_rencontre_version(session, rencontre, version)
    clean = validate_rencontre(session, actor=actor, data=data, rencontre_id=rencontre_id)
    qpv_codes = list(clean.qpv_codes)
    lock_departement(session, clean.departement_code)
    if not allow_duplicate and clean.statut != StatutRencontre.ANNULEE:
        doublons = probable_duplicates(
            session,
            departement_code=clean.departement_code,
            date=clean.date,
            qpv_codes=qpv_codes,
            exclude_id=rencontre_id,
        )
        if doublons:
            raise DoublonProbable(doublons)
    before = _snapshot(rencontre, qpv_couverts(session, rencontre_id))
    bump_rencontre_version(session, rencontre, version, actor)
    for key, value in clean.colonnes().items():
        setattr(rencontre, key, value)
    session.exec(delete(RencontreQpv).where(col(RencontreQpv.rencontre_id) == rencontre_id))
    _write_links(session, rencontre, qpv_codes)
    _soumettre_si_organisateur(actor, rencontre, before, _snapshot(rencontre, qpv_codes))
    audit.record(
        session,
        actor=actor,
        action="modification",
        entite="rencontre",
        entite_id=rencontre_id,
        avant=before,
        apres=_snapshot(rencontre, qpv_codes),
    )
    session.flush()
    return rencontre


def cancel_rencontre(session: Session, *, actor: Actor, rencontre_id: int, version: int, motif: str) -> Rencontre:
    """Status "annulee" with its reason; the rencontre and its history stay."""
    rencontre = find_rencontre(session, rencontre_id)
    exiger(
        actor,
        Action.ECRIRE_RENCONTRE,
        cible(rencontre),
        "Seul le référent du département peut annuler ses rencontres.",
    )
    check_rencontre_version(session, rencontre, version)
    motif = cleaning.text(motif)
    errors: dict[str, list[str]] = {}
    if not motif:
        errors["motif_annulation"] = ["Motif d'annulation : indiquez pourquoi la rencontre est annulée."]
    elif len(motif) > 500:
        errors["motif_annulation"] = ["Motif d'annulation : 500 caractères au plus."]
    if rencontre.statut == StatutRencontre.ANNULEE:
        errors["statut"] = ["Cette rencontre est déjà annulée."]
    elif rencontre.statut == StatutRencontre.TENUE:
        errors["statut"] = ["Une rencontre tenue ne peut pas être annulée : corrigez son statut si c'est une erreur."]
    if errors:
        raise ValidationError(errors)
    before = _snapshot(rencontre, qpv_couverts(session, rencontre_id))
    bump_rencontre_version(session, rencontre, version, actor)
    rencontre.statut, rencontre.motif_annulation = StatutRencontre.ANNULEE, motif
    _soumettre_si_organisateur(actor, rencontre, before, _snapshot(rencontre, qpv_couverts(session, rencontre_id)))
    audit.record(
        session,
        actor=actor,
        action="annulation",
        entite="rencontre",
        entite_id=rencontre_id,
        avant=before,
        apres=_snapshot(rencontre, qpv_couverts(session, rencontre_id)),
    )
    session.flush()
    return rencontre


def delete_rencontre(session: Session, *, actor: Actor, rencontre_id: int) -> None:
    """Administrators only; the audit row keeps the whole rencontre and its contributions."""
    rencontre = find_rencontre(session, rencontre_id)
    exiger(actor, Action.SUPPRIMER_RENCONTRE, cible(rencontre), "Seul un administrateur peut supprimer une rencontre.")
    before = _snapshot(rencontre, qpv_couverts(session, rencontre_id))
    before["contributions"] = [
        {"axe": c.axe, "theme": c.theme, "texte": c.texte, "rang": c.rang, "public": c.public}
        for c in session.exec(select(Contribution).where(Contribution.rencontre_id == rencontre_id))
    ]
    before["documents"] = [
        audit.snapshot(d) for d in session.exec(select(Document).where(Document.rencontre_id == rencontre_id))
    ]
    for table in (Contribution, Document, RencontreQpv):
        session.exec(delete(table).where(col(table.rencontre_id) == rencontre_id))
    session.delete(rencontre)
    audit.record(session, actor=actor, action="suppression", entite="rencontre", entite_id=rencontre_id, avant=before)
    session.flush()


def _soumettre_si_organisateur(actor: Actor, rencontre: Rencontre, before: ObjetJson, after: ObjetJson) -> None:
    """A write by someone who may not validate it (a local organiser) sends the meeting
    back to the référent, with the validated values of what changed."""
    if allowed(actor, Action.VALIDER_RENCONTRE, cible(rencontre)):
        return
    changed = {k: before.get(k) for k in (*LABELS, "qpv") if k in after and before.get(k) != after.get(k)}
    if changed or not compte_valeur(rencontre.validation):
        soumettre(rencontre, avant=changed)


def _write_links(session: Session, rencontre: Rencontre, qpv_codes: list[str]) -> None:
    direct = rencontre.perimetre == Perimetre.QUARTIER
    session.add_all(RencontreQpv(rencontre_id=stored_id(rencontre), qpv_code=code, direct=direct) for code in qpv_codes)


def _snapshot(rencontre: Rencontre, qpv_codes: list[str]) -> ObjetJson:
    out = audit.snapshot(rencontre) or {}
    out["qpv"] = list(qpv_codes)
    return out
