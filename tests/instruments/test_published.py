"""A published instrument version is never edited: a change must be a new version."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main
from instruments import DEFINITIONS_DIR, InstrumentError, load_registry
from instruments.published import (
    LOCK_NAME,
    file_digest,
    lock_new_files,
    published_changes,
    read_lock,
)


def test_shipped_definitions_match_the_published_lock() -> None:
    assert published_changes(DEFINITIONS_DIR) == []
    assert set(read_lock(DEFINITIONS_DIR)) >= {
        "ctm15/1.yaml", "ctm3/1.yaml", "i_statements/1.yaml", "about_you/1.yaml"}


def test_editing_a_published_file_is_detected(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_scored: 8", "min_scored: 7"),
                    encoding="utf-8")
    assert published_changes(definitions) == [
        "ctm15/1.yaml: published file changed; publish a new version instead"]


def test_new_version_must_be_published_and_publishing_never_relocks(definitions: Path) -> None:
    (definitions / "ctm3" / "2.yaml").write_text(
        (definitions / "ctm3" / "1.yaml").read_text(encoding="utf-8")
        .replace("version: 1\n", "version: 2\n"), encoding="utf-8")
    edited = definitions / "ctm15" / "1.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert "ctm3/2.yaml: not in published.lock" in published_changes(definitions)[-1]
    assert lock_new_files(definitions) == ["ctm3/2.yaml"]
    assert published_changes(definitions) == [
        "ctm15/1.yaml: published file changed; publish a new version instead"]


def test_removed_published_file_is_detected(definitions: Path) -> None:
    (definitions / "about_you" / "1.yaml").unlink()
    assert published_changes(definitions) == ["about_you/1.yaml: published but missing"]


def test_loading_refuses_an_edited_published_file(definitions: Path) -> None:
    path = definitions / "ctm15" / "1.yaml"
    expected = read_lock(definitions)["ctm15/1.yaml"]
    path.write_text(path.read_text(encoding="utf-8").replace("min_scored: 8", "min_scored: 7"),
                    encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_registry(definitions)
    message = str(caught.value)
    assert message.startswith(f"{path}: published file was edited")
    assert f"expected sha256 {expected}, actual {file_digest(path)}" in message
    assert "make a new version instead" in message


def test_loading_refuses_a_removed_published_file(definitions: Path) -> None:
    (definitions / "about_you" / "1.yaml").unlink()
    with pytest.raises(InstrumentError, match="about_you/1.yaml: published in published.lock "
                                              "but missing"):
        load_registry(definitions)


def test_a_directory_without_a_lock_loads_edited_files(definitions: Path) -> None:
    (definitions / LOCK_NAME).unlink()
    path = definitions / "ctm15" / "1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("min_scored: 8", "min_scored: 7"),
                    encoding="utf-8")
    assert load_registry(definitions).get("ctm15").scoring.min_scored == 7


def test_publish_refuses_when_a_published_file_was_edited(
        definitions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = definitions / "ctm3" / "1.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    lock_before = (definitions / LOCK_NAME).read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["instruments", "publish", str(definitions)])
    assert exit_info.value.code == 2
    assert "ctm3/1.yaml: published file was edited" in capsys.readouterr().err
    assert (definitions / LOCK_NAME).read_text(encoding="utf-8") == lock_before
