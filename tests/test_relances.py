"""Relances: digests sent through a real SMTP server (aiosmtpd on loopback), read back.

Hand-built campaign (Quartiers 2030 dates: meetings by 31/07/2023, Monday):
- 93: QN09301M covered by a meeting held 30/06 (synthesis due 30/07, no compte rendu,
  one contribution whose text must never leave the app), a meeting held 15/07 (compte rendu
  expected from 30/07), QN09302M without any meeting;
- 13: QN01301M without any meeting; 94: synthesis received by the préfecture de région.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from q2030.access import SYSTEM, Actor
from q2030.campaigns import active_campaign
from q2030.cli import main
from q2030.models import Contribution, RelanceEnvoi, RelanceExecution, SyntheseDepartementale, User, stored_id
from q2030.relances import digests, enregistrer_desabonnements
from q2030.relances_courriel import texte as texte_digest
from q2030.relances_envoi import envoyer
from q2030.ui.admin import ADMIN_SECTIONS_KEY
from tests import factories
from tests.helpers import open_app, open_tab

ADMIN_PAGE = "pages/8_Administration.py"

SECRET = "TEXTE-CONFIDENTIEL-DE-CONTRIBUTION"
REF93, REF13, PREF_IDF, COMMISSION = (
    "referent93@interieur.gouv.fr",
    "referent13@interieur.gouv.fr",
    "sgar-idf@interieur.gouv.fr",
    "commission@anct.gouv.fr",
)


@dataclass
class Boite:
    """What the local SMTP server received; `refuse` lists recipients it rejects."""

    refuse: set[str] = field(default_factory=set)
    recus: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 Boîte inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recus.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def par_destinataire(self) -> dict[str, EmailMessage]:
        return {str(m["To"]): m for m in self.recus}


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None, f"pas de partie text/{subtype}"
    return str(body.get_content())


def texte(message: EmailMessage) -> str:
    return _part(message, "plain")


def html_part(message: EmailMessage) -> str:
    return _part(message, "html")


@pytest.fixture
def boite(monkeypatch: pytest.MonkeyPatch) -> Iterator[Boite]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Boite()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("Q2030_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("Q2030_MAIL_FROM", "relances@quartiers2030.gouv.fr")
    monkeypatch.setenv("Q2030_BASE_URL", "https://q2030.example.gouv.fr/")
    yield handler
    controller.stop()


@pytest.fixture
def campagne(session: Session) -> Session:
    for code, dep in (("QN09301M", "93"), ("QN09302M", "93"), ("QN01301M", "13"), ("QN09401M", "94")):
        factories.qpv(session, code, dep)
    tenue = factories.rencontre(session, departement="93", date=dt.date(2023, 6, 30), qpv=["QN09301M"])
    session.add(Contribution(rencontre_id=stored_id(tenue), axe="changements", theme="securite", texte=SECRET))
    factories.rencontre(session, departement="93", date=dt.date(2023, 7, 15), qpv=["QN09301M"])
    factories.rencontre(session, departement="94", date=dt.date(2023, 6, 1), qpv=["QN09401M"])
    session.add(
        SyntheseDepartementale(
            campaign_id=stored_id(active_campaign(session)),
            departement_code="94",
            statut="transmise_region",
            transmise_region_le=dt.date(2023, 7, 20),
        )
    )
    session.add_all(
        [
            User(email=REF93, nom="Référente 93", role="referent", departement_code="93"),
            User(email=REF13, nom="Référent 13", role="referent", departement_code="13"),
            User(email=PREF_IDF, nom="SGAR Île-de-France", role="prefet_region", region_code="11"),
            User(email=COMMISSION, nom="Commission", role="commission"),
            User(email="ancien@interieur.gouv.fr", role="referent", departement_code="93", actif=False),
            User(email="admin@anct.gouv.fr", role="admin"),
        ]
    )
    session.commit()
    return session


# What each recipient must read, the day before, the day of and the day after the
# synthesis due date of the 30/06 meeting (30/07) and the meetings deadline (31/07, a Monday).
ATTENDU = {
    dt.date(2023, 7, 29): [
        "Rencontre du 30/06/2023 (Salle 30/06) : synthèse aux participants à envoyer au plus tard le 30/07/2023 "
        "(dans 1 jour)",
        "Quartier QN09302M (QN09302M) : aucune rencontre prévue ; échéance des rencontres le 31/07/2023 (dans 2 jours)",
    ],
    dt.date(2023, 7, 30): [
        "Rencontre du 30/06/2023 (Salle 30/06) : synthèse aux participants à envoyer au plus tard le 30/07/2023 "
        "(aujourd'hui)",
        "Rencontre du 15/07/2023 (Salle 15/07) : tenue il y a 15 jours, compte rendu non déposé",
    ],
    dt.date(2023, 7, 31): [
        "Rencontre du 30/06/2023 (Salle 30/06) : synthèse aux participants à envoyer au plus tard le 30/07/2023 "
        "(en retard de 1 jour)",
        "Quartier QN09302M (QN09302M) : aucune rencontre prévue ; échéance des rencontres le 31/07/2023 (aujourd'hui)",
    ],
}


@pytest.mark.parametrize("au", list(ATTENDU))
def test_each_person_receives_the_lines_due_around_the_deadlines(campagne: Session, boite: Boite, au: dt.date) -> None:
    bilan = envoyer(campagne, actor=SYSTEM, au=au)

    recus = boite.par_destinataire()
    expected = {REF93, REF13, PREF_IDF} | ({COMMISSION} if au.weekday() == 0 else set())
    assert set(recus) == expected  # inactive and admin accounts get nothing; commission on Mondays only
    assert (bilan.messages, bilan.echecs) == (len(expected), 0)
    ref93 = recus[REF93]
    assert ref93["From"] == "relances@quartiers2030.gouv.fr"
    assert ref93["Subject"].startswith("Quartiers 2030 : ")
    assert ref93["Subject"].endswith(f"au {au:%d/%m/%Y}")
    body = texte(ref93)
    for line in ATTENDU[au]:
        assert line in body, (line, body)
    # Each line opens the place to act: the rencontre, or a new rencontre planned on the quartier.
    assert "https://q2030.example.gouv.fr/Rencontres?rencontre=" in body
    assert "https://q2030.example.gouv.fr/Rencontres?planifier=QN09302M&departement=93" in body
    assert "Synthèse aux participants" in html_part(ref93) or "Synthèses aux participants" in html_part(ref93)
    # Not yet due: the compte rendu of the 15/07 meeting the day before (14 days).
    if au == dt.date(2023, 7, 29):
        assert "Rencontre du 15/07/2023 (Salle 15/07) : tenue" not in body
    # Each one's scope only, and never a contribution text.
    assert "QN01301M" in texte(recus[REF13])
    assert "QN09302M" not in texte(recus[REF13])
    assert "Rencontre du" not in texte(recus[REF13])
    for message in boite.recus:
        assert SECRET not in message.as_string()
    region = texte(recus[PREF_IDF])
    assert "Seine-Saint-Denis (93) : 1 QPV couverts sur 2" in region or au >= dt.date(2023, 7, 31)
    assert "Val-de-Marne (94) : synthèse reçue le 20/07/2023, à transmettre à la commission" in region
    assert "https://q2030.example.gouv.fr/Syntheses" in region
    assert "QN01301M" not in region
    if au.weekday() == 0:
        assert recus[COMMISSION]["Subject"] == "Quartiers 2030 : bilan hebdomadaire du 31/07/2023"
        assert "Couverture nationale : 2 QPV couverts sur 4" in texte(recus[COMMISSION])


def test_a_second_run_the_same_day_sends_nothing_twice(campagne: Session, boite: Boite) -> None:
    au = dt.date(2023, 7, 30)
    first = envoyer(campagne, actor=SYSTEM, au=au)
    second = envoyer(campagne, actor=SYSTEM, au=au)

    assert first.messages == 3
    assert (second.destinataires, second.messages) == (0, 0)
    assert len(boite.recus) == 3
    runs = campagne.exec(select(RelanceExecution).order_by(col(RelanceExecution.id))).all()
    assert [(r.messages, r.echecs) for r in runs] == [(3, 0), (0, 0)]
    # A new item the same day still goes out, alone.
    factories.qpv(campagne, "QN09303M", "93")
    campagne.commit()
    envoyer(campagne, actor=SYSTEM, au=au)
    assert len(boite.recus) == 4
    last = texte(boite.recus[-1])
    assert "QN09303M" in last
    assert "QN09302M" not in last
    # The next day, the reminders come back.
    envoyer(campagne, actor=SYSTEM, au=au + dt.timedelta(days=1))
    assert "QN09302M" in texte(boite.par_destinataire()[REF93])


def test_a_failing_recipient_does_not_stop_the_others(campagne: Session, boite: Boite, engine: Engine) -> None:
    boite.refuse = {REF13}
    au = dt.date(2023, 7, 30)
    bilan = envoyer(campagne, actor=SYSTEM, au=au)

    assert set(boite.par_destinataire()) == {REF93, PREF_IDF}
    assert (bilan.messages, bilan.echecs) == (2, 1)
    with Session(engine) as other:
        run = other.get(RelanceExecution, bilan.execution_id)
        assert run is not None
        assert run.erreurs[0]["email"] == REF13
        assert "550" in run.erreurs[0]["erreur"]
        assert not other.exec(select(RelanceEnvoi).where(RelanceEnvoi.email == REF13)).all()
    # Once the mailbox accepts it, the next run sends that one only.
    boite.refuse = set()
    again = envoyer(campagne, actor=SYSTEM, au=au)
    assert again.messages == 1
    assert str(boite.recus[-1]["To"]) == REF13


def test_opt_out_per_kind_is_honoured(campagne: Session, boite: Boite) -> None:
    referent = Actor(email=REF93, role="referent", departement_code="93", region_code="11")
    enregistrer_desabonnements(campagne, actor=referent, desabonnes=["quartiers"])
    everything = Actor(email=REF13, role="referent", departement_code="13", region_code="93")
    enregistrer_desabonnements(campagne, actor=everything, desabonnes=["quartiers", "comptes_rendus"])
    campagne.commit()

    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 30))

    recus = boite.par_destinataire()
    assert REF13 not in recus  # its only line was a quartier
    body = texte(recus[REF93])
    assert "QN09302M" not in body
    assert "synthèse aux participants" in body
    with pytest.raises(Exception, match="inconnu"):
        enregistrer_desabonnements(campagne, actor=referent, desabonnes=["bilan_hebdomadaire"])


def test_preparation_and_end_of_campaign(campagne: Session) -> None:
    late = {d.email: d for d in digests(campagne, actor=SYSTEM, au=dt.date(2023, 8, 15))}
    attendue = (
        "Seine-Saint-Denis (93) : synthèse départementale pas encore reçue ; échéance le 01/09/2023 (dans 17 jours)"
    )
    assert attendue in texte_digest(late[PREF_IDF])
    assert "Synthèse départementale : prochaine étape, la transmettre à la préfecture de région" in texte_digest(
        late[REF93]
    )
    assert digests(campagne, actor=SYSTEM, au=dt.date(2024, 1, 15)) == []  # campaign over


def test_dry_run_prints_and_sends_nothing(
    campagne: Session, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("Q2030_DATABASE_URL", database_url)
    monkeypatch.delenv("Q2030_SMTP_URL", raising=False)

    assert main(["relances", "--au", "31/07/2023"]) == 0

    out = capsys.readouterr().out
    assert f"À : {REF93}" in out
    assert f"À : {COMMISSION}" in out
    assert "4 relances à envoyer (simulation" in out
    campagne.expire_all()
    assert not campagne.exec(select(RelanceEnvoi)).all()
    assert main(["relances", "--au", "31/07/2023", "--envoyer"]) == 2  # no SMTP configured: a French message
    assert "Q2030_SMTP_URL n'est pas défini" in capsys.readouterr().err


def test_admin_tab_shows_the_last_runs_and_a_preview(campagne: Session, boite: Boite, app_env: str) -> None:
    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 30))
    at = open_tab(open_app(role="admin").switch_page(ADMIN_PAGE).run(), ADMIN_SECTIONS_KEY, "Relances")
    tab = next(t for t in at.tabs if t.label == "Relances")
    runs = tab.dataframe[0].value
    assert list(runs["Jour calculé"]) == ["30/07/2023"]
    assert list(runs["Messages envoyés"]) == ["3"]

    user_id = campagne.exec(select(User.id).where(User.email == REF93)).one()
    tab.selectbox(key="relances_apercu_user").set_value(user_id)
    tab.date_input(key="relances_apercu_au").set_value(dt.date(2023, 7, 31))
    at.run()
    assert not at.exception
    preview = next(t for t in at.tabs if t.label == "Relances").code[0].value
    assert "(en retard de 1 jour)" in preview
    assert SECRET not in preview
    assert any("points à suivre au 31/07/2023" in m.value for m in at.markdown)


def test_a_referent_opts_out_on_the_home_page(campagne: Session, boite: Boite, app_env: str) -> None:
    email = "referent.93@demo.gouv.fr"  # the demo référent of the 93 (q2030.ui.shell)
    campagne.add(User(email=email, role="referent", departement_code="93"))
    campagne.commit()
    at = open_app(role="referent", departement="93")
    assert not at.exception
    at.checkbox(key="relance_quartiers").uncheck()
    at.button(key="FormSubmitter:mes_relances-Enregistrer mes relances").click().run()
    assert any("préférences de relance sont enregistrées" in s.value for s in at.success)

    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 30))
    body = texte(boite.par_destinataire()[email])
    assert "QN09302M" not in body
    assert "compte rendu non déposé" in body
    assert "QN09302M" in texte(boite.par_destinataire()[REF93])  # the other référent of the 93 did not opt out


def test_credentials_never_go_in_clear(campagne: Session, boite: Boite, monkeypatch: pytest.MonkeyPatch) -> None:
    port = os.environ["Q2030_SMTP_URL"].rsplit(":", 1)[1]
    monkeypatch.setenv("Q2030_SMTP_URL", f"smtp://relances:mot%40passe@127.0.0.1:{port}")  # no STARTTLS offered

    bilan = envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 30))

    assert (bilan.messages, bilan.echecs) == (0, 3)
    assert boite.recus == []
    run = campagne.get(RelanceExecution, bilan.execution_id)
    assert run is not None
    assert "ne propose pas STARTTLS" in run.erreurs[0]["erreur"]
    assert not campagne.exec(select(RelanceEnvoi)).all()  # all retried at the next run


def test_two_runs_at_once_send_each_message_once(campagne: Session, boite: Boite, engine: Engine) -> None:
    au = dt.date(2023, 7, 30)
    results: list[int] = []

    def run() -> None:
        with Session(engine, expire_on_commit=False) as own:
            results.append(envoyer(own, actor=SYSTEM, au=au).messages)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(str(m["To"]) for m in boite.recus) == sorted([REF93, REF13, PREF_IDF])
    assert sum(results) == 3


def test_an_unreachable_server_is_not_tried_for_every_recipient(
    campagne: Session, boite: Boite, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("Q2030_SMTP_URL", f"smtp://127.0.0.1:{closed}")

    bilan = envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 31))  # a Monday: four recipients

    assert (bilan.messages, bilan.echecs) == (0, 4)
    run = campagne.get(RelanceExecution, bilan.execution_id)
    assert run is not None
    assert [e["erreur"].startswith("Non tenté") for e in run.erreurs] == [False, False, False, True]
    assert not campagne.exec(select(RelanceEnvoi)).all()


def _section(body: str, title: str) -> list[str]:
    """The item lines of one section of the plain-text digest."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        if line.startswith("- "):
            out.append(line)
    return out


def test_digest_reads_summary_first_groups_caps_and_marks_what_changed(campagne: Session, boite: Boite) -> None:
    for n in range(3, 15):  # 13 quartiers of the 93 without a rencontre
        factories.qpv(campagne, f"QN093{n:02d}M", "93")
    campagne.commit()
    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 29))
    first = texte(boite.par_destinataire()[REF93])
    lines = first.splitlines()
    assert lines[2] == "13 quartiers sans rencontre, 1 synthèse aux participants à envoyer, 1 compte rendu à déposer."
    quartiers = _section(first, "Quartiers sans rencontre (13)")
    assert len(quartiers) == 11  # ten items, then the way to the full list
    assert quartiers[-1] == "- … et 3 autres : liste complète sur https://q2030.example.gouv.fr/Mon_departement"
    assert "[Nouveau]" not in first  # a first digest marks nothing: everything would be new
    html = html_part(boite.par_destinataire()[REF93])
    assert "<strong>13 quartiers sans rencontre, 1 synthèse aux participants à envoyer, 1 compte" in html
    assert "ouvrir la page" not in html
    assert "voir la liste complète" in html

    # The next day: one new quartier, one that now has a rencontre planned, the rest as before.
    factories.qpv(campagne, "QN09399M", "93")
    factories.rencontre(campagne, departement="93", date=dt.date(2023, 8, 20), qpv=["QN09314M"], statut="prevue")
    campagne.commit()
    boite.recus.clear()
    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 30))
    second = texte(boite.par_destinataire()[REF93])
    assert second.splitlines()[2] == (
        "14 quartiers sans rencontre, 1 synthèse aux participants à envoyer, 2 comptes rendus à déposer ; "
        "3 nouveautés depuis le dernier message."
    )
    quartiers = _section(second, "Quartiers sans rencontre (14)")
    assert quartiers[0].startswith("- [Nouveau] Quartier QN09399M (QN09399M) : aucune rencontre prévue")
    assert quartiers[1].startswith("- [Modifié] Quartier QN09314M (QN09314M) : rencontre prévue le 20/08/2023")
    assert not any("[" in line for line in quartiers[2:])
    assert quartiers[-1] == "- … et 4 autres : liste complète sur https://q2030.example.gouv.fr/Mon_departement"
    # The day after the due date, the synthesis to participants is late: changed, and said so first.
    boite.recus.clear()
    envoyer(campagne, actor=SYSTEM, au=dt.date(2023, 7, 31))
    third = texte(boite.par_destinataire()[REF93])
    assert third.splitlines()[2].startswith("14 quartiers sans rencontre, 1 synthèse aux participants en retard")
    assert "- [Modifié] Rencontre du 30/06/2023 (Salle 30/06) : synthèse aux participants" in third
