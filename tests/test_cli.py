"""The command line as a user meets it: output, JSON, and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from abmxl.examples import WORKED_EXAMPLES
from tests.conftest import TODAY


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "abmxl", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_metrics_prints_every_worked_example() -> None:
    result = run_cli("metrics")
    assert result.returncode == 0, result.stderr
    for example in WORKED_EXAMPLES:
        assert example.call in result.stdout
        assert f"=ABM_{example.excel}(" in result.stdout


def test_metrics_json_matches_the_expected_table() -> None:
    result = run_cli("metrics", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["function"] for row in rows] == [ex.function for ex in WORKED_EXAMPLES]
    for row, example in zip(rows, WORKED_EXAMPLES, strict=True):
        assert row["result"] == pytest.approx(example.expected, rel=1e-12), example.call


def test_refresh_json_equals_python_api(sample_book: Path, tmp_path: Path) -> None:
    import abmxl

    out = tmp_path / "out.xlsm"
    result = run_cli("refresh", sample_book, "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) >= {"stages", "kpis", "issues"}
    # The CLI used the machine's date; the sample's Settings fix as_of, so the
    # numbers do not depend on it.
    summary = abmxl.refresh_workbook(sample_book, tmp_path / "api.xlsm", today=TODAY)
    expected = summary.to_json()
    assert document["stages"] == expected["stages"]
    assert document["kpis"] == expected["kpis"]
    assert document["issues"] == expected["issues"]
    assert document["stages"]["Target"]["All targets"] > 0


def test_refresh_prints_tables_and_leaves_original_with_out(sample_book: Path, tmp_path: Path):
    before = sample_book.read_bytes()
    out = tmp_path / "refreshed.xlsm"
    result = run_cli("refresh", sample_book, "--out", out)
    assert result.returncode == 0, result.stderr
    for word in ("Stage", "All targets", "Tier 1", "Non-target", "Expanded", "Win rate"):
        assert word.lower() in result.stdout.lower()
    assert str(out) in result.stdout
    assert sample_book.read_bytes() == before
    assert zipfile.is_zipfile(out)


def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.xlsx"
    path.write_text("account_id,fit_score\nA,80\n")
    return path


def _pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")
    return path


def _truncated_book(tmp_path: Path) -> Path:
    from abmxl.template import build_workbook

    path = tmp_path / "broken.xlsm"
    build_workbook(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "nope.xlsx"


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.xlsx"
    path.mkdir()
    return path


def _open_in_excel(tmp_path: Path) -> Path:
    from abmxl.template import build_workbook

    path = tmp_path / "Pipeline.xlsm"
    build_workbook(path)
    (tmp_path / "~$peline.xlsm").write_bytes(b"owner")
    return path


def _no_accounts_sheet(tmp_path: Path) -> Path:
    import xlsxwriter

    path = tmp_path / "other.xlsx"
    workbook = xlsxwriter.Workbook(path)
    workbook.add_worksheet("Budget").write_row(0, 0, ["month", "amount"])
    workbook.close()
    return path


@pytest.mark.parametrize(
    ("make_book", "words"),
    [
        (_missing, "nope.xlsx"),
        (_directory, "folder.xlsx"),
        (_text_file, "notes.xlsx"),
        (_pdf_file, "report.xlsx"),
        (_truncated_book, "broken.xlsm"),
        (_open_in_excel, "open in Excel"),
        (_no_accounts_sheet, "Accounts"),
    ],
    ids=["missing", "directory", "text", "pdf", "corrupt", "locked", "not-an-abm-book"],
)
def test_bad_books_give_one_line_and_exit_1(tmp_path: Path, make_book, words: str) -> None:
    book = make_book(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = run_cli("refresh", book)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("abmxl: error: ")
    assert words in lines[0]
    assert "Traceback" not in result.stderr
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing left behind


def test_usage_error_is_one_line_and_exit_1() -> None:
    result = run_cli("refresh")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "give the workbook to refresh" in result.stderr
    assert "abmxl refresh --help" in result.stderr


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    book = tmp_path / "mine.xlsm"
    book.write_bytes(b"precious")
    result = run_cli("new", book)
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert book.read_bytes() == b"precious"


def test_new_with_sample_then_refresh(tmp_path: Path) -> None:
    book = tmp_path / "fresh.xlsm"
    assert run_cli("new", book, "--sample", "25").returncode == 0
    result = run_cli("refresh", book, "--json")
    assert result.returncode == 0, result.stderr
    stages = json.loads(result.stdout)["stages"]
    tiers = sum(stages["Target"][s] for s in ("Tier 1", "Tier 2", "Tier 3"))
    assert stages["Target"]["All targets"] == tiers
    scores = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Account Scores").to_python()
    assert stages["Target"]["All targets"] + stages["Target"]["Non-target"] == len(scores) - 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_clears_it() -> None:
    from abmxl.cli import Progress

    terminal = _Terminal()
    with Progress(stream=terminal) as progress:
        progress("reading book.xlsm")
        progress("computing the funnel")
    text = terminal.getvalue()
    assert "\n" not in text  # redrawn in place with carriage returns
    assert "reading book.xlsm" in text and "computing the funnel" in text
    assert text.endswith("\r")  # the line is blanked at the end


def test_progress_is_silent_off_a_terminal() -> None:
    from abmxl.cli import Progress

    log = io.StringIO()
    with Progress(stream=log) as progress:
        progress("reading book.xlsm")
    assert log.getvalue() == ""
