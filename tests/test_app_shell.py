"""The app shell: home page on an empty and a demo database, every page for every role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from q2030.access import Actor
from q2030.ui.shell import PAGES, opens
from tests.databases import Demo, Preparation
from tests.helpers import open_app

ROLES = ["referent", "prefet_region", "commission", "admin"]


def _home() -> AppTest:
    return open_app()


def test_empty_database_shows_welcome_and_loads_demo(app_env: str) -> None:
    at = _home()
    assert not at.exception
    assert any("La base est vide" in info.value for info in at.info)
    at.button(key="welcome_demo").click().run()
    assert not at.exception
    labels = [metric.label for metric in at.metric]
    assert "Rencontres tenues" in labels
    assert "QPV couverts" in labels  # short enough not to be cut; the detail is in help
    # Sub-figures (share, planned count) are not trends: no up/down arrow.
    assert all(metric.proto.direction == metric.proto.NONE for metric in at.metric if metric.proto.delta)
    assert not any("La base est vide" in info.value for info in at.info)


@pytest.fixture
def database_preparation() -> Preparation:
    """What « Charger la démonstration » loads (its seed, every role's account), loaded once per
    run; the button itself is the test above (and test_parcours)."""
    return Demo(seed=2023, comptes=True)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role(app_env: str, database_preparation: Preparation, role: str) -> None:
    at = _home()
    assert not any("La base est vide" in info.value for info in at.info)
    at.sidebar.selectbox(key="widget_role").select(role).run()
    assert not at.exception
    for key, page in PAGES.items():
        if key == "accueil":
            continue
        at.switch_page(page.path).run()
        assert not at.exception, (role, page.path, at.exception)
        refused = any("pas accessible avec votre rôle" in error.value for error in at.error)
        assert refused == (not opens(Actor(email="", role=role), key)), (role, page.path)
