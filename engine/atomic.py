"""Atomic file writes: a temporary file in the target folder, then a rename.

A crash or kill mid-write leaves the old file (or none), never a half-written one. Disk-full and
permission problems become ExportError naming the folder and what to do.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from engine.errors import ExportError

# Inside all_or_none(): the (temporary, target) pairs written in full, renamed together at its end.
_staged: ContextVar[list[tuple[Path, Path]] | None] = ContextVar("noisescope_staged_writes", default=None)


@contextmanager
def all_or_none() -> Iterator[None]:
    """The files written inside land together (a run's PNGs, animations and trajectory): each is
    written in full beside its target, and only when the block ends without error are they all
    renamed into place, which takes moments. An error, Ctrl-C or a kill before then leaves none of
    them (a kill leaves hidden .part files, which the window sweeps), so a run's files are there, and
    recorded, or not at all."""
    staged: list[tuple[Path, Path]] = []
    token = _staged.set(staged)
    try:
        yield
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    finally:
        _staged.reset(token)
    for index, (temporary, target) in enumerate(staged):
        try:
            os.replace(temporary, target)
        except OSError as exc:
            for left, _ in staged[index:]:
                left.unlink(missing_ok=True)
            raise ExportError(_explain(exc, target)) from None


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Call write(temporary_path), then move the result onto target."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(handle)
    except OSError as exc:
        raise ExportError(_explain(exc, target)) from None
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; exports are ordinary files
        staged = _staged.get()
        if staged is not None:
            staged.append((Path(temporary), target))  # renamed with the others at the end of all_or_none()
            return target
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ExportError(_explain(exc, target)) from None
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        wrapped = _os_error_in(exc)
        if wrapped is not None:  # a library's own error around an OSError (safetensors: SafetensorError)
            raise ExportError(_explain(wrapped, target)) from None
        raise
    return target


def _os_error_in(exc: BaseException) -> OSError | None:
    """The OSError a library reported as text: Rust-based ones (safetensors) say "... (os error 28)"."""
    if not isinstance(exc, Exception):
        return None  # KeyboardInterrupt and the like pass through untouched
    found = re.search(r"\(os error (\d+)\)", str(exc))
    if found is None:
        return None
    number = int(found.group(1))
    return OSError(number, os.strerror(number))


def explain_os_error(exc: OSError, target: Path) -> str:
    """A message naming the file or folder and what to do, for an OSError met writing `target`."""
    return _explain(exc, target)


def _explain(exc: OSError, target: Path) -> str:
    folder = target.parent
    if exc.errno == errno.ENOSPC:
        return f"cannot write {target.name}: the disk holding {folder} is full; free some space or choose another folder"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write to {folder}: it is read-only or not yours; choose another folder"
    if exc.errno == errno.EFBIG:
        return (f"cannot write {target.name}: the file grew past the largest file this system or account allows "
                f"(a file-size limit, `ulimit -f`, or the disk's format); export fewer steps or choose another disk")
    if exc.errno == errno.ENAMETOOLONG:
        return f"cannot write into {folder}: the path is too long for this system; choose a shorter folder"
    return f"cannot write {target}: {exc.strerror or exc}"


def _read_umask() -> int:
    # Read once at import: os.umask can only be read by setting it, which is not thread-safe.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()
