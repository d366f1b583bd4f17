"""Every user mistake on the command line: exit 1, one line, nothing written (issue 9).

Exit 3 is for a bug only; these run ``abmxl.cli.main`` in-process.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from abmxl.cli import EXIT_ERROR, EXIT_OK, main
from tests import book_shapes


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == EXIT_ERROR, err
    assert len(lines) == 1 and lines[0].startswith("abmxl: error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["new", "{d}/a.xlsm", "--sample", "0"], "--sample 0"),
        (["new", "{d}/a.xlsm", "--sample", "-5"], "--sample -5"),
        (["new", "{d}/missing/a.xlsm"], "does not exist"),
        (["new", "{d}/a.txt"], "name it .xlsm"),
        (["new", "{d}"], "is a folder"),
        (["template", "{d}/t.xlsx"], "name it .xlsm"),
        (["template", "{d}/missing/t.xlsm"], "does not exist"),
        (["template", "{d}"], "is a folder"),
        (["demo", "--accounts", "0", "--dir", "{d}/demo", "--no-picture"], "--accounts 0"),
        (["refresh", "{d}"], "is a folder; give the workbook file"),
        (["refresh", "{d}/missing/book.xlsx"], "book.xlsx"),
        (["refresh", "{d}/book.csv"], "writes .xlsx and .xlsm"),
    ],
    ids=[
        "sample-0",
        "sample-negative",
        "new-missing-folder",
        "new-wrong-suffix",
        "new-a-folder",
        "template-xlsx",
        "template-missing-folder",
        "template-a-folder",
        "demo-0-accounts",
        "refresh-a-folder",
        "refresh-missing-folder",
        "refresh-wrong-suffix",
    ],
)
def test_user_mistakes_exit_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    line = one_line_error(capsys, [a.format(d=tmp_path) for a in argv])
    assert words in line
    assert "save as" not in line.lower()  # a folder is not told to "save as .xlsx"
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing written


def test_template_refuses_an_existing_file_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mine.xlsm"
    target.write_bytes(b"precious")
    assert "--force" in one_line_error(capsys, ["template", str(target)])
    assert target.read_bytes() == b"precious"
    assert main(["template", str(target), "--force"]) == EXIT_OK
    assert target.read_bytes().startswith(b"PK")


def test_a_macro_book_only_from_a_macro_book(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = book_shapes.plain_book(tmp_path / "plain.xlsx")
    line = one_line_error(capsys, ["refresh", str(src), "--out", str(tmp_path / "out.xlsm")])
    assert "only come from a macro workbook" in line
    assert not (tmp_path / "out.xlsm").exists()


def test_a_read_only_book_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = book_shapes.plain_book(tmp_path / "plain.xlsx")
    src.chmod(0o444)
    try:
        assert "read-only" in one_line_error(capsys, ["refresh", str(src)])
    finally:
        src.chmod(0o644)


def test_the_writers_warnings_are_printed(
    sample_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book_shapes.rewrite(sample_book, book_shapes.signed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none may escape as a Python warning
        assert main(["refresh", str(sample_book), "--quiet", "--json"]) == EXIT_OK
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("abmxl: warning: sample.xlsm: ")
    assert "invalidates its signature" in err[0]
