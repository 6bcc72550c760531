"""The synthèse départementale chain, one row per département and campaign.

brouillon -> transmise à la préfecture de région (date) -> transmise à la commission et à
l'ANCT (date, due campaign.synthese_departementale_echeance) -> restitution publique (date,
expected within restitution_debut..restitution_fin).

The référent records the first and last steps for its département; the préfecture de
région records the transmission to the commission for the départements of its région.
Each write is validated (dates in order, none in the future), version-checked and audited.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Final, TypedDict

import pandas as pd
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from q2030 import audit, clock
from q2030.access import (
    Action,
    Actor,
    DepartementCible,
    allowed,
    departements_lus,
    exiger,
    region_of,
    require,
    require_read_departement,
    versions_de_synthese_lues,
)
from q2030.audit import ActionAudit
from q2030.campaigns import active_campaign
from q2030.errors import ConflitDeVersion, IntrouvableError, ValidationError
from q2030.models import Departement, Qpv, SyntheseDepartementale, SyntheseDocument, SyntheseTexte, stored_id, utcnow
from q2030.nomenclature import STATUTS_SYNTHESE_DEPARTEMENTALE
from q2030.referentiel import DEPARTEMENTS
from q2030.versioning import check_version, compare_and_set

# Step code -> (column, previous step's column, label of the previous step)
ETAPES: dict[str, tuple[str, str | None, str]] = {
    "transmise_region": ("transmise_region_le", None, ""),
    "transmise_commission": (
        "transmise_commission_le",
        "transmise_region_le",
        "la transmission à la préfecture de région",
    ),
    "restituee": ("restitution_le", "transmise_commission_le", "la transmission à la commission et à l'ANCT"),
}
_ACTION_AUDIT: dict[str, ActionAudit] = {"transmise_region": "transmise_region",
    "transmise_commission": "transmise_commission", "restituee": "restituee"}  # fmt: skip
ORDRE = ["transmise_region_le", "transmise_commission_le", "restitution_le"]
ENTITE: Final = "synthese_departementale"
CONFLIT = "La synthèse a été modifiée entre-temps : rechargez la page avant d'enregistrer."


@dataclass(frozen=True)
class SyntheseView:
    """Plain values (cacheable) describing one département's chain."""

    departement_code: str
    statut: str
    transmise_region_le: dt.date | None
    transmise_commission_le: dt.date | None
    restitution_le: dt.date | None
    echeance: dt.date
    restitution_debut: dt.date
    restitution_fin: dt.date
    version: int  # 0 while nothing has been recorded

    @property
    def statut_libelle(self) -> str:
        return STATUTS_SYNTHESE_DEPARTEMENTALE[self.statut]

    @property
    def transmise_en_retard(self) -> bool:
        return self.transmise_commission_le is not None and self.transmise_commission_le > self.echeance

    @property
    def restitution_dans_fenetre(self) -> bool | None:
        if self.restitution_le is None:
            return None
        return self.restitution_debut <= self.restitution_le <= self.restitution_fin


def action_de_l_etape(etape: str) -> Action:
    """Who records a step: the préfecture de région forwards to the commission; the
    référent records every other step."""
    return Action.INSTRUIRE_SYNTHESE if etape == "transmise_commission" else Action.REDIGER_SYNTHESE


def peut_enregistrer(actor: Actor, departement_code: str, etape: str) -> bool:
    return allowed(actor, action_de_l_etape(etape), DepartementCible(departement_code))


def _row(session: Session, campaign_id: int, departement_code: str) -> SyntheseDepartementale | None:
    return session.exec(
        select(SyntheseDepartementale).where(
            SyntheseDepartementale.campaign_id == campaign_id,
            SyntheseDepartementale.departement_code == departement_code,
        )
    ).first()


def _create_row(session: Session, *, campaign_id: int, departement_code: str) -> SyntheseDepartementale:
    """The département's row at version 0 (nothing recorded yet), created once.

    Two first saves at once: the second insert hits the unique (campaign, département)
    constraint inside a savepoint and reuses the row; the compare-and-set then refuses it."""
    try:
        with session.begin_nested():
            row = SyntheseDepartementale(campaign_id=campaign_id, departement_code=departement_code, version=0)
            session.add(row)
    except IntegrityError:
        existing = _row(session, campaign_id, departement_code)
        if existing is None:
            raise
        return existing
    return row


def synthese_departementale(session: Session, *, actor: Actor, departement_code: str) -> SyntheseView:
    require_read_departement(actor, departement_code, "Vous ne pouvez consulter que les synthèses de votre périmètre.")
    campaign = active_campaign(session)
    row = _row(session, stored_id(campaign), departement_code)
    return SyntheseView(
        departement_code=departement_code,
        statut=row.statut if row else "brouillon",
        transmise_region_le=row.transmise_region_le if row else None,
        transmise_commission_le=row.transmise_commission_le if row else None,
        restitution_le=row.restitution_le if row else None,
        echeance=campaign.synthese_departementale_echeance,
        restitution_debut=campaign.restitution_debut,
        restitution_fin=campaign.restitution_fin,
        version=row.version if row else 0,
    )


def enregistrer_etape(
    session: Session,
    *,
    actor: Actor,
    departement_code: str,
    etape: str,
    date: dt.date | None,
    version: int,
    aujourd_hui: dt.date | None = None,
    document_id: int | None = None,
) -> SyntheseView:
    """Record (or correct) the date of a step. `version` is the one the user saw (0 if none).

    A transmission to the préfecture de région carries a file (`document_id`, a version
    uploaded with `deposer_version`); the transmission to the commission then forwards that
    same file. Date-only steps (without a file) stay possible for a chain recorded afterwards.
    """
    if etape not in ETAPES:
        raise ValidationError({"etape": [f"Étape inconnue : {etape}."]})
    region_of(departement_code)  # DepartementInconnu first
    require(
        peut_enregistrer(actor, departement_code, etape),
        "La transmission à la commission est enregistrée par la préfecture de région ; "
        "les autres étapes par le référent du département.",
    )
    campaign = active_campaign(session)
    today = aujourd_hui or clock.today()
    row = _row(session, stored_id(campaign), departement_code)
    _check_version(session, row, version)
    column, previous, previous_label = ETAPES[etape]
    dates: dict[str, dt.date | None] = {name: getattr(row, name) if row else None for name in ORDRE}
    errors: list[str] = []
    if date is None:
        errors.append("La date est obligatoire.")
    else:
        if date > today:
            errors.append("La date ne peut pas être dans le futur.")
        if date < campaign.lancement:
            errors.append("La date est antérieure au lancement de la campagne.")
        if previous is not None and dates[previous] is None:
            errors.append(f"Enregistrez d'abord {previous_label}.")
        dates[column] = date
        known = [known_date for name in ORDRE if (known_date := dates[name]) is not None]
        if any(earlier > later for earlier, later in itertools.pairwise(known)):
            errors.append("Les dates des étapes doivent se suivre : préfecture de région, commission, restitution.")
    document = _document_for_step(session, stored_id(campaign), departement_code, etape, document_id, row)
    if errors:
        raise ValidationError({"date": errors})
    before = audit.snapshot(row)
    dates[column] = date
    returned = row is not None and row.statut == "a_reprendre"
    statut = next(
        (step for step, (name, _, _) in reversed(ETAPES.items()) if dates[name] is not None),
        "a_reprendre" if returned else "brouillon",
    )
    if row is None:
        row = _create_row(session, campaign_id=stored_id(campaign), departement_code=departement_code)
    # Compare-and-set: two concurrent saves from the same version cannot both pass.
    compare_and_set(
        session, SyntheseDepartementale, row_id=row.id or 0, version=version, entite=ENTITE, conflit=CONFLIT,
        values={column: date, "statut": statut, "modifie_le": utcnow(), "modifie_par": actor.email},
    )  # fmt: skip
    session.refresh(row)
    if document is not None:
        setattr(document, "transmis_region_le" if etape == "transmise_region" else "transmis_commission_le", date)
        session.flush()
    after = audit.snapshot(row)
    if document is not None and after is not None:
        after["document"] = {"id": document.id, "numero": document.numero, "nom_fichier": document.nom_fichier}
    audit.record(
        session,
        actor=actor,
        action=_ACTION_AUDIT[etape],
        entite="synthese_departementale",
        entite_id=row.id or "",
        avant=before,
        apres=after,
    )
    return synthese_departementale(session, actor=actor, departement_code=departement_code)


def _check_version(session: Session, row: SyntheseDepartementale | None, version: int) -> None:
    check_version(session, row, version, entite=ENTITE, conflit=CONFLIT)


def _claim(session: Session, row: SyntheseDepartementale, version: int) -> SyntheseDepartementale:
    """Compare-and-set on the version of an existing row (another writer may have passed the read check too)."""
    row.version = compare_and_set(
        session, SyntheseDepartementale, row_id=row.id or 0, version=version, entite=ENTITE, conflit=CONFLIT
    )
    return row


def _document_for_step(
    session: Session,
    campaign_id: int,
    departement_code: str,
    etape: str,
    document_id: int | None,
    row: SyntheseDepartementale | None,
) -> SyntheseDocument | None:
    """The file a transmission carries (checked), or None for a date-only step."""
    if etape == "transmise_region":
        if document_id is None:
            return None
        document = session.get(SyntheseDocument, document_id)
        if document is None or (document.campaign_id, document.departement_code) != (campaign_id, departement_code):
            raise ValidationError({"document": ["Cette version du document n'existe pas pour ce département."]})
        if row is not None and row.statut in ("transmise_region", "transmise_commission", "restituee"):
            raise ValidationError(
                {"document": ["Une version est déjà transmise : attendez qu'elle soit renvoyée ou transmise."]}
            )
        if document.transmis_region_le is not None:
            raise ValidationError(
                {"document": [f"La version {document.numero} a déjà été transmise : déposez une nouvelle version."]}
            )
        return document
    if etape == "transmise_commission":
        document = en_cours_region(session, campaign_id, departement_code)
        if document is None:  # the commission would read « 0 document(s) »
            raise ValidationError({"document": [MANQUE_DOCUMENT]})
        return document
    return None


MANQUE_DOCUMENT = (
    "Aucune version du document de synthèse n'est transmise à la préfecture de région : la synthèse ne peut pas "
    "être transmise à la commission sans document. Le référent départemental dépose une version (PDF, DOCX ou "
    "ODT) et la transmet à la préfecture de région."
)


def en_cours_region(session: Session, campaign_id: int, departement_code: str) -> SyntheseDocument | None:
    """The version transmitted to the préfecture de région and neither returned nor forwarded yet."""
    return session.exec(
        select(SyntheseDocument)
        .where(
            SyntheseDocument.campaign_id == campaign_id,
            SyntheseDocument.departement_code == departement_code,
            col(SyntheseDocument.transmis_region_le).is_not(None),
            col(SyntheseDocument.renvoye_le).is_(None),
            col(SyntheseDocument.transmis_commission_le).is_(None),
        )
        .order_by(col(SyntheseDocument.numero).desc())
    ).first()


# --- Return to the département ("à reprendre") ------------------------------------------------

MAX_COMMENTAIRE = 4000


def renvoyer(
    session: Session,
    *,
    actor: Actor,
    departement_code: str,
    commentaire: str,
    version: int,
    date: dt.date | None = None,
    aujourd_hui: dt.date | None = None,
) -> SyntheseView:
    """The préfecture de région returns the transmitted version with a comment ("à reprendre").

    The transmission date is cleared from the chain (the file keeps it, with the return),
    the status becomes "a_reprendre" and the référent transmits a new version.
    """
    region_of(departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.INSTRUIRE_SYNTHESE,
        DepartementCible(departement_code),
        "Seule la préfecture de région du département peut renvoyer sa synthèse.",
    )
    campaign = active_campaign(session)
    today = aujourd_hui or clock.today()
    date = date or today
    row = _row(session, stored_id(campaign), departement_code)
    _check_version(session, row, version)
    commentaire = (commentaire or "").strip()
    errors: dict[str, list[str]] = {}
    if row is None or row.statut != "transmise_region":
        errors[""] = ["Seule une synthèse transmise à la préfecture de région (et pas encore à la commission) "
                      "peut être renvoyée."]  # fmt: skip
    if not commentaire:
        errors["commentaire"] = ["Indiquez ce qui est à reprendre."]
    elif len(commentaire) > MAX_COMMENTAIRE:
        errors["commentaire"] = [f"Le commentaire dépasse {MAX_COMMENTAIRE} caractères."]
    if date > today:
        errors["date"] = ["La date ne peut pas être dans le futur."]
    elif row is not None and row.transmise_region_le is not None and date < row.transmise_region_le:
        errors["date"] = ["La date du renvoi précède celle de la transmission."]
    if errors:
        raise ValidationError(errors)
    assert row is not None
    document = en_cours_region(session, stored_id(campaign), departement_code)
    before = audit.snapshot(row)
    row = _claim(session, row, version)
    row.transmise_region_le = None
    row.statut = "a_reprendre"
    row.modifie_le = utcnow()
    row.modifie_par = actor.email
    if document is not None:
        document.renvoye_le = date
        document.commentaire_retour = commentaire
    session.flush()
    after = audit.snapshot(row) or {}
    after["commentaire"] = commentaire
    if document is not None:
        after["document"] = {"id": document.id, "numero": document.numero, "nom_fichier": document.nom_fichier}
    audit.record(
        session, actor=actor, action="renvoyee", entite="synthese_departementale", entite_id=row.id or "",
        avant=before, apres=after,
    )  # fmt: skip
    return synthese_departementale(session, actor=actor, departement_code=departement_code)


# --- Versions of the document -------------------------------------------------------------------


@dataclass(frozen=True)
class VersionDocument:
    """One uploaded version of the synthesis file, and what became of it (plain values)."""

    id: int
    departement_code: str
    numero: int
    nom_fichier: str
    type_mime: str
    taille: int
    depose_le: dt.datetime
    depose_par: str
    transmis_region_le: dt.date | None
    renvoye_le: dt.date | None
    commentaire_retour: str
    transmis_commission_le: dt.date | None
    publie_le: dt.datetime | None  # on the public restitution page since

    @property
    def etat(self) -> str:
        if self.transmis_commission_le is not None:
            return "Transmise à la commission et à l'ANCT"
        if self.renvoye_le is not None:
            return "Renvoyée par la préfecture de région (à reprendre)"
        if self.transmis_region_le is not None:
            return "Transmise à la préfecture de région"
        return "Déposée, non transmise"

    @classmethod
    def of(cls, row: SyntheseDocument) -> VersionDocument:
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


def deposer_version(
    session: Session, *, actor: Actor, departement_code: str, filename: str, content: bytes
) -> VersionDocument:
    """Upload the final version (PDF, DOCX or ODT; same checks as comptes rendus): a new row."""
    from q2030.documents import TYPES, check_and_store, sanitize_filename

    region_of(departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.REDIGER_SYNTHESE,
        DepartementCible(departement_code),
        "Seul le référent du département peut déposer la synthèse départementale.",
    )
    kind, digest = check_and_store(filename, content)
    campaign = active_campaign(session)
    # The département row is the lock (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
    # unique (campaign, département, numero) constraint turns a race into a clear error).
    session.exec(select(Departement).where(Departement.code == departement_code).with_for_update()).one()
    numero = session.exec(
        select(func.coalesce(func.max(SyntheseDocument.numero), 0)).where(
            SyntheseDocument.campaign_id == campaign.id, SyntheseDocument.departement_code == departement_code
        )
    ).one()
    document = SyntheseDocument(
        campaign_id=stored_id(campaign),
        departement_code=departement_code,
        numero=int(numero) + 1,
        nom_fichier=sanitize_filename(filename, kind),
        type_mime=TYPES[kind][0],
        taille=len(content),
        sha256=digest,
        depose_par=actor.email,
    )
    try:
        with session.begin_nested():
            session.add(document)
            session.flush()
    except IntegrityError:
        raise ConflitDeVersion("Une autre version vient d'être déposée : rechargez la page.") from None
    audit.record(
        session, actor=actor, action="depot_synthese", entite="synthese_document", entite_id=document.id or "",
        apres=audit.snapshot(document),
    )  # fmt: skip
    return VersionDocument.of(document)


def versions(session: Session, *, actor: Actor, departement_code: str) -> list[VersionDocument]:
    """Every version the actor may read, newest first (the history of the document)."""
    region_of(departement_code)  # DepartementInconnu first
    campaign = active_campaign(session)
    query = select(SyntheseDocument).where(
        SyntheseDocument.campaign_id == campaign.id,
        SyntheseDocument.departement_code == departement_code,
        versions_de_synthese_lues(actor, departement_code),
    )
    rows = session.exec(query.order_by(col(SyntheseDocument.numero).desc())).all()
    return [VersionDocument.of(row) for row in rows]


def lire_version(session: Session, *, actor: Actor, document_id: int) -> tuple[VersionDocument, bytes]:
    from q2030.documents import read_stored

    row = session.get(SyntheseDocument, document_id)
    if row is None:
        raise IntrouvableError(f"La version n° {document_id} de la synthèse n'existe pas (ou plus).")
    condition = versions_de_synthese_lues(actor, row.departement_code)
    lisible = session.exec(select(SyntheseDocument.id).where(SyntheseDocument.id == document_id, condition)).first()
    require(lisible is not None, "Cette version n'a pas été transmise à votre niveau.")
    return VersionDocument.of(row), read_stored(row.sha256, row.nom_fichier)


# --- Every département at once (the commission's page) -------------------------------------------


def tableau_syntheses(session: Session, *, actor: Actor, au: dt.date | None = None) -> pd.DataFrame:
    """One row per département in the actor's scope: chain status and dates, the latest
    version the actor may read (id, name, number) and the number of versions it may read."""
    from q2030.coverage import synthese_departementale_status

    codes = departements_lus(actor)
    require(bool(codes), "Rôle inconnu.")
    campaign = active_campaign(session)
    au = au or clock.today()
    frame = synthese_departementale_status(session, campaign=campaign, au=au, codes=codes)
    query = select(SyntheseDocument).where(
        SyntheseDocument.campaign_id == campaign.id,
        col(SyntheseDocument.departement_code).in_(codes),
        versions_de_synthese_lues(actor, codes[0]),  # the same for every département the actor reads
    )
    latest: dict[str, SyntheseDocument] = {}
    counts: dict[str, int] = {}
    for row in session.exec(query.order_by(col(SyntheseDocument.numero))).all():
        latest[row.departement_code] = row
        counts[row.departement_code] = counts.get(row.departement_code, 0) + 1
    frame.insert(1, "nom", frame["code"].map(lambda c: DEPARTEMENTS[c][0]))
    frame.insert(2, "region_code", frame["code"].map(lambda c: DEPARTEMENTS[c][1]))
    frame["document_id"] = frame["code"].map(lambda c: latest[c].id if c in latest else None).astype("Int64")
    frame["document_nom"] = frame["code"].map(lambda c: latest[c].nom_fichier if c in latest else "")
    frame["document_numero"] = frame["code"].map(lambda c: latest[c].numero if c in latest else None).astype("Int64")
    frame["versions"] = frame["code"].map(lambda c: counts.get(c, 0)).astype(int)
    return frame


def archive_syntheses(session: Session, *, actor: Actor) -> tuple[bytes, int]:
    """A ZIP of the latest readable version of every département in scope; (bytes, files)."""
    import io
    import zipfile

    from q2030.documents import read_stored

    frame = tableau_syntheses(session, actor=actor)
    buffer = io.BytesIO()
    written = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for code, document_id in zip(frame["code"], frame["document_id"], strict=True):
            if pd.isna(document_id):
                continue
            row = session.get(SyntheseDocument, int(document_id))
            assert row is not None
            content = read_stored(row.sha256, row.nom_fichier)
            archive.writestr(f"{code}-v{row.numero}-{row.nom_fichier}", content)
            written += 1
    return buffer.getvalue(), written


# --- The référent's free text ---------------------------------------------------------------------

MAX_TEXTE = 20_000
MAX_MOTIF = 1_000


@dataclass(frozen=True)
class TextesView:
    departement_code: str
    enseignements: str
    vigilance: str
    motifs: dict[str, str]  # QPV code -> reason it was not covered
    version: int  # 0 while nothing was written
    modifie_le: dt.datetime | None
    modifie_par: str


class _TexteSynthese(TypedDict):
    enseignements: str
    vigilance: str
    motifs: dict[str, str]


def _texte_row(session: Session, campaign_id: int, departement_code: str) -> SyntheseTexte | None:
    return session.exec(
        select(SyntheseTexte).where(
            SyntheseTexte.campaign_id == campaign_id, SyntheseTexte.departement_code == departement_code
        )
    ).first()


def textes_synthese(session: Session, *, actor: Actor, departement_code: str) -> TextesView:
    synthese_departementale(session, actor=actor, departement_code=departement_code)  # scope check
    row = _texte_row(session, stored_id(active_campaign(session)), departement_code)
    if row is None:
        return TextesView(departement_code, "", "", {}, 0, None, "")
    return TextesView(
        departement_code, row.enseignements, row.vigilance, dict(row.motifs or {}), row.version, row.modifie_le,
        row.modifie_par,
    )  # fmt: skip


def enregistrer_textes(
    session: Session,
    *,
    actor: Actor,
    departement_code: str,
    enseignements: str,
    vigilance: str,
    motifs: dict[str, str],
    version: int,
) -> TextesView:
    """Save the free-text parts (compare-and-set on `version`, the one the user saw; 0 if none)."""
    region_of(departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.REDIGER_SYNTHESE,
        DepartementCible(departement_code),
        "Seul le référent du département rédige la synthèse départementale.",
    )
    campaign = active_campaign(session)
    enseignements, vigilance = (enseignements or "").strip(), (vigilance or "").strip()
    cleaned = {code: (text or "").strip() for code, text in (motifs or {}).items() if (text or "").strip()}
    errors: dict[str, list[str]] = {}
    for field_name, value, label in (
        ("enseignements", enseignements, "Enseignements principaux"),
        ("vigilance", vigilance, "Points de vigilance"),
    ):
        if len(value) > MAX_TEXTE:
            errors[field_name] = [f"« {label} » dépasse {MAX_TEXTE} caractères ({len(value)})."]
    known = set(
        session.exec(
            select(Qpv.code).where(Qpv.departement_code == departement_code, Qpv.geographie == campaign.geographie)
        ).all()
    )
    unknown = sorted(set(cleaned) - known)
    if unknown:
        errors["motifs"] = [f"Quartier inconnu dans le département : {', '.join(unknown)}."]
    too_long = sorted(code for code, text in cleaned.items() if len(text) > MAX_MOTIF)
    if too_long:
        message = f"Motif trop long (plus de {MAX_MOTIF} caractères) : {', '.join(too_long)}."
        errors.setdefault("motifs", []).append(message)
    if errors:
        raise ValidationError(errors)
    conflict = "Le texte de la synthèse a été modifié entre-temps : rechargez la page avant d'enregistrer."
    row = _texte_row(session, stored_id(campaign), departement_code)
    before = audit.snapshot(row)
    values: _TexteSynthese = {
        "enseignements": enseignements,
        "vigilance": vigilance,
        "motifs": cleaned,
    }
    if row is None:
        check_version(session, None, version, entite="synthese_texte", conflit=conflict)
        row = SyntheseTexte(campaign_id=stored_id(campaign), departement_code=departement_code, version=1,
                            modifie_par=actor.email, **values)  # fmt: skip
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            raise ConflitDeVersion(conflict) from None
    else:
        compare_and_set(
            session, SyntheseTexte, row_id=row.id or 0, version=version, entite="synthese_texte", conflit=conflict,
            values={"modifie_le": utcnow(), "modifie_par": actor.email, **values},
        )  # fmt: skip
        session.refresh(row)
    audit.record(
        session, actor=actor, action="textes_synthese", entite="synthese_texte", entite_id=row.id or "",
        avant=before, apres=audit.snapshot(row),
    )  # fmt: skip
    return textes_synthese(session, actor=actor, departement_code=departement_code)
