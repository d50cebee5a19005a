"""Loading a directory of instrument definitions: versions, translations, derived instruments.

Layout: ``<directory>/<instrument id>/<version>.yaml`` holds a definition in its source
language; ``<version>.<language>.yaml`` beside it holds a translation. Everything is
validated when the directory is loaded, so a malformed file stops start-up with a message
naming the file, the field and the problem, rather than surfacing in front of a patient.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from instruments.errors import InstrumentError
from instruments.published import verify_published
from instruments.schema import Instrument, InstrumentDefinition
from instruments.translation import Translation, coverage_problems, translated_data
from instruments.yaml_loader import DuplicateKeyError, UniqueKeyLoader

DEFINITIONS_DIR = Path(__file__).parent / "definitions"

_Key = tuple[str, str, str]  # (id, version, language)
M = TypeVar("M", bound=BaseModel)


class Registry:
    """Every instrument version of one directory, in every language it is available in."""

    def __init__(self, instruments: Mapping[_Key, Instrument]) -> None:
        self._instruments = dict(instruments)

    def get(self, instrument_id: str, version: str | None = None,
            language: str = "en") -> Instrument:
        """Return one instrument version (the latest when ``version`` is None) in a language."""
        versions = self.versions(instrument_id)
        if not versions:
            known = ", ".join(sorted({key[0] for key in self._instruments})) or "none"
            raise InstrumentError(f"unknown instrument {instrument_id!r} (known: {known})")
        chosen = versions[-1] if version is None else str(version)
        if chosen not in versions:
            raise InstrumentError(
                f"instrument {instrument_id!r} has no version {chosen!r} "
                f"(versions: {', '.join(versions)})"
            )
        try:
            return self._instruments[(instrument_id, chosen, language)]
        except KeyError:
            source = self._source(instrument_id, chosen)
            raise InstrumentError(
                f"{source.key} is not available in language {language!r} "
                f"(available: {', '.join(source.languages)})"
            ) from None

    def list(self) -> list[Instrument]:
        """Return every instrument version once, in its source language, by id then version."""
        sources = {(i.id, i.version): i for i in self._instruments.values()
                   if i.language == i.languages[0]}
        return [sources[key] for key in sorted(sources, key=lambda k: (k[0], int(k[1])))]

    def versions(self, instrument_id: str) -> list[str]:
        """Return the versions of an instrument, oldest first."""
        found = {key[1] for key in self._instruments if key[0] == instrument_id}
        return sorted(found, key=int)

    def _source(self, instrument_id: str, version: str) -> Instrument:
        return next(i for i in self.list() if (i.id, i.version) == (instrument_id, version))


def load_registry(directory: Path, *, verify_lock: bool = True) -> Registry:
    """Load and validate every definition and translation under ``directory``.

    When the directory has a ``published.lock``, every file it lists must be unchanged
    (``verify_lock=False`` only for ``instruments check``, which lists such problems).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InstrumentError(f"{directory}: instrument directory does not exist")
    definitions: dict[tuple[str, str], tuple[Path, InstrumentDefinition]] = {}
    translations: dict[tuple[str, str], dict[str, tuple[Path, Translation]]] = {}
    for path in sorted(directory.glob("*/*.yaml")):
        version, _, language = path.name.removesuffix(".yaml").partition(".")
        instrument_id = path.parent.name
        if language:
            translation = _validate(Translation, path)
            _expect(path, "language", translation.language, language)
            translations.setdefault((instrument_id, version), {})[language] = (path, translation)
        else:
            definition = _validate(InstrumentDefinition, path)
            _expect(path, "id", definition.id, instrument_id)
            _expect(path, "version", definition.version, version)
            definitions[(instrument_id, version)] = (path, definition)
    for key, by_language in translations.items():
        if key not in definitions:
            path = next(iter(by_language.values()))[0]
            raise InstrumentError(f"{path}: translation of {key[0]}@{key[1]}, "
                                  "which has no definition file")
    built = _build_languages(definitions, translations)
    registry = Registry(_resolve_derived(built, definitions))
    if verify_lock:
        verify_published(directory)
    return registry


@functools.cache
def default_registry() -> Registry:
    """The instruments shipped with the platform (loaded once per process)."""
    return load_registry(DEFINITIONS_DIR)


def _build_languages(
    definitions: Mapping[tuple[str, str], tuple[Path, InstrumentDefinition]],
    translations: Mapping[tuple[str, str], Mapping[str, tuple[Path, Translation]]],
) -> dict[_Key, Instrument]:
    built: dict[_Key, Instrument] = {}
    for (instrument_id, version), (_, definition) in definitions.items():
        extra = translations.get((instrument_id, version), {})
        if definition.language in extra:
            raise InstrumentError(f"{extra[definition.language][0]}: translates into the "
                                  f"definition's own language {definition.language!r}")
        languages = (definition.language, *sorted(extra))
        data = {**definition.model_dump(), "languages": languages}
        built[(instrument_id, version, definition.language)] = Instrument.model_validate(data)
        for language, (path, translation) in extra.items():
            problems = coverage_problems(definition, translation)
            if problems:
                raise InstrumentError(f"{path}: incomplete translation: " + "; ".join(problems))
            data = {**translated_data(definition, translation), "languages": languages}
            built[(instrument_id, version, language)] = _validate(Instrument, path, data)
    return built


def _resolve_derived(
    built: Mapping[_Key, Instrument],
    definitions: Mapping[tuple[str, str], tuple[Path, InstrumentDefinition]],
) -> dict[_Key, Instrument]:
    """Attach the instruments a definition derives (e.g. CTM-3 from a CTM-15 response)."""
    resolved = dict(built)
    for (instrument_id, version, language), instrument in built.items():
        if instrument.scoring is None or not instrument.scoring.derived:
            continue
        path = definitions[(instrument_id, version)][0]
        derived = []
        for key in instrument.scoring.derived:
            target_id, _, target_version = key.partition("@")
            target = built.get((target_id, target_version, language)) or next(
                (i for k, i in built.items() if k[:2] == (target_id, target_version)
                 and i.language == i.languages[0]), None)
            if target is None:
                raise InstrumentError(f"{path}: scoring.derived: unknown instrument {key!r}")
            _check_derivable(path, instrument, target)
            derived.append(target)
        resolved[(instrument_id, version, language)] = instrument.model_copy(
            update={"derived_instruments": tuple(derived)})
    return resolved


def _check_derivable(path: Path, source: Instrument, target: Instrument) -> None:
    where = f"{path}: scoring.derived: {target.key}"
    if target.scoring is None:
        raise InstrumentError(f"{where} is never scored, so cannot be derived")
    if target.scoring.derived:
        raise InstrumentError(f"{where} derives instruments itself (one level only)")
    source_ids = {item.id for item in source.items}
    for item in target.items:
        if item.source_item not in source_ids:
            raise InstrumentError(f"{where}: item {item.id} has source_item "
                                  f"{item.source_item!r}, not an item of {source.key}")
        source_codes = {o.code for o in source.options_for(item.source_item)}
        target_codes = {o.code for o in target.options_for(item.id)}
        if not source_codes <= target_codes:
            raise InstrumentError(f"{where}: item {item.id} cannot read answer codes "
                                  f"{sorted(source_codes - target_codes)} of {item.source_item}")


def _expect(path: Path, field: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise InstrumentError(f"{path}: field {field}: is {actual!r} but the file name "
                              f"says {expected!r}")


def _validate(model: type[M], path: Path, data: Any = None) -> M:
    """Validate a file (or data built from it) and name the file in any error."""
    if data is None:
        data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InstrumentError(f"{path}: " + "; ".join(_describe(exc.errors()))) from None


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except DuplicateKeyError as exc:
        raise InstrumentError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InstrumentError(f"{path}:{where} not valid YAML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InstrumentError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _describe(errors: Iterable[Any]) -> list[str]:
    """Turn pydantic errors into 'field path: problem' phrases."""
    described = []
    for error in errors:
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                       for part in error["loc"]).lstrip(".")
        message = str(error["msg"]).removeprefix("Value error, ")
        # Whole-file checks name their own field path at the start of the message.
        described.append(f"field {path}: {message}" if path else f"field {message}")
    return described
