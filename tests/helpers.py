"""Helpers shared by tests (not fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import Session
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")

_Row = TypeVar("_Row")


def fetch(session: Session, model: type[_Row], key: object) -> _Row:
    """The row of `model` with primary key `key`, which the test expects to exist
    (`session.get` answers None for a missing row: the test fails here, saying which)."""
    row = session.get(model, key)
    assert row is not None, f"{model.__name__} {key!r} absent de la base"
    return row


def recorded(values: dict[str, Any] | None) -> dict[str, Any]:
    """An audit row's `avant` or `apres` (None where the action has no such side), which the
    test expects the write to have recorded."""
    assert values is not None, "valeurs d'audit absentes"
    return values


def open_app(role: str | None = None, departement: str | None = None, region: str | None = None) -> AppTest:
    """The home page in demo mode, with the role (and scope) chosen in the sidebar."""
    at = AppTest.from_file(APP, default_timeout=60)
    if role:
        at.session_state["shared_role"] = role
    if departement:
        at.session_state["shared_departement"] = departement
    if region:
        at.session_state["shared_region"] = region
    return at.run()


def unfold_rencontre_form(at: AppTest) -> AppTest:
    """Unfold the Rencontres page's entry form, as a click on its expander does (the form is
    drawn only once unfolded)."""
    from q2030.ui.formulaire_rencontre import EtatFormulaire

    at.session_state[EtatFormulaire.DEPLIE] = True
    return at.run()


def elements(at: AppTest, kind: str) -> list[Element]:
    """The elements of a kind (`at.get` is typed `Element | Block`; a widget or text kind
    holds elements only, and a block found there would be a mistake worth failing on)."""
    found = at.get(kind)
    assert all(isinstance(e, Element) for e in found), f"{kind}: a block where elements were expected"
    return [e for e in found if isinstance(e, Element)]


def open_section(at: AppTest, departement: str, label: str) -> AppTest:
    """Open a section tab of a département (Mon département, and the detail under Ma région and
    Vue nationale): only the open section is drawn (tabs with on_change="rerun")."""
    at.session_state[f"sections_{departement}"] = label
    return at.run()


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open a tab of the tabs created with `key=` and on_change="rerun" (only the open one is drawn:
    « Vue nationale », « Administration »)."""
    at.session_state[key] = label
    return at.run()


def open_folded(at: AppTest, key: str) -> AppTest:
    """Open an expander created with `key=` and on_change="rerun": its content is drawn once open
    (the tables folded under « À faire » in Mon département)."""
    at.session_state[key] = True
    return at.run()


def open_national_section(at: AppTest, label: str) -> AppTest:
    from q2030.ui.coverage import NATIONAL_SECTIONS_KEY

    return open_tab(at, NATIONAL_SECTIONS_KEY, label)


def pdf_document(title: str = "Compte rendu") -> bytes:
    """A real one-page PDF (uploads are parsed and rewritten by qpdf); distinct titles give
    distinct files."""
    import io

    import pikepdf

    from q2030.pdf_reecriture import rewrite

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = title
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    # Already in the form the app keeps, so a download gives back exactly these bytes.
    return rewrite(out.getvalue(), f"{title}.pdf")
