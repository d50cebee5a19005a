"""The shipped instruments ask the published questions word for word, in order."""

from __future__ import annotations

import re

import pytest
from instrument_test_files import published_wording

from instruments import get_instrument, list_instruments


def ctm15_seed_items() -> dict[int, str]:
    """CTM-15 items of seed 003, section 'Care Transitions Measures' (from the fixture)."""
    return {item["number"]: item["text"] for item in published_wording()["ctm15"]["items"]}


def test_seed_has_fifteen_items_in_order() -> None:
    assert list(ctm15_seed_items()) == list(range(1, 16))


def test_published_wording_cites_its_seed_lines() -> None:
    """Every copied line names the seed file and its line: the items are consecutive
    numbered lines of one section (with one page break after item 6)."""
    wording = published_wording()
    assert wording["seed"] == "shared/seeds/003_9b8e9bb2d86f4eab.txt"
    assert len(wording["seed_sha256"]) == 64
    ctm_lines = [item["line"] for item in wording["ctm15"]["items"]]
    assert ctm_lines == list(range(305, 311)) + list(range(316, 325))
    statement_lines = [item["line"] for item in wording["i_statements"]["statements"]]
    assert statement_lines == list(range(291, 298))


@pytest.mark.parametrize("number", range(1, 16))
def test_ctm15_item_matches_seed_word_for_word(number: int) -> None:
    seed_text = ctm15_seed_items()[number]
    item = get_instrument("ctm15").items[number - 1]
    assert item.id == f"q{number}"
    assert item.text == seed_text.replace("*", "")
    assert item.emphasis == re.findall(r"\*+([^*]+)\*+", seed_text)


def test_ctm15_emphasis_renders_as_strong_not_asterisks() -> None:
    ctm15 = get_instrument("ctm15")
    assert "<strong>what</strong> my health care needs" in ctm15.item("q2").html
    assert "understood <strong>how</strong> to take" in ctm15.item("q14").html
    assert "including how much" in ctm15.item("q14").html  # only the emphasised "how"
    assert "<strong>side effects</strong>" in ctm15.item("q15").html
    assert not any("*" in item.text or "*" in item.html for item in ctm15.items)


def test_ctm15_codes_and_unscored_options() -> None:
    ctm15 = get_instrument("ctm15")
    for number in range(1, 16):
        options = ctm15.options_for(f"q{number}")
        scored = [(o.code, o.short_code, o.label, o.score) for o in options if o.scored]
        assert scored == [("1", "SD", "Strongly disagree", 1), ("2", "D", "Disagree", 2),
                          ("3", "A", "Agree", 3), ("4", "SA", "Strongly agree", 4)]
        unscored = [o.label for o in options if not o.scored]
        medication = ["I was not given any medication when I left the hospital"]
        assert unscored == ["Don't know / Don't remember / Not applicable"] + (
            medication if number >= 13 else [])


def test_ctm15_attribution_and_terms() -> None:
    ctm15 = get_instrument("ctm15")
    assert ctm15.attribution == "CTM-15 © Eric A. Coleman, MD, MPH"
    assert "not modified" in (ctm15.terms_of_use or "")
    assert ctm15.scoring is not None and ctm15.scoring.min_scored == 8
    assert [d.key for d in ctm15.derived_instruments] == ["ctm3@1"]


def test_ctm3_is_ctm15_items_2_9_13_verbatim() -> None:
    ctm15, ctm3 = get_instrument("ctm15"), get_instrument("ctm3")
    assert [(i.id, i.source_item) for i in ctm3.items] == [
        ("q1", "q2"), ("q2", "q9"), ("q3", "q13")]
    for item in ctm3.items:
        source = ctm15.item(item.source_item)
        assert (item.text, item.emphasis) == (source.text, source.emphasis)
        assert ctm3.options_for(item.id) == ctm15.options_for(source.id)
    assert ctm3.scoring is not None and ctm3.scoring.min_scored == 2


def test_i_statements_follow_the_seeds() -> None:
    seed = [item["text"] for item in published_wording()["i_statements"]["statements"]]
    statements = get_instrument("i_statements")
    assert len(seed) == 7
    assert [item.text for item in statements.items[:7]] == seed
    assert statements.item("i8").text == (
        "I can plan my care with people who work together to understand me and my carer(s), "
        "allow me control, and bring together services to achieve the outcomes important to "
        "me.")
    assert [item.id for item in statements.items] == [f"i{n}" for n in range(1, 13)]


def test_i_statements_reverse_only_negative_wording_and_themes() -> None:
    statements = get_instrument("i_statements")
    assert {item.id for item in statements.items if item.reverse} == {"i9", "i12"}
    assert all(item.theme in statements.themes for item in statements.items)
    scores = [o.score for o in statements.options_for("i1") if o.scored]
    assert scores == [0, 25, 50, 75, 100]
    assert statements.scoring is not None and statements.scoring.min_scored == 4


def test_about_you_is_never_scored_and_asks_who_first() -> None:
    about_you = get_instrument("about_you")
    assert about_you.scoring is None
    assert [item.id for item in about_you.items if item.ask_early] == ["completed_by"]
    assert about_you.item("completed_by").text == "Who is filling this in?"
    assert [o.label for o in about_you.options_for("general_health")][:5] == [
        "Excellent", "Very good", "Good", "Fair", "Poor"]
    assert {i.id for i in about_you.items} == {
        "completed_by", "age_band", "sex", "general_health", "main_language"}
    assert all(not o.scored for i in about_you.items for o in about_you.options_for(i.id))


def test_every_choice_item_offers_an_unscored_way_out() -> None:
    for instrument in list_instruments():
        for item in instrument.items:
            if item.is_free_text:
                continue
            assert any(not o.scored for o in instrument.options_for(item.id)), item.id


def test_shipped_instruments_and_versions() -> None:
    assert [i.key for i in list_instruments()] == [
        "about_you@1", "comments@1", "ctm15@1", "ctm3@1", "i_statements@1"]
    assert all(i.languages == ("en",) for i in list_instruments())
