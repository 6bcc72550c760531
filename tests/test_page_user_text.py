"""AppTest: text typed by users (places, addresses, notes, contributions, file names) is shown
as text on the Rencontres and Agenda pages, never interpreted as Markdown or HTML.

Streamlit renders as Markdown the body of st.markdown / st.caption / alerts / headings and
every widget label, button label, help text, expander and tab label, radio option. Those
strings may quote user text only escaped (`!\\[x\\]\\(...` shows the characters, draws no
image); the raw text itself must appear in plain-text places: tables, st.text, input values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from google.protobuf.message import Message
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from q2030.contributions import replace_contributions
from q2030.db import make_engine
from q2030.documents import add_document
from q2030.models import stored_id
from q2030.rencontres.ecriture import create_rencontre
from tests.helpers import elements, open_app, pdf_document
from tests.rencontres_data import REFERENT_93, held, load_geography

IMAGE = "![x](http://example.invalid/x.png)"
SCRIPT = "<script>alert(1)</script>"
PAYLOAD = f"{IMAGE} {SCRIPT}"
# Markdown an escape has not defused: an image or link bracket, an HTML tag.
UNESCAPED = re.compile(r"(?<!\\)(!\[|\]\(|</?script|</?b>)")
PDF = pdf_document()
MEETING = dt.date.today() - dt.timedelta(days=12)
# Strings Streamlit renders as Markdown, by element type; "label" and "help" of any element too.
MARKDOWN_BODIES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"}


@pytest.fixture
def ids(app_env: str) -> Iterator[dict[str, int]]:
    """A held rencontre and an upcoming one of the 93, user text everywhere."""
    engine = make_engine(app_env)
    with Session(engine, expire_on_commit=False) as session:
        load_geography(session)
        past = create_rencontre(
            session,
            actor=REFERENT_93,
            data=held(days_ago=12, lieu=PAYLOAD, adresse=PAYLOAD, notes=PAYLOAD, publics_precaires=PAYLOAD),
        )
        replace_contributions(
            session,
            actor=REFERENT_93,
            rencontre_id=stored_id(past),
            rows=[{"axe": "changements", "theme": "education", "texte": PAYLOAD, "rang": 1}],
        )
        add_document(
            session, actor=REFERENT_93, rencontre_id=stored_id(past), filename="[cr](x.png) <b>.pdf", content=PDF
        )
        upcoming = create_rencontre(
            session,
            actor=REFERENT_93,
            data=held(
                days_ago=-5, statut="prevue", lieu=PAYLOAD, adresse=PAYLOAD, notes=PAYLOAD, participants=None,
                femmes=None, jeunes=None, habitants_qpv=None, professionnels=None, elus=None,
            ),
        )  # fmt: skip
        session.commit()
        yield {"past": stored_id(past), "upcoming": stored_id(upcoming)}
    engine.dispose()


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(message: Message, names: set[str]) -> Iterator[str]:
    """String fields called one of `names`, at any depth of a protobuf message."""
    for descriptor, value in message.ListFields():
        items = list(value) if descriptor.is_repeated else [value]
        if descriptor.type == descriptor.TYPE_MESSAGE:
            for item in items:
                yield from _strings(item, names)
        elif descriptor.type == descriptor.TYPE_STRING and descriptor.name in names:
            yield from items


def markdown_strings(at: AppTest) -> list[str]:
    out: list[str] = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = getattr(node, "type", "")
        names = {"label", "help"}
        if kind in MARKDOWN_BODIES:
            names.add("body")
        if kind in ("radio", "button_group"):
            names.add("options")
        out.extend(_strings(proto, names))
    return out


def assert_nothing_interpreted(at: AppTest) -> None:
    assert not at.exception, at.exception
    for text in markdown_strings(at):
        assert not UNESCAPED.search(text), f"user text rendered as Markdown: {text!r}"


def _cells(at: AppTest) -> set[str]:
    return {str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()}


def _frame(at: AppTest, column: str):
    """The first table showing `column` (dataframes carry no key under AppTest)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def _page(path: str, **scope: str) -> AppTest:
    at = open_app(**scope)
    at.switch_page(path).run()
    return at


def test_referent_sees_user_text_as_text_on_the_rencontres_page(ids: dict[str, int]) -> None:
    at = _page("pages/1_Rencontres.py", role="referent", departement="93")
    at.selectbox(key="rf_choice").select(ids["past"]).run()
    assert_nothing_interpreted(at)
    assert PAYLOAD in _cells(at)  # the list's "Lieu" column
    assert at.text_input(key="rf_lieu").value == PAYLOAD
    assert at.text_area(key="rf_notes").value == PAYLOAD
    labels = [b.label for b in elements(at, "download_button")]
    assert any("\\[cr\\]" in label for label in labels), labels  # the file name, escaped

    # A duplicate of that rencontre: the refusal quotes its place, escaped.
    at.selectbox(key="rf_choice").select(0).run()
    at.multiselect(key="rf_qpv_codes").select("QN09301A")
    at.selectbox(key="rf_statut").select("tenue")
    at.date_input(key="rf_date").set_value(MEETING)
    at.text_input(key="rf_lieu").input("Gymnase")
    at.button(key="rf_submit").click().run()
    assert_nothing_interpreted(at)
    doublon = [e.value for e in at.error if "Doublon probable" in e.value]
    assert doublon, doublon
    assert "!\\[x\\]" in doublon[0], doublon
    assert "\\<script\\>" in doublon[0], doublon

    # A compte rendu whose name is Markdown: the notice and the button quote it escaped.
    at.selectbox(key="rf_choice").select(ids["past"]).run()
    at.file_uploader[0].set_value(
        ("![y](http://example.invalid/y.png).pdf", pdf_document("Version 2"), "application/pdf")
    ).run()
    at.button(key="rd_save").click().run()
    assert_nothing_interpreted(at)
    assert any("déposé" in s.value for s in at.success)

    # A contribution row whose theme is not a theme: the refusal quotes the cell, escaped.
    at.session_state[f"rc_editor_{ids['past']}"] = {
        "edited_rows": {0: {"theme": PAYLOAD}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="rc_save").click().run()
    assert_nothing_interpreted(at)
    refused = [e.value for e in at.error if "Thème" in e.value]
    assert refused, [e.value for e in at.error]
    assert "\\<script\\>" in refused[0], [e.value for e in at.error]


def test_reader_sees_notes_and_contributions_as_text(ids: dict[str, int]) -> None:
    at = _page("pages/1_Rencontres.py", role="commission")
    at.selectbox(key="rl_departement").select("93").run()
    at.selectbox(key="rf_choice").select(ids["past"]).run()
    assert_nothing_interpreted(at)
    detail = _frame(at, "Champ")
    shown = dict(zip(detail["Champ"], detail["Valeur"], strict=True))
    assert shown["Nom du lieu"] == shown["Adresse"] == shown["Notes"] == PAYLOAD
    assert _frame(at, "Contribution")["Contribution"].tolist() == [PAYLOAD]


def test_agenda_shows_user_text_as_text(ids: dict[str, int]) -> None:
    at = _page("pages/2_Agenda.py", role="referent", departement="93")
    assert_nothing_interpreted(at)
    table = _frame(at, "Adresse")
    assert table["Lieu"].tolist() == [PAYLOAD]
    assert table["Adresse"].tolist() == [PAYLOAD]


@pytest.mark.page  # an AppTest run, without app_env
def test_the_check_itself_catches_markdown() -> None:
    """The walker sees what Streamlit would interpret: a raw payload in st.error fails it."""
    at = AppTest.from_string(f"import streamlit as st\nst.error({PAYLOAD!r})\nst.text({PAYLOAD!r})").run()
    assert [text for text in markdown_strings(at) if PAYLOAD in text] == [PAYLOAD]  # st.error, not st.text
    assert [t.value for t in at.text] == [PAYLOAD]
    with pytest.raises(AssertionError):
        assert_nothing_interpreted(at)
