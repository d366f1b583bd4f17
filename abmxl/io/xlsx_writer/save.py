"""Atomic save: the new workbook goes to a temporary file beside the target, then replaces it.

The temporary file is fsynced and ``os.replace``d over the target; any failure
removes it and leaves the target as it was. A symlinked workbook is written
through to the file it points to (the link stays a link); a read-only target
is refused; a new file gets the mode the user's umask gives new files, an
existing one keeps its own.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from abmxl.io.xlsx_writer.errors import WorkbookWriteError


def real_target(target: Path) -> Path:
    """The file a write must replace: a symlink's target, not the link itself."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def check_writable(target: Path) -> None:
    """Refuse a target that is a folder or a read-only file (before any work is done)."""
    target = real_target(target)
    if target.is_dir():
        raise WorkbookWriteError(f"{target.name} is a folder, not a workbook file")
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise WorkbookWriteError(f"{target.parent} is not a folder") from None
        return
    # The write bits, not os.access: an administrator may replace anything,
    # but a file marked read-only is meant to stay as it is.
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WorkbookWriteError(
            f"{target.name} is read-only; make it writable, or write to another file with --out"
        )


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def replace_atomically(target: Path, produce: Callable[[BinaryIO], None]) -> None:
    """Write ``target`` via a fsynced temporary file beside it and ``os.replace``."""
    target = real_target(target)
    check_writable(target)
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".abmxl-tmp"
        )
    except OSError as exc:
        raise WorkbookWriteError(f"cannot write in {target.parent}: {exc.strerror or exc}") from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            produce(out)
            out.flush()
            os.fsync(out.fileno())
        try:  # keep the permissions of the file being replaced
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:  # mkstemp made it 0600: give it a new file's mode
            mode = _new_file_mode()
        os.chmod(temp, mode)
        try:
            os.replace(temp, target)
        except OSError as exc:
            raise WorkbookWriteError(
                f"cannot replace {target.name}: {exc.strerror or exc} (is it open in Excel?)"
            ) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
