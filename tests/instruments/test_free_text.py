"""Free-text items: the respondent's own words, optional, translatable and never scored."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import UsageError
from analysis.commands.instruments import describe
from analysis.scoring import score_respondents
from instruments import InstrumentError, get_instrument, load_registry

SCORED_WITH_FREE_TEXT = """\
  - id: q16
    kind: free_text
    text: Anything else?
    max_length: 100
"""


def write_comments(directory: Path, item: str) -> None:
    """Write a one-item instrument ``notes@1`` holding ``item`` (a YAML list entry)."""
    (directory / "notes").mkdir()
    (directory / "notes" / "1.yaml").write_text(
        "id: notes\nversion: 1\nlanguage: en\ntitle: Notes\nintroduction: Optional.\n"
        f"items:\n{item}scoring: null\n", encoding="utf-8")


def test_comments_instrument_asks_one_optional_free_text_question() -> None:
    comments = get_instrument("comments")
    (item,) = comments.items
    assert item.is_free_text and item.kind == "free_text"
    assert item.text.startswith("Is there anything else you would like to tell us about "
                                "leaving hospital")
    assert "names, phone numbers" in (item.hint or "")
    assert item.max_length == 1000
    assert comments.options_for(item.id) == []
    assert comments.scoring is None and comments.response_sets == {}


def test_choice_stays_the_default_kind() -> None:
    assert {item.kind for item in get_instrument("ctm15").items} == {"choice"}


@pytest.mark.parametrize(("item", "problem"), [
    ("  - {id: c1, kind: free_text, text: Tell us}\n", "free-text item c1 needs max_length"),
    ("  - {id: c1, kind: free_text, text: Tell us, max_length: 10, response_set: yes_no}\n",
     "free-text item c1 is never scored, so cannot have response_set"),
    ("  - {id: c1, kind: free_text, text: Tell us, max_length: 10, reverse: true}\n",
     "cannot have reverse"),
    ("  - {id: c1, kind: free_text, text: Tell us, max_length: 0}\n",
     "greater than or equal to 1"),
    ("  - {id: c1, text: Tell us}\n", "item c1 needs a response_set (or kind: free_text)"),
    ("  - {id: c1, kind: essay, text: Tell us, max_length: 10}\n", "field items[0].kind"),
])
def test_malformed_free_text_item_is_refused(tmp_path: Path, item: str, problem: str) -> None:
    write_comments(tmp_path, item)
    with pytest.raises(InstrumentError, match="notes/1.yaml") as caught:
        load_registry(tmp_path)
    assert problem in str(caught.value)


def test_free_text_in_a_scored_instrument_is_refused(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("scoring:\n", SCORED_WITH_FREE_TEXT + "scoring:\n", 1),
                    encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_registry(definitions)
    assert "free-text items (q16) are never scored" in str(caught.value)


def test_free_text_wording_is_translated_like_any_other(definitions: Path) -> None:
    (definitions / "comments" / "1.cy.yaml").write_text(
        "language: cy\ntitle: Eich sylwadau\nintroduction: Dewisol.\nitems:\n"
        "  anything_else:\n    text: Oes unrhyw beth arall?\n    hint: Peidiwch ag enwi neb.\n",
        encoding="utf-8")
    welsh = load_registry(definitions).get("comments", "1", "cy")
    item = welsh.item("anything_else")
    assert (item.text, item.hint, item.kind, item.max_length) == (
        "Oes unrhyw beth arall?", "Peidiwch ag enwi neb.", "free_text", 1000)


def test_translation_missing_the_free_text_hint_is_refused(definitions: Path) -> None:
    (definitions / "comments" / "1.cy.yaml").write_text(
        "language: cy\ntitle: Eich sylwadau\nintroduction: Dewisol.\nitems:\n"
        "  anything_else:\n    text: Oes unrhyw beth arall?\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="items.anything_else.hint: missing translation"):
        load_registry(definitions)


def test_scoring_refuses_the_comments_instrument() -> None:
    answers = pd.DataFrame({"response_id": [1], "anything_else": ["Lovely staff"]})
    with pytest.raises(UsageError, match="comments@1 is never scored"):
        score_respondents(answers, get_instrument("comments"))


def test_show_describes_free_text_items() -> None:
    text = describe(get_instrument("comments"))
    assert "anything_else" in text
    assert "free text, up to 1000 characters, optional, never scored" in text
    assert "Response options: none (free-text items only)" in text
    assert "response set None" not in text
