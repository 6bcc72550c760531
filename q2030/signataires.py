"""Who signs a département's documents: a name and a title (« Le préfet de la Seine-Saint-Denis »),
printed in the signature block of the synthèse départementale and of the letters to participants.

Set by the département's référent on the synthèse screen; audited; a compare-and-set on the
version the référent saw. Until it is set, the documents show the préfecture's title and a
line to sign on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from q2030 import audit
from q2030.access import Action, Actor, DepartementCible, exiger, region_of, require_read_departement
from q2030.bureautique import xml_sur
from q2030.errors import ConflitDeVersion, ValidationError
from q2030.models import Signataire, utcnow
from q2030.referentiel import nom_avec_de
from q2030.versioning import check_version, compare_and_set

MAX_NOM = 120
MAX_TITRE = 200
ENTITE: Final = "signataire"
CONFLIT = "Le signataire a été modifié entre-temps : rechargez la page avant d'enregistrer."


@dataclass(frozen=True)
class SignataireView:
    departement_code: str
    nom: str  # "" until set
    titre: str
    version: int  # 0 until set
    modifie_le: dt.datetime | None
    modifie_par: str

    @property
    def titre_imprime(self) -> str:
        """The title the documents print: the one set, else « Le préfet de … »."""
        return self.titre or f"Le préfet {nom_avec_de(self.departement_code)}"


def _row(session: Session, departement_code: str) -> Signataire | None:
    return session.exec(select(Signataire).where(Signataire.departement_code == departement_code)).first()


def titre_par_defaut(departement_code: str) -> str:
    return f"Le préfet {nom_avec_de(departement_code)}"


def lire_signataire(session: Session, *, departement_code: str) -> SignataireView:
    """The signatory printed on the département's documents (no access rule: the caller drafting
    a document already checked the reader's scope)."""
    row = _row(session, departement_code)
    if row is None:
        return SignataireView(departement_code, "", "", 0, None, "")
    return SignataireView(departement_code, row.nom, row.titre, row.version, row.modifie_le, row.modifie_par)


def signataire(session: Session, *, actor: Actor, departement_code: str) -> SignataireView:
    require_read_departement(actor, departement_code)
    return lire_signataire(session, departement_code=departement_code)


def enregistrer_signataire(
    session: Session, *, actor: Actor, departement_code: str, nom: str, titre: str, version: int
) -> SignataireView:
    """Set the signatory (the référent of the département only); `version` is the one shown (0 if none)."""
    region_of(departement_code)  # DepartementInconnu first
    exiger(
        actor,
        Action.REDIGER_SYNTHESE,
        DepartementCible(departement_code),
        "Seul le référent du département choisit le signataire de ses documents.",
    )
    # One line each on the signature block: any run of white space (a pasted page break) is one space.
    nom, titre = " ".join(xml_sur(nom or "").split()), " ".join(xml_sur(titre or "").split())
    errors: dict[str, list[str]] = {}
    if not nom:
        errors["nom"] = ["Indiquez le nom du signataire (par exemple « Jacques Witkowski »)."]
    if len(nom) > MAX_NOM:
        errors["nom"] = [f"Le nom dépasse {MAX_NOM} caractères ({len(nom)})."]
    if not titre:
        errors["titre"] = [f"Indiquez le titre du signataire (par exemple « {titre_par_defaut(departement_code)} »)."]
    if len(titre) > MAX_TITRE:
        errors["titre"] = [f"Le titre dépasse {MAX_TITRE} caractères ({len(titre)})."]
    if errors:
        raise ValidationError(errors)
    row = _row(session, departement_code)
    check_version(session, row, version, entite=ENTITE, conflit=CONFLIT)
    before = audit.snapshot(row)
    if row is None:
        row = Signataire(departement_code=departement_code, nom=nom, titre=titre, version=1, modifie_par=actor.email)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # created by someone else meanwhile
            raise ConflitDeVersion(CONFLIT) from None
    else:
        compare_and_set(
            session, Signataire, row_id=row.id or 0, version=version, entite=ENTITE, conflit=CONFLIT,
            values={"nom": nom, "titre": titre, "modifie_le": utcnow(), "modifie_par": actor.email},
        )  # fmt: skip
        session.refresh(row)
    audit.record(
        session,
        actor=actor,
        action="creation" if before is None else "modification",
        entite=ENTITE,
        entite_id=row.id or "",
        avant=before,
        apres=audit.snapshot(row),
    )
    return lire_signataire(session, departement_code=departement_code)
