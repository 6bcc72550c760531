"""The Excel import's bulk creation: rows already validated, one INSERT per table (rencontres,
QPV links, audit events), the same rules as `ecriture.create_rencontre` row by row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from pydantic_core import PydanticUndefined
from sqlalchemy import insert
from sqlmodel import Session, col

from q2030 import audit
from q2030.access import Action, Actor, RencontreCible, allowed, exiger
from q2030.campaigns import active_campaign
from q2030.comptage import soumettre
from q2030.frontieres import ObjetJson, ValeurSql
from q2030.models import Rencontre, RencontreQpv
from q2030.nomenclature import Perimetre, StatutRencontre
from q2030.rencontres.doublons import Candidat, DoublonProbable, candidats_doublon, doublons_ordonnes
from q2030.rencontres.saisie import RencontreValidee


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
    avant_modification: ObjetJson | None = None
    soumise_le: dt.datetime | None = None


def _valeurs_par_defaut() -> dict[str, ValeurSql]:
    """A new Rencontre's default column values (as the model would fill them)."""
    out: dict[str, ValeurSql] = {}
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
    rows: list[tuple[dict[str, ValeurSql], list[str]]] = []
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

    def checked(values: dict[str, ValeurSql], codes: list[str], nouvelle: NouvelleRencontre) -> bool:
        return not nouvelle.allow_duplicate and values["statut"] != StatutRencontre.ANNULEE and bool(codes)

    # Stored rencontres that may be a duplicate, read before the insert: one query for the file.
    stored: dict[tuple[dt.date, str], list[Candidat]] = defaultdict(list)
    wanted = [(v, c) for (v, c), n in zip(rows, nouvelles, strict=True) if checked(v, c, n)]
    if wanted:
        query = candidats_doublon(sorted({v["date"] for v, _ in wanted}), sorted({c for _, cs in wanted for c in cs}))
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
    earlier: dict[tuple[dt.date, str], list[Candidat]] = defaultdict(list)
    out: list[RencontreCreee | DoublonProbable] = []
    for (values, codes), nouvelle in zip(rows, nouvelles, strict=True):
        if checked(values, codes, nouvelle):
            found: dict[int, tuple[Candidat, list[str]]] = {}
            for code in codes:
                for other in (*stored.get((values["date"], code), ()), *earlier.get((values["date"], code), ())):
                    found.setdefault(other[0], (other, []))[1].append(code)
            if found:
                out.append(DoublonProbable(doublons_ordonnes(found, values["departement_code"])))
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
