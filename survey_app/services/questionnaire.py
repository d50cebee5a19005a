"""The questionnaire as a journey asks it: a survey's instruments in the page language,
their items as numbered questions (those asked early first), and the sections they fall
into (one per instrument). No database and no state: :mod:`~survey_app.services.journey`
holds a response's progress through these."""

from __future__ import annotations

from dataclasses import dataclass

import instruments
from survey_app.models import Survey


@dataclass(frozen=True)
class Question:
    """One item of one instrument at its place in the journey."""

    key: str
    number: int
    total: int
    instrument: instruments.Instrument
    item: instruments.Item
    options: list[instruments.Option]
    attribution: str | None


@dataclass(frozen=True)
class Section:
    """One instrument's part of the journey: its questions asked in turn, in order.

    Each instrument of the survey is a section, titled by its definition (the ``title`` of
    its YAML), so sections follow the bundle without code. Questions asked early (e.g.
    "Who is filling this in?") come before every section and belong to none of them.
    """

    number: int
    total: int
    instrument: instruments.Instrument
    questions: tuple[Question, ...]

    @property
    def key(self) -> str:
        """Return the section's URL-safe key: its instrument's id."""
        return self.instrument.id

    @property
    def title(self) -> str:
        """Return the section's title: its instrument's, in the journey's language."""
        return self.instrument.title

    @property
    def has_page(self) -> bool:
        """Say whether the section opens with a page of its own (introduction, answers to
        choose from). A section of one question needs none: the question says it all."""
        return len(self.questions) > 1

    def position(self, question: Question) -> int:
        """Return the question's place in the section, from 1."""
        return [q.key for q in self.questions].index(question.key) + 1

    def starts_with(self, question: Question) -> bool:
        """Say whether ``question`` is the section's first."""
        return self.questions[0].key == question.key

    @property
    def answer_scale(self) -> tuple[list[instruments.Option], list[instruments.Option]]:
        """Return the answers every question of the section offers, when they are a scale
        (some are scored), and the other answers only some offer; ([], []) otherwise (e.g.
        "About you", where each question has its own answers)."""
        option_lists = [question.options for question in self.questions]
        common = [
            option for option in option_lists[0]
            if all(option in options for options in option_lists[1:])
        ]
        if not any(option.scored for option in common):
            return [], []
        extra: list[instruments.Option] = []
        for options in option_lists:
            extra += [o for o in options if o not in common and o not in extra]
        return common, extra


def build_sections(questions: list[Question]) -> list[Section]:
    """Group the questions asked in turn by instrument, in journey order, and number them."""
    runs: list[list[Question]] = []
    for question in questions:
        if question.item.ask_early:
            continue
        if not runs or runs[-1][0].instrument.id != question.instrument.id:
            runs.append([])
        runs[-1].append(question)
    return [
        Section(number=number, total=len(runs), instrument=run[0].instrument,
                questions=tuple(run))
        for number, run in enumerate(runs, start=1)
    ]


def question_key(instrument_id: str, item_id: str) -> str:
    """Return the URL-safe, stable key of an item, e.g. ``ctm15-q4``."""
    return f"{instrument_id}-{item_id}"


def load_instruments(survey: Survey, language: str) -> list[instruments.Instrument]:
    """Return the survey's instruments in bundle order, in ``language`` where available."""
    bundle = []
    for instrument_id, version in survey.instrument_keys:
        instrument = instruments.get_instrument(instrument_id, version)
        if language != instrument.language and language in instrument.languages:
            instrument = instruments.get_instrument(instrument_id, version, language)
        bundle.append(instrument)
    return bundle


def build_questions(bundle: list[instruments.Instrument]) -> list[Question]:
    """Order the items: those asked early (e.g. "Who is filling this in?") first, then the
    rest in bundle order, and number them."""
    pairs = [(inst, item) for inst in bundle for item in inst.items]
    ordered = [p for p in pairs if p[1].ask_early] + [p for p in pairs if not p[1].ask_early]
    return [
        Question(
            key=question_key(inst.id, item.id),
            number=number,
            total=len(ordered),
            instrument=inst,
            item=item,
            options=inst.options_for(item.id),
            attribution=inst.attribution,
        )
        for number, (inst, item) in enumerate(ordered, start=1)
    ]
