"""Translations: a real second language (test-only pseudo-locale en-XA), fully checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from instrument_test_files import FIXTURES

from instruments import InstrumentError, load_registry

PSEUDO = FIXTURES / "pseudo_locale" / "ctm3" / "1.en-XA.yaml"


@pytest.fixture
def translated(definitions: Path) -> Path:
    """The shipped definitions plus the test-only en-XA translation of ctm3@1."""
    shutil.copy(PSEUDO, definitions / "ctm3" / PSEUDO.name)
    return definitions


def test_second_language_replaces_every_respondent_facing_string(translated: Path) -> None:
    registry = load_registry(translated)
    english, pseudo = registry.get("ctm3"), registry.get("ctm3", "1", "en-XA")
    assert english.languages == pseudo.languages == ("en", "en-XA")
    assert (pseudo.language, english.language) == ("en-XA", "en")
    strings = [pseudo.title, pseudo.introduction, pseudo.attribution, pseudo.terms_of_use]
    strings += [item.text for item in pseudo.items]
    strings += [o.label for rs in pseudo.response_sets.values() for o in rs.options]
    assert all(text.startswith("[XA] ") for text in strings)
    assert pseudo.item("q1").html.count("<strong>WHAT</strong>") == 1


def test_codes_scores_and_scoring_do_not_change_with_language(translated: Path) -> None:
    registry = load_registry(translated)
    english, pseudo = registry.get("ctm3"), registry.get("ctm3", "1", "en-XA")
    for item in english.items:
        assert [(o.code, o.short_code, o.scored, o.score) for o in english.options_for(item.id)] \
            == [(o.code, o.short_code, o.scored, o.score) for o in pseudo.options_for(item.id)]
    assert pseudo.scoring == english.scoring
    assert [(i.id, i.source_item, i.response_set) for i in pseudo.items] == [
        (i.id, i.source_item, i.response_set) for i in english.items]
    assert [i.key for i in registry.list()] == [
        "about_you@1", "comments@1", "ctm15@1", "ctm3@1", "i_statements@1"]


def test_language_without_translation_is_an_error_not_english(translated: Path) -> None:
    with pytest.raises(InstrumentError, match="not available in language 'en-XA'"):
        load_registry(translated).get("ctm15", language="en-XA")


@pytest.mark.parametrize(("old", "new", "problem"), [
    ('    "8": "[XA] No medication"\n', "", "response_sets.agreement_medication.8: missing"),
    ("  q2:\n    text: \"[XA] I understood the things I was responsible for in managing my "
     "health\"\n", "", "items.q2: missing translation"),
    ('terms_of_use: "[XA] Free to use with attribution, unmodified."\n', "",
     "terms_of_use: missing translation"),
    ('  q3:\n', '  q4:\n    text: "[XA] extra"\n  q3:\n', "items.q4: not in the definition"),
    ("    emphasis: [PURPOSE]\n", "", "items.q3.emphasis: needs 1 entries"),
])
def test_incomplete_translation_is_refused(translated: Path, old: str, new: str,
                                           problem: str) -> None:
    path = translated / "ctm3" / PSEUDO.name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_registry(translated)
    assert str(caught.value).startswith(f"{path}: incomplete translation: ")
    assert problem in str(caught.value)


def test_translated_emphasis_must_be_in_translated_text(translated: Path) -> None:
    path = translated / "ctm3" / PSEUDO.name
    path.write_text(path.read_text(encoding="utf-8").replace("[PURPOSE]", "[REASON]"),
                    encoding="utf-8")
    with pytest.raises(InstrumentError, match="emphasis 'REASON' does not occur"):
        load_registry(translated)


def test_file_language_must_match_its_name(translated: Path) -> None:
    (translated / "ctm3" / PSEUDO.name).rename(translated / "ctm3" / "1.fr.yaml")
    with pytest.raises(InstrumentError, match="field language: is 'en-XA' but the file name"):
        load_registry(translated)


def test_translation_without_definition_is_refused(translated: Path) -> None:
    shutil.copy(PSEUDO, translated / "ctm3" / "2.en-XA.yaml")
    with pytest.raises(InstrumentError, match="translation of ctm3@2, which has no definition"):
        load_registry(translated)
