"""The schema of an instrument definition, and the objects the rest of the platform reads.

A definition file is validated by these pydantic models when it is loaded, so a malformed
file is refused before anyone is asked a question from it. The same (frozen) models are the
public API: ``Instrument``, ``Item``, ``ResponseSet``, ``Option``, ``ScoringRule``.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

# YAML reads ``code: 1`` as an integer; codes are strings everywhere else.
Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
                 Field(pattern=r"^[A-Za-z0-9_-]+$")]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
Version = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) else v),
                    Field(pattern=r"^[1-9][0-9]*$")]
InstrumentKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*@[1-9][0-9]*$")]
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")]  # BCP 47-like


class FrozenModel(BaseModel):
    """Base for every schema model: immutable, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(FrozenModel):
    """One answer a respondent can choose."""

    code: Code
    label: Text
    short_code: Code
    scored: bool
    score: float | None = None

    @model_validator(mode="after")
    def _score_only_when_scored(self) -> Option:
        if self.scored and self.score is None:
            raise ValueError(f"option {self.code!r} is scored but has no score")
        if not self.scored and self.score is not None:
            raise ValueError(f"option {self.code!r} is not scored but has a score")
        return self


class ResponseSet(FrozenModel):
    """The options offered for an item; codes, short codes and labels are each unique."""

    id: Identifier
    options: list[Option] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique_answers(self) -> ResponseSet:
        # Codes, short codes and labels are all accepted as answers, so none may be ambiguous.
        seen: dict[str, str] = {}
        for option in self.options:
            for spelling in {option.code, option.short_code, option.label}:
                key = answer_key(spelling)
                if key in seen and seen[key] != option.code:
                    raise ValueError(
                        f"answer {spelling!r} of option {option.code!r} is already used by "
                        f"option {seen[key]!r}"
                    )
                seen[key] = option.code
        if all(option.scored for option in self.options):
            raise ValueError("needs at least one unscored way out (e.g. 'Don't know')")
        return self

    @property
    def scored_range(self) -> tuple[float, float] | None:
        """Lowest and highest score among the scored options (None if none are scored)."""
        scores = [o.score for o in self.options if o.score is not None]
        return (min(scores), max(scores)) if scores else None


def answer_key(spelling: str) -> str:
    """Fold an answer spelling so 'Agree', ' agree ' and 'AGREE' compare equal."""
    return spelling.strip().replace("\u2019", "'").casefold()


class Item(FrozenModel):
    """One question (statement) put to the respondent."""

    id: Identifier
    text: Text
    emphasis: list[Text] = []
    theme: Identifier | None = None
    response_set: Identifier
    reverse: bool = False
    source_item: Identifier | None = None
    hint: Text | None = None
    ask_early: bool = False

    @model_validator(mode="after")
    def _emphasis_in_text(self) -> Item:
        for word in self.emphasis:
            if not _word_pattern(word).search(self.text):
                raise ValueError(f"emphasis {word!r} does not occur in the text of {self.id}")
        if "*" in self.text:
            raise ValueError(f"text of {self.id} contains '*': declare emphasis instead")
        return self

    @property
    def html(self) -> str:
        """The text HTML-escaped, with each emphasised word wrapped in ``<strong>``."""
        result = html.escape(self.text, quote=False)
        for word in self.emphasis:
            escaped = html.escape(word, quote=False)
            result = _word_pattern(escaped).sub(
                lambda m: f"<strong>{m.group(0)}</strong>", result, count=1
            )
        return result


def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


class SummaryBands(FrozenModel):
    """Which option codes count as top box, positive and bottom box in item summaries."""

    top_box: list[Code] = Field(min_length=1)
    positive: list[Code] = Field(min_length=1)
    bottom_box: list[Code] = Field(min_length=1)


class Subscale(FrozenModel):
    """A named subset of items scored with the instrument's own method."""

    items: list[Identifier] = Field(min_length=1)
    min_scored: int = Field(ge=1)


class ScoringRule(FrozenModel):
    """How respondents are scored: the method (code in ``analysis``) and its parameters."""

    method: Identifier
    min_scored: int = Field(ge=1)
    summary: SummaryBands
    parameters: dict[str, Any] = {}
    subscales: dict[Identifier, Subscale] = {}
    derived: list[InstrumentKey] = []
    rule_sources: dict[str, Text] = {}


class InstrumentDefinition(FrozenModel):
    """Exactly what a definition file holds (in its source language)."""

    id: Identifier
    version: Version
    language: LanguageTag
    title: Text
    introduction: Text
    attribution: Text | None = None
    terms_of_use: Text | None = None
    themes: dict[Identifier, Text] = {}
    items: list[Item] = Field(min_length=1)
    response_sets: dict[Identifier, ResponseSet] = Field(min_length=1)
    scoring: ScoringRule | None

    @model_validator(mode="before")
    @classmethod
    def _response_set_ids_from_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("response_sets"), dict):
            data = dict(data)
            data["response_sets"] = {
                key: {"id": key, **value} if isinstance(value, dict) else value
                for key, value in data["response_sets"].items()
            }
        return data

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentDefinition:
        ids = [item.id for item in self.items]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"items: duplicated item ids: {', '.join(duplicated)}")
        for item in self.items:
            if item.response_set not in self.response_sets:
                raise ValueError(
                    f"items.{item.id}.response_set: unknown response set {item.response_set!r}"
                )
            if item.theme is not None and item.theme not in self.themes:
                raise ValueError(f"items.{item.id}.theme: {item.theme!r} is not one of the themes")
        if self.scoring is not None:
            self._check_scoring(self.scoring, ids)
        return self

    def _check_scoring(self, rule: ScoringRule, ids: list[str]) -> None:
        if rule.min_scored > len(ids):
            raise ValueError(f"scoring.min_scored: {rule.min_scored} exceeds the {len(ids)} items")
        for name, subscale in rule.subscales.items():
            unknown = [i for i in subscale.items if i not in ids]
            if unknown:
                raise ValueError(f"scoring.subscales.{name}.items: unknown items {unknown}")
            if subscale.min_scored > len(subscale.items):
                raise ValueError(f"scoring.subscales.{name}.min_scored: exceeds its items")
        used = {item.response_set for item in self.items}
        for set_id in sorted(used):
            options = {o.code: o for o in self.response_sets[set_id].options}
            if sum(o.scored for o in options.values()) < 2:
                raise ValueError(
                    f"response_sets.{set_id}: a scored instrument needs 2+ scored options"
                )
            for band in ("top_box", "positive", "bottom_box"):
                for code in getattr(rule.summary, band):
                    if code not in options or not options[code].scored:
                        raise ValueError(
                            f"scoring.summary.{band}: code {code!r} is not a scored option of "
                            f"response set {set_id}"
                        )


class Instrument(InstrumentDefinition):
    """An instrument version in one language, as the survey and the scoring engine use it."""

    languages: tuple[str, ...] = ()
    derived_instruments: tuple[Instrument, ...] = ()

    @property
    def key(self) -> str:
        """``id@version``: what stored answers point at."""
        return f"{self.id}@{self.version}"

    def item(self, item_id: str) -> Item:
        """Return the item with this id (KeyError naming it if absent)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.key} has no item {item_id!r}")

    def options_for(self, item_id: str) -> list[Option]:
        """Return the options offered for an item, in order."""
        return self.response_sets[self.item(item_id).response_set].options
