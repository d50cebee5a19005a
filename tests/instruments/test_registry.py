"""Versions: the latest is the default, old versions stay loadable, unknowns are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from instruments import InstrumentError, load_registry


def add_version_2(definitions: Path) -> None:
    text = (definitions / "ctm3" / "1.yaml").read_text(encoding="utf-8")
    (definitions / "ctm3" / "2.yaml").write_text(
        text.replace("version: 1\n", "version: 2\n").replace("min_scored: 2", "min_scored: 3"),
        encoding="utf-8")


def test_a_new_version_is_a_new_file_and_becomes_the_default(definitions: Path) -> None:
    add_version_2(definitions)
    registry = load_registry(definitions)
    assert registry.versions("ctm3") == ["1", "2"]
    assert registry.get("ctm3").key == "ctm3@2"
    old = registry.get("ctm3", "1")
    assert old.key == "ctm3@1" and old.scoring is not None and old.scoring.min_scored == 2
    assert [i.key for i in registry.list()].count("ctm3@2") == 1


def test_versions_sort_as_numbers(definitions: Path) -> None:
    text = (definitions / "ctm3" / "1.yaml").read_text(encoding="utf-8")
    for version in (2, 10):
        (definitions / "ctm3" / f"{version}.yaml").write_text(
            text.replace("version: 1\n", f"version: {version}\n"), encoding="utf-8")
    assert load_registry(definitions).versions("ctm3") == ["1", "2", "10"]


@pytest.mark.parametrize(("args", "message"), [
    (("ctm16",),
     "unknown instrument 'ctm16' (known: about_you, comments, ctm15, ctm3, i_statements)"),
    (("ctm15", "3"), "instrument 'ctm15' has no version '3' (versions: 1)"),
    (("ctm15", None, "cy"), "ctm15@1 is not available in language 'cy' (available: en)"),
])
def test_unknown_requests_are_named(definitions: Path, args: tuple, message: str) -> None:
    with pytest.raises(InstrumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_registry(definitions).get(*args)


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="instrument directory does not exist"):
        load_registry(tmp_path / "nowhere")
