"""Rencontres: the single write path (form, Excel import) and the list read model.

The input is a `SaisieRencontre`: the Rencontre column names (q2030.models) plus `qpv_codes`
(QPV codes, perimeter "quartier"), with values typed (date, time, int) or text as typed in a
spreadsheet (31/07/2023, 18h30, "Centre social"). `validate_rencontre` cleans them all,
reports every error at once, and returns a `RencontreValidee` that the writes take.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypedDict, TypeVar, cast
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic_core import PydanticUndefined
from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from q2030 import audit, cleaning, clock
from q2030.access import (
    Action,
    Actor,
    Lecteur,
    RencontreCible,
    allowed,
    exiger,
    lecture,
    require,
    require_read_departement,
)
from q2030.campaigns import active_campaign
from q2030.comptage import compte, compte_valeur, soumettre
from q2030.db import select_columns
from q2030.errors import ConflitDeVersion, IntrouvableError, ValidationError
from q2030.formatting import fr_date
from q2030.models import (
    Campaign,
    Contribution,
    Departement,
    Document,
    Epci,
    Qpv,
    QpvCommune,
    QpvEpci,
    Rencontre,
    RencontreQpv,
    stored_id,
)
from q2030.nomenclature import (
    ACCESSIBILITE,
    FORMATS,
    ORGANISATEURS,
    PERIMETRES,
    STATUTS_RENCONTRE,
    TYPES_LIEU,
    Perimetre,
    StatutRencontre,
)
from q2030.versioning import Change, check_version, compare_and_set

PARIS = ZoneInfo("Europe/Paris")
T = TypeVar("T")

# French labels of the fields, shared by messages and the form.
LABELS: dict[str, str] = {
    "statut": "Statut",
    "date": "Date",
    "heure_debut": "Heure de début",
    "heure_fin": "Heure de fin",
    "lieu": "Nom du lieu",
    "adresse": "Adresse",
    "type_lieu": "Type de lieu",
    "perimetre": "Périmètre",
    "qpv_codes": "Quartiers prioritaires",
    "commune_insee": "Commune",
    "epci_siren": "Intercommunalité (EPCI)",
    "quartier_hors_qpv": "Quartier hors QPV",
    "organisateurs": "Organisateurs",
    "format": "Format",
    "participants": "Participants",
    "femmes": "dont femmes",
    "jeunes": "dont jeunes (moins de 26 ans)",
    "habitants_qpv": "dont habitants du QPV",
    "professionnels": "dont professionnels",
    "elus": "dont élus",
    "publics_precaires": "Attention portée aux publics précaires",
    "representant_etat_present": "Représentant de l'État présent",
    "elu_present": "Élu présent",
    "membre_commission_present": "Membre de la commission présent",
    "plateforme_presentee": "Plateforme en ligne présentée",
    "accessibilite": "Mesures d'accessibilité",
    "participants_accord_synthese": "Participants d'accord pour recevoir la synthèse",
    "synthese_envoyee_le": "Synthèse envoyée aux participants le",
    "notes": "Notes",
    "motif_annulation": "Motif d'annulation",
    "departement_code": "Département",
}
COUNTS = ("participants", "femmes", "jeunes", "habitants_qpv", "professionnels", "elus", "participants_accord_synthese")
BREAKDOWNS = COUNTS[1:]
BOOLEANS = ("representant_etat_present", "elu_present", "membre_commission_present", "plateforme_presentee")
TEXTS = {"lieu": 300, "adresse": 500, "quartier_hors_qpv": 500, "publics_precaires": None, "notes": None}
CHOICES = {"statut": STATUTS_RENCONTRE, "type_lieu": TYPES_LIEU, "perimetre": PERIMETRES, "format": FORMATS}
MULTI = {"organisateurs": ORGANISATEURS, "accessibilite": ACCESSIBILITE}
EDITABLE = (
    *LABELS.keys() - {"qpv_codes", "departement_code"},
    "commune_nom",
)
# Keys tolerated in `data` but not written (the form or an export may carry them).
IGNORED = {"id", "version", "campaign_id", "cree_le", "cree_par", "modifie_le", "modifie_par", "reference_import"}


# --- Payloads ----------------------------------------------------------------------------

# Raw values as a person or a file typed them: a code or its French label, 31/07/2023 or a
# date, 18h30 or a time, "12" or 12, "Oui" or True, « a; b » or a list. The service cleans
# them and answers a bad one with a French message naming the field.
Texte = str | None
Jour = dt.date | str | None
Heure = dt.time | str | None
Nombre = int | float | str | None
OuiNon = bool | str | None
Codes = Sequence[str] | str | None


class SaisieRencontre(TypedDict, total=False):
    """What the form, a spreadsheet row, the CLI or a platform's event gives for a rencontre.

    Every key is optional: on update an absent key keeps the stored value; on creation it
    takes the model's default (or « choisissez une valeur » for a required one). A mapping
    read from a file may carry other keys: `validate_rencontre` names them (« Champ inconnu »).
    """

    statut: Texte
    date: Jour
    heure_debut: Heure
    heure_fin: Heure
    lieu: Texte
    adresse: Texte
    type_lieu: Texte
    perimetre: Texte
    qpv_codes: Codes
    commune_insee: Texte
    commune_nom: Texte
    epci_siren: Texte
    quartier_hors_qpv: Texte
    organisateurs: Codes
    format: Texte
    participants: Nombre
    femmes: Nombre
    jeunes: Nombre
    habitants_qpv: Nombre
    professionnels: Nombre
    elus: Nombre
    publics_precaires: Texte
    representant_etat_present: OuiNon
    elu_present: OuiNon
    membre_commission_present: OuiNon
    plateforme_presentee: OuiNon
    accessibilite: Codes
    participants_accord_synthese: Nombre
    synthese_envoyee_le: Jour
    notes: Texte
    motif_annulation: Texte
    departement_code: Texte


def saisie_brute(values: Mapping[str, Any]) -> SaisieRencontre:
    """A rencontre's raw values read at a boundary (a file's cells, widget state, of any
    type) as the typed input; `validate_rencontre` checks keys and values alike."""
    return cast(SaisieRencontre, dict(values))


@dataclass(frozen=True)
class RencontreValidee:
    """A rencontre's values cleaned and checked by `validate_rencontre`: the Rencontre
    columns it writes, plus `qpv_codes` (every QPV covered, sorted)."""

    departement_code: str
    statut: str
    date: dt.date
    heure_debut: dt.time | None
    heure_fin: dt.time | None
    lieu: str
    adresse: str
    type_lieu: str
    perimetre: str
    qpv_codes: tuple[str, ...]
    commune_insee: str | None
    commune_nom: str | None
    epci_siren: str | None
    quartier_hors_qpv: str
    organisateurs: tuple[str, ...]
    format: str
    participants: int | None
    femmes: int | None
    jeunes: int | None
    habitants_qpv: int | None
    professionnels: int | None
    elus: int | None
    publics_precaires: str
    representant_etat_present: bool
    elu_present: bool
    membre_commission_present: bool
    plateforme_presentee: bool
    accessibilite: tuple[str, ...]
    participants_accord_synthese: int | None
    synthese_envoyee_le: dt.date | None
    notes: str
    motif_annulation: str

    def colonnes(self) -> dict[str, Any]:
        """The Rencontre column values (lists for the JSON columns), without `qpv_codes`:
        keyword arguments of the ORM row, an UPDATE or an INSERT (its boundary)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del out["qpv_codes"]
        out["organisateurs"], out["accessibilite"] = list(self.organisateurs), list(self.accessibilite)
        return out


class DoublonProbable(ValidationError):
    """Another rencontre covers one of the same QPV on the same date."""

    def __init__(self, doublons: list[Doublon]) -> None:
        self.doublons = doublons
        lines = [
            f"n° {d.id} du {fr_date(d.date)} ({d.lieu or 'lieu non précisé'}, quartiers {', '.join(d.qpv_communs)})"
            for d in doublons
        ]
        super().__init__(
            {
                "doublons": [
                    "Doublon probable : une autre rencontre couvre le même quartier à la même date : "
                    + " ; ".join(lines)
                    + ". Vérifiez, puis enregistrez quand même si ce sont bien deux rencontres."
                ]
            }
        )


@dataclass(frozen=True)
class Doublon:
    id: int
    date: dt.date
    heure_debut: dt.time | None
    lieu: str
    statut: str
    qpv_communs: tuple[str, ...]


# --- Validation ------------------------------------------------------------------------


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
        raw["qpv_codes"] = list(known) if known is not None else _direct_qpv(session, stored_id(existing))
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
        _perimeter(
            session,
            raw,
            perimetre,
            errors,
            departement,
            campaign.geographie if campaign else "2024",
            a_preciser,
            referentiel,
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


@dataclass(frozen=True)
class Couverture:
    """What a perimeter covers: its QPV, and the commune or EPCI that names it."""

    qpv_codes: tuple[str, ...] = ()
    commune_insee: str | None = None
    commune_nom: str | None = None
    epci_siren: str | None = None


def _perimeter(
    session: Session,
    raw: Mapping[str, object],
    perimetre: str,
    errors: dict[str, list[str]],
    departement: str,
    geographie: str,
    a_preciser: bool = False,
    referentiel: Referentiel | None = None,
) -> Couverture:
    """Every QPV covered, checking they belong to the département (errors appended)."""
    if perimetre == Perimetre.QUARTIER:
        asked = raw.get("qpv_codes") or []
        if isinstance(asked, str):
            asked = [c for c in asked.replace(";", ",").split(",")]
        elif not isinstance(asked, Iterable):  # one value read from a cell
            asked = [asked]
        wanted = list(dict.fromkeys(str(c).strip().upper() for c in asked if not cleaning.is_blank(c)))
        if not wanted:
            if not a_preciser:
                errors["qpv_codes"].append("Quartiers prioritaires : choisissez au moins un quartier.")
            return Couverture()
        found = (
            {code: referentiel.qpv[code] for code in wanted if code in referentiel.qpv}
            if referentiel
            else {
                code: (dep, geo, nom)
                for code, dep, geo, nom in session.exec(
                    select(col(Qpv.code), col(Qpv.departement_code), col(Qpv.geographie), col(Qpv.nom)).where(
                        col(Qpv.code).in_(wanted)
                    )
                )
            }
        )
        for code in wanted:
            if code not in found:
                errors["qpv_codes"].append(f"Quartiers prioritaires : {code} n'est pas un quartier connu.")
            elif found[code][0] != departement:
                errors["qpv_codes"].append(
                    f"Quartiers prioritaires : {code} ({found[code][2]}) n'est pas dans votre département "
                    f"({departement})."
                )
            elif found[code][1] != geographie:
                errors["qpv_codes"].append(
                    f"Quartiers prioritaires : {code} n'appartient pas à la géographie {geographie} de la campagne."
                )
        return Couverture(tuple(sorted(wanted)))
    if perimetre == Perimetre.COMMUNE:
        insee = cleaning.text(raw.get("commune_insee"))
        if not insee:
            errors["commune_insee"].append("Commune : choisissez la commune.")
            return Couverture()
        rows = session.exec(
            select(Qpv.code, Qpv.departement_code, QpvCommune.nom)
            .join(QpvCommune, col(QpvCommune.qpv_code) == col(Qpv.code))
            .where(QpvCommune.insee == insee, Qpv.geographie == geographie)
        ).all()
        if not rows:
            errors["commune_insee"].append(f"Commune : aucun quartier prioritaire connu sur la commune {insee}.")
        elif any(dep != departement for _, dep, _ in rows):
            errors["commune_insee"].append(f"Commune : {rows[0][2]} ({insee}) n'est pas dans votre département.")
        else:
            return Couverture(tuple(sorted({code for code, _, _ in rows})), commune_insee=insee, commune_nom=rows[0][2])
        return Couverture()
    siren = cleaning.text(raw.get("epci_siren"))
    if not siren:
        errors["epci_siren"].append("Intercommunalité (EPCI) : choisissez l'intercommunalité.")
        return Couverture()
    if session.get(Epci, siren) is None:
        errors["epci_siren"].append(f"Intercommunalité (EPCI) : {siren} n'est pas une intercommunalité connue.")
        return Couverture()
    epci_rows = session.exec(
        select(Qpv.code, Qpv.departement_code)
        .join(QpvEpci, col(QpvEpci.qpv_code) == col(Qpv.code))
        .where(QpvEpci.epci_siren == siren, Qpv.geographie == geographie)
    ).all()
    # An EPCI spanning two départements covers its QPV on both sides, but only if it
    # has at least one QPV in the référent's own département.
    if not any(dep == departement for _, dep in epci_rows):
        errors["epci_siren"].append(
            f"Intercommunalité (EPCI) : {siren} n'a aucun quartier prioritaire dans votre département."
        )
        return Couverture()
    return Couverture(tuple(sorted({code for code, _ in epci_rows})), epci_siren=siren)


def _candidats_doublon(dates: Sequence[dt.date], qpv_codes: Sequence[str]) -> Select[*tuple[Any, ...]]:
    """Non-cancelled rencontres on one of `dates` covering one of `qpv_codes`, a row per covered
    QPV: (id, date, heure_debut, lieu, statut, qpv_code, departement_code)."""
    return (
        select_columns(
            Rencontre.id,
            Rencontre.date,
            Rencontre.heure_debut,
            Rencontre.lieu,
            Rencontre.statut,
            RencontreQpv.qpv_code,
            Rencontre.departement_code,
        )
        .join(RencontreQpv, col(RencontreQpv.rencontre_id) == col(Rencontre.id))
        .where(
            col(Rencontre.date).in_(dates),
            Rencontre.statut != StatutRencontre.ANNULEE,
            col(RencontreQpv.qpv_code).in_(qpv_codes),
        )
    )


def probable_duplicates(
    session: Session,
    *,
    departement_code: str,
    date: dt.date,
    qpv_codes: list[str],
    exclude_id: int | None = None,
) -> list[Doublon]:
    """Non-cancelled rencontres on `date` covering one of `qpv_codes`.

    Looks across départements too (an EPCI meeting next door may cover the same QPV);
    `departement_code` orders this département's own rencontres first.
    """
    if not qpv_codes:
        return []
    query = _candidats_doublon([date], qpv_codes).order_by(col(Rencontre.id))
    if exclude_id is not None:
        query = query.where(Rencontre.id != exclude_id)
    found: dict[int, tuple[Any, list[str]]] = {}
    for rid, day, start, lieu, statut, qpv, dep in session.exec(query):
        found.setdefault(rid, ((rid, day, start, lieu, statut, dep), []))[1].append(qpv)
    ordered = sorted(found.values(), key=lambda item: (item[0][5] != departement_code, item[0][0]))
    return [Doublon(r[0], r[1], r[2], r[3], r[4], tuple(sorted(q))) for r, q in ordered]


# --- Writes ------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class NouvelleRencontre:
    """A row of a bulk creation: values validated by `validate_rencontre`."""

    clean: RencontreValidee
    allow_duplicate: bool = False
    reference_import: str | None = None


@dataclass(frozen=True)
class RencontreCreee:
    """What a bulk creation returns of each new rencontre (a `Rencontre` costs ~1 ms to build)."""

    id: int
    statut: str
    cible: RencontreCible


@dataclass
class _Soumission:
    """The validation columns of a rencontre not created yet, as `soumettre` sets them."""

    validation: str
    avant_modification: dict[str, Any] | None = None
    soumise_le: dt.datetime | None = None


def _valeurs_par_defaut() -> dict[str, Any]:
    """A new Rencontre's default column values (as the model would fill them)."""
    out: dict[str, Any] = {}
    for key, info in Rencontre.model_fields.items():
        if key == "id":
            continue
        if info.default_factory is not None:
            out[key] = info.get_default(call_default_factory=True, validated_data={})
        elif info.default is not PydanticUndefined:
            out[key] = info.default
    return out


def create_rencontres(
    session: Session, *, actor: Actor, nouvelles: list[NouvelleRencontre]
) -> list[RencontreCreee | DoublonProbable]:
    """Bulk `create_rencontre` for rows already validated (the Excel import): one INSERT per table.

    Same rules as `create_rencontre`, row by row in the given order: the access rule, the
    organiser's submission, the probable-duplicate check against the stored rencontres and
    the rows before it in the list (as if each had been created in turn), the QPV links and
    one « creation » audit event per rencontre. Returns, per row, its new rencontre or the
    `DoublonProbable` it raises. The rows are inserted before the duplicate check (it names
    the earlier rows by their number): a caller given any `DoublonProbable` must refuse the
    whole batch, so that its transaction rolls back (the import's all-or-nothing).
    The caller holds the département's lock (`lock_departement`).
    """
    if not nouvelles:
        return []
    for departement in sorted({n.clean.departement_code for n in nouvelles}):
        exiger(
            actor,
            Action.ECRIRE_RENCONTRE,
            RencontreCible(departement, actor.organisation),
            "Seul le référent du département peut saisir ou modifier ses rencontres.",
        )
    campaign_id = active_campaign(session).id
    defaults = _valeurs_par_defaut()
    rows: list[tuple[dict[str, Any], list[str]]] = []
    for nouvelle in nouvelles:
        values = {
            **defaults,
            **nouvelle.clean.colonnes(),
            "campaign_id": campaign_id,
            "cree_par": actor.email,
            "modifie_par": actor.email,
            "reference_import": nouvelle.reference_import,
            "organisation": actor.organisation,
        }
        values["modifie_le"] = values["cree_le"]
        if not allowed(actor, Action.VALIDER_RENCONTRE, RencontreCible(values["departement_code"], actor.organisation)):
            state = _Soumission(validation=values["validation"])
            soumettre(state)
            values.update(dataclasses.asdict(state))
        rows.append((values, list(nouvelle.clean.qpv_codes)))

    def checked(values: dict[str, Any], codes: list[str], nouvelle: NouvelleRencontre) -> bool:
        return not nouvelle.allow_duplicate and values["statut"] != StatutRencontre.ANNULEE and bool(codes)

    # Stored rencontres that may be a duplicate, read before the insert: one query for the file.
    stored: dict[tuple[dt.date, str], list[tuple[Any, ...]]] = defaultdict(list)
    wanted = [(v, c) for (v, c), n in zip(rows, nouvelles, strict=True) if checked(v, c, n)]
    if wanted:
        query = _candidats_doublon(sorted({v["date"] for v, _ in wanted}), sorted({c for _, cs in wanted for c in cs}))
        for rid, day, start, lieu, statut, qpv, dep in session.exec(query):
            stored[(day, qpv)].append((rid, day, start, lieu, statut, dep))
    ids = (
        session.execute(
            insert(Rencontre).returning(col(Rencontre.id), sort_by_parameter_order=True), [v for v, _ in rows]
        )
        .scalars()
        .all()
    )
    links = [
        {"rencontre_id": rid, "qpv_code": code, "direct": values["perimetre"] == Perimetre.QUARTIER}
        for rid, (values, codes) in zip(ids, rows, strict=True)
        for code in codes
    ]
    if links:
        session.execute(insert(RencontreQpv), links)
    snapshots = []
    for rid, (values, codes) in zip(ids, rows, strict=True):
        values["id"] = rid
        snapshots.append((rid, None, {**audit.snapshot_values(Rencontre, values), "qpv": list(codes)}))
    audit.record_many(session, actor=actor, action="creation", entite="rencontre", events=snapshots)
    # The duplicate check, each row against the stored rows and the earlier rows of the list.
    earlier: dict[tuple[dt.date, str], list[tuple[Any, ...]]] = defaultdict(list)
    out: list[RencontreCreee | DoublonProbable] = []
    for (values, codes), nouvelle in zip(rows, nouvelles, strict=True):
        if checked(values, codes, nouvelle):
            found: dict[int, tuple[tuple[Any, ...], list[str]]] = {}
            for code in codes:
                for other in (*stored.get((values["date"], code), ()), *earlier.get((values["date"], code), ())):
                    found.setdefault(other[0], (other, []))[1].append(code)
            if found:
                here = values["departement_code"]
                ordered = sorted(found.values(), key=lambda item: (item[0][5] != here, item[0][0]))
                doublons = [Doublon(o[0], o[1], o[2], o[3], o[4], tuple(sorted(q))) for o, q in ordered]
                out.append(DoublonProbable(doublons))
                continue  # as if refused: later rows do not see it
        cree = RencontreCible(values["departement_code"], actor.organisation)
        out.append(RencontreCreee(values["id"], values["statut"], cree))
        if values["statut"] != StatutRencontre.ANNULEE:
            for code in codes:
                earlier[(values["date"], code)].append(
                    (values["id"], values["date"], values["heure_debut"], values["lieu"], values["statut"],
                     values["departement_code"])
                )  # fmt: skip
    return out


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
    _check_version(session, rencontre, version)
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
    before = _snapshot(rencontre, _all_qpv(session, rencontre_id))
    _bump_version(session, rencontre, version, actor)
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
    _check_version(session, rencontre, version)
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
    before = _snapshot(rencontre, _all_qpv(session, rencontre_id))
    _bump_version(session, rencontre, version, actor)
    rencontre.statut, rencontre.motif_annulation = StatutRencontre.ANNULEE, motif
    _soumettre_si_organisateur(actor, rencontre, before, _snapshot(rencontre, _all_qpv(session, rencontre_id)))
    audit.record(
        session,
        actor=actor,
        action="annulation",
        entite="rencontre",
        entite_id=rencontre_id,
        avant=before,
        apres=_snapshot(rencontre, _all_qpv(session, rencontre_id)),
    )
    session.flush()
    return rencontre


def delete_rencontre(session: Session, *, actor: Actor, rencontre_id: int) -> None:
    """Administrators only; the audit row keeps the whole rencontre and its contributions."""
    rencontre = find_rencontre(session, rencontre_id)
    exiger(actor, Action.SUPPRIMER_RENCONTRE, cible(rencontre), "Seul un administrateur peut supprimer une rencontre.")
    before = _snapshot(rencontre, _all_qpv(session, rencontre_id))
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


def cible(rencontre: Rencontre) -> RencontreCible:
    """The rencontre as the access rule sees it."""
    return RencontreCible(rencontre.departement_code, getattr(rencontre, "organisation", None))


def _soumettre_si_organisateur(
    actor: Actor, rencontre: Rencontre, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """A write by someone who may not validate it (a local organiser) sends the meeting
    back to the référent, with the validated values of what changed."""
    if allowed(actor, Action.VALIDER_RENCONTRE, cible(rencontre)):
        return
    changed = {k: before.get(k) for k in (*LABELS, "qpv") if k in after and before.get(k) != after.get(k)}
    if changed or not compte_valeur(rencontre.validation):
        soumettre(rencontre, avant=changed)


def avertissements(rencontre: Rencontre, today: dt.date | None = None) -> list[str]:
    """What a saved rencontre still asks of its author (saved all the same, not an error).

    A rencontre « prévue » whose date is past is either held or cancelled: it counts as
    neither until the référent says which.
    """
    warning = avertissement_prevue(rencontre.statut, rencontre.date, today)
    return [warning] if warning else []


def avertissement_prevue(statut: object, date: object, today: dt.date | None = None) -> str | None:
    """The warning of a « prévue » dated in the past, from a form's values (None when nothing is asked)."""
    today = today or clock.today()
    if statut != StatutRencontre.PREVUE or not isinstance(date, dt.date) or date >= today:
        return None
    return (
        f"Cette rencontre est « prévue » le {date:%d/%m/%Y}, une date passée : indiquez si elle "
        "a été tenue (statut « Tenue », avec sa participation et ses contributions) ou annulée (avec son motif)."
    )


def find_rencontre(session: Session, rencontre_id: int | None) -> Rencontre:
    """The rencontre's row, or IntrouvableError (no right is checked: callers do)."""
    rencontre = session.get(Rencontre, rencontre_id) if rencontre_id is not None else None
    if rencontre is None:
        raise IntrouvableError(f"La rencontre n° {rencontre_id} n'existe pas (ou plus).")
    return rencontre


def lock_departement(session: Session, departement_code: str) -> None:
    """Serialise, per département, the writes that check for a duplicate and then insert.

    Without it two saves of the same meeting at once both found no duplicate and both
    inserted (3 of 8 on SQLite, 8 of 8 on PostgreSQL). PostgreSQL: `SELECT … FOR UPDATE` on
    the département row, held to the commit; later statements (READ COMMITTED) see what the
    previous holder committed. SQLite: a no-op write on that row opens the write transaction
    at once (as `BEGIN IMMEDIATE` would; the driver only begins one before a write), so the
    duplicate check runs on the latest data and no other writer can slip in before the insert.
    Other départements are not blocked on PostgreSQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Departement.code).where(Departement.code == departement_code).with_for_update())
        return
    session.exec(
        update(Departement)
        .where(col(Departement.code) == departement_code)
        .values(nom=Departement.nom)
        .execution_options(synchronize_session=False)
    )


def lock_rencontre(
    session: Session, rencontre_id: int, *, actor: Actor, version: int | None = None, bump: bool = True
) -> Rencontre:
    """The rencontre, after taking the write lock its savers queue on, before anything is read.

    For writes that replace a rencontre's children (contributions). The UPDATE locks the row
    on PostgreSQL (READ COMMITTED: later statements then see the previous save's rows) and,
    on SQLite, opens the write transaction at once, so the reads below are in it. Without it,
    two saves at once mixed their rows on PostgreSQL and audited a stale "before" on SQLite.

    The contributions are part of the rencontre: saving them bumps its version, so an Excel
    template downloaded before is refused instead of deleting them. With `version`, a
    compare-and-set (ConflitDeVersion if someone saved in between); `bump=False` for a
    rencontre created in this same transaction (its first contributions are its creation).
    """
    stamp: dict[str, Any] = {"modifie_le": dt.datetime.now(dt.UTC), "modifie_par": actor.email}
    if version is not None:
        try:
            compare_and_set(
                session,
                Rencontre,
                row_id=rencontre_id,
                version=version,
                values=stamp,
                **_conflit(session, rencontre_id),
            )
        except ConflitDeVersion:
            find_rencontre(session, rencontre_id)  # a deleted rencontre is « introuvable », not a conflict
            raise
    else:  # no version to compare: only the lock (and the bump)
        values = {"version": col(Rencontre.version) + 1, **stamp} if bump else {"version": col(Rencontre.version)}
        session.exec(
            update(Rencontre)
            .where(col(Rencontre.id) == rencontre_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
    rencontre = session.get(Rencontre, rencontre_id, populate_existing=True)
    if rencontre is None:
        raise IntrouvableError(f"La rencontre n° {rencontre_id} n'existe pas (ou plus).")
    return rencontre


class ConflitRencontre(TypedDict):
    entite: str
    conflit: Callable[[Change | None], str]


def _check_version(session: Session, rencontre: Rencontre, version: int) -> None:
    """Early refusal of a form opened at an older version (the compare-and-set still decides)."""
    check_version(session, rencontre, version, **_conflit(session, rencontre.id or 0))


def _conflit(session: Session, rencontre_id: int) -> ConflitRencontre:
    """The audit entity and the conflict sentence of a rencontre, for `compare_and_set`."""

    def sentence(change: Change | None) -> str:
        if change is None:  # not in the audit log (rows written before it): the row's own stamp
            row = session.get(Rencontre, rencontre_id, populate_existing=True)
            stamped = row.modifie_le if row else dt.datetime.now(dt.UTC)
            who = (row.modifie_par if row else "") or "un autre utilisateur"
            change = who, stamped if stamped.tzinfo else stamped.replace(tzinfo=dt.UTC)
        who, when = change
        return (
            f"La rencontre n° {rencontre_id} a été modifiée par {who} le {fr_date(when.astimezone(PARIS))} depuis que "
            "vous l'avez ouverte. Votre modification n'a pas été enregistrée ; votre saisie est conservée dans le "
            "formulaire : rechargez la rencontre pour voir la version à jour, puis reportez-y vos changements."
        )

    return ConflitRencontre(entite="rencontre", conflit=sentence)


def _bump_version(session: Session, rencontre: Rencontre, version: int, actor: Actor) -> None:
    """Compare-and-set in SQL: two concurrent saves cannot both pass the version check."""
    now = dt.datetime.now(dt.UTC)
    rencontre.version = compare_and_set(
        session,
        Rencontre,
        row_id=rencontre.id or 0,
        version=version,
        values={"modifie_le": now, "modifie_par": actor.email},
        **_conflit(session, rencontre.id or 0),
    )
    rencontre.modifie_le, rencontre.modifie_par = now, actor.email


def _write_links(session: Session, rencontre: Rencontre, qpv_codes: list[str]) -> None:
    direct = rencontre.perimetre == Perimetre.QUARTIER
    session.add_all(RencontreQpv(rencontre_id=stored_id(rencontre), qpv_code=code, direct=direct) for code in qpv_codes)


def _direct_qpv(session: Session, rencontre_id: int) -> list[str]:
    return list(
        session.exec(
            select(RencontreQpv.qpv_code)
            .where(RencontreQpv.rencontre_id == rencontre_id, RencontreQpv.direct)
            .order_by(RencontreQpv.qpv_code)
        )
    )


def _all_qpv(session: Session, rencontre_id: int) -> list[str]:
    return list(
        session.exec(
            select(RencontreQpv.qpv_code)
            .where(RencontreQpv.rencontre_id == rencontre_id)
            .order_by(RencontreQpv.qpv_code)
        )
    )


def _snapshot(rencontre: Rencontre, qpv_codes: list[str]) -> dict[str, Any]:
    out = audit.snapshot(rencontre) or {}
    out["qpv"] = list(qpv_codes)
    return out


# --- Reads -------------------------------------------------------------------------------


def require_read(session: Session, actor: Lecteur, departement_code: str) -> None:
    """The actor reads the rencontres of this département (access.require_read_departement)."""
    require_read_departement(actor, departement_code, "Vous n'avez pas accès aux rencontres de ce département.")


def require_read_rencontre(actor: Actor, rencontre: Rencontre) -> None:
    """The actor reads this rencontre: a reader of its département, or its own organiser."""
    exiger(actor, Action.LIRE, cible(rencontre), "Vous n'avez pas accès à cette rencontre.")


def get_rencontre(session: Session, *, actor: Actor, rencontre_id: int) -> dict[str, Any]:
    """Plain values of one rencontre for a form: columns + `qpv_codes` (direct QPV). An
    organiser does not read the référent's internal notes."""
    rencontre = find_rencontre(session, rencontre_id)
    require_read_rencontre(actor, rencontre)
    values = rencontre.model_dump()
    if not allowed(actor, Action.LIRE_NOTES, cible(rencontre)):
        values["notes"] = ""
    values["qpv_codes"] = _direct_qpv(session, rencontre_id)
    values["qpv_couverts"] = _all_qpv(session, rencontre_id)
    return values


LIST_COLUMNS = [
    "id",
    "version",
    "date",
    "heure_debut",
    "statut",
    "lieu",
    "perimetre",
    "quartiers",
    "nb_quartiers",
    "participants",
    "comptes_rendus",
    "synthese_envoyee_le",
    "contributions",
    "validation",
    "organisation",
    "chaine_complete",
]


def list_rencontres(
    session: Session,
    *,
    actor: Lecteur,
    departement_code: str,
    qpv_code: str | None = None,
    statut: str | None = None,
    month: str | dt.date | None = None,
    comptees: bool = False,
) -> pd.DataFrame:
    """The département's rencontres with their report chain, one SQL query.

    Declared meetings awaiting validation are listed too (column `validation`) unless
    `comptees` (only those that count, comptage.compte).
    `month` is "AAAA-MM" (or any date in the month). Counts are correlated subqueries
    over indexed foreign keys, so the cost follows the département, not the country.
    """
    scope = lecture(actor)
    if scope.organisation is not None:  # an organiser: its organisation's meetings only
        require(scope.departement_code == departement_code, "Vous n'avez pas accès aux rencontres de ce département.")
    else:
        require_read(session, actor, departement_code)
    campaign = active_campaign(session)
    n_docs = select(func.count()).where(Document.rencontre_id == Rencontre.id).scalar_subquery()
    n_contrib = select(func.count()).where(Contribution.rencontre_id == Rencontre.id).scalar_subquery()
    n_qpv = select(func.count()).where(RencontreQpv.rencontre_id == Rencontre.id).scalar_subquery()
    codes = (
        select(func.aggregate_strings(col(RencontreQpv.qpv_code), ", "))
        .where(RencontreQpv.rencontre_id == Rencontre.id)
        .scalar_subquery()
    )
    query = select_columns(
        Rencontre.id,
        Rencontre.version,
        Rencontre.date,
        Rencontre.heure_debut,
        Rencontre.statut,
        Rencontre.lieu,
        Rencontre.perimetre,
        codes.label("quartiers"),
        n_qpv.label("nb_quartiers"),
        Rencontre.participants,
        n_docs.label("comptes_rendus"),
        Rencontre.synthese_envoyee_le,
        n_contrib.label("contributions"),
        Rencontre.validation,
        Rencontre.organisation,
    ).where(Rencontre.departement_code == departement_code, Rencontre.campaign_id == campaign.id)
    if comptees:
        query = query.where(compte())
    if scope.organisation is not None:
        query = query.where(Rencontre.organisation == scope.organisation)
    if qpv_code:
        query = query.where(
            col(Rencontre.id).in_(select(RencontreQpv.rencontre_id).where(RencontreQpv.qpv_code == qpv_code))
        )
    if statut:
        query = query.where(Rencontre.statut == statut)
    if month:
        first = _month_start(month)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        query = query.where(Rencontre.date >= first, Rencontre.date < following)
    rows = session.exec(query.order_by(col(Rencontre.date).desc(), col(Rencontre.id).desc())).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=LIST_COLUMNS[:-1])
    frame["quartiers"] = frame["quartiers"].map(lambda s: ", ".join(sorted(s.split(", "))) if s else "")
    frame["chaine_complete"] = (
        (frame["statut"] == StatutRencontre.TENUE)
        & (frame["comptes_rendus"] > 0)
        & frame["synthese_envoyee_le"].notna()
        & (frame["contributions"] > 0)
    )
    return frame


def _month_start(month: str | dt.date) -> dt.date:
    if isinstance(month, dt.date):
        return month.replace(day=1)
    try:
        year, number = (int(part) for part in str(month).split("-")[:2])
        return dt.date(year, number, 1)
    except ValueError:
        raise ValidationError({"month": [f"Mois : « {month} » n'est pas un mois (attendu : AAAA-MM)."]}) from None


def form_choices(session: Session, *, departement_code: str) -> dict[str, list[tuple[str, str]]]:
    """Options of the form's perimeter inputs: the département's QPV, communes, EPCI."""
    geographie = active_campaign(session).geographie
    qpv = session.exec(
        select(Qpv.code, Qpv.nom, Qpv.communes_label)
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .order_by(Qpv.code)
    ).all()
    communes = session.exec(
        select(QpvCommune.insee, func.min(QpvCommune.nom))
        .join(Qpv, col(Qpv.code) == col(QpvCommune.qpv_code))
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .group_by(QpvCommune.insee)
        .order_by(func.min(QpvCommune.nom))
    ).all()
    epci = session.exec(
        select(Epci.siren, Epci.nom)
        .join(QpvEpci, col(QpvEpci.epci_siren) == col(Epci.siren))
        .join(Qpv, col(Qpv.code) == col(QpvEpci.qpv_code))
        .where(Qpv.departement_code == departement_code, Qpv.geographie == geographie)
        .group_by(Epci.siren, Epci.nom)
        .order_by(Epci.nom)
    ).all()
    return {
        # "Nom (Communes)": typing a commune's name ("Bourget") finds its quartiers in the pickers.
        "qpv": [(code, f"{nom} ({communes})" if communes else nom) for code, nom, communes in qpv],
        "communes": [(insee, nom) for insee, nom in communes],
        "epci": [(siren, nom) for siren, nom in epci],
    }
