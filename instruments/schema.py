"""The schema of an instrument definition, and the objects the rest of the platform reads.

A definition file is validated by these pydantic models when it is loaded, so a malformed
file is refused before anyone is asked a question from it. The same (frozen) models are the
public API: ``Instrument``, ``Item``, ``ResponseSet``, ``Option``, ``ScoringRule``.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any, Literal, get_args

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
        codes = [option.code for option in self.options]
        repeated = next((code for n, code in enumerate(codes) if code in codes[:n]), None)
        if repeated is not None:
            raise ValueError(f"option code {repeated!r} is used twice")
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


CHOICE = "choice"
FREE_TEXT = "free_text"
FREE_TEXT_LIMIT = 5000  # characters: a long letter, not a document


class Item(FrozenModel):
    """One question (statement) put to the respondent.

    ``kind`` is ``choice`` (the default: one option of ``response_set``) or ``free_text``
    (the respondent's own words, up to ``max_length`` characters, always optional and never
    scored, so it has no response set, theme or reverse scoring).
    """

    id: Identifier
    kind: Literal["choice", "free_text"] = CHOICE
    text: Text
    emphasis: list[Text] = []
    theme: Identifier | None = None
    response_set: Identifier | None = None
    max_length: int | None = Field(default=None, ge=1, le=FREE_TEXT_LIMIT)
    reverse: bool = False
    source_item: Identifier | None = None
    hint: Text | None = None
    ask_early: bool = False

    @property
    def is_free_text(self) -> bool:
        """Say whether the item asks for the respondent's own words rather than an option."""
        return self.kind == FREE_TEXT

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> Item:
        if self.is_free_text:
            if self.max_length is None:
                raise ValueError(f"free-text item {self.id} needs max_length")
            extra = [name for name in ("response_set", "theme", "source_item")
                     if getattr(self, name) is not None] + (["reverse"] if self.reverse else [])
            if extra:
                raise ValueError(f"free-text item {self.id} is never scored, so cannot have "
                                 f"{', '.join(extra)}")
        else:
            if self.response_set is None:
                raise ValueError(f"item {self.id} needs a response_set (or kind: free_text)")
            if self.max_length is not None:
                raise ValueError(f"max_length is only for free-text items, not {self.id}")
        return self

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


# The scoring methods ``analysis`` implements (a test there keeps its code in step). Named
# here so that an unknown method is refused when a definition is loaded, not when scoring.
ScoringMethod = Literal["linear_mean", "mean_of_scores", "sum"]
SCORING_METHODS: tuple[str, ...] = get_args(ScoringMethod)


class ScoringRule(FrozenModel):
    """How respondents are scored: the method (code in ``analysis``) and its parameters."""

    method: ScoringMethod
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
    response_sets: dict[Identifier, ResponseSet] = {}  # none when every item is free text
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
            if item.response_set is not None and item.response_set not in self.response_sets:
                raise ValueError(
                    f"items.{item.id}.response_set: unknown response set {item.response_set!r}"
                )
            if item.theme is not None and item.theme not in self.themes:
                raise ValueError(f"items.{item.id}.theme: {item.theme!r} is not one of the themes")
        if self.scoring is not None:
            self._check_scoring(self.scoring, ids)
        return self

    def _check_scoring(self, rule: ScoringRule, ids: list[str]) -> None:
        free_text = [item.id for item in self.items if item.is_free_text]
        if free_text:
            raise ValueError(f"items: free-text items ({', '.join(free_text)}) are never "
                             "scored: ask them in an instrument with scoring: null")
        if rule.min_scored > len(ids):
            raise ValueError(f"scoring.min_scored: {rule.min_scored} exceeds the {len(ids)} items")
        for name, subscale in rule.subscales.items():
            unknown = [i for i in subscale.items if i not in ids]
            if unknown:
                raise ValueError(f"scoring.subscales.{name}.items: unknown items {unknown}")
            if subscale.min_scored > len(subscale.items):
                raise ValueError(f"scoring.subscales.{name}.min_scored: exceeds its items")
        used = {item.response_set for item in self.items if item.response_set is not None}
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
        """Return the options offered for an item, in order (none for a free-text item)."""
        item = self.item(item_id)
        return [] if item.response_set is None else self.response_sets[item.response_set].options
