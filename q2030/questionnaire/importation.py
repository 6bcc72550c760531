"""The import of an export: all-or-nothing, idempotent by the response id.

Every row is checked first (`lignes`); any problem refuses the whole file (`ImportRefuse`,
nothing written). A response whose mapped values did not change is not written; a changed
free text goes back to the coding queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from q2030 import audit
from q2030.access import Actor, require
from q2030.bootstrap import active_campaign
from q2030.errors import ValidationError
from q2030.models import QuestionnaireReponse, QuestionnaireTheme, TexteLibre, utcnow
from q2030.questionnaire.correspondance import correspondance, valider_correspondance
from q2030.questionnaire.lecture import lire
from q2030.questionnaire.lignes import Ligne, lire_lignes
from q2030.questionnaire.localisation import geo
from q2030.questionnaire.rapport import ImportRefuse, Probleme, RapportImport

Progress = Callable[[float, str], None]
CHUNK = 5_000
IN_CHUNK = 900  # ids per IN (...) list: under SQLite's bound-parameter limit


def importer(
    session: Session, *, actor: Actor, content: bytes, filename: str, progress: Progress | None = None
) -> RapportImport:
    """Import an export with the active campaign's correspondance; ImportRefuse on any error."""
    require(actor.is_admin, "Seul un administrateur peut importer les réponses au questionnaire.")
    notify = progress or (lambda _f, _m: None)
    campaign = active_campaign(session)
    campaign_id = campaign.id or 0
    mapping = correspondance(session, campaign_id=campaign_id)
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
    lignes, problemes = lire_lignes(rows, colonnes, mapping, geo(session, campaign.geographie))
    rapport.problemes = problemes
    if problemes:
        raise ImportRefuse(rapport)
    rapport.lues = len(lignes)
    rapport.localisation = Counter(ln.valeurs["localisation"] for ln in lignes)
    existing = {
        ident: (rid, empreinte)
        for rid, ident, empreinte in session.exec(
            select(QuestionnaireReponse.id, QuestionnaireReponse.identifiant, QuestionnaireReponse.empreinte).where(
                QuestionnaireReponse.campaign_id == campaign_id
            )
        )
    }
    nouvelles = [ln for ln in lignes if ln.identifiant not in existing]
    changees = [ln for ln in lignes if ln.identifiant in existing and existing[ln.identifiant][1] != ln.empreinte]
    rapport.creees, rapport.mises_a_jour = len(nouvelles), len(changees)
    rapport.inchangees = len(lignes) - len(nouvelles) - len(changees)
    connection = session.connection()
    ids = _ecrire_reponses(session, connection, campaign_id, nouvelles, changees, notify)
    notify(0.75, "Thèmes et textes libres…")
    rapport.textes = _ecrire_themes_et_textes(session, connection, campaign_id, ids, nouvelles, changees, notify)
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


def _ecrire_reponses(
    session: Session,
    connection: Connection,
    campaign_id: int,
    nouvelles: list[Ligne],
    changees: list[Ligne],
    notify: Progress,
) -> dict[str, int]:
    """Insert the new responses, update the changed ones; the id of every response of the campaign."""
    now = utcnow()
    for start in range(0, len(nouvelles), CHUNK):
        notify(0.2 + 0.5 * start / max(1, len(nouvelles)), "Enregistrement des réponses…")
        connection.execute(
            insert(QuestionnaireReponse),
            [
                {"campaign_id": campaign_id, "identifiant": ln.identifiant, "empreinte": ln.empreinte,
                 "importe_le": now} | ln.valeurs
                for ln in nouvelles[start : start + CHUNK]
            ],
        )  # fmt: skip
    ids = dict(
        session.exec(
            select(QuestionnaireReponse.identifiant, QuestionnaireReponse.id).where(
                QuestionnaireReponse.campaign_id == campaign_id
            )
        ).all()
    )
    for ln in changees:
        connection.execute(
            update(QuestionnaireReponse)
            .where(col(QuestionnaireReponse.id) == ids[ln.identifiant])
            .values(empreinte=ln.empreinte, importe_le=now, **ln.valeurs)
        )
    return {k: v for k, v in ids.items() if v is not None}


def _ecrire_themes_et_textes(
    session: Session,
    connection: Connection,
    campaign_id: int,
    ids: dict[str, int],
    nouvelles: list[Ligne],
    changees: list[Ligne],
    notify: Progress,
) -> int:
    """Closed answers' themes and free texts of the written responses; the number of texts queued."""
    textes_avant = _oublier_themes(session, connection, [ids[ln.identifiant] for ln in changees])
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
                {"campaign_id": campaign_id, "reponse_id": rid, "question": question, "axe_question": axe,
                 "texte": texte, "statut": "a_coder", "reserve_par": "", "code_par": "", "version": 1}
            )  # fmt: skip
    obsolete += [tid for tid, _texte in textes_avant.values()]  # a text emptied in the new file
    for start in range(0, len(obsolete), IN_CHUNK):
        chunk = obsolete[start : start + IN_CHUNK]
        connection.execute(delete(QuestionnaireTheme).where(col(QuestionnaireTheme.texte_id).in_(chunk)))
        connection.execute(delete(TexteLibre).where(col(TexteLibre.id).in_(chunk)))
    for start in range(0, len(themes), CHUNK):
        connection.execute(insert(QuestionnaireTheme), themes[start : start + CHUNK])
    for start in range(0, len(textes), CHUNK):
        notify(0.8 + 0.15 * start / max(1, len(textes)), "Textes libres…")
        connection.execute(insert(TexteLibre), textes[start : start + CHUNK])
    return len(textes)


def _oublier_themes(
    session: Session, connection: Connection, changed_ids: list[int]
) -> dict[tuple[int, str], tuple[int, str]]:
    """Delete the closed answers' themes of changed responses; their free texts as they were."""
    textes_avant: dict[tuple[int, str], tuple[int, str]] = {}
    for start in range(0, len(changed_ids), IN_CHUNK):
        chunk = changed_ids[start : start + IN_CHUNK]
        connection.execute(
            delete(QuestionnaireTheme).where(
                col(QuestionnaireTheme.reponse_id).in_(chunk), col(QuestionnaireTheme.origine) == "fermee"
            )
        )
        for tid, rid, question, texte in session.exec(
            select(TexteLibre.id, TexteLibre.reponse_id, TexteLibre.question, TexteLibre.texte).where(
                col(TexteLibre.reponse_id).in_(chunk)
            )
        ):
            if tid is not None and rid is not None:
                textes_avant[(rid, question)] = (tid, texte)
    return textes_avant
