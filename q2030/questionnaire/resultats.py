"""Reading the questionnaire channel: its themes beside the rencontres', responses per place."""

from __future__ import annotations

from typing import TypeVar

import pandas as pd
from sqlalchemy import ColumnElement, Select, distinct, func
from sqlmodel import Session, col, select

from q2030.access import Lecteur
from q2030.campaigns import active_campaign
from q2030.frontieres import LigneSql
from q2030.models import Departement, QuestionnaireReponse, QuestionnaireTheme
from q2030.nomenclature import theme_label
from q2030.priorities import Filtres

CANAUX: dict[str, str] = {
    "rencontres": "Rencontres",
    "questionnaire": "Questionnaire en ligne",
    "les_deux": "Les deux, côte à côte",
}
# Filters of the results pages that have no meaning for a questionnaire response.
FILTRES_SANS_OBJET = ("format", "recherche")


def _conditions(session: Session, filtres: Filtres) -> list[ColumnElement[bool]]:
    from q2030.priorities import valider

    valider(filtres)
    campaign = active_campaign(session)
    conds: list[ColumnElement[bool]] = [col(QuestionnaireReponse.campaign_id) == campaign.id]
    if filtres.region:
        conds.append(col(Departement.region_code) == filtres.region)
    if filtres.departement:
        conds.append(col(QuestionnaireReponse.departement_code) == filtres.departement)
    if filtres.qpv:
        conds.append(col(QuestionnaireReponse.qpv_code) == filtres.qpv)
    for column, value in (
        (QuestionnaireTheme.axe, filtres.axe),
        (QuestionnaireTheme.theme, filtres.theme),
        (QuestionnaireTheme.public, filtres.public),
    ):
        if value:
            conds.append(col(column) == value)
    if filtres.debut:
        conds.append(col(QuestionnaireReponse.date) >= filtres.debut)
    if filtres.fin:
        conds.append(col(QuestionnaireReponse.date) <= filtres.fin)
    return conds


_S = TypeVar("_S", bound=Select[*LigneSql])  # sqlmodel's selects included


def _from(query: _S) -> _S:
    return (
        query.select_from(QuestionnaireTheme)
        .join(QuestionnaireReponse, col(QuestionnaireReponse.id) == col(QuestionnaireTheme.reponse_id))
        .outerjoin(Departement, col(Departement.code) == col(QuestionnaireReponse.departement_code))
    )


def totaux(session: Session, *, filtres: Filtres) -> tuple[int, int]:
    """(theme citations, responses citing at least one theme) of the questionnaire, filtered."""
    citations, reponses = session.exec(
        _from(select(func.count(), func.count(distinct(col(QuestionnaireTheme.reponse_id))))).where(
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
                col(QuestionnaireTheme.reponse_id).label("rid"),
                col(QuestionnaireTheme.theme).label("theme"),
                func.count().label("n"),
                func.sum(func.count()).over(partition_by=col(QuestionnaireTheme.reponse_id)).label("rn"),
            )
        )
        .where(*conds)
        .group_by(col(QuestionnaireTheme.reponse_id), col(QuestionnaireTheme.theme))
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


def deux_canaux(
    session: Session, *, actor: Lecteur, filtres: Filtres, ponderation: str = "contribution"
) -> pd.DataFrame:
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
        col(QuestionnaireReponse.qpv_code).is_not(None),
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
            func.count(col(QuestionnaireReponse.qpv_code)),
        )
        .where(QuestionnaireReponse.campaign_id == campaign.id, col(QuestionnaireReponse.departement_code).is_not(None))
        .group_by(QuestionnaireReponse.departement_code)
    ).all()
    return pd.DataFrame(rows, columns=["code", "reponses_questionnaire", "reponses_questionnaire_qpv"])
