"""The Rencontres form's state (q2030.ui.formulaire_rencontre) without Streamlit: a dict plays
the session state. The page tests (test_page_rencontres) drive the same object through widgets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from q2030.ui.formulaire_rencontre import CHAMPS, NOUVELLE, Attente, EtatFormulaire

STORED: dict[str, Any] = {
    "id": 12,
    "version": 4,
    "statut": "tenue",
    "date": dt.date(2026, 3, 2),
    "lieu": "Centre social",
    "qpv_codes": ["QN09301A"],
    "perimetre": "quartier",
    "participants": 30,
    "notes": "",
}


def _drawn(etat: EtatFormulaire) -> dict[str, Any]:
    widgets: dict[str, Any] = {}
    etat.synchroniser(widgets)
    return widgets


def test_every_widget_key_is_named_by_the_object() -> None:
    assert EtatFormulaire.cle("lieu") == "rf_lieu"
    assert set(_drawn(EtatFormulaire())) == {EtatFormulaire.cle(name) for name in CHAMPS}
    with pytest.raises(KeyError):
        EtatFormulaire.cle("lieux")


def test_opened_for_edit_sends_the_version_read_then_the_one_the_save_returned() -> None:
    etat = EtatFormulaire()
    etat.ouvrir(12, STORED, version=4)
    widgets = _drawn(etat)
    assert (widgets["rf_lieu"], widgets["rf_qpv_codes"], etat.version_de(12)) == ("Centre social", ["QN09301A"], 4)
    assert etat.version_de(13) is None
    widgets["rf_lieu"] = "Mairie annexe"
    etat.retenir(widgets)
    assert etat.saisie()["lieu"] == "Mairie annexe"
    assert etat.modifie
    etat.enregistree(12, {**STORED, "lieu": "Mairie annexe"}, version=5)
    assert (etat.version, etat.modifie, etat.erreurs) == (5, False, {})


def test_a_refused_save_keeps_the_draft_and_says_what_it_waits_for() -> None:
    etat = EtatFormulaire()
    etat.ouvrir(12, STORED, version=4)
    widgets = _drawn(etat)
    widgets.update(rf_lieu="Salle typée", rf_participants=41)
    etat.retenir(widgets)
    for refuse, attente in (
        (lambda: etat.refusee({"participants": ["trop"]}), None),
        (lambda: etat.doublon_probable({"doublons": ["n° 3"]}), Attente.DOUBLON),
        (lambda: etat.conflit("modifiée par quelqu'un d'autre"), Attente.CONFLIT),
    ):
        refuse()
        assert etat.attente is attente
        etat.synchroniser(widgets)  # the next run: nothing typed is overwritten
        assert (widgets["rf_lieu"], widgets["rf_participants"]) == ("Salle typée", 41)
        assert etat.version == 4  # the version opened, until the user reloads
    assert etat.en_conflit()
    assert etat.erreurs == {"conflit": ["modifiée par quelqu'un d'autre"]}


def test_a_widget_not_drawn_gets_its_value_back_from_the_draft() -> None:
    """A perimeter switched to « commune » and back, or another page visited: Streamlit forgot
    the widgets' keys, the draft did not."""
    etat = EtatFormulaire()
    etat.ouvrir_creation(qpv_codes=["QN09301A"])
    widgets = _drawn(etat)
    widgets["rf_lieu"] = "Gymnase"
    etat.retenir(widgets)
    del widgets["rf_qpv_codes"], widgets["rf_lieu"]
    etat.synchroniser(widgets)
    assert (widgets["rf_qpv_codes"], widgets["rf_lieu"]) == (["QN09301A"], "Gymnase")
    assert etat.rencontre_id == NOUVELLE
    assert etat.version is None


def test_contributions_saved_move_the_form_only_from_the_version_it_opened() -> None:
    etat = EtatFormulaire()
    etat.ouvrir(12, STORED, version=4)
    etat.suivre(12, avant=4, apres=5)
    assert etat.version == 5
    etat.suivre(12, avant=6, apres=7)  # a colleague's save in between: the form's next save conflicts
    etat.suivre(13, avant=5, apres=6)
    assert etat.version == 5


def test_the_draft_does_not_share_lists_with_what_was_opened() -> None:
    etat = EtatFormulaire()
    etat.ouvrir(12, STORED, version=4)
    widgets = _drawn(etat)
    widgets["rf_qpv_codes"].append("QN09302A")
    etat.retenir(widgets)
    assert etat.ouvert["qpv_codes"] == ["QN09301A"]
    assert etat.modifie


def test_a_link_notice_is_said_once() -> None:
    etat = EtatFormulaire(avis="Rencontre n° 12 ouverte ci-dessous.")
    assert etat.prendre_avis() == "Rencontre n° 12 ouverte ci-dessous."
    assert etat.prendre_avis() is None
