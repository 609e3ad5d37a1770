"""All-or-nothing publication into the store: a journal of renames, rolled forward.

A writer stages its files under ``STORE/.work/`` (same file system), makes them
durable, then calls :func:`publish` with the list of moves. Under the store's lock
(``STORE/.journal/lock``, ``flock`` exclusive) :func:`publish` writes the list to
``STORE/.journal/<name>.json`` atomically (temporary file, ``fsync``, rename, ``fsync``
of the folder), performs the renames, ``fsync``\\ s the folders that changed and removes
the journal. A process killed at any point leaves either no journal (nothing of the
batch is visible, or all of it is) or a journal that :func:`recover_store` rolls
forward: every move whose source still exists is done again (``os.replace`` onto the
same target is idempotent), so recovery killed half-way is simply run again.

Readers list the store's files under the shared lock (see ``reader.py``), after
:func:`recover_store`, so they never see part of a batch.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

JOURNAL_DIR = ".journal"
LOCK_NAME = "lock"
CRASH_VARIABLE = "TELCRM_CDR_CRASH_AFTER_MOVES"

_moves_done = 0  # moves made by this process (for the fault-injection hook only)


@contextmanager
def store_lock(store: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold the store's lock: exclusive to publish or recover, shared to list files."""
    folder = Path(store) / JOURNAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def fsync_file(path: Path) -> None:
    """Flush one file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _makedirs_durable(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each new entry made durable."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        fsync_dir(new.parent)


def _crash_hook() -> None:
    """Fault injection for the crash tests: ``os._exit(137)`` after N moves."""
    limit = os.environ.get(CRASH_VARIABLE)
    if limit is not None and _moves_done >= int(limit):
        os._exit(137)


def _roll_forward(store: Path, moves: Sequence[tuple[str, str]]) -> None:
    """Do every move whose source is still there, then make the targets durable."""
    global _moves_done
    touched: set[Path] = set()
    for source_name, target_name in moves:
        source, target = store / source_name, store / target_name
        _makedirs_durable(target.parent)
        _crash_hook()
        try:
            os.replace(source, target)
        except FileNotFoundError:
            # Already moved by an earlier, interrupted attempt.
            if not target.exists():
                raise
        _moves_done += 1
        touched.update((source.parent, target.parent))
    for folder in sorted(touched):
        if folder.exists():
            fsync_dir(folder)


def publish(
    store: Path,
    moves: Sequence[tuple[Path, Path]],
    *,
    name: str,
    scratch: Path | None = None,
) -> None:
    """Make ``moves`` (staged file, final place) visible to readers all at once.

    The staged files must already be durable (:func:`fsync_file`) and lie inside
    ``store``. ``scratch`` is the writer's scratch folder, which recovery removes after
    rolling a crashed writer's journal forward.
    """
    if not moves:
        return
    store = Path(store)
    relative = [
        (str(Path(source).relative_to(store)), str(Path(target).relative_to(store)))
        for source, target in moves
    ]
    entry: dict[str, object] = {"moves": relative}
    if scratch is not None:
        entry["scratch"] = str(Path(scratch).relative_to(store))
    folder = store / JOURNAL_DIR
    with store_lock(store, exclusive=True):
        journal = folder / f"{name}-{uuid.uuid4().hex[:8]}.json"
        temporary = journal.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(entry, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, journal)
        fsync_dir(folder)
        _roll_forward(store, relative)
        journal.unlink()
        fsync_dir(folder)


def recover_store(store: Path) -> int:
    """Roll forward every publication a killed writer left half done.

    Idempotent and safe to run again if itself killed. Returns the number of journals
    rolled forward (0 for a store in order, or one that does not exist yet).
    """
    store = Path(store)
    folder = store / JOURNAL_DIR
    if not any(folder.glob("*.json")) and not any(folder.glob("*.tmp")):
        return 0
    done = 0
    with store_lock(store, exclusive=True):
        for stale in folder.glob("*.tmp"):
            # A journal never renamed into place: its batch never started.
            stale.unlink(missing_ok=True)
        for journal in sorted(folder.glob("*.json")):
            entry = json.loads(journal.read_text(encoding="utf-8"))
            _roll_forward(store, [(s, t) for s, t in entry["moves"]])
            journal.unlink()
            fsync_dir(folder)
            if "scratch" in entry:
                shutil.rmtree(store / entry["scratch"], ignore_errors=True)
            done += 1
    return done
