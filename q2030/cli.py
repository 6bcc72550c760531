"""Command line: `python -m q2030 COMMAND`. Every command upgrades the schema first."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from q2030.access import SYSTEM, Actor
from q2030.bootstrap import prepare_database
from q2030.db import database_url, make_engine, session_scope
from q2030.errors import DepartementInconnu, Q2030Error, ValidationError
from q2030.formatting import fr_count
from q2030.frontieres import ArgumentLibre, JsonValeur
from q2030.nomenclature import STATUTS_RENCONTRE, Role

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(
    name: str,
    help_text: str,
    arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None,
) -> Callable[[Command], Command]:
    def register(function: Command) -> Command:
        COMMANDS[name] = (function, arguments, help_text)
        return function

    return register


def _engine() -> Engine:
    from q2030 import feeds

    engine = connect(database_url())
    prepare_database(engine)
    # The public .ics feeds exist as soon as a command ran (`upgrade` at deployment, imports):
    # written now, and rewritten after each write of the command (q2030.apres_ecriture).
    feeds.install(engine)
    return engine


def connect(url: str, *, role: str = "Base de données (Q2030_DATABASE_URL)", must_exist: bool = False) -> Engine:
    """An engine that answered: a malformed or unreachable address is a French error, and a
    SQLite source that must exist is never created (make_engine and SQLite create files)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Q2030Error(
            f"{role} : adresse invalide. Exemples : sqlite:///data/q2030.db, postgresql+psycopg://utilisateur@hôte/base."
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    if must_exist and parsed.get_backend_name() == "sqlite":
        file = parsed.database or ""
        if file in ("", ":memory:") or not Path(file).is_file():
            raise Q2030Error(f"{role} : fichier SQLite introuvable ({file or 'aucun chemin'}) ; rien n'a été créé.")
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
    except (ArgumentError, ImportError):
        raise Q2030Error(f"{role} : type de base non pris en charge ({shown}).") from None
    except (DBAPIError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
        raise Q2030Error(f"{role} injoignable : {shown} ({reason}).") from None
    return engine


def output_file(path: Path) -> Path:
    """A file to write: checked before any work, so that a bad path writes nothing."""
    if path.is_dir():
        raise Q2030Error(f"{path} est un dossier : indiquez un nom de fichier.")
    if not path.parent.is_dir():
        raise Q2030Error(f"Dossier introuvable : {path.parent} (créez-le d'abord) ; rien n'a été écrit.")
    return path


def output_folder(path: Path) -> Path:
    """A folder to write into (created if missing, inside an existing parent)."""
    if path.exists() and not path.is_dir():
        raise Q2030Error(f"{path} est un fichier existant : indiquez un dossier ; rien n'a été écrit.")
    if not path.parent.is_dir():
        raise Q2030Error(f"Dossier introuvable : {path.parent} (créez-le d'abord) ; rien n'a été écrit.")
    return path


def read_json(path: Path) -> JsonValeur:
    """A UTF-8 JSON file named on the command line; French errors otherwise."""
    raw = read_input(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Q2030Error(f"{path} n'est pas encodé en UTF-8 : enregistrez-le en UTF-8 puis recommencez.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise Q2030Error(
            f"{path} n'est pas un JSON valide (ligne {error.lineno}, colonne {error.colno} : {error.msg})."
        ) from None


@command("upgrade", "met le schéma de la base à jour (Alembic) et charge le référentiel")
def cmd_upgrade(_args: argparse.Namespace) -> int:
    engine = _engine()
    print(f"Base à jour : {engine.url.render_as_string(hide_password=True)}")
    return 0


def read_mapping(path: Path | None) -> dict[str, JsonValeur] | None:
    """A column mapping (`--correspondance`): a JSON object, or None when the option is absent."""
    if path is None:
        return None
    mapping = read_json(path)
    if not isinstance(mapping, dict):
        raise Q2030Error(f"{path} : la correspondance doit être un objet JSON ({{...}}).")
    return mapping


def read_input(path: Path) -> bytes:
    """The bytes of a file named on the command line; a French error when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise Q2030Error(f"Fichier introuvable : {path}") from None
    except IsADirectoryError:
        raise Q2030Error(f"{path} est un dossier : indiquez un fichier.") from None
    except PermissionError:
        raise Q2030Error(f"Lecture refusée par le système : {path} (droits du fichier).") from None
    except OSError as error:
        raise Q2030Error(f"Lecture impossible de {path} : {error.strerror or error}.") from None


def _import_qpv_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="fichier CSV ou XLSX des quartiers")
    parser.add_argument(
        "--geography",
        choices=["2024", "2015"],
        default="2024",
        help="géographie prioritaire",
    )


@command("import-qpv", "importe la liste officielle des QPV (CSV ou XLSX)", _import_qpv_args)
def cmd_import_qpv(args: argparse.Namespace) -> int:
    from q2030.qpv_import import import_qpv

    content = read_input(args.file)
    started = time.perf_counter()
    with session_scope(_engine()) as session:
        report = import_qpv(
            session,
            actor=SYSTEM,
            content=content,
            filename=args.file.name,
            geographie=args.geography,
        )
    print("\n".join(report.lines()))
    print(f"{report.total} quartiers lus en {time.perf_counter() - started:.2f} s.")
    return 0


def _demo_args(parser: argparse.ArgumentParser) -> None:
    from q2030.demo import SCALES

    parser.add_argument("--qpv", type=Path, help="liste des QPV (sinon : quartiers fictifs)")
    parser.add_argument("--seed", type=int, default=2023, help="graine (même graine, mêmes données)")
    parser.add_argument("--scale", choices=list(SCALES), default="campagne", help="volume généré")


@command("demo", "remplit une base vide avec une campagne de démonstration", _demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    from q2030.demo import load_demo
    from q2030.demo_comptes import load_comptes

    if args.qpv is not None:
        read_input(args.qpv)  # a missing list: a French error before anything is written
    started = time.perf_counter()

    def progress(fraction: float, message: str) -> None:
        print(
            f"\r{fraction:>4.0%} {message}".ljust(60),
            end="",
            file=sys.stderr,
            flush=True,
        )

    with session_scope(_engine()) as session:
        report = load_demo(
            session,
            actor=SYSTEM,
            qpv_file=args.qpv,
            seed=args.seed,
            scale=args.scale,
            progress=progress,
        )
        comptes = load_comptes(session, actor=SYSTEM)
    print(file=sys.stderr)
    print(
        f"{comptes.comptes} comptes de démonstration (tous les rôles), {comptes.declarees} rencontres déclarées "
        f"par des organisateurs locaux dont {comptes.validees} validées."
    )
    print(
        f"{report.qpv} QPV, {report.rencontres} rencontres ({_par_statut(report.by_statut)}), "
        f"{report.contributions} contributions en {time.perf_counter() - started:.1f} s."
    )
    return 0


def _par_statut(by_statut: dict[str, int]) -> str:
    """« 480 tenues, 40 prévues, 11 annulées »: the demo's meetings by status, in words."""
    return ", ".join(
        fr_count(by_statut[statut], label.lower()) for statut, label in STATUTS_RENCONTRE.items() if statut in by_statut
    )


def _departement_code(raw: str) -> str:
    """The département code typed on the command line (« 2a » → « 2A »), or DepartementInconnu."""
    from q2030.referentiel import DEPARTEMENTS

    code = raw.strip().upper()
    if code not in DEPARTEMENTS:
        raise DepartementInconnu(raw)
    return code


def _departement_referent(departement_code: str) -> Actor:
    """The CLI writes rencontres as the département's référent, never as SYSTEM.

    Only a référent may write a département's rencontres (q2030.access): the import keeps
    that rule and records "cli.referent.<dep>@q2030" as the author in the audit log.
    """
    from q2030.referentiel import DEPARTEMENTS

    code = _departement_code(departement_code)
    nom, region = DEPARTEMENTS[code]
    return Actor(
        email=f"cli.referent.{code.lower()}@q2030",
        role=Role.REFERENT,
        departement_code=code,
        region_code=region,
        nom=f"Référent {nom} (ligne de commande)",
    )


def _import_rencontres_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="modèle de saisie rempli (.xlsx)")
    parser.add_argument("--departement", required=True, help="code du département (93, 2A, 971…)")


@command(
    "import-rencontres",
    "importe un modèle de saisie Excel rempli (tout ou rien ; ré-importer ne change rien)",
    _import_rencontres_args,
)
def cmd_import_rencontres(args: argparse.Namespace) -> int:
    from q2030.excel.importer import ImportRefuse, import_workbook

    code = _departement_code(args.departement)
    actor = _departement_referent(code)
    content = read_input(args.file)

    def progress(fraction: float, message: str) -> None:
        print(f"\r{fraction:>4.0%} {message}".ljust(60), end="", file=sys.stderr, flush=True)

    try:
        with session_scope(_engine()) as session:
            report = import_workbook(
                session,
                actor=actor,
                departement_code=code,
                content=content,
                progress=progress,
            )
    except ImportRefuse as refused:
        print(file=sys.stderr)
        print("\n".join(refused.report.lines()), file=sys.stderr)
        return 1
    print(file=sys.stderr)
    print("\n".join(report.lines()))
    return 0


def _export_modele_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--departement", required=True, help="code du département (93, 2A, 971…)")
    parser.add_argument("out", type=Path, help="fichier .xlsx à écrire")


@command(
    "export-modele",
    "écrit le modèle de saisie Excel du département, pré-rempli (le même que la page Échanges Excel)",
    _export_modele_args,
)
def cmd_export_modele(args: argparse.Namespace) -> int:
    from q2030.excel.template import build_template

    code = _departement_code(args.departement)
    actor = _departement_referent(code)
    output_file(args.out)
    with session_scope(_engine()) as session:
        content = build_template(session, actor=actor, departement_code=code)
    args.out.write_bytes(content)
    print(f"{args.out} : modèle de saisie du département {code} ({len(content)} octets).")
    return 0


def _export_synthese_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--departement", required=True, help="code du département")
    parser.add_argument("out", type=Path, help="fichier .xlsx à écrire")


@command("export-synthese", "écrit le classeur de synthèse départementale (.xlsx)", _export_synthese_args)
def cmd_export_synthese(args: argparse.Namespace) -> int:
    from q2030.excel.exports import export_departement

    code = _departement_code(args.departement)
    output_file(args.out)
    with session_scope(_engine()) as session:  # reading: the national SYSTEM actor may
        summary = export_departement(session, actor=SYSTEM, departement_code=code, out=str(args.out))
    print(f"{args.out} : " + ", ".join(f"{name} {count}" for name, count in summary.sheets.items()) + " lignes.")
    return 0


def _rediger_synthese_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--departement", help="code du département (ex. 93, 2A)")
    parser.add_argument("--tous", action="store_true", help="tous les départements : SORTIE est un dossier")
    parser.add_argument("--format", choices=["docx", "odt"], help="avec --tous (défaut : docx)")
    _au_arg(parser)
    parser.add_argument("out", type=Path, help="fichier .docx ou .odt à écrire (un dossier avec --tous)")


def _au_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--au",
        type=_jour,
        help="situation au JJ/MM/AAAA (par défaut, comme les pages : aujourd'hui, ou la fin de la fenêtre de "
        "restitution d'une campagne terminée)",
    )


def _format_of(out: Path) -> str | None:
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("docx", "odt"):
        print("Erreur : le fichier de sortie doit se terminer par .docx ou .odt.", file=sys.stderr)
        return None
    return fmt


@command(
    "rediger-synthese",
    "rédige le projet de synthèse départementale, modifiable (.docx ou .odt)",
    _rediger_synthese_args,
)
def cmd_rediger_synthese(args: argparse.Namespace) -> int:
    from q2030.redaction import rediger_synthese
    from q2030.referentiel import DEPARTEMENTS

    started = time.perf_counter()
    if args.tous:
        fmt = args.format or "docx"
        output_folder(args.out).mkdir(exist_ok=True)
        with session_scope(_engine()) as session:
            for code in DEPARTEMENTS:
                content = rediger_synthese(session, actor=SYSTEM, departement_code=code, fmt=fmt, au=args.au)
                (args.out / f"synthese-{code}.{fmt}").write_bytes(content)
        print(f"{len(DEPARTEMENTS)} synthèses écrites dans {args.out} en {time.perf_counter() - started:.1f} s.")
        return 0
    if not args.departement:
        print("Erreur : indiquez --departement CODE (ou --tous).", file=sys.stderr)
        return 2
    fmt = _format_of(args.out)
    if fmt is None:
        return 2
    code = _departement_code(args.departement)
    output_file(args.out)
    with session_scope(_engine()) as session:
        content = rediger_synthese(session, actor=SYSTEM, departement_code=code, fmt=fmt, au=args.au)
    args.out.write_bytes(content)
    print(f"{args.out} : {len(content) / 1024:.0f} Kio en {time.perf_counter() - started:.1f} s.")
    return 0


def _rediger_lettre_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rencontre", required=True, help="numéro de la rencontre (tenue)")
    _au_arg(parser)
    parser.add_argument("out", type=Path, help="fichier .docx ou .odt à écrire")


@command(
    "rediger-lettre",
    "rédige la synthèse aux participants d'une rencontre tenue, modifiable (.docx ou .odt)",
    _rediger_lettre_args,
)
def cmd_rediger_lettre(args: argparse.Namespace) -> int:
    from q2030.parametres import identifiant
    from q2030.redaction import rediger_lettre

    fmt = _format_of(args.out)
    if fmt is None:
        return 2
    rencontre_id = identifiant(args.rencontre)  # bounded: the same answer as an unknown number
    if rencontre_id is None:
        raise Q2030Error(f"Rencontre introuvable : n° {args.rencontre[:20]}.")
    output_file(args.out)
    with session_scope(_engine()) as session:
        content = rediger_lettre(session, actor=SYSTEM, rencontre_id=rencontre_id, fmt=fmt, au=args.au)
    args.out.write_bytes(content)
    print(f"{args.out} : {len(content) / 1024:.0f} Kio.")
    return 0


def _export_national_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="fichier à écrire (.xlsx, ou .zip pour csv et parquet)")
    parser.add_argument(
        "--format", choices=["xlsx", "csv", "parquet"], default="xlsx", help="classeur, ou un CSV / Parquet par feuille"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="mesure aussi le pic Python (plus lent)")


@command("export-national", "écrit l'export national (.xlsx, ou CSV / Parquet)", _export_national_args)
def cmd_export_national(args: argparse.Namespace) -> int:
    import resource
    import tracemalloc

    from q2030.excel.exports import export_national

    def progress(fraction: float, message: str) -> None:
        print(f"\r{fraction:>4.0%} {message}".ljust(60), end="", file=sys.stderr, flush=True)

    output_file(args.out)
    engine = _engine()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    with session_scope(engine) as session:
        summary = export_national(session, actor=SYSTEM, out=str(args.out), progress=progress, format=args.format)
    elapsed = time.perf_counter() - started
    traced = ""
    if args.tracemalloc:
        traced = f" ; pic Python (tracemalloc) {tracemalloc.get_traced_memory()[1] / 2**20:.0f} Mio"
    print(file=sys.stderr)
    print(f"{args.out} : " + ", ".join(f"{name} {count}" for name, count in summary.sheets.items()) + " lignes.")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.1f} s{traced} ; pic du processus (maxrss) {rss:.0f} Mio.")
    return 0


def _copy_db_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="URL de la base source (ex. sqlite:///data/q2030.db)")
    parser.add_argument("target", help="URL de la base cible, vide (ex. postgresql+psycopg://u@hôte/base)")


@command("copy-db", "copie toutes les données d'une base vers une base vide (SQLite -> PostgreSQL)", _copy_db_args)
def cmd_copy_db(args: argparse.Namespace) -> int:
    from q2030.copydb import copy_database

    started = time.perf_counter()
    source = connect(args.source, role="Base source", must_exist=True)
    target = connect(args.target, role="Base cible")
    counts = copy_database(source, target, progress=lambda table, n: print(f"{table:<24} {n:>10}"))
    print(f"{sum(counts.values())} lignes copiées en {time.perf_counter() - started:.1f} s.")
    return 0


@command("rebuild-agregats", "recalcule les agrégats des priorités (tables cube_*) à partir des contributions")
def cmd_rebuild_agregats(_args: argparse.Namespace) -> int:
    from q2030.apres_ecriture import bump_data_version
    from q2030.cube import reconstruire

    started = time.perf_counter()
    with session_scope(_engine()) as session:
        counts = reconstruire(session)
        bump_data_version(session)  # the cached rankings are read again
    lignes = ", ".join(f"{table} : {n}" for table, n in counts.items())
    print(f"Agrégats recalculés en {time.perf_counter() - started:.1f} s ({lignes}).")
    return 0


def _add_user_args(parser: argparse.ArgumentParser) -> None:
    from q2030.nomenclature import ROLES

    parser.add_argument("email", help="adresse électronique ProConnect")
    parser.add_argument("--role", choices=list(ROLES), default=Role.ADMIN, help="rôle (défaut : admin)")
    parser.add_argument("--nom", default="", help="nom affiché")
    parser.add_argument("--departement", help="département d'un référent ou d'un organisateur (ex. 93, 2A)")
    parser.add_argument("--organisation", default="", help="organisation d'un organisateur local (ex. Centre social)")
    parser.add_argument("--type-organisation", default="", help="commune, epci, centre_social, association…")
    parser.add_argument("--territoires", default="", help="quartiers (codes QPV) ou communes (INSEE), séparés par ,")
    parser.add_argument("--region", help="région d'une préfecture de région (code INSEE, ex. 11)")
    parser.add_argument(
        "--inviter",
        action="store_true",
        help="organisateur : envoie l'invitation par courriel avec l'adresse de connexion (Q2030_SMTP_URL)",
    )


@command("add-user", "crée un compte (le premier administrateur en mode oidc)", _add_user_args)
def cmd_add_user(args: argparse.Namespace) -> int:
    from q2030.invitations import inviter_organisateur
    from q2030.users import add_user

    compte: dict[str, ArgumentLibre] = {  # what both paths take from the command line
        "email": args.email,
        "nom": args.nom,
        "departement_code": args.departement,
        "organisation": args.organisation,
        "organisation_type": args.type_organisation,
        "territoires": [t for t in args.territoires.split(",") if t.strip()],
    }
    with session_scope(_engine()) as session:
        role_demande: str = args.role  # a command-line value to check, not a permission decision
        if args.inviter:
            if role_demande != Role.ORGANISATEUR:
                raise Q2030Error("--inviter ne s'emploie qu'avec --role organisateur.")
            user = inviter_organisateur(session, actor=SYSTEM, **compte)
            print(f"Compte créé et invitation envoyée : {user.email} ({user.organisation}).")
            return 0
        user = add_user(session, actor=SYSTEM, role=role_demande, region_code=args.region, **compte)
        suffix = f", {user.organisation}" if user.organisation else ""
        print(f"Compte créé : {user.email} ({user.role}{suffix}).")
    return 0


def _evenements_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("fichier", type=Path, help="export CSV des événements (Decidim, Cap Collectif, OpenAgenda…)")
    parser.add_argument("--source", required=True, help="nom de la plateforme, ex. decidim-saint-denis")
    parser.add_argument("--departement", required=True, help="département des rencontres (ex. 93)")
    parser.add_argument("--correspondance", type=Path, help="JSON {rôle: titre de colonne} qui remplace la devinette")
    parser.add_argument("--apercu", action="store_true", help="affiche ce qui serait fait, sans rien écrire")


@command(
    "import-evenements",
    "importe la liste des rencontres d'une plateforme (à valider par le référent)",
    _evenements_args,
)
def cmd_import_evenements(args: argparse.Namespace) -> int:
    from q2030.access import region_of
    from q2030.evenements import importer_evenements

    content = read_input(args.fichier)
    correspondance = read_mapping(args.correspondance)
    dep = (args.departement or "").strip().upper()
    # The command line acts for the référent of the département (like `import-qpv` for the administrator).
    actor = Actor(
        email="import-evenements@q2030",
        role=Role.REFERENT,
        departement_code=dep,
        region_code=region_of(dep),
        nom="Import d'événements (ligne de commande)",
    )
    with session_scope(_engine()) as session:
        report = importer_evenements(
            session,
            actor=actor,
            content=content,
            source=args.source,
            departement_code=dep,
            correspondance=correspondance,
            apercu=args.apercu,
            filename=args.fichier.name,
        )
        if args.apercu:
            session.rollback()
    print(("Aperçu (rien n'est écrit). " if args.apercu else "") + report.texte())
    return 0


def _open_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="dossier où écrire les CSV et datapackage.json")


@command(
    "export-donnees-ouvertes",
    "écrit les données publiées et agrégées (CSV + datapackage.json Frictionless)",
    _open_data_args,
)
def cmd_export_open_data(args: argparse.Namespace) -> int:
    from q2030 import open_data

    output_folder(args.folder)
    with session_scope(_engine()) as session:
        written = open_data.write(session, args.folder)
    for path in written:
        print(path)
    return 0


@command("agendas", "régénère les agendas publics (.ics par département, static/agenda/)")
def cmd_agendas(_args: argparse.Namespace) -> int:
    from q2030 import feeds

    with session_scope(_engine()) as session:
        changed = feeds.write_feeds(session)
    print(
        f"Agendas publics à jour dans {feeds.default_dir()} "
        f"({fr_count(changed, 'fichier modifié', 'fichiers modifiés')})."
    )
    return 0


def _import_questionnaire_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="export du questionnaire en ligne (.csv ou .xlsx)")
    parser.add_argument(
        "--source",
        required=True,
        help="nom de la source des réponses (« Plateforme nationale », « Decidim Lyon »…) : une réponse est "
        "identifiée par sa source et son identifiant",
    )
    parser.add_argument(
        "--correspondance",
        type=Path,
        help="correspondance des colonnes (JSON) à enregistrer d'abord pour cette source",
    )
    parser.add_argument(
        "--remplacer",
        action="store_true",
        help="le fichier est toute la source : ses réponses absentes du fichier sont retirées",
    )


@command(
    "import-questionnaire",
    "importe les réponses au questionnaire en ligne (tout ou rien ; ré-importer ne change rien)",
    _import_questionnaire_args,
)
def cmd_import_questionnaire(args: argparse.Namespace) -> int:
    from q2030 import questionnaire

    def progress(fraction: float, message: str) -> None:
        print(f"\r{fraction:>4.0%} {message}".ljust(60), end="", file=sys.stderr, flush=True)

    started = time.perf_counter()
    content = read_input(args.file)
    mapping = read_mapping(args.correspondance)
    try:
        with session_scope(_engine()) as session:  # the mapping and the answers: all or nothing
            if mapping is not None:
                forme = questionnaire.Format.de(questionnaire.valider_correspondance(mapping))
                colonnes = questionnaire.ouvrir(content, args.file.name, forme).colonnes
                questionnaire.enregistrer_correspondance(
                    session, actor=SYSTEM, source=args.source, contenu=mapping, colonnes_fichier=colonnes
                )
            report = questionnaire.importer(
                session, actor=SYSTEM, source=args.source, content=content, filename=args.file.name,
                remplacer=args.remplacer, progress=progress,
            )  # fmt: skip
    except questionnaire.ImportRefuse as refused:
        print(file=sys.stderr)
        print("\n".join(refused.rapport.lignes()), file=sys.stderr)
        return 1
    print(file=sys.stderr)
    print("\n".join(report.lignes()))
    print(f"Import en {time.perf_counter() - started:.1f} s.")
    return 0


def _jour(text: str) -> dt.date:
    from q2030.formatting import parse_fr_date

    try:
        return parse_fr_date(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _relances_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--au", type=_jour, help="jour de calcul (JJ/MM/AAAA ; par défaut : aujourd'hui)")
    parser.add_argument(
        "--envoyer",
        action="store_true",
        help="envoie les messages (Q2030_SMTP_URL, Q2030_MAIL_FROM) ; sans cette option, les affiche seulement",
    )


@command("relances", "relances par courriel de ce que chacun doit faire (tâche quotidienne)", _relances_args)
def cmd_relances(args: argparse.Namespace) -> int:
    from q2030.relances import digests
    from q2030.relances_courriel import sujet, texte
    from q2030.relances_envoi import envoyer

    started = time.perf_counter()
    with session_scope(_engine()) as session:
        if args.envoyer:
            bilan = envoyer(session, actor=SYSTEM, au=args.au)
            print(
                f"{fr_count(bilan.messages, 'message envoyé', 'messages envoyés')} sur {bilan.destinataires}, "
                f"{fr_count(bilan.echecs, 'échec')} "
                f"en {time.perf_counter() - started:.2f} s."
            )
            return 1 if bilan.echecs else 0
        found = digests(session, actor=SYSTEM, au=args.au)
    for digest in found:
        print(f"À : {digest.email}\nObjet : {sujet(digest)}\n\n{texte(digest)}\n{'-' * 72}")
    print(
        f"{fr_count(len(found), 'relance')} à envoyer (simulation, rien n'est envoyé) "
        f"en {time.perf_counter() - started:.2f} s."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m q2030", description="Quartiers 2030 : suivi des concertations")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (_function, arguments, help_text) in COMMANDS.items():
        arguments(subparsers.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command][0](args)
    except Q2030Error as error:
        messages = (
            [m for messages in error.errors.values() for m in messages]
            if isinstance(error, ValidationError)
            else [str(error)]
        )
        print("Erreur : " + "\n  ".join(messages), file=sys.stderr)
        return 2
    except OSError as error:  # a file that vanished, a full disk, refused rights
        where = f" ({error.filename})" if error.filename else ""
        print(f"Erreur : lecture ou écriture impossible{where} : {error.strerror or error}.", file=sys.stderr)
        return 2
    except DBAPIError as error:
        reason = str(error.orig or error).strip().splitlines()[0][:200]
        print(
            f"Erreur : la base de données a refusé l'opération ({reason}) ; rien n'a été enregistré.", file=sys.stderr
        )
        return 2
    except Exception:
        return _incident(args.command)


def _incident(command_name: str) -> int:
    """An unexpected error: a French message and a reference; the traceback goes to the
    incident log (Q2030_INCIDENT_LOG, by default q2030-incidents.log in the system's temporary folder)."""
    import tempfile

    from q2030.incident import reference

    ref = reference()
    log = Path(os.environ.get("Q2030_INCIDENT_LOG") or Path(tempfile.gettempdir()) / "q2030-incidents.log")
    logger = logging.getLogger("q2030.cli")
    try:
        handler: logging.Handler = logging.FileHandler(log, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    logger.addHandler(handler)
    logger.propagate = False
    logger.exception("Incident %s : commande %s", ref, command_name)
    logger.removeHandler(handler)
    handler.close()
    print(
        f"Erreur inattendue (référence d'incident {ref}, détail dans {log}) ; rien n'a été enregistré.",
        file=sys.stderr,
    )
    return 1
