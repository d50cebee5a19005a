"""Published definitions never change: a lock file records the sha256 of each one.

Stored answers point at ``id@version``; if a published file were edited, old answers would
silently be re-read against new wording or codes. ``published.lock`` (one
``<sha256>  <path>`` line per file, ``sha256sum`` format) is checked whenever a directory
that has one is loaded (``verify_published``): an edited published file stops start-up.
A directory without a lock (a draft, a test fixture) has nothing published to check.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from instruments.errors import InstrumentError

LOCK_NAME = "published.lock"
LOCK_HEADER = (
    "# sha256 of every published instrument file. Never edit a listed file: publish a new\n"
    "# version instead (python -m analysis instruments publish adds new files here).\n"
)


def file_digest(path: Path) -> str:
    """Return the sha256 hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_lock(directory: Path) -> dict[str, str]:
    """Return ``{relative path: sha256}`` from the directory's lock file."""
    lock = directory / LOCK_NAME
    entries: dict[str, str] = {}
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise InstrumentError(f"{lock}: line {number}: expected '<sha256>  <path>'")
        entries[name] = digest
    return entries


def verify_published(directory: Path) -> None:
    """Raise InstrumentError if a file the directory's lock lists was edited or removed.

    Costs one sha256 per published file (a few small files); files not yet in the lock
    are drafts and are not checked here (``published_changes`` lists them).
    """
    if not (directory / LOCK_NAME).exists():
        return
    for name, expected in read_lock(directory).items():
        path = directory / name
        if not path.is_file():
            raise InstrumentError(f"{path}: published in {LOCK_NAME} but missing; restore it "
                                  "(stored answers refer to it)")
        actual = file_digest(path)
        if actual != expected:
            raise InstrumentError(
                f"{path}: published file was edited (expected sha256 {expected}, actual "
                f"{actual}); restore it and make a new version instead")


def published_changes(directory: Path) -> list[str]:
    """List published files that were edited, removed or never locked (empty when sound)."""
    locked = read_lock(directory) if (directory / LOCK_NAME).exists() else {}
    problems = []
    for name, digest in sorted(locked.items()):
        path = directory / name
        if not path.exists():
            problems.append(f"{name}: published but missing")
        elif file_digest(path) != digest:
            problems.append(f"{name}: published file changed; publish a new version instead")
    for path in sorted(directory.glob("*/*.yaml")):
        name = path.relative_to(directory).as_posix()
        if name not in locked:
            problems.append(f"{name}: not in {LOCK_NAME}; add it when the version is published")
    return problems


def lock_new_files(directory: Path) -> list[str]:
    """Append every not-yet-locked file to the lock (publishing it); return their names.

    Files already in the lock are never re-hashed, so an edited published file stays a
    failure rather than being quietly accepted.
    """
    lock = directory / LOCK_NAME
    locked = read_lock(directory) if lock.exists() else {}
    new = [p for p in sorted(directory.glob("*/*.yaml"))
           if p.relative_to(directory).as_posix() not in locked]
    with lock.open("a", encoding="utf-8") as handle:
        if not locked and handle.tell() == 0:
            handle.write(LOCK_HEADER)
        for path in new:
            handle.write(f"{file_digest(path)}  {path.relative_to(directory).as_posix()}\n")
    return [p.relative_to(directory).as_posix() for p in new]
