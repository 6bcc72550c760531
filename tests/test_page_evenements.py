"""« Échanges Excel », section « Rencontres d'une plateforme » (issue 22 item 6), driven through
its widgets: upload, guessed columns corrected, preview, explicit import, twice = once."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from q2030.access import SYSTEM
from q2030.db import session_scope
from q2030.models import AuditEvent, Rencontre
from q2030.qpv_import import import_qpv
from tests.evenements_data import decidim_csv, openagenda_cp1252
from tests.helpers import open_app
from tests.test_evenements import QPV_CSV

PAGE = "pages/7_Excel.py"


def _count(engine: Engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _quartiers(engine: Engine) -> None:
    with session_scope(engine) as session:
        import_qpv(session, actor=SYSTEM, content=QPV_CSV.encode(), filename="qpv.csv", geographie="2024")


def test_referent_previews_corrects_and_imports_a_platform_event_list(app_env: str, engine: Engine) -> None:
    _quartiers(engine)
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGE).run()
    assert not at.exception
    assert any("4. Importer les rencontres d'une plateforme" in h.value for h in at.subheader)
    at.file_uploader(key="ev_upload").set_value(("export-decidim.csv", decidim_csv(), "text/csv")).run()
    assert not at.exception
    titre = next(s for s in at.selectbox if s.key and s.key.endswith("_titre"))
    assert titre.value == "title/fr"  # the guess, shown and correctable
    assert any("Nommez la source" in i.value for i in at.info)
    before = (_count(engine, Rencontre), _count(engine, AuditEvent))

    at.text_input(key="ev_source").input("decidim-93").run()
    assert not at.exception
    apercu = at.dataframe[-1].value
    assert list(apercu["Import"]) == ["À créer"] * 3
    assert list(apercu["Localisation"]) == ["Cité A", "commune de Saint-Denis", "à préciser"]
    assert list(apercu["Date"]) == ["15/06/2023", "20/06/2023", "01/06/2099"]
    assert list(apercu["Statut"]) == ["Tenue", "Tenue", "Prévue"]
    assert any("3 rencontres à créer" in m.value and "1 à localiser" in m.value for m in at.markdown)
    assert (_count(engine, Rencontre), _count(engine, AuditEvent)) == before  # the preview writes nothing

    # A column corrected by the user: the title now comes from the location column.
    titre = next(s for s in at.selectbox if s.key and s.key.endswith("_titre"))
    titre.select("location/fr").run()
    assert list(at.dataframe[-1].value["Titre"]) == ["Salle des fêtes", "Maison de la jeunesse", "Entrée du parc"]
    titre = next(s for s in at.selectbox if s.key and s.key.endswith("_titre"))
    titre.select("title/fr").run()

    button = at.button(key="ev_import")
    assert button.label == "Importer 3 rencontres"
    button.click().run()
    assert not at.exception
    notice = [s.value for s in at.success]
    assert any("3 rencontres créées" in s and "À valider" in s for s in notice), notice
    assert _count(engine, Rencontre) == 3
    with Session(engine) as session:
        assert set(session.exec(select(Rencontre.validation))) == {"a_valider"}
    # The page now previews the same file as already imported: nothing left to import.
    assert list(at.dataframe[-1].value["Import"]) == ["Inchangée"] * 3
    assert at.button(key="ev_import").disabled


def test_a_refused_file_shows_row_column_and_value_and_no_import_button(app_env: str, engine: Engine) -> None:
    _quartiers(engine)
    at = open_app(role="referent", departement="93")
    at.switch_page(PAGE).run()
    bad = openagenda_cp1252().replace(b"22/06/2023 18:00", b"bient\xf4t")  # Windows-1252 « ô »
    at.file_uploader(key="ev_upload").set_value(("openagenda.csv", bad, "text/csv")).run()
    at.text_input(key="ev_source").input("openagenda-93").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "rien ne sera importé" in errors
    assert "Ligne 2, colonne « Première date - Début » : date illisible « bientôt »" in errors
    assert not [b for b in at.button if b.key == "ev_import"]
    assert _count(engine, Rencontre) == 0
