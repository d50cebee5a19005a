"""A malformed definition is refused with a message naming the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from instruments import InstrumentError, load_registry
from instruments.published import LOCK_NAME


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact snippet of a definition file (failing if it is not there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(directory: Path) -> str:
    with pytest.raises(InstrumentError) as caught:
        load_registry(directory)
    return str(caught.value)


@pytest.mark.parametrize(("old", "new", "field", "problem"), [
    ("title: Leaving hospital\n", "", "field title", "Field required"),
    ("response_set: agreement\n", "response_set: agree\n", "field items.q1.response_set",
     "unknown response set 'agree'"),
    ("short_code: SD, scored: true, score: 1}", "short_code: SD, scored: true}",
     "field response_sets.agreement.options[0]", "is scored but has no score"),
    ("short_code: D,", "short_code: SD,", "field response_sets.agreement",
     "'SD' of option '2' is already used by option '1'"),
    ("emphasis: [what]", "emphasis: [which]", "field items[1]",
     "emphasis 'which' does not occur in the text of q2"),
    ("min_scored: 8", "min_scored: 16", "field scoring.min_scored", "16 exceeds the 15 items"),
    ('top_box: ["4"]', 'top_box: ["9"]', "field scoring.summary.top_box",
     "code '9' is not a scored option"),
    ("  - id: q2\n", "  - id: q1\n", "field items", "duplicated item ids: q1"),
    ("    response_set: agreement\n", "    response_set: agreement\n    colour: red\n",
     "field items[0].colour", "Extra inputs are not permitted"),
    ("version: 1\n", "version: one\n", "field version", "should match pattern"),
])
def test_malformed_ctm15_names_file_field_and_problem(
        definitions: Path, old: str, new: str, field: str, problem: str) -> None:
    path = definitions / "ctm15" / "1.yaml"
    edit(path, old, new)
    message = refused(definitions)
    assert message.startswith(f"{path}: ")
    assert f"{field}: " in message
    assert problem in message


def unpublished(directory: Path) -> Path:
    """Drop the copy's lock: its files become drafts, which may be edited and loaded."""
    (directory / LOCK_NAME).unlink()
    return directory


def test_edited_copy_still_loads_when_valid(definitions: Path) -> None:
    # The error tests above edit copies; a valid edit (equal scores are legal) of a draft
    # loads (a published file may not be edited at all: see test_published.py).
    unpublished(definitions)
    edit(definitions / "ctm15" / "1.yaml", "score: 2}", "score: 1}")
    assert load_registry(definitions).get("ctm15").options_for("q1")[1].score == 1


def test_invalid_yaml_names_the_line(definitions: Path) -> None:
    path = definitions / "ctm3" / "1.yaml"
    edit(path, "id: ctm3\n", "id: [ctm3\n")
    message = refused(definitions)
    assert str(path) in message and "not valid YAML" in message and "line" in message


def test_file_name_must_match_id_and_version(definitions: Path) -> None:
    (definitions / "ctm3" / "1.yaml").rename(definitions / "ctm3" / "2.yaml")
    message = refused(definitions)
    assert "ctm3/2.yaml: field version: is '1' but the file name says '2'" in message


def test_unknown_derived_instrument(definitions: Path) -> None:
    edit(definitions / "ctm15" / "1.yaml", "derived: [ctm3@1]", "derived: [ctm3@7]")
    assert "scoring.derived: unknown instrument 'ctm3@7'" in refused(definitions)


def test_derived_items_must_point_at_source_items(definitions: Path) -> None:
    edit(definitions / "ctm3" / "1.yaml", "source_item: q9", "source_item: q99")
    message = refused(definitions)
    assert "item q2 has source_item 'q99', not an item of ctm15@1" in message


def test_text_with_markup_is_escaped_in_html(definitions: Path) -> None:
    path = definitions / "ctm3" / "1.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["items"][1]["text"] = "Tests & <results> were clear"
    data["items"][1]["emphasis"] = ["clear"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    item = load_registry(unpublished(definitions)).get("ctm3").item("q2")
    assert item.html == "Tests &amp; &lt;results&gt; were <strong>clear</strong>"


def test_asterisks_in_text_are_refused(definitions: Path) -> None:
    edit(definitions / "ctm15" / "1.yaml", "in deciding what my", "in deciding **what** my")
    assert "contains '*': declare emphasis instead" in refused(definitions)


def test_response_set_without_a_way_out_is_refused(definitions: Path) -> None:
    edit(definitions / "i_statements" / "1.yaml",
         '      - {code: "9", label: This does not apply to me, short_code: DNA, scored: false}\n',
         "")
    assert "needs at least one unscored way out" in refused(definitions)


def test_unknown_scoring_method_is_refused_at_load(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    edit(path, "method: linear_mean", "method: magic")
    message = refused(definitions)
    assert message.startswith(f"{path}: field scoring.method: ")
    assert "'linear_mean', 'mean_of_scores' or 'sum'" in message


def test_duplicate_yaml_keys_are_refused_with_line_and_key(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    text = path.read_text(encoding="utf-8")
    line = text.splitlines().index("  min_scored: 8") + 1
    edit(path, "  min_scored: 8\n", "  min_scored: 8\n  min_scored: 3\n")
    message = refused(definitions)
    assert message == f"{path}: line {line + 1}: key 'min_scored' appears twice in one mapping"


def test_a_duplicated_option_code_is_named(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    edit(path, '{code: "2", label: Disagree, short_code: D,',
         '{code: "1", label: Disagree, short_code: D,')
    message = refused(definitions)
    assert "field response_sets.agreement: option code '1' is used twice" in message
    assert "bottom_box" not in message
