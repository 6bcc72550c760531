"""Issue 21 #5: every query parameter the app reads, on every page, for every role and an
anonymous visitor, with malformed, huge and negative values: never a traceback, never an
error box; a bad identifier is answered exactly like an unknown one (« introuvable »).
An unexpected error inside a page shows a French message and an incident reference that
is in the server log, never details.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from q2030.db import session_scope
from q2030.documents import NON_PUBLIE
from q2030.parametres import MAX_IDENTIFIANT, PARAMETRES, code_departement, code_qpv, identifiant
from q2030.ui.incidents import INCIDENTS
from q2030.ui.shell import PAGES, PUBLIC_PAGE
from tests import factories
from tests.helpers import APP, elements, open_app
from tests.test_auth import COMPLETE

HUGE = "99999999999999999999"  # past SQLite's 64-bit INTEGER
HOSTILE = {
    "énorme": HUGE,
    "int32+1": str(MAX_IDENTIFIANT + 1),  # past PostgreSQL's INTEGER
    "négatif": "-1",
    "zéro": "0",
    "texte": "abc",
    "décimal": "1.5",
    "exposant": "1e3",
    "injection": "1' OR '1'='1",
    "chiffres pleine chasse": "１２",
    "très long": "9" * 5000,
    "vide": "",
    "blancs": "   ",
}
ROLES = {
    "referent": {"departement": "93"},
    "prefet_region": {"region": "11"},
    "commission": {},
    "admin": {},
}
LEAKS = ("Traceback", 'File "', ".py", "SELECT", "sqlalchemy", "psycopg", "sqlite3", "/work/", "/root/")


@pytest.fixture
def donnees(app_env: str, engine: Engine) -> str:
    with session_scope(engine) as session:
        factories.qpv(session, "QN09301A", "93", nom="Cité des Fleurs")
        factories.rencontre(session, departement="93", date=dt.date.today() - dt.timedelta(days=3), qpv=["QN09301A"])
    return app_env


def _anonymous(params: dict[str, str], page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = {"auth": COMPLETE}
    at.user = {"is_logged_in": False}
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _signed_in(role: str, params: dict[str, str], page: str) -> AppTest:
    at = open_app(role=role, **ROLES[role])
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def _shown(at: AppTest) -> str:
    parts = [
        e.value for kind in ("error", "warning", "info", "markdown", "caption", "text") for e in elements(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def _clean(at: AppTest, where: str) -> None:
    assert not at.exception, (where, at.exception)
    assert not INCIDENTS, (where, list(INCIDENTS))
    shown = _shown(at)
    assert not [leak for leak in LEAKS if leak in shown], where


def test_parsers_bound_every_value() -> None:
    for value in HOSTILE.values():
        assert identifiant(value) is None, value
    assert identifiant("12") == 12
    assert identifiant(f" {MAX_IDENTIFIANT} ") == MAX_IDENTIFIANT
    assert identifiant(None) is None
    assert code_departement("2a") == "2A"
    assert code_departement("999") is None
    assert code_qpv("qn09301a") == "QN09301A"
    assert code_qpv("QN" + "0" * 5000) is None
    assert code_qpv("'; DROP TABLE qpv; --") is None


@pytest.mark.slow  # 65 pages × roles, 3 addresses each: about 20 minutes on a loaded 2-core box
@pytest.mark.parametrize("page_key", list(PAGES))
@pytest.mark.parametrize("who", [*ROLES, "anonyme"])
def test_every_page_every_parameter_hostile_values(donnees: str, page_key: str, who: str) -> None:
    """Every declared parameter at once, with each family of bad values (huge, negative, malformed)."""
    page = PAGES[page_key].path
    for label in ("énorme", "négatif", "injection"):
        params = dict.fromkeys(PARAMETRES, HOSTILE[label])
        at = _anonymous(params, page) if who == "anonyme" else _signed_in(who, params, page)
        _clean(at, f"{page_key} {who} {label}")


@pytest.mark.parametrize("name", ["document", "synthese"])
@pytest.mark.parametrize("label", list(HOSTILE))
def test_public_document_address_answers_like_an_unknown_id(donnees: str, name: str, label: str) -> None:
    at = _anonymous({name: HOSTILE[label]}, PAGES[PUBLIC_PAGE].path)
    _clean(at, f"{name}={label}")
    assert [e.value for e in at.error] == [NON_PUBLIE]
    unknown = _anonymous({name: "987654"}, PAGES[PUBLIC_PAGE].path)
    assert [e.value for e in unknown.error] == [NON_PUBLIE]


@pytest.mark.parametrize("label", list(HOSTILE))
def test_public_quartier_and_departement_addresses(donnees: str, label: str) -> None:
    at = _anonymous({"qpv": HOSTILE[label]}, PAGES[PUBLIC_PAGE].path)
    _clean(at, f"qpv={label}")
    assert [e.value for e in at.error] == ["Quartier introuvable. Choisissez votre département ci-dessous."]
    at = _anonymous({"dep": HOSTILE[label]}, PAGES[PUBLIC_PAGE].path)
    _clean(at, f"dep={label}")
    assert any("Choisissez un département" in i.value for i in at.info)


@pytest.mark.parametrize("label", list(HOSTILE))
def test_rencontres_link_answers_like_an_unknown_rencontre(donnees: str, label: str) -> None:
    at = _signed_in("referent", {"rencontre": HOSTILE[label], "departement": HOSTILE[label]}, PAGES["rencontres"].path)
    _clean(at, f"rencontre={label}")
    assert any("La rencontre demandée est introuvable" in i.value for i in at.info)
    unknown = _signed_in("referent", {"rencontre": "987654"}, PAGES["rencontres"].path)
    assert any("La rencontre demandée est introuvable" in i.value for i in unknown.info)


@pytest.mark.incident_attendu
def test_unexpected_error_shows_french_message_and_logged_reference(
    donnees: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from q2030.ui import public

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError('SELECT secret FROM "user" -- /work/q2030/db.py')

    monkeypatch.setattr(public, "data_version", broken)
    with caplog.at_level(logging.ERROR, logger="q2030.incidents"):
        at = _anonymous({"dep": "93"}, PAGES[PUBLIC_PAGE].path)
    assert not at.exception
    [reference] = list(INCIDENTS)
    [shown] = [e.value for e in at.error]
    assert shown.startswith("Une erreur inattendue empêche d'afficher cette page.")
    assert reference in shown
    assert "SELECT" not in shown
    assert "/work" not in shown
    assert "RuntimeError" not in shown
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


def test_streamlit_itself_shows_no_error_details() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


def test_no_full_garbage_collection_after_each_run() -> None:
    """Streamlit's default full collection after every script run walks the whole heap (pandas,
    pyarrow, SQLAlchemy, Altair: some 270,000 objects) holding the GIL while the run's last
    messages wait: 130-210 ms of every page in Chromium (`python -m benchmarks.pages`)."""
    import tomllib
    from pathlib import Path

    import streamlit.config

    path = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    assert tomllib.loads(path.read_text())["runner"]["postScriptGC"] is False
    assert "runner.postScriptGC" in streamlit.config.get_config_options()  # still an option of this Streamlit
