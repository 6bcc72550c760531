"""`classer` (plain Python) ranks exactly as its former pandas version did, for every weighting
and order, on random aggregates with ties."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from q2030.nomenclature import THEMES, theme_label
from q2030.priorities import PONDERATIONS, TRIS
from q2030.priorities.agregation import _AGREGATS_COLUMNS, CLASSEMENT_COLUMNS, _libelle_groupe, classer


def _classer_pandas(df: pd.DataFrame, *, ponderation: str, tri: str) -> pd.DataFrame:
    """The pandas version `classer` replaced (the reference)."""
    df = df.copy()
    df["poids"] = {
        "contribution": df["contributions"].astype(float),
        "rencontre": df["poids_rencontre"],
        "departement": df["poids_departement"],
    }[ponderation]
    df["part"] = df["poids"] / df.groupby("g")["poids"].transform("sum")
    df["part_rencontres"] = df["rencontres"] / df["rencontres_total"]
    df["theme_libelle"] = df["theme"].map(theme_label)
    df = df.rename(columns={"g": "groupe"})
    df["groupe_libelle"] = [_libelle_groupe(t, code) for t, code in zip(df["groupe_type"], df["groupe"], strict=True)]
    order = {"poids": ["poids", "contributions"], "score_rang": ["score_rang", "poids"],
             "rencontres": ["rencontres", "poids"]}[tri]  # fmt: skip
    df = df.sort_values(["groupe", *order, "theme_libelle"], ascending=[True, False, False, True], kind="mergesort")
    df["rang"] = df.groupby("groupe").cumcount() + 1
    return df[CLASSEMENT_COLUMNS].reset_index(drop=True)


def _agregats(rng: random.Random) -> pd.DataFrame:
    groupe = rng.choice(["axe", "region", "departement", "aucun"])
    codes = {"axe": ["changements", "projets", "solutions"], "region": ["11", "84", "93"],
             "departement": ["93", "69", "2A"], "aucun": ["tous"]}[groupe]  # fmt: skip
    records = []
    for g in codes:
        total = rng.randint(1, 40)
        for theme in rng.sample(sorted(THEMES), rng.randint(1, 8)):
            n = rng.choice([1, 2, 3, 5, 8])  # few values: ties on every figure
            records.append((g, theme, n, rng.randint(1, total), rng.randint(1, 3), rng.choice([0.5, 1.0, 1.5]),
                            rng.choice([0.25, 0.5, 1.0]), rng.choice([0.5, 1.0]), total, 3, groupe))  # fmt: skip
    rng.shuffle(records)
    return pd.DataFrame.from_records(records, columns=_AGREGATS_COLUMNS)


@pytest.mark.parametrize("seed", range(20))
def test_classer_ranks_as_the_former_pandas_version(seed: int) -> None:
    rng = random.Random(seed)
    df = _agregats(rng)
    for ponderation in PONDERATIONS:
        for tri in TRIS:
            got = classer(df, ponderation=ponderation, tri=tri)
            expected = _classer_pandas(df, ponderation=ponderation, tri=tri)
            pd.testing.assert_frame_equal(got, expected)


def test_classer_of_nothing_is_an_empty_ranking() -> None:
    ranking = classer(pd.DataFrame(columns=_AGREGATS_COLUMNS))
    assert ranking.empty
    assert list(ranking.columns) == CLASSEMENT_COLUMNS
