"""The one error the writer raises."""

from __future__ import annotations


class WorkbookWriteError(Exception):
    """The workbook cannot be written: not a zip, corrupt, unsupported or locked.

    The message is one line meant for the user (the CLI prints it as is).
    """


def parse_int(value: str | None, what: str) -> int:
    """An integer attribute of a part; a bad one means the workbook is corrupt."""
    try:
        return int(value or 0)
    except ValueError:
        raise WorkbookWriteError(f"corrupt workbook (bad {what} {value!r})") from None
