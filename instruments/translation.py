"""Translations: every respondent-facing string of an instrument version in another language.

A translation lives beside its definition as ``<version>.<language>.yaml`` so adding a
language never edits a published definition. It must cover every respondent-facing string
exactly (nothing missing, nothing extra); codes, scores and scoring never change with
language, so a translated answer is scored exactly like the original.
"""

from __future__ import annotations

from typing import Any

from instruments.schema import FrozenModel, Identifier, InstrumentDefinition, LanguageTag, Text


class ItemTranslation(FrozenModel):
    """The translated wording of one item."""

    text: Text
    emphasis: list[Text] = []
    hint: Text | None = None


class Translation(FrozenModel):
    """What a translation file holds."""

    language: LanguageTag
    title: Text
    introduction: Text
    attribution: Text | None = None
    terms_of_use: Text | None = None
    themes: dict[Identifier, Text] = {}
    items: dict[Identifier, ItemTranslation]
    response_sets: dict[Identifier, dict[str, Text]] = {}  # none for free-text-only


def coverage_problems(definition: InstrumentDefinition, translation: Translation) -> list[str]:
    """List every string missing from, or unknown to, a translation (empty when complete)."""
    problems: list[str] = []

    def compare(field: str, expected: set[str], given: set[str]) -> None:
        problems.extend(f"{field}.{k}: missing translation" for k in sorted(expected - given))
        problems.extend(f"{field}.{k}: not in the definition" for k in sorted(given - expected))

    for field in ("attribution", "terms_of_use"):
        has_source = getattr(definition, field) is not None
        has_translation = getattr(translation, field) is not None
        if has_source != has_translation:
            problems.append(f"{field}: " + ("missing translation" if has_source
                                            else "not in the definition"))
    compare("themes", set(definition.themes), set(translation.themes))
    compare("items", {i.id for i in definition.items}, set(translation.items))
    for item in definition.items:
        translated = translation.items.get(item.id)
        if translated is not None and (item.hint is None) != (translated.hint is None):
            problems.append(f"items.{item.id}.hint: " + (
                "missing translation" if translated.hint is None else "not in the definition"))
        if translated is not None and len(translated.emphasis) != len(item.emphasis):
            problems.append(f"items.{item.id}.emphasis: needs {len(item.emphasis)} entries")
    compare("response_sets", set(definition.response_sets), set(translation.response_sets))
    for set_id, response_set in definition.response_sets.items():
        if set_id in translation.response_sets:
            compare(f"response_sets.{set_id}", {o.code for o in response_set.options},
                    set(translation.response_sets[set_id]))
    return problems


def translated_data(definition: InstrumentDefinition, translation: Translation) -> dict[str, Any]:
    """Return the definition's data with every respondent-facing string replaced."""
    data = definition.model_dump()
    data.update(
        language=translation.language,
        title=translation.title,
        introduction=translation.introduction,
        attribution=translation.attribution,
        terms_of_use=translation.terms_of_use,
        themes=dict(translation.themes),
    )
    for item in data["items"]:
        words = translation.items[item["id"]]
        item.update(text=words.text, emphasis=list(words.emphasis), hint=words.hint)
    for set_id, response_set in data["response_sets"].items():
        for option in response_set["options"]:
            option["label"] = translation.response_sets[set_id][option["code"]]
    return data
