"""The Priorités' index in memory: a text search's rankings, and a cut period's, without the rows.

A search word must appear in the folded text (`texte_norm LIKE '%mot%'`). The folded text
separates its words by single spaces (`textnorm.normalize`) and a searched word holds none,
so a word is found in a text exactly when it is found inside one of the text's words. The
index lists the distinct words of all texts (the vocabulary, a few thousand to a few
hundred thousand) and, for each, the contributions whose text holds it: a search reads the
vocabulary, then the lists of the words that hold it, instead of the texts.

Beside it, per contribution, what a ranking reads (meeting, theme, axis, public, 1/rang), and
per meeting what the filters read (campaign, counted, territory, format, date): a ranking is
grouped here with numpy. `agregation` sends it the searches, and the periods that cut a month
(the read model would sum a day cell per meeting day and theme); the read model answers the
other filters faster. The quartier and the reading scope are asked of the database (a few
rows), through the same rules (`access.scope_clause`).

The index is built per data version (`AppState.data_version`, bumped by every write), from
the committed rows, in a background thread: until it is ready for the current version the
rows (or the read model) answer, with the same figures, slower. After a build, the next waits
four times as long as it took (a stream of writes costs at most a fifth of one core). Building it costs about a
second of CPU per 250,000 contributions (`python -m benchmarks` reports it on its first
line). `Q2030_INDEX_RECHERCHE=0` turns it off (the tests do, except their own).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, and_, case, select
from sqlmodel import Session, col

from q2030.access import Lecteur, scope_clause
from q2030.apres_ecriture import a_ecrit
from q2030.campaigns import active_campaign
from q2030.comptage import compte
from q2030.models import AppState, Departement, Rencontre, RencontreQpv
from q2030.nomenclature import StatutRencontre
from q2030.priorities.filtres import TOUS, Filtres, cherche_du_texte, valider
from q2030.textnorm import normalize

log = logging.getLogger(__name__)

Entiers = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Rencontres:
    """The meetings' filtered attributes, by id (sorted): read once per version rather than per search
    (the meeting table's rows are wide: reading them took longer than the whole search)."""

    id: Entiers
    campaign_id: Entiers
    compte: npt.NDArray[np.bool_]  # held and counted (`comptage.compte`), computed by the database
    departement: Entiers  # index in `departements` (sorted), and so on
    region: Entiers
    format: Entiers
    departements: list[str]
    regions: list[str]
    formats: list[str]
    date: npt.NDArray[np.datetime64]


def _lire_rencontres(connection: Connection) -> Rencontres:
    counted = and_(col(Rencontre.statut) == StatutRencontre.TENUE, compte())
    rows = connection.execute(
        select(
            col(Rencontre.id), col(Rencontre.campaign_id), case((counted, 1), else_=0),
            col(Rencontre.departement_code), col(Departement.region_code), col(Rencontre.format), col(Rencontre.date),
        )
        .join(Departement, col(Departement.code) == col(Rencontre.departement_code))
        .order_by(col(Rencontre.id))
    ).all()  # fmt: skip
    ids, campaigns, counts, deps, regions, formats, dates = list(zip(*rows, strict=True)) if rows else [()] * 7
    departement, departements = _codes([str(d) for d in deps])
    region, region_labels = _codes([str(r) for r in regions])
    format_, format_labels = _codes([str(f) for f in formats])
    return Rencontres(
        id=np.array(ids, dtype=np.int64),
        campaign_id=np.array(campaigns, dtype=np.int64),
        compte=np.array(counts, dtype=bool),
        departement=departement,
        region=region,
        format=format_,
        departements=departements,
        regions=region_labels,
        formats=format_labels,
        date=np.array([d if d is not None else "NaT" for d in dates], dtype="datetime64[D]"),
    )


@dataclass(frozen=True)
class IndexRecherche:
    """The words of the texts and what a ranking reads, for one data version of one database."""

    version: int
    # Per contribution (in id order), kept small (read as int64 once selected): its meeting's
    # place in `rencontres`, its theme's in `themes` (sorted), and so on.
    rencontre: npt.NDArray[np.int32]
    theme: npt.NDArray[np.int16]
    axe: npt.NDArray[np.int16]
    public: npt.NDArray[np.int16]
    inverse_rang: npt.NDArray[np.float64]  # 1 / rang, 0 when unranked
    themes: list[str]
    axes: list[str]
    publics: list[str]
    vocabulaire: pa.StringArray  # the distinct words
    debuts: Entiers  # word w's contributions: positions[debuts[w]:debuts[w + 1]]
    positions: npt.NDArray[np.int32]
    mots: npt.NDArray[np.int32]  # the word of each of `positions`
    rencontres: Rencontres

    def trouver(self, recherche: str) -> Entiers:
        """Positions (sorted) of the contributions whose folded text holds every searched word."""
        found: Entiers | None = None
        for term in normalize(recherche).split():
            held = pc.match_substring(self.vocabulaire, term).to_numpy(zero_copy_only=False)
            words = np.flatnonzero(held)
            mask = np.zeros(len(self.rencontre), dtype=bool)
            if len(words) <= _MOTS_UN_A_UN:
                for w in words.tolist():
                    mask[self.positions[self.debuts[w] : self.debuts[w + 1]]] = True
            else:  # a short piece found in many words (« e »): every pair at once
                mask[self.positions[held[self.mots]]] = True
            these = np.flatnonzero(mask)
            found = these if found is None else np.intersect1d(found, these, assume_unique=True)
        return found if found is not None else np.arange(0, dtype=np.int64)


_MOTS_UN_A_UN = 64  # up to this many words holding a searched piece, their lists are read one by one


def actif() -> bool:
    return os.environ.get("Q2030_INDEX_RECHERCHE", "1").strip() != "0"


def _codes(values: pa.Array) -> tuple[Entiers, list[str]]:
    """Each value's index in the sorted distinct values."""
    encoded = pc.dictionary_encode(values)
    labels = [str(v) for v in encoded.dictionary.to_pylist()]
    rank = np.empty(len(labels), dtype=np.int64)
    rank[np.argsort(np.array(labels, dtype=object))] = np.arange(len(labels))
    return rank[encoded.indices.to_numpy(zero_copy_only=False)], sorted(labels)


_COLONNES = pa.schema([("rencontre_id", pa.int64()), ("theme", pa.string()), ("axe", pa.string()),
                       ("public", pa.string()), ("rang", pa.int64()), ("texte_norm", pa.string())])  # fmt: skip
_PAQUET = 100_000  # rows fetched at once: columns built per packet, not one tuple per row kept


def _contributions(connection: Connection) -> pa.Table:
    """The contributions' columns, in id order, read by the driver's own cursor (SQLAlchemy's rows
    cost a third more) in packets turned into columns."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"SELECT {', '.join(_COLONNES.names)} FROM contribution ORDER BY id")
        batches = []
        while rows := cursor.fetchmany(_PAQUET):
            columns = list(zip(*rows, strict=True))
            batches.append(pa.record_batch([pa.array(c, f.type) for c, f in zip(columns, _COLONNES, strict=True)],
                                           schema=_COLONNES))  # fmt: skip
    finally:
        cursor.close()
    return pa.Table.from_batches(batches, schema=_COLONNES).combine_chunks()


def construire(connection: Connection) -> IndexRecherche:
    """The index of the rows `connection` sees (one read transaction: a consistent version)."""
    version = int(connection.execute(select(col(AppState.data_version)).where(col(AppState.id) == 1)).scalar() or 0)
    rencontres = _lire_rencontres(connection)
    table = _contributions(connection)
    theme, theme_labels = _codes(table.column("theme").combine_chunks())
    axe, axe_labels = _codes(table.column("axe").combine_chunks())
    public, public_labels = _codes(table.column("public").combine_chunks())
    rang = table.column("rang").combine_chunks().fill_null(0).to_numpy().astype(np.float64)
    inverse_rang = np.divide(1.0, rang, out=np.zeros_like(rang), where=rang > 0)
    # Words: the texts split on their single spaces, each (word, contribution) pair once,
    # sorted by word: the contributions of a word are then one slice. In place where numpy
    # allows: at ×10 (20 million pairs) each temporary is 160 MB.
    words = pc.split_pattern(table.column("texte_norm").combine_chunks(), " ")
    encoded = pc.dictionary_encode(pc.list_flatten(words))
    vocabulary = encoded.dictionary
    n = max(table.num_rows, 1)
    pairs = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    del encoded
    pairs *= n
    pairs += pc.list_parent_indices(words).to_numpy(zero_copy_only=False)
    del words
    pairs.sort()
    distinct = np.ones(len(pairs), dtype=bool)
    np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
    pairs = pairs[distinct]
    del distinct
    position = (pairs % n).astype(np.int32)
    pairs //= n
    word_of = pairs.astype(np.int32)
    del pairs
    meetings = table.column("rencontre_id").combine_chunks().to_numpy(zero_copy_only=False)
    return IndexRecherche(
        version=version,
        rencontre=np.searchsorted(rencontres.id, meetings.astype(np.int64)).astype(np.int32),
        theme=theme.astype(np.int16),
        axe=axe.astype(np.int16),
        public=public.astype(np.int16),
        inverse_rang=inverse_rang,
        themes=theme_labels,
        axes=axe_labels,
        publics=public_labels,
        vocabulaire=vocabulary,
        debuts=np.searchsorted(word_of, np.arange(len(vocabulary) + 1)).astype(np.int64),
        positions=position,
        mots=word_of,
        rencontres=rencontres,
    )


# --- One index per database, rebuilt in the background -----------------------------------------

_INDEX: dict[str, IndexRecherche] = {}
_EN_COURS: dict[str, threading.Thread] = {}
_PAUSE: dict[str, float] = {}  # per database: no background build before this (time.monotonic)
_PAUSE_PAR_SECONDE = 4.0  # seconds of pause per second a background build took
_VERROU = threading.Lock()
_BASES_GARDEES = 4  # a process that opened many databases (tests) keeps the latest ones


def _cle(engine: Engine) -> str | None:
    """The database's key, or None for an in-memory SQLite database (one connection: no reader beside it)."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return None
    return engine.url.render_as_string(hide_password=False)


def _version(session: Session) -> int:
    """The data version this session sees (read again: the session may have written)."""
    value = session.connection().execute(select(col(AppState.data_version)).where(col(AppState.id) == 1)).scalar()
    return int(value or 0)


def construire_pour(engine: Engine) -> IndexRecherche:
    """Build the index of `engine`'s committed rows and keep it (synchronous; the benchmark and tests)."""
    key = _cle(engine)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":  # one snapshot for the version and the rows
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            index = construire(connection)
    if key is not None:
        with _VERROU:
            current = _INDEX.get(key)
            if current is None or current.version <= index.version:
                _INDEX.pop(key, None)
                _INDEX[key] = index
            while len(_INDEX) > _BASES_GARDEES:
                _INDEX.pop(next(iter(_INDEX)))
    return index


def _construire_en_arriere_plan(engine: Engine, key: str) -> None:
    started = time.monotonic()
    try:
        construire_pour(engine)
    except Exception:  # the search keeps reading the rows; the next one tries again
        log.exception("Index de recherche : construction impossible")
    finally:
        with _VERROU:
            _EN_COURS.pop(key, None)
            _PAUSE[key] = time.monotonic() + _PAUSE_PAR_SECONDE * (time.monotonic() - started)


def _peut_construire(key: str) -> bool:
    """No build under way, and the pause after the last one is over: under a stream of writes
    the builds take at most a fifth of one core (16 s per build at ×10), the rows answering meanwhile."""
    return key not in _EN_COURS and time.monotonic() >= _PAUSE.get(key, 0.0)


def a_jour(session: Session) -> IndexRecherche | None:
    """The index of the session's data version if it is ready; otherwise None (the caller reads
    the rows) and, if none is being built, a build is started in the background. A session
    that wrote and has not committed reads the rows: the index holds committed rows only."""
    if not actif() or a_ecrit(session):
        return None
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _cle(engine)
    if key is None:
        return None
    version = _version(session)
    with _VERROU:
        index = _INDEX.get(key)
        if index is not None and index.version == version:
            return index
        if _peut_construire(key):
            thread = threading.Thread(
                target=_construire_en_arriere_plan, args=(engine, key), daemon=True, name="index-recherche"
            )
            _EN_COURS[key] = thread
            thread.start()
    return None


def attendre() -> None:
    """Wait for the builds under way (the benchmark, before it measures)."""
    with _VERROU:
        threads = list(_EN_COURS.values())
    for thread in threads:
        thread.join()


def oublier() -> None:
    """Forget every index (tests)."""
    attendre()
    with _VERROU:
        _INDEX.clear()
        _PAUSE.clear()


# --- A ranking's rows from the index --------------------------------------------------------------

LIGNES = ["g", "dep", "theme", "contributions", "rencontres", "score_rang", "poids_rencontre", "premiers"]


def _rencontres(
    session: Session, index: IndexRecherche, filtres: Filtres, actor: Lecteur | None
) -> npt.NDArray[np.bool_]:
    """Which meetings (in `index.rencontres` order) the filters keep: the active campaign's counted
    meetings in the territory, quartier, format and period, within the actor's reading scope
    (the same rules as `conditions` and `perimetre`, on the meetings read with the index);
    `actor` None: nationally."""
    r = index.rencontres
    keep: npt.NDArray[np.bool_] = r.compte & (r.campaign_id == active_campaign(session).id)
    for codes, labels, wanted in (
        (r.region, r.regions, filtres.region),
        (r.departement, r.departements, filtres.departement),
        (r.format, r.formats, filtres.format),
    ):
        if wanted:
            keep &= codes == (labels.index(wanted) if wanted in labels else -1)
    if filtres.debut:
        keep &= r.date >= np.datetime64(filtres.debut, "D")
    if filtres.fin:
        keep &= r.date <= np.datetime64(filtres.fin, "D")
    connection = session.connection()
    if filtres.qpv:
        quartier = select(col(RencontreQpv.rencontre_id)).where(col(RencontreQpv.qpv_code) == filtres.qpv)
        keep &= np.isin(r.id, np.array(connection.execute(quartier).scalars().all(), dtype=np.int64))
    if actor is None:
        return keep
    readable = select(col(Departement.code)).where(
        scope_clause(actor, col(Departement.code), col(Departement.region_code))
    )
    allowed = set(connection.execute(readable).scalars().all())
    readable_meetings: npt.NDArray[np.bool_] = np.array([d in allowed for d in r.departements], dtype=bool)
    kept: npt.NDArray[np.bool_] = keep & readable_meetings[r.departement]
    return kept


def _sommes(
    keys: Entiers, size: int, *values: npt.NDArray[np.float64]
) -> tuple[Entiers, Entiers, list[npt.NDArray[np.float64]]]:
    """The keys present (sorted), their count, and each of `values` summed per key: counted in
    arrays of `size` cells (one pass, no sort; a few million cells at most)."""
    counts = np.bincount(keys, minlength=size)
    present = np.flatnonzero(counts)
    sums = [np.bincount(keys, weights=v, minlength=size)[present].astype(np.float64) for v in values]
    return present, counts[present], sums


def lignes(
    session: Session, index: IndexRecherche, filtres: Filtres, groupe: str, actor: Lecteur
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (group, département, theme) the rows of `agregation._lignes_brutes` under a text search:
    contributions, rencontres (meeting × theme pairs), score_rang, poids_rencontre (Σ n / the
    meeting's size in the group) and premiers (one per meeting and group: their sum counts them)."""
    valider(filtres)
    search = cherche_du_texte(filtres)  # a search's counts follow the reading scope; the others are national
    kept = _rencontres(session, index, filtres, actor if search else None)
    found = index.trouver(filtres.recherche) if search else np.flatnonzero(kept[index.rencontre])
    slot = index.rencontre[found].astype(np.int64)
    keep = kept[slot]
    for codes, labels, wanted in (
        (index.axe, index.axes, filtres.axe),
        (index.theme, index.themes, filtres.theme),
        (index.public, index.publics, filtres.public),
    ):
        if wanted:
            keep &= codes[found] == (labels.index(wanted) if wanted in labels else -1)
    found, meeting = found[keep], slot[keep]
    if not len(found):
        return pd.DataFrame(columns=LIGNES), pd.DataFrame(columns=["g", "rencontres_total"])
    theme, axe = index.theme[found].astype(np.int64), index.axe[found].astype(np.int64)
    n_themes, n_axes = len(index.themes), len(index.axes)
    per_axis = groupe == "axe"
    # Inner level: (meeting[, axis], theme) pairs; a meeting's size is counted within its partition.
    partition = meeting * n_axes + axe if per_axis else meeting
    pairs, n, (score,) = _sommes(partition * n_themes + theme, (len(kept) * (n_axes if per_axis else 1)) * n_themes,
                              index.inverse_rang[found])  # fmt: skip
    pair_partition = pairs // n_themes
    first = np.concatenate(([True], pair_partition[1:] != pair_partition[:-1]))
    size = np.add.reduceat(n, np.flatnonzero(first))[np.cumsum(first) - 1]
    pair_meeting = pair_partition // n_axes if per_axis else pair_partition
    dep_labels = index.rencontres.departements
    pair_dep = index.rencontres.departement[pair_meeting]
    if groupe == "axe":
        group_labels, pair_group = index.axes, pair_partition % n_axes
    elif groupe in ("region", "departement"):
        r = index.rencontres
        of_meeting, group_labels = (r.region, r.regions) if groupe == "region" else (r.departement, r.departements)
        pair_group = of_meeting[pair_meeting]
    else:
        group_labels, pair_group = [TOUS], np.zeros(len(pairs), dtype=np.int64)
    # Outer level: (group, département, theme).
    pair_theme = pairs % n_themes
    cell_keys = (pair_group * len(dep_labels) + pair_dep) * n_themes + pair_theme
    cells, rencontres, sums = _sommes(
        cell_keys, len(group_labels) * len(dep_labels) * n_themes,
        n.astype(np.float64), score, n / size, first.astype(np.float64),
    )  # fmt: skip
    cell_group, rest = np.divmod(cells, len(dep_labels) * n_themes)
    cell_dep, cell_theme = np.divmod(rest, n_themes)
    meetings = np.bincount(pair_group, weights=first, minlength=len(group_labels))
    totals = pd.DataFrame(
        {
            "g": [g for g, m in zip(group_labels, meetings.tolist(), strict=True) if m],
            "rencontres_total": [int(m) for m in meetings.tolist() if m],
        }
    )
    rows = pd.DataFrame({
        "g": [group_labels[g] for g in cell_group.tolist()],
        "dep": [dep_labels[d] for d in cell_dep.tolist()],
        "theme": [index.themes[t] for t in cell_theme.tolist()],
        "contributions": sums[0].round().astype(np.int64),
        "rencontres": rencontres,
        "score_rang": sums[1],
        "poids_rencontre": sums[2],
        "premiers": sums[3].round().astype(np.int64),
    })  # fmt: skip
    return rows, totals
