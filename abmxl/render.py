"""A picture of one sheet, made with LibreOffice headless (no Excel needed).

Used by ``abmxl demo`` to show the refreshed Funnel Summary, and by the README.
LibreOffice exports every visible sheet as one PDF page (``SinglePageSheets``);
pdftoppm turns the sheet's page into a PNG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PDF_FILTER = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


class RenderError(Exception):
    """The picture could not be made (LibreOffice or pdftoppm missing or failing)."""


def soffice_path() -> str | None:
    """LibreOffice's command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def visible_sheets(book: str | os.PathLike[str]) -> list[str]:
    """Names of the sheets a viewer shows, in workbook order."""
    with zipfile.ZipFile(book) as archive:
        root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    return [
        sheet.get("name", "")
        for sheet in root.iter(f"{_MAIN_NS}sheet")
        if sheet.get("state", "visible") == "visible"
    ]


def libreoffice_convert(
    book: str | os.PathLike[str], outdir: str | os.PathLike[str], target: str = "pdf"
) -> None:
    """Convert ``book`` with LibreOffice headless (``soffice --convert-to target``).

    A private LibreOffice profile is used so that a running LibreOffice or a
    stale lock in the user's profile cannot interfere. Raises ``RenderError``
    when LibreOffice is missing or fails to open the book.
    """
    soffice = soffice_path()
    if soffice is None:
        raise RenderError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="abmxl-lo-") as profile:
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            str(book),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RenderError(f"LibreOffice could not open {Path(book).name}: {result.stderr.strip()}")


def convert_to_pdf(book: str | os.PathLike[str], outdir: str | os.PathLike[str]) -> Path:
    """Export ``book`` to PDF with LibreOffice headless, one page per visible sheet."""
    libreoffice_convert(book, outdir, _PDF_FILTER)
    pdf = Path(outdir) / (Path(book).stem + ".pdf")
    if not pdf.exists():
        raise RenderError(f"LibreOffice wrote no PDF for {Path(book).name}")
    return pdf


def render_sheet_png(
    book: str | os.PathLike[str],
    sheet: str,
    out: str | os.PathLike[str],
    *,
    dpi: int = 110,
) -> Path:
    """Write a PNG picture of one sheet of ``book`` to ``out``."""
    sheets = visible_sheets(book)
    if sheet not in sheets:
        raise RenderError(f"{Path(book).name} has no visible sheet {sheet!r}")
    if shutil.which("pdftoppm") is None:
        raise RenderError("pdftoppm (poppler-utils) is not installed")
    page = sheets.index(sheet) + 1
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="abmxl-render-") as workdir:
        pdf = convert_to_pdf(book, workdir)
        stem = Path(workdir) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(pdf),
                str(stem),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        shutil.move(str(stem.with_suffix(".png")), out)
    return out
