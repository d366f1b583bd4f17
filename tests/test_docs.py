"""The README is the front door: its links, commands and picture must be real."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_quick_start_is_exactly_the_two_make_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert commands == ["make demo\nmake test\n"]


def test_every_linked_file_exists() -> None:
    targets = re.findall(r"\]\(([^)#]+)\)", README)
    assert targets
    for target in targets:
        assert (ROOT / target).exists(), target


def test_picture_is_a_rendered_sheet() -> None:
    picture = ROOT / "docs" / "img" / "funnel_summary.png"
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 1000 and height > 500  # a whole sheet, made by `make picture`


def test_make_targets_named_in_the_docs_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "bench", "template", "docs", "picture", "format"):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
