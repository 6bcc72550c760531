"""Coverage of the QPV and the report chain, at a chosen date ("au"), for an actor's scope.

Every figure shown by the pages (and by the Excel export) comes from here, so both agree.
The status of all QPV is one GROUP BY query with conditional aggregates; counts per
département / région / national wrap it as a subquery. Nothing loops over rows in Python
except per-rencontre listings (due date of each participant synthesis).

Status of a QPV at `au`:
- couvert_delais: a rencontre "tenue" covering it, dated <= rencontres_echeance and <= au;
- couvert_retard: covered only by rencontres held after the deadline (still <= au);
- prevu: no held rencontre yet, but a planned one ("prevue", or "tenue" dated after au);
- non_couvert: nothing. Cancelled rencontres never count.

What has been done (a compte rendu deposited, a synthesis to participants sent) is judged at
`constat_au` (campaigns.constat_au: `au` when replaying, today once the campaign is over), the
deadlines at `au`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, TypedDict, TypeVar

import pandas as pd
from sqlalchemy import ColumnElement, Date, Subquery, and_, case, exists, func, literal, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from q2030 import clock
from q2030.access import Column, Lecteur, Scope, resolve_scope
from q2030.campaigns import active_campaign
from q2030.campaigns import constat_au as constat_par_defaut
from q2030.comptage import compte
from q2030.db import select_columns
from q2030.formatting import add_months
from q2030.frontieres import LigneSql
from q2030.models import Campaign, Departement, Document, Qpv, Region, Rencontre, RencontreQpv, SyntheseDepartementale
from q2030.nomenclature import PERIMETRES, STATUTS_SYNTHESE_DEPARTEMENTALE, StatutRencontre
from q2030.referentiel import DEPARTEMENTS

STATUTS_COUVERTURE: dict[str, str] = {
    "couvert_delais": "Couvert dans les délais",
    "couvert_retard": "Couvert en retard",
    "prevu": "Rencontre prévue",
    "non_couvert": "Non couvert",
}
ETATS_SYNTHESE_PARTICIPANTS: dict[str, str] = {
    "envoyee_a_temps": "Envoyée à temps",
    "envoyee_en_retard": "Envoyée en retard",
    "en_retard": "Échéance dépassée, non envoyée",
    "pas_encore_due": "Pas encore due",
}
Niveau = Literal["departement", "region", "national"]
_Q = TypeVar("_Q", bound=Select[*LigneSql])


# --- Scope -----------------------------------------------------------------------------


def _where_scope(query: _Q, scope: Scope, departement_column: Column) -> _Q:
    """Rows of the scope's territory (the query joins Departement)."""
    if scope.departement_code is None and scope.region_code is None:
        return query
    return query.where(scope.clause(departement_column, col(Departement.region_code)))


# --- Status per QPV --------------------------------------------------------------------


def _status_subquery(campaign: Campaign, au: dt.date, scope: Scope) -> Subquery:
    """One row per QPV of the campaign's geography: status, first held date, next planned date."""
    r_id, r_statut, r_date = col(Rencontre.id), col(Rencontre.statut), col(Rencontre.date)
    au_ = literal(au, Date)
    held = and_(r_statut == StatutRencontre.TENUE, r_date <= au_)
    planned = or_(r_statut == StatutRencontre.PREVUE, and_(r_statut == StatutRencontre.TENUE, r_date > au_))
    first_held = func.min(case((held, r_date)))
    on_time = func.max(case((and_(held, r_date <= literal(campaign.rencontres_echeance, Date)), 1), else_=0))
    direct = func.max(case((and_(held, col(RencontreQpv.direct) == True), 1), else_=0))  # noqa: E712
    next_planned = func.min(case((planned, r_date)))
    statut = case(
        (on_time == 1, "couvert_delais"),
        (first_held.is_not(None), "couvert_retard"),
        (next_planned.is_not(None), "prevu"),
        else_="non_couvert",
    )
    query: Select[*LigneSql] = (
        select_columns(
            col(Qpv.code).label("qpv_code"),
            col(Qpv.nom).label("qpv_nom"),
            col(Qpv.communes_label).label("communes"),
            col(Qpv.departement_code).label("departement_code"),
            col(Departement.region_code).label("region_code"),
            statut.label("statut"),
            first_held.label("premiere_rencontre"),
            next_planned.label("prochaine_prevue"),
            direct.label("direct"),
            func.count(case((held, r_id))).label("rencontres_tenues"),
        )
        .select_from(Qpv)
        .join(Departement, col(Departement.code) == col(Qpv.departement_code))
        .outerjoin(RencontreQpv, col(RencontreQpv.qpv_code) == col(Qpv.code))
        .outerjoin(
            Rencontre,
            and_(
                r_id == col(RencontreQpv.rencontre_id),
                col(Rencontre.campaign_id) == campaign.id,
                r_statut != StatutRencontre.ANNULEE,
                compte(),
            ),
        )
        .where(Qpv.geographie == campaign.geographie)
        .group_by(Qpv.code, Qpv.nom, Qpv.communes_label, Qpv.departement_code, Departement.region_code)
    )
    return _where_scope(query, scope, col(Qpv.departement_code)).subquery("statut_qpv")


def qpv_status(
    session: Session,
    *,
    actor: Lecteur,
    au: dt.date | None = None,
    departement_code: str | None = None,
    region_code: str | None = None,
) -> pd.DataFrame:
    """One row per QPV in scope: statut (code), statut_libelle, couverture (directe/indirecte)."""
    campaign = active_campaign(session)
    au = au or clock.today()
    scope = resolve_scope(actor, departement_code=departement_code, region_code=region_code)
    status = _status_subquery(campaign, au, scope)
    # Core execution: plain tuples, no ORM row processing (this runs for every QPV of the country).
    rows = session.connection().execute(select(*status.c).order_by(status.c.departement_code, status.c.qpv_code)).all()
    frame = pd.DataFrame(rows, columns=[c.name for c in status.columns])
    frame["statut_libelle"] = frame["statut"].map(STATUTS_COUVERTURE)
    covered = frame["statut"].isin(["couvert_delais", "couvert_retard"])
    frame["couverture"] = ""
    frame.loc[covered & (frame["direct"] == 1), "couverture"] = "directe"
    frame.loc[covered & (frame["direct"] != 1), "couverture"] = "indirecte"
    frame["direct"] = frame["direct"].astype(bool)
    for column in ("premiere_rencontre", "prochaine_prevue"):
        frame[column] = frame[column].map(_as_date)
    return frame


def qpv_non_couverts(
    session: Session, *, actor: Lecteur, au: dt.date | None = None, departement_code: str | None = None
) -> pd.DataFrame:
    """QPV without any held rencontre at `au`: those with nothing planned first, then by next planned date."""
    frame = qpv_status(session, actor=actor, au=au, departement_code=departement_code)
    frame = frame[frame["statut"].isin(["prevu", "non_couvert"])]
    return frame.sort_values(["statut", "prochaine_prevue", "qpv_code"], na_position="last").reset_index(drop=True)


def _as_date(value: object) -> dt.date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- Counts per territory --------------------------------------------------------------

COUNT_COLUMNS = [
    "qpv",
    "couvert_delais",
    "couvert_retard",
    "prevu",
    "non_couvert",
    "couvert_direct",
    "couvert_indirect",
]
RENCONTRE_COLUMNS = ["rencontres_tenues", "rencontres_prevues", "syntheses_en_retard", "comptes_rendus_manquants"]


def _earliest_meeting_not_overdue(au: dt.date, months: int) -> dt.date:
    """Smallest meeting date d whose synthesis due date add_months(d) is >= au.

    add_months is non-decreasing, so "due < au" is exactly "date < this", which lets SQL
    count overdue syntheses without month arithmetic (which SQLite and PostgreSQL do differently).
    """
    day = add_months(au, -months) - dt.timedelta(days=4)
    while add_months(day, months) < au:
        day += dt.timedelta(days=1)
    return day


def coverage_counts(
    session: Session,
    *,
    actor: Lecteur,
    au: dt.date | None = None,
    niveau: Niveau = "departement",
    region_code: str | None = None,
    departement_code: str | None = None,
    constat_au: dt.date | None = None,
) -> pd.DataFrame:
    """Counts of QPV by status and of rencontres by report state, grouped at `niveau`.

    Rows: one per département / région having QPV (or one "France" row for national).
    Rates (taux_*) are shares of the QPV count. Reports and syntheses done count up to
    `constat_au` (default: campaigns.constat_au).
    """
    campaign = active_campaign(session)
    au = au or clock.today()
    constat = constat_au or constat_par_defaut(au, campaign.restitution_fin, clock.today())
    scope = resolve_scope(actor, departement_code=departement_code, region_code=region_code)
    status = _status_subquery(campaign, au, scope)
    key = {"departement": status.c.departement_code, "region": status.c.region_code, "national": literal("FR")}[niveau]

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    covered = status.c.statut.in_(["couvert_delais", "couvert_retard"])
    qpv_rows = session.exec(
        select_columns(
            key.label("code"),
            func.count().label("qpv"),
            count_if(status.c.statut == "couvert_delais"),
            count_if(status.c.statut == "couvert_retard"),
            count_if(status.c.statut == "prevu"),
            count_if(status.c.statut == "non_couvert"),
            count_if(and_(covered, status.c.direct == 1)),
            count_if(and_(covered, status.c.direct != 1)),
        ).group_by(key)
    ).all()
    frame = pd.DataFrame(qpv_rows, columns=["code", *COUNT_COLUMNS]).set_index("code")
    frame = frame.join(_rencontre_counts(session, campaign, au, constat, scope, niveau), how="left")
    for column in COUNT_COLUMNS + RENCONTRE_COLUMNS:
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["couverts"] = frame["couvert_delais"] + frame["couvert_retard"]
    for column in ("couverts", "couvert_delais", "couvert_retard", "prevu", "non_couvert"):
        frame[f"taux_{column}"] = frame[column] / frame["qpv"]
    frame = frame.reset_index()
    frame["nom"] = frame["code"].map(_names(session, niveau))
    if niveau == "departement":
        frame["region_code"] = frame["code"].map(lambda c: DEPARTEMENTS[c][1])
        frame = frame.merge(
            synthese_departementale_status(session, campaign=campaign, au=au, codes=list(frame["code"])),
            on="code",
            how="left",
        )
    return frame.sort_values("code").reset_index(drop=True)


def _names(session: Session, niveau: Niveau) -> dict[str, str]:
    if niveau == "departement":
        return dict(session.exec(select(Departement.code, Departement.nom)).all())
    if niveau == "region":
        return dict(session.exec(select(Region.code, Region.nom)).all())
    return {"FR": "France entière"}


def _rencontre_counts(
    session: Session, campaign: Campaign, au: dt.date, constat: dt.date, scope: Scope, niveau: Niveau
) -> pd.DataFrame:
    r_id, r_statut, r_date, r_dep = (
        col(Rencontre.id),
        col(Rencontre.statut),
        col(Rencontre.date),
        col(Rencontre.departement_code),
    )
    r_synthese = col(Rencontre.synthese_envoyee_le)
    au_ = literal(au, Date)
    key = {"departement": r_dep, "region": col(Departement.region_code), "national": literal("FR")}[niveau]
    held = and_(r_statut == StatutRencontre.TENUE, r_date <= au_)
    planned = or_(r_statut == StatutRencontre.PREVUE, and_(r_statut == StatutRencontre.TENUE, r_date > au_))
    threshold = literal(_earliest_meeting_not_overdue(au, campaign.synthese_participants_delai_mois), Date)
    overdue = and_(held, r_date < threshold, or_(r_synthese.is_(None), r_synthese > literal(constat, Date)))
    constat_end = dt.datetime.combine(constat + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    has_report = exists().where(col(Document.rencontre_id) == r_id, col(Document.depose_le) < constat_end)
    query: Select[*LigneSql] = (
        select_columns(
            key.label("code"),
            func.sum(case((held, 1), else_=0)),
            func.sum(case((planned, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
            func.sum(case((and_(held, ~has_report), 1), else_=0)),
        )
        .select_from(Rencontre)
        .join(Departement, col(Departement.code) == r_dep)
        .where(col(Rencontre.campaign_id) == campaign.id, r_statut != StatutRencontre.ANNULEE, compte())
        .group_by(key)
    )
    rows = session.exec(_where_scope(query, scope, r_dep)).all()
    return pd.DataFrame(rows, columns=["code", *RENCONTRE_COLUMNS]).set_index("code")


# --- Report chain of each rencontre ---------------------------------------------------------


def etat_synthese_participants(
    date_rencontre: dt.date,
    envoyee_le: dt.date | None,
    au: dt.date,
    delai_mois: int,
    *,
    constat_au: dt.date | None = None,
) -> tuple[str, dt.date]:
    """State of the synthesis to participants at `au`, and its due date (the last allowed day).
    A synthesis counts as sent when sent by `constat_au` (default `au`): see campaigns.constat_au."""
    due = add_months(date_rencontre, delai_mois)
    if envoyee_le is not None and envoyee_le <= (constat_au or au):
        return ("envoyee_a_temps" if envoyee_le <= due else "envoyee_en_retard"), due
    return ("en_retard" if au > due else "pas_encore_due"), due


def suivi_rencontres(
    session: Session,
    *,
    actor: Lecteur,
    au: dt.date | None = None,
    departement_code: str | None = None,
    region_code: str | None = None,
    constat_au: dt.date | None = None,
) -> pd.DataFrame:
    """Held rencontres (at `au`) with their report chain: synthesis due, state, days left, compte rendu.
    Deadlines are judged at `au`, what has been done (compte rendu deposited, synthesis sent)
    at `constat_au` (default: campaigns.constat_au, today once the campaign is over)."""
    campaign = active_campaign(session)
    au = au or clock.today()
    constat = constat_au or constat_par_defaut(au, campaign.restitution_fin, clock.today())
    scope = resolve_scope(actor, departement_code=departement_code, region_code=region_code)
    r = Rencontre
    constat_end = dt.datetime.combine(constat + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    reports = (
        select(Document.rencontre_id, func.count().label("n"))
        .where(col(Document.depose_le) < constat_end)
        .group_by(col(Document.rencontre_id))
        .subquery()
    )
    query: Select[*LigneSql] = (
        select_columns(
            r.id,
            r.departement_code,
            r.date,
            r.lieu,
            r.perimetre,
            r.participants,
            r.synthese_envoyee_le,
            func.coalesce(reports.c.n, 0),
        )
        .join(Departement, col(Departement.code) == col(r.departement_code))
        .outerjoin(reports, reports.c.rencontre_id == col(r.id))
        .where(col(r.campaign_id) == campaign.id, col(r.statut) == StatutRencontre.TENUE, col(r.date) <= au, compte(r))
        .order_by(col(r.date), col(r.id))
    )
    rows = session.exec(_where_scope(query, scope, col(r.departement_code))).all()
    columns = ["id", "departement_code", "date", "lieu", "perimetre", "participants", "synthese_envoyee_le"]
    frame = pd.DataFrame(rows, columns=[*columns, "documents"])
    frame["date"] = frame["date"].map(_as_date)
    frame["synthese_envoyee_le"] = frame["synthese_envoyee_le"].map(_as_date)
    months = campaign.synthese_participants_delai_mois
    records = []
    for date_, sent in zip(frame["date"], frame["synthese_envoyee_le"], strict=True):
        state, due = etat_synthese_participants(date_, sent, au, months, constat_au=constat)
        records.append((state, ETATS_SYNTHESE_PARTICIPANTS[state], due, (due - au).days))
    state_columns = ["etat_synthese", "etat_synthese_libelle", "synthese_due_le", "jours_restants"]
    states = pd.DataFrame(records, columns=state_columns)
    frame = pd.concat([frame, states], axis=1)
    frame["perimetre"] = frame["perimetre"].map(lambda c: PERIMETRES.get(c, c))
    frame["compte_rendu"] = frame["documents"] > 0
    return frame


# --- Synthèse départementale and deadlines ------------------------------------------------


def synthese_departementale_status(
    session: Session, *, campaign: Campaign, au: dt.date, codes: list[str]
) -> pd.DataFrame:
    """Status of each département's synthesis chain at `au` (steps dated after `au` not yet done)."""
    rows = session.exec(
        select(SyntheseDepartementale).where(
            SyntheseDepartementale.campaign_id == campaign.id,
            col(SyntheseDepartementale.departement_code).in_(codes),
        )
    ).all()
    by_code = {row.departement_code: row for row in rows}
    records = []
    for code in codes:
        row = by_code.get(code)
        region = row.transmise_region_le if row and row.transmise_region_le and row.transmise_region_le <= au else None
        commission = (
            row.transmise_commission_le
            if row and row.transmise_commission_le and row.transmise_commission_le <= au
            else None
        )
        restitution = row.restitution_le if row and row.restitution_le and row.restitution_le <= au else None
        statut = (
            "restituee"
            if restitution
            else "transmise_commission"
            if commission
            else "transmise_region"
            if region
            else "a_reprendre"
            if row and row.statut == "a_reprendre"
            else "brouillon"
        )
        due = campaign.synthese_departementale_echeance
        late = (commission is not None and commission > due) or (commission is None and au > due)
        records.append(
            {
                "code": code,
                "synthese_statut": statut,
                "synthese_statut_libelle": STATUTS_SYNTHESE_DEPARTEMENTALE[statut],
                "synthese_transmise_region_le": region,
                "synthese_transmise_commission_le": commission,
                "synthese_en_retard": late,
                "restitution_le": restitution,
            }
        )
    return pd.DataFrame(
        records,
        columns=[
            "code",
            "synthese_statut",
            "synthese_statut_libelle",
            "synthese_transmise_region_le",
            "synthese_transmise_commission_le",
            "synthese_en_retard",
            "restitution_le",
        ],
    )


@dataclass(frozen=True)
class Echeance:
    libelle: str
    date: dt.date
    jours_restants: int  # negative once passed


def echeances(campaign: Campaign, au: dt.date) -> list[Echeance]:
    """The campaign's deadlines with the days left at `au`."""
    steps = [
        ("Rencontres tenues", campaign.rencontres_echeance),
        ("Synthèse départementale transmise à la commission et à l'ANCT", campaign.synthese_departementale_echeance),
        ("Début de la fenêtre de restitution publique", campaign.restitution_debut),
        ("Fin de la fenêtre de restitution publique", campaign.restitution_fin),
    ]
    return [Echeance(label, day, (day - au).days) for label, day in steps]


# --- Burn-up ---------------------------------------------------------------------------

PACE_WINDOW_DAYS = 28


@dataclass(frozen=True)
class Projection:
    au: dt.date
    echeance: dt.date
    qpv: int
    couverts_au: int
    couverts_projetes: int  # at the deadline; actual count once the deadline has passed
    rythme_par_jour: float  # over the PACE_WINDOW_DAYS days before `au`

    @property
    def taux_projete(self) -> float | None:
        return self.couverts_projetes / self.qpv if self.qpv else None

    @property
    def realise(self) -> bool:
        return self.au >= self.echeance

    def valeurs(self) -> ProjectionValeurs:
        """Its fields and `taux_projete` as plain values (what the pages cache and draw)."""
        return ProjectionValeurs(
            au=self.au, echeance=self.echeance, qpv=self.qpv, couverts_au=self.couverts_au,
            couverts_projetes=self.couverts_projetes, rythme_par_jour=self.rythme_par_jour,
            taux_projete=self.taux_projete,
        )  # fmt: skip


class ProjectionValeurs(TypedDict):
    au: dt.date
    echeance: dt.date
    qpv: int
    couverts_au: int
    couverts_projetes: int
    rythme_par_jour: float
    taux_projete: float | None


def burnup(
    session: Session,
    *,
    actor: Lecteur,
    au: dt.date | None = None,
    departement_code: str | None = None,
    region_code: str | None = None,
) -> tuple[pd.DataFrame, Projection]:
    """Cumulative QPV covered (first held rencontre) per day up to `au`, and the projection.

    The pace is the average over the last PACE_WINDOW_DAYS days before `au`; the projection
    extends it linearly to the meetings deadline, capped at the number of QPV.
    """
    campaign = active_campaign(session)
    au = au or clock.today()
    scope = resolve_scope(actor, departement_code=departement_code, region_code=region_code)
    status = _status_subquery(campaign, au, scope)
    total = session.exec(select(func.count()).select_from(status)).one()
    rows = session.exec(
        select(status.c.premiere_rencontre, func.count())
        .where(status.c.premiere_rencontre.is_not(None))
        .group_by(status.c.premiere_rencontre)
        .order_by(status.c.premiere_rencontre)
    ).all()
    daily = pd.Series({_as_date(day): count for day, count in rows}, dtype="int64")
    start = min([campaign.lancement, *daily.index]) if len(daily) else campaign.lancement
    # Stop once nothing changes any more after the deadline (a replay "au" today stays readable).
    last_change = max(daily.index) if len(daily) else start
    end = max(start, min(au, max(campaign.rencontres_echeance, last_change)))
    days = pd.date_range(start, end, freq="D").date
    cumulative = daily.reindex(days, fill_value=0).cumsum()
    frame = pd.DataFrame({"date": list(days), "couverts": cumulative.to_numpy(dtype=int)})
    frame["taux"] = frame["couverts"] / total if total else 0.0
    covered_now = int(frame["couverts"].iloc[-1]) if len(frame) else 0
    window_start = au - dt.timedelta(days=PACE_WINDOW_DAYS)
    before = frame.loc[frame["date"] <= window_start, "couverts"]
    covered_before = int(before.iloc[-1]) if len(before) else 0
    pace = (covered_now - covered_before) / PACE_WINDOW_DAYS
    deadline = campaign.rencontres_echeance
    if au >= deadline:
        at_deadline = frame.loc[frame["date"] <= deadline, "couverts"]
        projected = int(at_deadline.iloc[-1]) if len(at_deadline) else 0
    else:
        projected = min(total, round(covered_now + pace * (deadline - au).days))
    return frame, Projection(au, deadline, total, covered_now, projected, pace)
