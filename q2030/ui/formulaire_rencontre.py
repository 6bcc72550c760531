"""The state of the Rencontres form, as one typed object kept under one session-state key.

Streamlit keeps each widget's value under a string key; everything else the form needs from one
run to the next lives here: the meeting being edited (`NOUVELLE` for a new one), the version read
when it was opened or returned by the service after a save (the version the next save sends:
never computed by the screen), the draft the user typed, the messages of a refused save and
what that save waits for (a probable duplicate to confirm, a conflict to reload), the notice of
what a link opened. The widget keys are named here and nowhere else.

Transitions are plain methods: opening for creation or for edit, a refused save (the draft is
kept), a save done (the form follows what was stored). They never touch the widgets; a transition
that changes the draft asks for the widgets to be rewritten, and `synchroniser`, called once per
run before the form is drawn, does it (writing a widget's key after the widget was drawn is
refused by Streamlit). No streamlit import here: the session state is a mapping, a dict in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol

from q2030.frontieres import EtatWidget, ValeurChamp
from q2030.nomenclature import Perimetre, StatutRencontre
from q2030.rencontres.saisie import BOOLEANS, COUNTS, SaisieRencontre, saisie_brute

NOUVELLE = 0  # the "new rencontre" entry of the selector
CHAMPS: tuple[str, ...] = (
    "statut", "date", "heure_debut", "heure_fin", "lieu", "adresse", "type_lieu", "perimetre", "qpv_codes",
    "commune_insee", "epci_siren", "quartier_hors_qpv", "organisateurs", "format", *COUNTS,
    "publics_precaires", *BOOLEANS, "accessibilite", "synthese_envoyee_le", "notes",
)  # fmt: skip
_DEFAUTS: dict[str, ValeurChamp] = {
    "statut": StatutRencontre.PREVUE,
    "type_lieu": "autre",
    "perimetre": Perimetre.QUARTIER,
    "format": "reunion_publique",
    "qpv_codes": [],
    "organisateurs": [],
    "accessibilite": [],
    **{name: "" for name in ("lieu", "adresse", "quartier_hors_qpv", "publics_precaires", "notes")},
    **{name: False for name in BOOLEANS},
}


def valeurs_par_defaut() -> dict[str, ValeurChamp]:
    """A new rencontre's form: every field, the unset ones None (fresh lists each time)."""
    return _copie({name: _DEFAUTS.get(name) for name in CHAMPS})


def _copie(valeurs: Mapping[str, ValeurChamp]) -> dict[str, ValeurChamp]:
    return {name: list(value) if isinstance(value, list) else value for name, value in valeurs.items()}


class Widgets(Protocol):
    """What the form needs of Streamlit's session state (a dict in tests)."""

    def __contains__(self, key: object, /) -> bool: ...
    def __getitem__(self, key: str, /) -> EtatWidget: ...
    def __setitem__(self, key: str, value: EtatWidget, /) -> None: ...


class Attente(StrEnum):
    """What a refused save waits for before the next one."""

    DOUBLON = "doublon"  # a probable duplicate: « Enregistrer quand même »
    CONFLIT = "conflit"  # someone else saved first: « Recharger la version enregistrée »


@dataclass
class EtatFormulaire:
    """The Rencontres form between two runs (see the module's docstring)."""

    rencontre_id: int = NOUVELLE
    version: int | None = None  # None for a new rencontre
    ouvert: dict[str, ValeurChamp] = field(default_factory=valeurs_par_defaut)  # the values as opened
    brouillon: dict[str, ValeurChamp] = field(default_factory=valeurs_par_defaut)  # the values as typed
    erreurs: dict[str, list[str]] = field(default_factory=dict)  # by field; "" for the whole form
    attente: Attente | None = None
    avis: str | None = None  # what a link opened, said once
    a_ecrire: bool = True  # the widgets must be rewritten from the draft before the next draw
    dessine: bool = False  # the form was drawn during this visit of the page (see `DEPLIE`)

    # The session-state key of this object, and the keys of the form's widgets.
    CLE: ClassVar[str] = "rf_etat"
    CHOIX: ClassVar[str] = "rf_choice"
    BLOC: ClassVar[str] = "rf_ouvert"  # the container brought into view when a link opens the form
    # The expander that holds the form. The form is drawn only once it is unfolded (38 widgets:
    # about half of the page's time in the browser), then kept drawn when folded again, so that
    # what was typed and not yet saved stays in the browser.
    DEPLIE: ClassVar[str] = "rf_deplie"
    FORMULAIRE: ClassVar[str] = "rf_form"
    ENVOI: ClassVar[str] = "rf_submit"
    FORCER: ClassVar[str] = "rf_force"
    RECHARGER: ClassVar[str] = "rf_reload"

    @staticmethod
    def cle(champ: str) -> str:
        """The widget key of a field of the form (`lieu` → `rf_lieu`)."""
        if champ not in CHAMPS:
            raise KeyError(champ)
        return f"rf_{champ}"

    # --- Transitions ---------------------------------------------------------------------

    def ouvrir_creation(self, **prerempli: ValeurChamp) -> None:
        """A new rencontre: the defaults, plus what a link filled in (a quartier to plan)."""
        valeurs = valeurs_par_defaut()
        valeurs.update({self._champ(name): value for name, value in prerempli.items()})
        self._ouvrir(NOUVELLE, None, valeurs)

    def ouvrir(self, rencontre_id: int, valeurs: Mapping[str, ValeurChamp], *, version: int) -> None:
        """An existing rencontre as the service read it, with the version of that reading."""
        if rencontre_id == NOUVELLE:
            raise ValueError("une rencontre enregistrée a un numéro")
        lues = valeurs_par_defaut()
        lues.update({name: valeurs[name] for name in CHAMPS if name in valeurs})
        self._ouvrir(rencontre_id, version, lues)

    def enregistree(self, rencontre_id: int, valeurs: Mapping[str, ValeurChamp], *, version: int) -> None:
        """A save went through: the form shows what was stored, at the version the service returned."""
        self.ouvrir(rencontre_id, valeurs, version=version)

    def refusee(self, erreurs: Mapping[str, list[str]]) -> None:
        """A save refused by validation (or by the access rule): the draft stays as typed."""
        self.erreurs, self.attente = _copie(erreurs), None

    def doublon_probable(self, erreurs: Mapping[str, list[str]]) -> None:
        """A probable duplicate: the draft stays, « Enregistrer quand même » is offered."""
        self.erreurs, self.attente = _copie(erreurs), Attente.DOUBLON

    def conflit(self, message: str) -> None:
        """Someone else saved first: the draft and the version opened stay (the next save is
        refused the same way) until the user reloads the stored version."""
        self.erreurs, self.attente = {"conflit": [message]}, Attente.CONFLIT

    def suivre(self, rencontre_id: int, *, avant: int, apres: int) -> None:
        """Another save of this rencontre from this screen (its contributions) moved its version
        from `avant` to `apres`: the form follows, unless it was opened at another version."""
        if self.rencontre_id == rencontre_id and self.version == avant:
            self.version = apres

    def version_de(self, rencontre_id: int) -> int | None:
        """The version to send for a write on `rencontre_id`, if the form is open on it."""
        return self.version if self.rencontre_id == rencontre_id and rencontre_id != NOUVELLE else None

    def prendre_avis(self) -> str | None:
        avis, self.avis = self.avis, None
        return avis

    # --- Questions -----------------------------------------------------------------------

    @property
    def modifie(self) -> bool:
        """The user typed something since the form was opened."""
        return self.brouillon != self.ouvert

    def doublon_a_confirmer(self) -> bool:
        return self.attente is Attente.DOUBLON

    def en_conflit(self) -> bool:
        return self.attente is Attente.CONFLIT

    def saisie(self) -> SaisieRencontre:
        """The draft as the service's input (raw values; the service validates them)."""
        return saisie_brute(_copie(self.brouillon))

    # --- Widgets -------------------------------------------------------------------------

    def retenir(self, widgets: Widgets) -> None:
        """Copy into the draft what the widgets hold (those drawn last run)."""
        for name in CHAMPS:
            key = self.cle(name)
            if key in widgets:
                self.brouillon[name] = _copie({name: widgets[key]})[name]

    def synchroniser(self, widgets: Widgets) -> None:
        """Before the form is drawn: after a transition, write the draft into every widget;
        otherwise keep in the draft what the widgets hold and give back to a widget that was
        not drawn (a perimeter switched back, another page visited) what the draft holds."""
        if not self.a_ecrire:
            self.retenir(widgets)
        for name in CHAMPS:
            key = self.cle(name)
            if self.a_ecrire or key not in widgets:
                widgets[key] = _copie({name: self.brouillon[name]})[name]
        self.a_ecrire = False

    # --- Internals -----------------------------------------------------------------------

    def _ouvrir(self, rencontre_id: int, version: int | None, valeurs: dict[str, ValeurChamp]) -> None:
        self.rencontre_id, self.version = rencontre_id, version
        self.ouvert, self.brouillon = valeurs, _copie(valeurs)
        self.erreurs, self.attente, self.a_ecrire = {}, None, True

    @staticmethod
    def _champ(name: str) -> str:
        if name not in CHAMPS:
            raise KeyError(name)
        return name
