"""Adding an instrument is dropping in a data file: a summed 0–3 scale with a subscale."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scoring_tables import answers

from analysis.scoring import item_summary, score_respondents, theme_scores
from instruments import DEFINITIONS_DIR, Instrument, load_registry

FIXTURE = (Path(__file__).parents[1] / "instruments" / "fixtures" / "coordination_scale"
           / "coordination_scale")


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Instrument:
    """The test-only instrument, dropped into a copy of the shipped definitions."""
    directory = tmp_path_factory.mktemp("definitions")
    shutil.copytree(DEFINITIONS_DIR, directory, dirs_exist_ok=True)
    shutil.copytree(FIXTURE, directory / "coordination_scale")
    return load_registry(directory).get("coordination_scale")


def test_summed_total_with_proration_and_minimum(scale: Instrument) -> None:
    result = score_respondents(answers(scale, [
        ["3", "3", "3", "3", "3"],
        ["Yes, definitely", "DEF", "3", "3", "NR"],     # 4 answered: prorated to 5 items
        ["0", "1", "2", "3", "Not relevant to me"],
        ["3", "3", "3", None, "NR"],                    # 3 answered: below the minimum of 4
    ]), scale)
    assert list(result["score"][:3]) == [15, 15, 7.5]
    assert np.isnan(result["score"].iloc[3])
    assert list(result["status"]) == ["scored"] * 3 + ["too_few_answers"]
    assert list(result.columns) == ["response_id", "score", "n_scored", "status",
                                    "coordination_score"]


def test_subscale_uses_the_same_method_and_its_own_minimum(scale: Instrument) -> None:
    result = score_respondents(answers(scale, [
        ["0", "0", "0", "3", "2"], ["0", "0", "0", "3", "NR"]]), scale)
    assert result["coordination_score"].iloc[0] == 5
    assert np.isnan(result["coordination_score"].iloc[1])


def test_themes_and_items_work_unchanged(scale: Instrument) -> None:
    table = answers(scale, [["3", "2", "1", "0", "NR"], ["3", "3", "NR", "2", "2"]])
    themes = theme_scores(table, scale)
    assert list(themes["planning"]) == [6, 9]  # 3 items; row 2 prorated from 2 answers
    assert list(themes["coordination"]) == [0, 4]
    c1 = item_summary(table, scale).set_index("item_id").loc["c1"]
    assert (c1["top_box"], c1["mean"], c1["count_3"]) == (1.0, 100.0, 2)


def test_unprorated_sum_is_a_parameter_not_code(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "coordination_scale")
    path = tmp_path / "coordination_scale" / "1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("prorate: true", "prorate: false"),
                    encoding="utf-8")
    scale = load_registry(tmp_path).get("coordination_scale")
    result = score_respondents(answers(scale, [["3", "3", "3", "3", "NR"]]), scale)
    assert result["score"].iloc[0] == 12
