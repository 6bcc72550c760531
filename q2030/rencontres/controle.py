"""The rules of a valid rencontre: `validate_rencontre` cleans a `SaisieRencontre` (codes or
French labels, dates and times as typed, counts, yes/no), reports every error at once in
French naming the field, and returns the `RencontreValidee` the writes take.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from pydantic_core import PydanticUndefined
from sqlmodel import Session, col, select

from q2030 import cleaning, clock
from q2030.access import Action, Actor, RencontreCible, allowed, require
from q2030.campaigns import active_campaign
from q2030.errors import ValidationError
from q2030.formatting import fr_date
from q2030.models import Campaign, Qpv, Rencontre, RencontreQpv, stored_id
from q2030.nomenclature import StatutRencontre
from q2030.rencontres import lecture
from q2030.rencontres.acces import cible, find_rencontre
from q2030.rencontres.perimetre import Couverture, couverture
from q2030.rencontres.saisie import (
    BOOLEANS,
    BREAKDOWNS,
    CHOICES,
    COUNTS,
    EDITABLE,
    IGNORED,
    LABELS,
    MULTI,
    TEXTS,
    RencontreValidee,
    SaisieRencontre,
)

T = TypeVar("T")


@dataclass
class Referentiel:
    """What validating many rows at once reads only once (the Excel import, under the
    département's lock): the active campaign and the QPV (code -> département, géographie, nom)."""

    campaign: Campaign
    qpv: dict[str, tuple[str, str, str]]
    # Stored rencontres' direct QPV (rencontre id -> sorted codes), read in one query by
    # `charger_qpv_directs` for the rows of a file that update them.
    qpv_directs: dict[int, list[str]] = field(default_factory=dict)

    def charger_qpv_directs(self, session: Session, rencontre_ids: list[int]) -> None:
        """Read the direct QPV of these stored rencontres at once (instead of one query per row)."""
        wanted = sorted(set(rencontre_ids) - set(self.qpv_directs))
        for rencontre_id in wanted:
            self.qpv_directs[rencontre_id] = []
        if not wanted:
            return
        for rencontre_id, code in session.exec(
            select(RencontreQpv.rencontre_id, RencontreQpv.qpv_code)
            .where(col(RencontreQpv.rencontre_id).in_(wanted), RencontreQpv.direct)
            .order_by(col(RencontreQpv.rencontre_id), col(RencontreQpv.qpv_code))
        ):
            self.qpv_directs[rencontre_id].append(code)

    @classmethod
    def charger(cls, session: Session) -> Referentiel:
        return cls(
            active_campaign(session),
            {
                code: (dep, geo, nom)
                for code, dep, geo, nom in session.exec(select(Qpv.code, Qpv.departement_code, Qpv.geographie, Qpv.nom))
            },
        )


def validate_rencontre(
    session: Session,
    *,
    actor: Actor,
    data: SaisieRencontre,
    rencontre_id: int | None = None,
    today: dt.date | None = None,
    a_preciser: bool = False,
    referentiel: Referentiel | None = None,
) -> RencontreValidee:
    """The cleaned values (`RencontreValidee`: columns + every QPV covered) or ValidationError.

    `a_preciser`: a platform's event whose quartier could not be found is kept without one
    (« à préciser »); the référent sets it before validating.

    `today` (the server's day by default) bounds the dates: a held rencontre or a synthèse
    sent cannot be in the future.

    On update, keys absent from `data` keep the stored value. Raises PermissionRefusee when
    the actor may not write in the rencontre's département. `referentiel`: the campaign and
    QPV read once for many rows (same checks, fewer queries).
    """
    existing = find_rencontre(session, rencontre_id) if rencontre_id is not None else None
    departement = existing.departement_code if existing else (data.get("departement_code") or actor.departement_code)
    require(
        departement is not None
        and allowed(
            actor,
            Action.ECRIRE_RENCONTRE,
            cible(existing) if existing else RencontreCible(str(departement), actor.organisation),
        ),
        "Seul le référent du département peut saisir ou modifier ses rencontres.",
    )
    departement = str(departement)
    typed: Mapping[str, object] = data
    if not allowed(actor, Action.VALIDER_RENCONTRE, RencontreCible(departement)):
        typed = {k: v for k, v in typed.items() if k != "notes"}  # the référent's internal notes
    errors: dict[str, list[str]] = defaultdict(list)
    unknown = sorted(set(typed) - set(LABELS) - set(EDITABLE) - IGNORED)
    if unknown:
        errors[""].append(f"{'Champ inconnu' if len(unknown) == 1 else 'Champs inconnus'} : {', '.join(unknown)}.")
    raw: dict[str, object]
    if existing is not None:
        raw = {key: getattr(existing, key) for key in EDITABLE}
        known = referentiel.qpv_directs.get(stored_id(existing)) if referentiel else None
        raw["qpv_codes"] = list(known) if known is not None else lecture.qpv_directs(session, stored_id(existing))
        campaign = session.get(Campaign, existing.campaign_id)
    else:
        raw = {key: None for key in EDITABLE}
        for key, info in Rencontre.model_fields.items():
            if key in EDITABLE and info.default is not PydanticUndefined:
                raw[key] = info.default
        raw.update(organisateurs=[], accessibilite=[], qpv_codes=[])
        campaign = referentiel.campaign if referentiel else active_campaign(session)
    raw.update(typed)

    def field(name: str, convert: Callable[[object], T]) -> T | None:
        try:
            return convert(raw.get(name))
        except ValueError as error:
            errors[name].append(f"{LABELS[name]} : {error}.")
            return None

    choices: dict[str, str | None] = {}
    for name, nomenclature in CHOICES.items():
        choices[name] = field(name, partial(cleaning.code, nomenclature))
        if choices[name] is None and name not in errors:
            errors[name].append(f"{LABELS[name]} : choisissez une valeur.")
    multi = {name: field(name, partial(cleaning.codes, nomenclature)) or [] for name, nomenclature in MULTI.items()}
    texts = {
        name: field(name, partial(cleaning.text, max_length=max_length)) or "" for name, max_length in TEXTS.items()
    }
    motif = field("motif_annulation", partial(cleaning.text, max_length=500)) or ""
    counts = {name: field(name, cleaning.count) for name in COUNTS}
    booleans = {name: bool(field(name, cleaning.boolean)) for name in BOOLEANS}
    debut, fin = field("heure_debut", cleaning.time), field("heure_fin", cleaning.time)
    date, sent = field("date", cleaning.date), field("synthese_envoyee_le", cleaning.date)
    statut = choices["statut"]

    today = today or clock.today()
    if date is None and "date" not in errors:
        errors["date"].append("Date : indiquez la date de la rencontre.")
    if statut == StatutRencontre.TENUE and date and date > today:
        errors["date"].append(
            f"Date : une rencontre tenue ne peut pas être dans le futur ({fr_date(date)}) ; "
            "choisissez le statut « Prévue »."
        )
    if statut == StatutRencontre.ANNULEE and not motif:
        errors["motif_annulation"].append("Motif d'annulation : indiquez pourquoi la rencontre est annulée.")
    if statut != StatutRencontre.ANNULEE:
        motif = ""
    if debut and fin and fin <= debut:
        errors["heure_fin"].append(f"Heure de fin : {fin:%H:%M} doit être après l'heure de début ({debut:%H:%M}).")
    if sent and date and sent < date:
        errors["synthese_envoyee_le"].append(
            f"Synthèse envoyée le : le {fr_date(sent)} est avant la rencontre ({fr_date(date)})."
        )
    if sent and sent > today:
        errors["synthese_envoyee_le"].append(f"Synthèse envoyée le : le {fr_date(sent)} est dans le futur.")
    total = counts["participants"]
    for name in BREAKDOWNS:
        value = counts[name]
        if value is not None and total is not None and value > total:
            errors[name].append(
                f"{LABELS[name][0].upper()}{LABELS[name][1:]} : {value} dépasse le nombre de participants ({total})."
            )
    detailed = [LABELS[name] for name in BREAKDOWNS if counts[name] is not None]
    if total is None and detailed and "participants" not in errors:
        errors["participants"].append(
            f"Participants : indiquez le total, puisque {', '.join(f'« {d} »' for d in detailed)} "
            f"{'est rempli' if len(detailed) == 1 else 'sont remplis'}."
        )

    perimetre = choices["perimetre"]
    couverts = (
        couverture(
            session,
            raw,
            perimetre,
            errors,
            departement,
            campaign.geographie if campaign else "2024",
            a_preciser,
            referentiel.qpv if referentiel else None,
        )
        if perimetre
        else Couverture()
    )
    type_lieu, format_ = choices["type_lieu"], choices["format"]
    if errors or not (statut and date and perimetre and type_lieu and format_):  # a missing one is an error
        raise ValidationError(dict(errors))
    return RencontreValidee(
        departement_code=departement,
        statut=statut,
        date=date,
        heure_debut=debut,
        heure_fin=fin,
        lieu=texts["lieu"],
        adresse=texts["adresse"],
        type_lieu=type_lieu,
        perimetre=perimetre,
        qpv_codes=couverts.qpv_codes,
        commune_insee=couverts.commune_insee,
        commune_nom=couverts.commune_nom,
        epci_siren=couverts.epci_siren,
        quartier_hors_qpv=texts["quartier_hors_qpv"],
        organisateurs=tuple(multi["organisateurs"]),
        format=format_,
        participants=total,
        femmes=counts["femmes"],
        jeunes=counts["jeunes"],
        habitants_qpv=counts["habitants_qpv"],
        professionnels=counts["professionnels"],
        elus=counts["elus"],
        publics_precaires=texts["publics_precaires"],
        representant_etat_present=booleans["representant_etat_present"],
        elu_present=booleans["elu_present"],
        membre_commission_present=booleans["membre_commission_present"],
        plateforme_presentee=booleans["plateforme_presentee"],
        accessibilite=tuple(multi["accessibilite"]),
        participants_accord_synthese=counts["participants_accord_synthese"],
        synthese_envoyee_le=sent,
        notes=texts["notes"],
        motif_annulation=motif,
    )
