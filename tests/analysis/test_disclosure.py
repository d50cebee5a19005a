"""Disclosure control: the NHS Digital small-numbers rule (statistics.md §5)."""

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import SUPPRESSED, publish_table, round_count


@pytest.mark.parametrize(
    ("count", "published"),
    [(0, 0), (1, "*"), (7, "*"), (8, 10), (9, 10), (12, 10), (13, 15), (27, 25), (28, 25),
     (29, 25), (30, 30), (32, 30), (33, 35), (1234, 1235)],
)
def test_reference_pairs(count, published):
    assert round_count(count) == published


@pytest.mark.parametrize("minimum", [10, 13, 30, 32, 50])
def test_a_rounded_count_never_crosses_the_minimum(minimum):
    """Nobody reads a count of the minimum or more beside "too few responses", nor one
    under it beside a shown result."""
    for count in range(8, 120):
        published = round_count(count, minimum)
        assert published % 5 == 0 and abs(published - count) <= 4, (count, published)
        assert (published < minimum) == (count < minimum), (count, published)


def test_publish_table_rounds_counts_under_its_minimum_below_it():
    table = pd.DataFrame({"n": [28, 29, 30, 41], "value": [1.0, 2.0, 3.0, 4.0]})
    assert publish_table(table, counts=["n"], statistics=["value"],
                         minimum=30)["n"].tolist() == [25, 25, 30, 40]
    assert publish_table(table, counts=["n"], minimum=45)["n"].tolist() == [30, 30, 30, 40]
    # without a minimum of its own, a table's counts keep to the platform's (30)
    assert publish_table(table, counts=["n"])["n"].tolist() == [25, 25, 30, 40]


def test_missing_count_stays_missing_and_negative_is_refused():
    assert round_count(None) is None
    assert round_count(np.nan) is None
    with pytest.raises(ValueError, match="negative"):
        round_count(-1)


def test_publish_table_rounds_counts_and_stars_statistics_built_on_few_people():
    table = pd.DataFrame(
        {"unit": ["a", "b", "c", "d"], "n": [0, 5, 12, 41], "value": [np.nan, 0.4, 0.5, 0.6]}
    )
    published = publish_table(table, counts=["n"], statistics=["value"])
    assert published["n"].tolist() == [0, SUPPRESSED, 10, 40]
    assert published["value"].iloc[1] == SUPPRESSED
    assert published["value"].iloc[2:].tolist() == [0.5, 0.6]
    assert published["unit"].tolist() == table["unit"].tolist()
    # The input is left untouched: totals can still be computed from unrounded counts.
    assert table["n"].tolist() == [0, 5, 12, 41]


def test_publish_table_leaves_results_under_the_minimum_empty():
    table = pd.DataFrame({"n": [3, 12, 29, 30], "value": [1.0, 2.0, 3.0, 4.0]})
    published = publish_table(table, counts=["n"], statistics=["value"], minimum=30)
    assert published["value"].tolist() == [SUPPRESSED, None, None, 4.0]
    assert published["n"].tolist() == [SUPPRESSED, 10, 25, 30]  # 29: under the minimum


def test_publish_table_names_a_missing_column():
    with pytest.raises(KeyError, match="value"):
        publish_table(pd.DataFrame({"n": [1]}), counts=["n"], statistics=["value"])
