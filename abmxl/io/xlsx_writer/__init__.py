"""Write ``SheetContent`` into an existing .xlsx/.xlsm by editing its zip parts.

A workbook is a zip of XML parts. A refresh owns two sheets; everything else in
the file (other sheets, charts, pivot tables, images, comments, validation,
defined names, the VBA project, buttons) belongs to the user and must come out
byte for byte as it went in. So the writer never loads the workbook into an
object model: it copies every untouched zip member's *compressed* bytes as they
are (local header and data, patched central-directory offset only), rewrites
the few shared parts it has to touch (``[Content_Types].xml``, the workbook
part and its relationships, ``styles.xml``) by inserting text into them, and
generates the parts it owns (the output sheets, their tables, drawing and
chart). A part whose new text equals its old text is copied raw, so a second
refresh of unchanged content writes a byte-identical file.

The file is replaced atomically: the new zip goes to a temporary file beside
the target, is fsynced, and ``os.replace`` swaps it in; any failure removes the
temporary file and leaves the target as it was. See ``docs/writing.md``.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import os
import posixpath
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd

from abmxl.io.cellref import column_letters
from abmxl.io.content import (
    FMT_DATE,
    FMT_DATETIME,
    BarChart,
    Chart,
    PrintSetup,
    SheetContent,
    Table,
    as_chart,
)
from abmxl.io.xlsx_writer.chart import ChartError, chart_xml, check_chart
from abmxl.io.xlsx_writer.errors import WorkbookWriteError
from abmxl.io.xlsx_writer.errors import parse_int as _int
from abmxl.io.xlsx_writer.grid import unique_headers as _unique_headers
from abmxl.io.xlsx_writer.page import DEFAULT_PAGE_MARGINS, page_setup, sheet_properties
from abmxl.io.xlsx_writer.xmlscan import Element as _Element
from abmxl.io.xlsx_writer.xmlscan import attributes as _attributes
from abmxl.io.xlsx_writer.xmlscan import children as _children
from abmxl.io.xlsx_writer.xmlscan import inner as _inner
from abmxl.io.xlsx_writer.xmlscan import prefix_for as _prefix_for
from abmxl.io.xlsx_writer.xmlscan import qualify as _qualify
from abmxl.io.xlsx_writer.xmlscan import root_element as _root
from abmxl.io.xlsx_writer.xmltext import (
    XML_DECLARATION,
)
from abmxl.io.xlsx_writer.xmltext import escape_attr as _escape_attr
from abmxl.io.xlsx_writer.xmltext import format_attributes as _format_attributes
from abmxl.io.xlsx_writer.xmltext import is_missing as _is_missing
from abmxl.io.xlsx_writer.xmltext import number_text as _number_text
from abmxl.io.xlsx_writer.xmltext import number_texts as _number_texts
from abmxl.io.xlsx_writer.xmltext import ref as _ref
from abmxl.io.xlsx_writer.xmltext import t_elements as _t_elements

__all__ = ["WorkbookWriteError", "write_sheets"]

PathLike = str | os.PathLike[str]


# --------------------------------------------------------------------------- #
# OOXML names
# --------------------------------------------------------------------------- #

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"

REL_OFFICE_DOCUMENT = NS_R + "/officeDocument"
REL_WORKSHEET = NS_R + "/worksheet"
REL_TABLE = NS_R + "/table"
REL_DRAWING = NS_R + "/drawing"
REL_CHART = NS_R + "/chart"
REL_STYLES = NS_R + "/styles"
REL_CALC_CHAIN = NS_R + "/calcChain"
REL_HYPERLINK = NS_R + "/hyperlink"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# Charts this writer owns are recognised by their drawing-object name.
OUR_CHART_PREFIX = "abmxl "

# Excel's limits: text in a cell, sheet-name length, rows and columns.
MAX_SHEET_NAME = 31
MAX_ROWS = 1_048_576
MAX_COLS = 16_384

# Number formats Excel knows by id; any other format gets a custom id >= 164.
BUILTIN_NUMBER_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "0.00E+00": 11,
    "@": 49,
}
FIRST_CUSTOM_NUMBER_FORMAT = 164

# The order of a worksheet's children (CT_Worksheet) from ``drawing`` on, to
# place a new <drawing> among the elements kept from the user's sheet.
_TAIL_ORDER = {
    name: i
    for i, name in enumerate(
        (
            "printOptions",
            "pageMargins",
            "pageSetup",
            "headerFooter",
            "rowBreaks",
            "colBreaks",
            "customProperties",
            "drawing",
            "legacyDrawing",
            "legacyDrawingHF",
            "drawingHF",
            "picture",
            "oleObjects",
            "controls",
            "AlternateContent",
        )
    )
}
# Children of an existing output sheet that hold what the user set or placed
# there (page setup, buttons, shapes, form controls, comments' VML); all other
# children describe cell content and are rebuilt.
_KEPT_HEAD = ("sheetPr", "sheetFormatPr")
_KEPT_TAIL = frozenset(_TAIL_ORDER)


# --------------------------------------------------------------------------- #
# Zip layer: raw member copy
# --------------------------------------------------------------------------- #

_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL_HEADER = struct.Struct("<4sHHHHHHLLLHHHHHLL")
_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4sHHHHLLH")
_SIG_LOCAL = b"PK\x03\x04"
_SIG_CENTRAL = b"PK\x01\x02"
_SIG_END = b"PK\x05\x06"
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_ZIP32_LIMIT = 0xFFFFFFFF
_CENTRAL_OFFSET_FIELD = 42  # byte offset of "relative offset of local header"
_DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1
_COPY_CHUNK = 1 << 20
# Level 1 deflates a 31 MB AccountScores sheet (50k x 14) in 0.12 s to 4.8 MB;
# level 6 (zipfile's default) takes 0.41 s for 3.6 MB. Refresh time wins.
_DEFLATE_LEVEL = 1


@dataclass(frozen=True)
class _Member:
    """One zip member as stored: where its bytes are and its central record."""

    name: str
    central_record: bytes
    offset: int  # local header
    end: int  # end of the data (and data descriptor, if any)
    flags: int
    dos_time: int
    dos_date: int


def _read_members(fp: BinaryIO, size: int) -> tuple[list[_Member], bytes]:
    """Parse the central directory; returns the members and the zip comment."""
    tail_size = min(size, _END_OF_CENTRAL_DIRECTORY.size + 0xFFFF)
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    at = tail.rfind(_SIG_END)
    if at < 0 or at + _END_OF_CENTRAL_DIRECTORY.size > len(tail):
        raise WorkbookWriteError("not a .xlsx/.xlsm workbook (no zip directory)")
    (_, disk, cd_disk, count_here, count, cd_size, cd_offset, comment_size) = (
        _END_OF_CENTRAL_DIRECTORY.unpack_from(tail, at)
    )
    comment = tail[at + _END_OF_CENTRAL_DIRECTORY.size :][:comment_size]
    if disk or cd_disk or count_here != count:
        raise WorkbookWriteError("multi-part zip archives are not workbooks")
    if count == 0xFFFF or _ZIP32_LIMIT in (cd_size, cd_offset):
        raise WorkbookWriteError("ZIP64 workbooks (over 4 GB) are not supported")
    fp.seek(cd_offset)
    directory = fp.read(cd_size)
    if len(directory) != cd_size:
        raise WorkbookWriteError("corrupt workbook (truncated zip directory)")

    records: list[tuple[str, bytes, int, int, int, int, int]] = []
    pos = 0
    for _ in range(count):
        if directory[pos : pos + 4] != _SIG_CENTRAL:
            raise WorkbookWriteError("corrupt workbook (bad zip directory entry)")
        fields = _CENTRAL_HEADER.unpack_from(directory, pos)
        flags, time, date, csize, usize = fields[3], fields[5], fields[6], fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        if _ZIP32_LIMIT in (csize, usize, offset):
            raise WorkbookWriteError("ZIP64 workbooks (over 4 GB) are not supported")
        record_end = pos + _CENTRAL_HEADER.size + name_len + extra_len + comment_len
        raw_name = directory[pos + _CENTRAL_HEADER.size : pos + _CENTRAL_HEADER.size + name_len]
        name = raw_name.decode("utf-8" if flags & _FLAG_UTF8 else "cp437")
        records.append((name, directory[pos:record_end], offset, csize, flags, time, date))
        pos = record_end

    # A member with a data descriptor ends where the next member (or the
    # directory) starts; any other one right after its data.
    starts = sorted({r[2] for r in records} | {cd_offset})
    members: list[_Member] = []
    for name, record, offset, csize, flags, time, date in records:
        fp.seek(offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _SIG_LOCAL:
            raise WorkbookWriteError(f"corrupt workbook (bad local header of {name})")
        local_name_len, local_extra_len = _LOCAL_HEADER.unpack(header)[-2:]
        data_end = offset + _LOCAL_HEADER.size + local_name_len + local_extra_len + csize
        next_start = starts[starts.index(offset) + 1]
        if data_end > next_start:
            raise WorkbookWriteError(f"corrupt workbook ({name} overlaps the next member)")
        end = next_start if flags & _FLAG_DATA_DESCRIPTOR else data_end
        members.append(_Member(name, record, offset, end, flags, time, date))
    return members, comment


class _ZipWriter:
    """Appends members to an output zip: raw copies or freshly deflated parts."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offset = 0
        self._central: list[bytes] = []

    def _check_offset(self) -> None:
        if self._offset >= _ZIP32_LIMIT:
            raise WorkbookWriteError("the workbook would exceed 4 GB (ZIP64 is not supported)")

    def copy(self, src: BinaryIO, member: _Member) -> None:
        """Copy a member's stored bytes unchanged; only its offset changes."""
        self._check_offset()
        record = bytearray(member.central_record)
        struct.pack_into("<L", record, _CENTRAL_OFFSET_FIELD, self._offset)
        src.seek(member.offset)
        remaining = member.end - member.offset
        while remaining:
            chunk = src.read(min(remaining, _COPY_CHUNK))
            if not chunk:
                raise WorkbookWriteError(f"corrupt workbook (truncated member {member.name})")
            self._out.write(chunk)
            remaining -= len(chunk)
        self._central.append(bytes(record))
        self._offset += member.end - member.offset

    def add(self, name: str, data: bytes, dos_time: int, dos_date: int) -> None:
        """Deflate and append a part (deterministic: fixed level and timestamp)."""
        self._check_offset()
        compressor = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
        compressed = compressor.compress(data) + compressor.flush()
        crc = zlib.crc32(data)
        if max(len(data), len(compressed)) >= _ZIP32_LIMIT:
            raise WorkbookWriteError(f"part {name} would exceed 4 GB")
        try:
            raw_name, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw_name, flags = name.encode("utf-8"), _FLAG_UTF8
        version = 20
        local = _LOCAL_HEADER.pack(
            _SIG_LOCAL, version, flags, zipfile.ZIP_DEFLATED, dos_time, dos_date, crc,
            len(compressed), len(data), len(raw_name), 0,
        )  # fmt: skip
        central = _CENTRAL_HEADER.pack(
            _SIG_CENTRAL, version, version, flags, zipfile.ZIP_DEFLATED, dos_time, dos_date,
            crc, len(compressed), len(data), len(raw_name), 0, 0, 0, 0, 0, self._offset,
        )  # fmt: skip
        self._out.write(local)
        self._out.write(raw_name)
        self._out.write(compressed)
        self._central.append(central + raw_name)
        self._offset += len(local) + len(raw_name) + len(compressed)

    def close(self, comment: bytes) -> None:
        """Write the central directory and its end record."""
        self._check_offset()
        if len(self._central) >= 0xFFFF:
            raise WorkbookWriteError("too many parts for a zip without ZIP64")
        directory = b"".join(self._central)
        self._out.write(directory)
        count = len(self._central)
        end = _END_OF_CENTRAL_DIRECTORY.pack(
            _SIG_END, 0, 0, count, count, len(directory), self._offset, len(comment)
        )
        self._out.write(end)
        self._out.write(comment)


# --------------------------------------------------------------------------- #
# Package layer: parts, relationships, content types
# --------------------------------------------------------------------------- #


@dataclass
class _Relationship:
    id: str
    type: str
    target: str
    target_mode: str | None = None

    def xml(self) -> str:
        mode = f' TargetMode="{_escape_attr(self.target_mode)}"' if self.target_mode else ""
        return (
            f'<Relationship Id="{_escape_attr(self.id)}" Type="{_escape_attr(self.type)}"'
            f' Target="{_escape_attr(self.target)}"{mode}/>'
        )


_RELATIONSHIP_TAG = re.compile(r"<(?:[\w.-]+:)?Relationship\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")


def _parse_relationships(text: str) -> list[_Relationship]:
    rels = []
    for m in _RELATIONSHIP_TAG.finditer(text):
        a = _attributes(m.group(0))
        if "Id" not in a or "Type" not in a or "Target" not in a:
            raise WorkbookWriteError("corrupt workbook (a relationship lacks Id, Type or Target)")
        rels.append(_Relationship(a["Id"], a["Type"], a["Target"], a.get("TargetMode")))
    return rels


def _relationships_xml(rels: Iterable[_Relationship]) -> bytes:
    body = "".join(r.xml() for r in rels)
    return f'{XML_DECLARATION}<Relationships xmlns="{NS_PKG_RELS}">{body}</Relationships>'.encode()


def _rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve(source_part: str, target: str) -> str:
    """The part name a relationship target points to (no leading slash)."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def _relative(source_part: str, target_part: str) -> str:
    return quote(posixpath.relpath(target_part, posixpath.dirname(source_part) or "."))


def _next_relationship_id(rels: Iterable[_Relationship]) -> str:
    ids = {r.id for r in rels}
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"rId(\d+)", i))]
    n = max(numbers, default=0) + 1
    while f"rId{n}" in ids:
        n += 1
    return f"rId{n}"


def _decode(data: bytes, part: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WorkbookWriteError(f"corrupt workbook (part {part} is not UTF-8 XML)") from exc


class _Package:
    """The source workbook's parts plus the edits a write makes to them."""

    def __init__(self, fp: BinaryIO, size: int) -> None:
        self.fp = fp
        self.members, self.comment = _read_members(fp, size)
        try:
            self.zip = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            raise WorkbookWriteError(f"corrupt workbook ({exc})") from exc
        self._by_key = {m.name.lower(): m for m in self.members}
        self._source_cache: dict[str, bytes] = {}
        self.edits: dict[str, bytes | None] = {}  # key: lower-case part name
        self.new_parts: dict[str, str] = {}  # key -> part name, in creation order
        self.reserved: set[str] = set()

    def exists(self, part: str) -> bool:
        key = part.lower()
        if key in self.edits:
            return self.edits[key] is not None
        return key in self._by_key

    def source(self, part: str) -> bytes:
        key = part.lower()
        member = self._by_key.get(key)
        if member is None:
            raise WorkbookWriteError(f"corrupt workbook (missing part {part})")
        if key not in self._source_cache:
            try:
                self._source_cache[key] = self.zip.read(member.name)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                raise WorkbookWriteError(f"corrupt workbook (cannot read {part}: {exc})") from exc
        return self._source_cache[key]

    def read(self, part: str) -> bytes:
        key = part.lower()
        if key in self.edits:
            data = self.edits[key]
            if data is None:
                raise WorkbookWriteError(f"internal error: part {part} was deleted")
            return data
        return self.source(part)

    def text(self, part: str) -> str:
        return _decode(self.read(part), part)

    def write(self, part: str, data: bytes) -> None:
        key = part.lower()
        if key not in self._by_key and key not in self.new_parts:
            self.new_parts[key] = part
        self.edits[key] = data

    def delete(self, part: str) -> None:
        key = part.lower()
        if key in self.new_parts:
            del self.new_parts[key]
            self.edits.pop(key, None)
        elif key in self._by_key:
            self.edits[key] = None

    def free_name(self, pattern: str) -> str:
        """The first ``pattern.format(n)`` (n >= 1) not used in the source or here."""
        n = 1
        while True:
            name = pattern.format(n)
            key = name.lower()
            if key not in self._by_key and key not in self.new_parts and key not in self.reserved:
                self.reserved.add(key)
                return name
            n += 1

    def relationships(self, part: str) -> list[_Relationship]:
        rels_part = _rels_part(part)
        return _parse_relationships(self.text(rels_part)) if self.exists(rels_part) else []

    def emit(self, out: BinaryIO) -> None:
        """Write the output zip: source order first, then new parts."""
        writer = _ZipWriter(out)
        for member in self.members:
            key = member.name.lower()
            if key not in self.edits:
                writer.copy(self.fp, member)
                continue
            data = self.edits[key]
            if data is None:
                continue
            if data == self.source(member.name):
                writer.copy(self.fp, member)
            else:
                writer.add(member.name, data, member.dos_time, member.dos_date)
        for key, part in self.new_parts.items():
            data = self.edits[key]
            assert data is not None
            writer.add(part, data, 0, _DOS_DATE_1980_01_01)
        writer.close(self.comment)


class _ContentTypes:
    """``[Content_Types].xml``, edited by inserting/removing Override elements."""

    PART = "[Content_Types].xml"
    _OVERRIDE = re.compile(r"<(?:[\w.-]+:)?Override\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")

    def __init__(self, text: str) -> None:
        self.text = text
        root = _root(text)
        self._close = "</" + root.qname

    def _overrides(self) -> dict[str, re.Match[str]]:
        return {
            _attributes(m.group(0)).get("PartName", "").lower(): m
            for m in self._OVERRIDE.finditer(self.text)
        }

    def add(self, part: str, content_type: str) -> None:
        if "/" + part.lower() in self._overrides():
            return
        element = f'<Override PartName="/{_escape_attr(part)}" ContentType="{content_type}"/>'
        at = self.text.rindex(self._close)
        self.text = self.text[:at] + element + self.text[at:]

    def remove(self, part: str) -> None:
        m = self._overrides().get("/" + part.lower())
        if m is not None:
            self.text = self.text[: m.start()] + self.text[m.end() :]


def _insert_relationship(text: str, rel: _Relationship) -> str:
    at = text.rindex("</")
    return text[:at] + rel.xml() + text[at:]


def _remove_relationship(text: str, rel_id: str) -> str:
    for m in _RELATIONSHIP_TAG.finditer(text):
        if _attributes(m.group(0)).get("Id") == rel_id:
            return text[: m.start()] + text[m.end() :]
    return text


# --------------------------------------------------------------------------- #
# Styles: find-or-append number formats, fonts and cell formats
# --------------------------------------------------------------------------- #

_MINIMAL_STYLES = (
    f'{XML_DECLARATION}<styleSheet xmlns="{NS_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class _Styles:
    """``styles.xml`` with the cell formats the outputs need appended once.

    An existing identical number format, font or cell format is reused, so a
    second refresh appends nothing and leaves the part unchanged.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        root = _root(text)
        self._prefix = root.qname.rpartition(":")[0]
        self._cache: dict[tuple[str | None, bool, float | None], int] = {}

    def _block(self, local: str) -> _Element | None:
        root = _root(self.text)
        for child in _children(self.text, *_inner(self.text, root)):
            if child.name == local:
                return child
        return None

    def _items(self, block: _Element) -> list[_Element]:
        return _children(self.text, *_inner(self.text, block))

    def _append(self, local: str, element: str, before: Sequence[str]) -> int:
        """Append ``element`` to the ``local`` list, creating it; returns its index."""
        block = self._block(local)
        q = _qualify(self._prefix, local)
        if block is None:
            root = _root(self.text)
            at = _inner(self.text, root)[1]
            for child in _children(self.text, *_inner(self.text, root)):
                if child.name in before:
                    at = child.start
                    break
            new = f'<{q} count="1">{element}</{q}>'
            self.text = self.text[:at] + new + self.text[at:]
            return 0
        index = len(self._items(block))
        start_tag = self.text[block.start : block.start_tag_end]
        attributes = _attributes(start_tag)
        attributes["count"] = str(index + 1)
        if block.start_tag_end == block.end:
            replacement = f"<{block.qname}{_format_attributes(attributes)}>{element}</{q}>"
        else:
            inner = self.text[slice(*_inner(self.text, block))]
            replacement = (
                f"<{block.qname}{_format_attributes(attributes)}>{inner}{element}</{block.qname}>"
            )
        self.text = self.text[: block.start] + replacement + self.text[block.end :]
        return index

    def _number_format_id(self, code: str) -> int:
        if code in BUILTIN_NUMBER_FORMATS:
            return BUILTIN_NUMBER_FORMATS[code]
        block = self._block("numFmts")
        used = [FIRST_CUSTOM_NUMBER_FORMAT - 1]
        if block is not None:
            for item in self._items(block):
                a = _attributes(self.text[item.start : item.start_tag_end])
                if a.get("formatCode") == code:
                    return _int(a.get("numFmtId"), "numFmtId")
                used.append(_int(a.get("numFmtId"), "numFmtId"))
        new_id = max(used) + 1
        q = _qualify(self._prefix, "numFmt")
        self._append(
            "numFmts", f'<{q} numFmtId="{new_id}" formatCode="{_escape_attr(code)}"/>', ("fonts",)
        )
        return new_id

    def _font_id(self, bold: bool, size: float | None) -> int:
        if not bold and size is None:
            return 0
        fonts = self._block("fonts")
        if fonts is None or not self._items(fonts):
            raise WorkbookWriteError("corrupt workbook (styles.xml has no fonts)")
        base = self._items(fonts)[0]
        q = _qualify(self._prefix, "font")
        inner = [
            self.text[c.start : c.end]
            for c in _children(self.text, *_inner(self.text, base))
            if c.name not in ("b", "sz")
        ]
        head = (f"<{_qualify(self._prefix, 'b')}/>" if bold else "") + (
            f'<{_qualify(self._prefix, "sz")} val="{_number_text(size) or 11}"/>'
            if size is not None
            else ""
        )
        font = f"<{q}>{head}{''.join(inner)}</{q}>"
        for i, item in enumerate(self._items(fonts)):
            if self.text[item.start : item.end] == font:
                return i
        return self._append("fonts", font, ())

    def style(
        self, number_format: str | None, bold: bool = False, size: float | None = None
    ) -> int:
        """The cellXfs index for a number format and font; 0 for the default."""
        key = (number_format, bold, size)
        if key in self._cache:
            return self._cache[key]
        if number_format in (None, "General") and not bold and size is None:
            self._cache[key] = 0
            return 0
        fmt_id = self._number_format_id(number_format) if number_format else 0
        font_id = self._font_id(bold, size)
        wanted = {
            "numFmtId": str(fmt_id),
            "fontId": str(font_id),
            "fillId": "0",
            "borderId": "0",
            "xfId": "0",
        }
        if fmt_id:
            wanted["applyNumberFormat"] = "1"
        if font_id:
            wanted["applyFont"] = "1"
        block = self._block("cellXfs")
        index = None
        if block is not None:
            for i, item in enumerate(self._items(block)):
                if item.start_tag_end != item.end:
                    continue  # has alignment/protection children: not ours
                if _attributes(self.text[item.start : item.end]) == wanted:
                    index = i
                    break
        if index is None:
            q = _qualify(self._prefix, "xf")
            index = self._append(
                "cellXfs", f"<{q}{_format_attributes(wanted)}/>", ("cellStyles", "dxfs")
            )
        self._cache[key] = index
        return index

    def attr(self, number_format: str | None, bold: bool = False, size: float | None = None) -> str:
        index = self.style(number_format, bold, size)
        return f' s="{index}"' if index else ""


# --------------------------------------------------------------------------- #
# Cell values -> <c> elements
# --------------------------------------------------------------------------- #


class _Dates:
    """Serial numbers in the workbook's date system (1900 or 1904)."""

    def __init__(self, date1904: bool) -> None:
        self.date1904 = date1904
        self.epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        self.first = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1900, 1, 1)

    def serial(self, value: dt.date) -> float | None:
        """None for dates Excel cannot hold (before its epoch)."""
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        value = value.replace(tzinfo=None)
        if value < self.first:
            return None
        days = (value - self.epoch) / dt.timedelta(days=1)
        # Excel's 1900 system counts a 29 Feb 1900 that never was.
        if not self.date1904 and value < dt.datetime(1900, 3, 1):
            days -= 1
        return days

    def serials(self, values: np.ndarray) -> np.ndarray | None:
        """Vectorized ``serial``; None when some value needs the slow path."""
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(pd.Series(values, dtype=object)))
        except (ValueError, TypeError, OverflowError):
            return None
        if stamps.tz is not None:
            stamps = stamps.tz_localize(None)
        if (stamps[stamps.notna()] < pd.Timestamp(self.first)).any():
            return None
        days = (stamps - pd.Timestamp(self.epoch)) / pd.Timedelta(days=1)
        days = np.asarray(days, dtype=float)
        if not self.date1904:
            days = np.where(np.asarray(stamps < pd.Timestamp(1900, 3, 1)), days - 1, days)
        return days


class _CellWriter:
    """Renders single values and whole table columns as ``<c>`` elements."""

    def __init__(self, styles: _Styles, dates: _Dates) -> None:
        self.styles = styles
        self.dates = dates

    def cell(
        self,
        ref: str,
        value: object,
        number_format: str | None = None,
        bold: bool = False,
        size: float | None = None,
    ) -> str:
        """One cell's XML, or "" for an empty value (nan/None: no cell)."""
        if _is_missing(value):
            return ""
        if isinstance(value, bool | np.bool_):
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s} t="b"><v>{int(bool(value))}</v></c>'
        if isinstance(value, str):
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s} t="inlineStr"><is>{_t_elements([value])[0]}</is></c>'
        if isinstance(value, int | float | np.integer | np.floating | Decimal):
            text = _number_text(float(value)) if not isinstance(value, int) else str(value)
            if text is None:
                return ""
            s = self.styles.attr(number_format, bold, size)
            return f'<c r="{ref}"{s}><v>{text}</v></c>'
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value).to_pydatetime()
        if isinstance(value, dt.date):
            default = FMT_DATETIME if isinstance(value, dt.datetime) else FMT_DATE
            serial = self.dates.serial(value)
            if serial is None:  # before 1900: Excel has no such date; keep it readable
                return self.cell(ref, value.isoformat(), number_format, bold, size)
            s = self.styles.attr(number_format or default, bold, size)
            return f'<c r="{ref}"{s}><v>{_number_text(serial)}</v></c>'
        raise TypeError(f"cannot write a {type(value).__name__} into cell {ref}")

    def column(
        self,
        values: Sequence[object],
        col: int,
        row_numbers: list[str],
        number_format: str | None,
        cell_formats: Sequence[str | None] | None,
    ) -> list[str]:
        """The cells of one table column, "" where a value is empty.

        ``row_numbers`` are the 1-based worksheet row numbers as text (shared by
        all columns of a table). Uniform columns (text, numbers, booleans, dates)
        are classified and converted with numpy/pandas and rendered with one
        f-string per cell; mixed columns go through ``cell`` value by value.
        """
        n = len(values)
        array = np.empty(n, dtype=object)
        array[:] = values
        kind = pd.api.types.infer_dtype(array, skipna=True)
        if kind == "empty":
            return [""] * n
        formats: list[str | None] | None = None
        if cell_formats is not None:
            formats = [f if f is not None else number_format for f in cell_formats]

        texts: list[str | None] | None = None
        # What follows the style attribute: the cell type, then the tag holding the value.
        type_attr, value_tag = "", "v"
        if kind in ("date", "datetime", "datetime64"):
            serials = self.dates.serials(array)
            if serials is not None:
                default = FMT_DATE if kind == "date" else FMT_DATETIME
                number_format = number_format or default
                if formats is not None:
                    formats = [f or default for f in formats]
                texts = _number_texts(serials)
        elif kind in ("integer", "floating", "mixed-integer-float", "decimal"):
            texts = _number_texts(np.asarray(array, dtype=float))
        elif kind == "boolean":
            missing = pd.isna(array)
            flags = np.where(missing, None, np.where(array.astype(bool), "1", "0"))
            texts, type_attr = flags.tolist(), ' t="b"'
        elif kind == "string":
            missing = pd.isna(array)
            strings = np.full(n, None, dtype=object)
            strings[~missing] = _t_elements(array[~missing].tolist())
            texts, type_attr, value_tag = strings.tolist(), ' t="inlineStr"', "is"

        if texts is None:  # mixed types: value by value
            per_cell = formats if formats is not None else [number_format] * n
            letter = column_letters(col)
            return [
                self.cell(f"{letter}{r}", v, f)
                for r, v, f in zip(row_numbers, values, per_cell, strict=True)
            ]
        prefix = f'<c r="{column_letters(col)}'
        opening, closing = f"{type_attr}><{value_tag}>", f"</{value_tag}></c>"
        if formats is None:
            s = self.styles.attr(number_format) + opening
            return [
                f'{prefix}{r}"{s}{t}{closing}' if t is not None else ""
                for r, t in zip(row_numbers, texts, strict=True)
            ]
        styles = [a + opening for a in self._style_attrs(formats)]
        return [
            f'{prefix}{r}"{s}{t}{closing}' if t is not None else ""
            for r, s, t in zip(row_numbers, styles, texts, strict=True)
        ]

    def _style_attrs(self, formats: list[str | None]) -> list[str]:
        # In order of first use, not set order: a new style's index must not
        # depend on the string hash seed, or refreshes would differ byte-wise.
        attrs = {f: self.styles.attr(f) for f in dict.fromkeys(formats)}
        return [attrs[f] for f in formats]


# --------------------------------------------------------------------------- #
# Workbook-level view
# --------------------------------------------------------------------------- #


@dataclass
class _SheetEntry:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None
    rel_type: str


@dataclass
class _TableInfo:
    part: str
    sheet: str
    id: int
    name: str


_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TABLE_NAME = re.compile(r"[A-Za-z_\\][A-Za-z0-9_.\\]*")
_CELL_LIKE_NAME = re.compile(r"(?i)([A-Z]{1,3}[0-9]+|R[0-9]*C[0-9]*|R|C)")


def _check_sheet_name(name: str) -> None:
    if (
        not name
        or len(name) > MAX_SHEET_NAME
        or _SHEET_NAME_FORBIDDEN.search(name)
        or name.startswith("'")
        or name.endswith("'")
        or name.lower() == "history"
    ):
        raise WorkbookWriteError(f"invalid sheet name {name!r}")


def _check_table_name(name: str) -> None:
    if (
        not _TABLE_NAME.fullmatch(name)
        or len(name) > 255
        or _CELL_LIKE_NAME.fullmatch(name)
        or name.lower() in ("true", "false")
    ):
        raise WorkbookWriteError(f"invalid Excel table name {name!r}")


@dataclass
class _Workbook:
    """The workbook part, its relationships, and what the writer needs of them."""

    part: str
    text: str
    rels_text: str
    rels: list[_Relationship]
    sheets: list[_SheetEntry]
    prefix: str
    r_prefix: str | None
    date1904: bool
    defined_names: set[str]
    changed_rels: bool = False

    @classmethod
    def load(cls, pkg: _Package) -> _Workbook:
        root_rels = _parse_relationships(pkg.text("_rels/.rels"))
        office = [r for r in root_rels if r.type == REL_OFFICE_DOCUMENT]
        if not office:
            raise WorkbookWriteError("not a workbook (no officeDocument relationship)")
        part = _resolve("", office[0].target)
        if not pkg.exists(part):
            raise WorkbookWriteError(f"corrupt workbook (missing part {part})")
        text = pkg.text(part)
        root = _root(text)
        start_tag = text[root.start : root.start_tag_end]
        prefix = root.qname.rpartition(":")[0]
        if _prefix_for(start_tag, NS_STRICT_MAIN) is not None:
            raise WorkbookWriteError("Strict Open XML workbooks are not supported")
        if root.name != "workbook" or _prefix_for(start_tag, NS_MAIN) != prefix:
            raise WorkbookWriteError(f"not a workbook ({part} is not a SpreadsheetML workbook)")
        r_prefix = _prefix_for(start_tag, NS_R)
        rels_part = _rels_part(part)
        rels_text = pkg.text(rels_part) if pkg.exists(rels_part) else ""
        if not rels_text:
            raise WorkbookWriteError(f"corrupt workbook (missing part {rels_part})")
        rels = _parse_relationships(rels_text)
        by_id = {r.id: r for r in rels}

        sheets = []
        sheet_tag = re.compile(
            rf"<{re.escape(_qualify(prefix, 'sheet'))}(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
        )
        rid_attribute = f"{r_prefix}:id" if r_prefix else None
        for m in sheet_tag.finditer(text):
            a = _attributes(m.group(0))
            rel = by_id.get(a.get(rid_attribute, "")) if rid_attribute else None
            sheets.append(
                _SheetEntry(
                    name=a.get("name", ""),
                    sheet_id=_int(a.get("sheetId"), "sheetId"),
                    rel_id=rel.id if rel else "",
                    part=_resolve(part, rel.target) if rel else None,
                    rel_type=rel.type if rel else "",
                )
            )
        pr = re.search(rf"<{re.escape(_qualify(prefix, 'workbookPr'))}\b[^>]*>", text)
        date1904 = bool(pr) and _attributes(pr.group(0)).get("date1904") in ("1", "true")
        defined = {
            _attributes(m.group(0)).get("name", "").lower()
            for m in re.finditer(rf"<{re.escape(_qualify(prefix, 'definedName'))}\b[^>]*>", text)
        }
        return cls(part, text, rels_text, rels, sheets, prefix, r_prefix, date1904, defined)

    def sheet(self, name: str) -> _SheetEntry | None:
        for entry in self.sheets:
            if entry.name.lower() == name.lower():
                return entry
        return None

    def add_sheet(self, pkg: _Package, name: str) -> _SheetEntry:
        part = pkg.free_name("xl/worksheets/sheet{}.xml")
        rel = _Relationship(_next_relationship_id(self.rels), REL_WORKSHEET, "")
        rel.target = _relative(self.part, part)
        self.rels.append(rel)
        self.rels_text = _insert_relationship(self.rels_text, rel)
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        if self.r_prefix:
            rid = f'{self.r_prefix}:id="{rel.id}"'
        else:
            rid = f'xmlns:r="{NS_R}" r:id="{rel.id}"'
        element = (
            f'<{_qualify(self.prefix, "sheet")} name="{_escape_attr(name)}"'
            f' sheetId="{sheet_id}" {rid}/>'
        )
        close = f"</{_qualify(self.prefix, 'sheets')}>"
        at = self.text.find(close)
        if at < 0:
            raise WorkbookWriteError(f"corrupt workbook ({self.part} has no <sheets>)")
        self.text = self.text[:at] + element + self.text[at:]
        entry = _SheetEntry(name, sheet_id, rel.id, part, REL_WORKSHEET)
        self.sheets.append(entry)
        return entry

    def drop_calc_chain(self, pkg: _Package, content_types: _ContentTypes) -> None:
        """Remove the calculation chain (Excel rebuilds it; it may name our old cells)."""
        for rel in list(self.rels):
            if rel.type == REL_CALC_CHAIN:
                part = _resolve(self.part, rel.target)
                pkg.delete(part)
                content_types.remove(part)
                self.rels.remove(rel)
                self.rels_text = _remove_relationship(self.rels_text, rel.id)


def _calc_chain_mentions(pkg: _Package, workbook: _Workbook, sheet_ids: set[int]) -> bool:
    for rel in workbook.rels:
        if rel.type != REL_CALC_CHAIN:
            continue
        part = _resolve(workbook.part, rel.target)
        if not pkg.exists(part):
            continue
        current = 0
        for m in re.finditer(r"<(?:[\w.-]+:)?c\b[^>]*>", pkg.text(part)):
            i = _attributes(m.group(0)).get("i")
            if i is not None:
                current = _int(i, "calcChain sheet id")
            if current in sheet_ids:
                return True
    return False


def _table_inventory(pkg: _Package, workbook: _Workbook) -> list[_TableInfo]:
    tables = []
    for sheet in workbook.sheets:
        if sheet.part is None or sheet.rel_type != REL_WORKSHEET or not pkg.exists(sheet.part):
            continue
        for rel in pkg.relationships(sheet.part):
            if rel.type != REL_TABLE:
                continue
            part = _resolve(sheet.part, rel.target)
            if not pkg.exists(part):
                continue
            text = pkg.text(part)
            root = _root(text)
            a = _attributes(text[root.start : root.start_tag_end])
            name = a.get("displayName") or a.get("name", "")
            tables.append(_TableInfo(part, sheet.name, _int(a.get("id"), "table id"), name))
    return tables


# --------------------------------------------------------------------------- #
# Output sheets
# --------------------------------------------------------------------------- #


def _table_xml(table: Table, table_id: int, headers: list[str]) -> bytes:
    ref = f"{_ref(table.row, table.col)}:{_ref(table.last_row, table.last_col)}"
    name = _escape_attr(table.name)
    columns = "".join(
        f'<tableColumn id="{i}" name="{_escape_attr(h)}"/>' for i, h in enumerate(headers, 1)
    )
    return (
        f'{XML_DECLARATION}<table xmlns="{NS_MAIN}" id="{table_id}" name="{name}"'
        f' displayName="{name}" ref="{ref}" totalsRowShown="0">'
        f'<autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(headers)}">{columns}</tableColumns>'
        f'<tableStyleInfo name="{_escape_attr(table.style)}" showFirstColumn="0"'
        ' showLastColumn="0" showRowStripes="1" showColumnStripes="0"/>'
        "</table>"
    ).encode()


def _anchor_xml(
    chart: BarChart | Chart, shape_id: int, rel_id: str, xdr: str, a: str, decl: str
) -> str:
    def q(prefix: str, local: str) -> str:
        return _qualify(prefix, local)

    def marker(tag: str, col: int, row: int) -> str:
        return (
            f"<{q(xdr, tag)}><{q(xdr, 'col')}>{col}</{q(xdr, 'col')}>"
            f"<{q(xdr, 'colOff')}>0</{q(xdr, 'colOff')}>"
            f"<{q(xdr, 'row')}>{row}</{q(xdr, 'row')}>"
            f"<{q(xdr, 'rowOff')}>0</{q(xdr, 'rowOff')}></{q(xdr, tag)}>"
        )

    name = _escape_attr(OUR_CHART_PREFIX + chart.name)
    return (
        f'<{q(xdr, "twoCellAnchor")}{decl} editAs="oneCell">'
        + marker("from", chart.col, chart.row)
        + marker("to", chart.col + chart.width_cols, chart.row + chart.height_rows)
        + f'<{q(xdr, "graphicFrame")} macro="">'
        f"<{q(xdr, 'nvGraphicFramePr')}>"
        f'<{q(xdr, "cNvPr")} id="{shape_id}" name="{name}"/>'
        f"<{q(xdr, 'cNvGraphicFramePr')}/></{q(xdr, 'nvGraphicFramePr')}>"
        f'<{q(xdr, "xfrm")}><{q(a, "off")} x="0" y="0"/><{q(a, "ext")} cx="0" cy="0"/>'
        f"</{q(xdr, 'xfrm')}>"
        f'<{q(a, "graphic")}><{q(a, "graphicData")} uri="{NS_C}">'
        f'<c:chart xmlns:c="{NS_C}" xmlns:r="{NS_R}" r:id="{rel_id}"/>'
        f"</{q(a, 'graphicData')}></{q(a, 'graphic')}>"
        f"</{q(xdr, 'graphicFrame')}><{q(xdr, 'clientData')}/>"
        f"</{q(xdr, 'twoCellAnchor')}>"
    )


_OUR_ANCHOR_NAME = re.compile(
    r"<(?:[\w.-]+:)?cNvPr\b[^>]*\bname=\"" + re.escape(OUR_CHART_PREFIX) + r"([^\"]*)\""
)
_CHART_RID = re.compile(r"<(?:[\w.-]+:)?chart\b[^>]*\b[\w.-]+:id=\"([^\"]+)\"")
_SHAPE_ID = re.compile(r"<(?:[\w.-]+:)?cNvPr\b[^>]*\bid=\"(\d+)\"")


def _with_print_setup(
    head: list[tuple[str, str]], tail: list[tuple[str, str]], setup: PrintSetup
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The kept head and tail elements with ``setup``'s page setup applied."""
    kept_head = dict(head)
    head = [e for e in head if e[0] != "sheetPr"]
    head.insert(0, ("sheetPr", sheet_properties(kept_head.get("sheetPr"))))
    kept_tail = dict(tail)
    tail = [e for e in tail if e[0] != "pageSetup"]
    if "pageMargins" not in kept_tail:
        _insert_in_order(tail, "pageMargins", DEFAULT_PAGE_MARGINS)
    _insert_in_order(tail, "pageSetup", page_setup(kept_tail.get("pageSetup"), setup))
    return head, tail


def _insert_in_order(tail: list[tuple[str, str]], name: str, element: str) -> None:
    """Insert a worksheet child before the first kept one that follows it in the schema."""
    position = next(
        (i for i, e in enumerate(tail) if _TAIL_ORDER[e[0]] > _TAIL_ORDER[name]), len(tail)
    )
    tail.insert(position, (name, element))


class _SheetWriter:
    """Builds one output sheet part and the parts it owns."""

    def __init__(
        self,
        pkg: _Package,
        content_types: _ContentTypes,
        cells: _CellWriter,
        inventory: list[_TableInfo],
        next_table_id: Callable[[], int],
        output_sheets: set[str],
        defined_names: set[str],
    ) -> None:
        self.pkg = pkg
        self.content_types = content_types
        self.cells = cells
        self.inventory = inventory
        self.next_table_id = next_table_id
        self.output_sheets = output_sheets
        self.defined_names = defined_names

    def write(self, content: SheetContent, part: str, existing: bool) -> None:
        old_text = self.pkg.text(part) if existing else None
        old_rels = self.pkg.relationships(part) if existing else []
        rels_by_id = {r.id: r for r in old_rels}

        root_tag, head, tail = self._kept_elements(old_text)
        r_prefix = _prefix_for(root_tag, NS_R) if root_tag else "r"
        root_attributes = self._root_attributes(root_tag)
        if r_prefix is None:
            root_attributes["xmlns:r"] = NS_R
            r_prefix = "r"

        # Relationships kept: everything but tables (rebuilt below) and
        # hyperlinks (their cells are gone).
        kept_rels = [r for r in old_rels if r.type not in (REL_TABLE, REL_HYPERLINK)]

        drawing_rel = self._drawing(content, part, tail, rels_by_id, old_rels, kept_rels)
        # The <drawing> element is regenerated (same id) and put in schema order.
        tail = [e for e in tail if e[0] != "drawing"]
        if drawing_rel is not None:
            _insert_in_order(tail, "drawing", f'<drawing {r_prefix}:id="{drawing_rel.id}"/>')

        if content.print_setup is not None:
            head, tail = _with_print_setup(head, tail, content.print_setup)

        table_rels = self._tables(content, part, old_rels, kept_rels)
        rels = kept_rels + table_rels

        xml = self._sheet_xml(content, root_attributes, head, tail, table_rels, r_prefix)
        self.pkg.write(part, xml)
        rels_part = _rels_part(part)
        if rels:
            self.pkg.write(rels_part, _relationships_xml(rels))
        else:
            self.pkg.delete(rels_part)

    # -- the existing sheet ------------------------------------------------- #

    @staticmethod
    def _kept_elements(
        text: str | None,
    ) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
        """The root start tag and the user's children worth keeping (head, tail)."""
        if text is None:
            return "", [], []
        root = _root(text)
        root_tag = text[root.start : root.start_tag_end]
        start = re.compile(r"<(?:[\w.-]+:)?sheetData(?=[\s/>])").search(text, root.start_tag_end)
        if start is None:
            children = _children(text, *_inner(text, root))
            head_children, tail_children = [], children
        else:
            end_match = re.compile(r"</(?:[\w.-]+:)?sheetData\s*>").search(text, start.end())
            tag_end = text.index(">", start.end())
            data_end = tag_end + 1 if text[tag_end - 1] == "/" else None
            if data_end is None:
                if end_match is None:
                    raise WorkbookWriteError("corrupt workbook (unterminated sheetData)")
                data_end = end_match.end()
            head_children = _children(text, root.start_tag_end, start.start())
            tail_children = _children(text, data_end, _inner(text, root)[1])
        head = [(e.name, text[e.start : e.end]) for e in head_children if e.name in _KEPT_HEAD]
        tail = [(e.name, text[e.start : e.end]) for e in tail_children if e.name in _KEPT_TAIL]
        views = [e for e in head_children if e.name == "sheetViews"]
        if views:
            inner = _children(text, *_inner(text, views[0]))
            view = next((e for e in inner if e.name == "sheetView"), None)
            if view is not None:
                head.append(("sheetView", text[view.start : view.start_tag_end]))
        return root_tag, head, tail

    @staticmethod
    def _root_attributes(root_tag: str) -> dict[str, str]:
        attributes = {"xmlns": NS_MAIN}
        if root_tag:
            for name, value in _attributes(root_tag).items():
                if name != "xmlns":
                    attributes[name] = value
        else:
            attributes["xmlns:r"] = NS_R
        return attributes

    # -- drawing and chart -------------------------------------------------- #

    def _drawing(
        self,
        content: SheetContent,
        sheet_part: str,
        tail: list[tuple[str, str]],
        rels_by_id: dict[str, _Relationship],
        old_rels: list[_Relationship],
        kept_rels: list[_Relationship],
    ) -> _Relationship | None:
        """Update or create the sheet's drawing; returns its relationship or None.

        ``kept_rels`` (the sheet's relationships that stay) is updated in place.
        """
        drawing_rel = None
        for name, element in tail:
            if name == "drawing":
                rid = next((v for k, v in _attributes(element).items() if k.endswith(":id")), None)
                drawing_rel = rels_by_id.get(rid or "")
        part = _resolve(sheet_part, drawing_rel.target) if drawing_rel else None
        if drawing_rel is not None and (part is None or not self.pkg.exists(part)):
            kept_rels.remove(drawing_rel)  # dangling: the part is missing
            drawing_rel = part = None
        if part is None and not content.charts:
            return None

        if part is not None:
            text = self.pkg.text(part)
            root = _root(text)
            close_at = _inner(text, root)[1]
            before, after = text[: root.start_tag_end], text[close_at:]
            anchors = _children(text, root.start_tag_end, close_at)
            root_tag = text[root.start : root.start_tag_end]
            old_drawing_rels = self.pkg.relationships(part)
        else:
            part = self.pkg.free_name("xl/drawings/drawing{}.xml")
            root_tag = f'<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">'
            text, before, after = "", XML_DECLARATION + root_tag, "</xdr:wsDr>"
            anchors, old_drawing_rels = [], []

        drawing_rels_by_id = {r.id: r for r in old_drawing_rels}
        kept_anchors: list[str] = []
        ours: dict[str, _Relationship] = {}
        for anchor in anchors:
            anchor_text = text[anchor.start : anchor.end]
            mine = _OUR_ANCHOR_NAME.search(anchor_text)
            rid = _CHART_RID.search(anchor_text)
            if mine and rid and rid.group(1) in drawing_rels_by_id:
                ours[html.unescape(mine.group(1))] = drawing_rels_by_id[rid.group(1)]
            else:
                kept_anchors.append(anchor_text)
        kept_drawing_rels = [r for r in old_drawing_rels if r not in ours.values()]

        xdr = _prefix_for(root_tag, NS_XDR)
        a = _prefix_for(root_tag, NS_A)
        decl = ""
        if xdr is None:
            xdr, decl = "xdr", decl + f' xmlns:xdr="{NS_XDR}"'
        if a is None:
            a, decl = "a", decl + f' xmlns:a="{NS_A}"'
        next_shape = 1 + max(
            (int(i) for t in kept_anchors for i in _SHAPE_ID.findall(t)), default=1
        )
        new_anchors: list[str] = []
        chart_rels: list[_Relationship] = []
        for chart in content.charts:
            rel = ours.pop(chart.name, None)
            if rel is not None:
                chart_part = _resolve(part, rel.target)
            else:
                chart_part = self.pkg.free_name("xl/charts/chart{}.xml")
                rel = _Relationship(
                    _next_relationship_id(old_drawing_rels + chart_rels),
                    REL_CHART,
                    _relative(part, chart_part),
                )
            chart_rels.append(rel)
            self.pkg.write(chart_part, chart_xml(as_chart(chart), content))
            self.content_types.add(chart_part, CT_CHART)
            new_anchors.append(_anchor_xml(chart, next_shape, rel.id, xdr, a, decl))
            next_shape += 1
        for stale in ours.values():  # our charts the content no longer has
            stale_part = _resolve(part, stale.target)
            self.pkg.delete(stale_part)
            self.pkg.delete(_rels_part(stale_part))
            self.content_types.remove(stale_part)

        if not kept_anchors and not new_anchors:
            self.pkg.delete(part)
            self.pkg.delete(_rels_part(part))
            self.content_types.remove(part)
            if drawing_rel is not None:
                kept_rels.remove(drawing_rel)
            return None

        self.pkg.write(part, (before + "".join(kept_anchors + new_anchors) + after).encode())
        drawing_rels = kept_drawing_rels + chart_rels
        if drawing_rels:
            self.pkg.write(_rels_part(part), _relationships_xml(drawing_rels))
        else:
            self.pkg.delete(_rels_part(part))
        self.content_types.add(part, CT_DRAWING)
        if drawing_rel is None:
            drawing_rel = _Relationship(
                _next_relationship_id(old_rels + kept_rels),
                REL_DRAWING,
                _relative(sheet_part, part),
            )
            kept_rels.append(drawing_rel)
        return drawing_rel

    # -- tables ------------------------------------------------------------- #

    def _tables(
        self,
        content: SheetContent,
        sheet_part: str,
        old_rels: list[_Relationship],
        kept_rels: list[_Relationship],
    ) -> list[_Relationship]:
        old_tables: dict[str, tuple[_Relationship, _TableInfo]] = {}
        for rel in old_rels:
            if rel.type != REL_TABLE:
                continue
            part = _resolve(sheet_part, rel.target)
            info = next((t for t in self.inventory if t.part.lower() == part.lower()), None)
            if info is not None:
                old_tables[info.name.lower()] = (rel, info)

        table_rels: list[_Relationship] = []
        for table in content.tables:
            key = table.name.lower()
            for other in self.inventory:
                if other.name.lower() == key and other.sheet.lower() not in self.output_sheets:
                    raise WorkbookWriteError(
                        f"table name {table.name!r} is already used on sheet {other.sheet!r}"
                    )
            if key in self.defined_names:
                raise WorkbookWriteError(f"table name {table.name!r} is already a defined name")
            if key in old_tables:
                rel, info = old_tables.pop(key)
                part, table_id = info.part, info.id
            else:
                part = self.pkg.free_name("xl/tables/table{}.xml")
                table_id = self.next_table_id()
                rel = _Relationship(
                    _next_relationship_id(old_rels + kept_rels + table_rels),
                    REL_TABLE,
                    _relative(sheet_part, part),
                )
            table_rels.append(rel)
            self.pkg.write(part, _table_xml(table, table_id, _unique_headers(table.header)))
            self.content_types.add(part, CT_TABLE)
        for _, info in old_tables.values():
            self.pkg.delete(info.part)
            self.content_types.remove(info.part)
        return table_rels

    # -- the sheet part ----------------------------------------------------- #

    def _sheet_xml(
        self,
        content: SheetContent,
        root_attributes: dict[str, str],
        head: list[tuple[str, str]],
        tail: list[tuple[str, str]],
        table_rels: list[_Relationship],
        r_prefix: str,
    ) -> bytes:
        rows, bounds = self._rows(content)
        kept = dict(head)
        parts = [XML_DECLARATION, f"<worksheet{_format_attributes(root_attributes)}>"]
        if "sheetPr" in kept:
            parts.append(kept["sheetPr"])
        first_row, first_col, last_row, last_col = bounds
        dimension = _ref(first_row, first_col)
        if (last_row, last_col) != (first_row, first_col):
            dimension += ":" + _ref(last_row, last_col)
        parts.append(f'<dimension ref="{dimension}"/>')
        parts.append(self._sheet_views(content, kept.get("sheetView")))
        parts.append(kept.get("sheetFormatPr", '<sheetFormatPr defaultRowHeight="15"/>'))
        if content.column_widths:
            cols = "".join(
                f'<col min="{c + 1}" max="{c + 1}" width="{_number_text(float(w))}"'
                ' customWidth="1"/>'
                for c, w in sorted(content.column_widths.items())
            )
            parts.append(f"<cols>{cols}</cols>")
        parts.append("<sheetData>")
        parts.extend(rows)
        parts.append("</sheetData>")
        parts.extend(element for _, element in tail)
        if table_rels:
            items = "".join(f'<tablePart {r_prefix}:id="{r.id}"/>' for r in table_rels)
            parts.append(f'<tableParts count="{len(table_rels)}">{items}</tableParts>')
        parts.append("</worksheet>")
        return "".join(parts).encode("utf-8")

    @staticmethod
    def _sheet_views(content: SheetContent, old_view_tag: str | None) -> str:
        attributes = _attributes(old_view_tag) if old_view_tag else {"workbookViewId": "0"}
        if content.freeze_rows:
            top_left = _ref(content.freeze_rows, 0)
            children = (
                f'<pane ySplit="{content.freeze_rows}" topLeftCell="{top_left}"'
                ' activePane="bottomLeft" state="frozen"/>'
                f'<selection pane="bottomLeft" activeCell="{top_left}" sqref="{top_left}"/>'
            )
        else:
            children = '<selection activeCell="A1" sqref="A1"/>'
        view = f"<sheetView{_format_attributes(attributes)}>{children}</sheetView>"
        return f"<sheetViews>{view}</sheetViews>"

    def _rows(self, content: SheetContent) -> tuple[list[str], tuple[int, int, int, int]]:
        """The <row> elements and the used range (first_row, first_col, last_row, last_col).

        Single cells and table headers are merged row by row; a table body that
        shares no row with other content (the usual layout) is emitted as one run
        of rows without per-row bookkeeping.
        """
        sparse: dict[int, list[tuple[int, int, str]]] = {}
        bounds = [MAX_ROWS, MAX_COLS, 0, 0]

        def extend(first_row: int, first_col: int, last_row: int, last_col: int) -> None:
            if first_row < 0 or first_col < 0 or last_row >= MAX_ROWS or last_col >= MAX_COLS:
                raise WorkbookWriteError(
                    f"sheet {content.name!r}: content outside the worksheet grid"
                )
            bounds[0] = min(bounds[0], first_row)
            bounds[1] = min(bounds[1], first_col)
            bounds[2] = max(bounds[2], last_row)
            bounds[3] = max(bounds[3], last_col)

        # Rows holding large text get a height that fits it: Excel grows such a
        # row when it edits the cell, but not when it opens a file, nor does
        # LibreOffice, so a 16 pt title would be clipped.
        heights: dict[int, float] = {}
        for cell in content.cells:
            if cell.font_size and cell.font_size > 11:
                heights[cell.row] = max(heights.get(cell.row, 0.0), round(cell.font_size * 1.5, 1))
            xml = self.cells.cell(
                _ref(cell.row, cell.col), cell.value, cell.number_format, cell.bold, cell.font_size
            )
            if xml:
                extend(cell.row, cell.col, cell.row, cell.col)
                sparse.setdefault(cell.row, []).append((cell.col, cell.col, xml))

        bodies: list[tuple[Table, list[str], list[str]]] = []
        for table in content.tables:
            if not table.header:
                raise WorkbookWriteError(f"table {table.name!r} has no columns")
            extend(table.row, table.col, table.last_row, table.last_col)
            headers = _unique_headers(table.header)
            header_xml = "".join(
                self.cells.cell(_ref(table.row, table.col + i), h) for i, h in enumerate(headers)
            )
            sparse.setdefault(table.row, []).append((table.col, table.last_col, header_xml))
            bodies.append((table, *self._table_body(table)))

        def body_rows(table: Table) -> range:
            return range(table.row + 1, table.row + 1 + len(table.rows))

        chunks: list[tuple[int, list[str]]] = []
        for table, numbers, fragments in bodies:
            rows_here = body_rows(table)
            shared = any(r in rows_here for r in sparse) or any(
                other is not table and set(rows_here).intersection(body_rows(other))
                for other, _, _ in bodies
            )
            if shared:
                for r, xml in zip(rows_here, fragments, strict=True):
                    if xml:
                        sparse.setdefault(r, []).append((table.col, table.last_col, xml))
            else:
                run = [
                    f'<row r="{n}">{xml}</row>'
                    for n, xml in zip(numbers, fragments, strict=True)
                    if xml
                ]
                chunks.append((table.row + 1, run))

        for r, row_segments in sparse.items():
            if len(row_segments) > 1:
                row_segments.sort(key=lambda segment: segment[0])
                for left, right in itertools.pairwise(row_segments):
                    if right[0] <= left[1]:
                        raise WorkbookWriteError(
                            f"sheet {content.name!r}: overlapping content at {_ref(r, right[0])}"
                        )
            height = f' ht="{heights[r]:g}" customHeight="1"' if r in heights else ""
            cells_xml = "".join(x for _, _, x in row_segments)
            chunks.append((r, [f'<row r="{r + 1}"{height}>{cells_xml}</row>']))
        chunks.sort(key=lambda chunk: chunk[0])
        rows = [row for _, run in chunks for row in run]
        if bounds[0] == MAX_ROWS:
            bounds = [0, 0, 0, 0]
        return rows, (bounds[0], bounds[1], bounds[2], bounds[3])

    def _table_body(self, table: Table) -> tuple[list[str], list[str]]:
        """The body's 1-based row numbers as text and one cells string per body row."""
        width = len(table.header)
        rows = table.rows
        if not len(rows):
            return [], []
        if any(len(row) != width for row in rows):
            raise WorkbookWriteError(
                f"table {table.name!r}: every row must have {width} values like its header"
            )
        column_formats = list(table.column_formats or [None] * width)
        if len(column_formats) != width:
            raise WorkbookWriteError(
                f"table {table.name!r}: column_formats must have {width} items"
            )
        cell_formats_by_col: list[Sequence[str | None] | None] = [None] * width
        if table.cell_formats is not None:
            if len(table.cell_formats) != len(rows) or any(
                len(f) != width for f in table.cell_formats
            ):
                raise WorkbookWriteError(f"table {table.name!r}: cell_formats must match rows")
            cell_formats_by_col = list(zip(*table.cell_formats, strict=True))
        first = table.row + 2
        numbers = list(map(str, range(first, first + len(rows))))
        columns = list(zip(*rows, strict=True))
        rendered = [
            self.cells.column(
                columns[j], table.col + j, numbers, column_formats[j], cell_formats_by_col[j]
            )
            for j in range(width)
        ]
        return numbers, list(map("".join, zip(*rendered, strict=True)))


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def _validate(contents: Sequence[SheetContent]) -> None:
    sheet_names: set[str] = set()
    table_names: set[str] = set()
    for content in contents:
        _check_sheet_name(content.name)
        if content.name.lower() in sheet_names:
            raise WorkbookWriteError(f"sheet {content.name!r} appears twice in the output")
        sheet_names.add(content.name.lower())
        for table in content.tables:
            _check_table_name(table.name)
            if table.name.lower() in table_names:
                raise WorkbookWriteError(f"table name {table.name!r} appears twice in the output")
            table_names.add(table.name.lower())
        chart_names = [c.name for c in content.charts]
        if len(set(chart_names)) != len(chart_names):
            raise WorkbookWriteError(f"sheet {content.name!r}: chart names must be unique")
        for chart in content.charts:
            try:
                check_chart(as_chart(chart))
            except ChartError as exc:
                raise WorkbookWriteError(f"sheet {content.name!r}: {exc}") from None


def _build(pkg: _Package, contents: Sequence[SheetContent]) -> None:
    """Apply all edits for ``contents`` to ``pkg`` (nothing is written yet)."""
    content_types = _ContentTypes(pkg.text(_ContentTypes.PART))
    workbook = _Workbook.load(pkg)

    styles_rel = next((r for r in workbook.rels if r.type == REL_STYLES), None)
    if styles_rel is not None and pkg.exists(_resolve(workbook.part, styles_rel.target)):
        styles_part = _resolve(workbook.part, styles_rel.target)
        styles = _Styles(pkg.text(styles_part))
    else:  # a package without styles (Excel always writes one): add a minimal part
        styles_part = pkg.free_name("xl/styles.xml")
        styles = _Styles(_MINIMAL_STYLES)
        rel = _Relationship(
            _next_relationship_id(workbook.rels), REL_STYLES, _relative(workbook.part, styles_part)
        )
        workbook.rels.append(rel)
        workbook.rels_text = _insert_relationship(workbook.rels_text, rel)
        content_types.add(styles_part, CT_STYLES)
    original_styles = styles.text

    inventory = _table_inventory(pkg, workbook)
    table_ids = [max((t.id for t in inventory), default=0)]

    def next_table_id() -> int:
        table_ids[0] += 1
        return table_ids[0]

    cells = _CellWriter(styles, _Dates(workbook.date1904))
    writer = _SheetWriter(
        pkg,
        content_types,
        cells,
        inventory,
        next_table_id,
        {c.name.lower() for c in contents},
        workbook.defined_names,
    )
    rebuilt_ids: set[int] = set()
    for content in contents:
        entry = workbook.sheet(content.name)
        if entry is not None and (entry.rel_type != REL_WORKSHEET or entry.part is None):
            raise WorkbookWriteError(f"sheet {entry.name!r} is not a worksheet")
        if entry is not None and entry.part is not None and pkg.exists(entry.part):
            rebuilt_ids.add(entry.sheet_id)
            writer.write(content, entry.part, existing=True)
        else:
            if entry is None:
                entry = workbook.add_sheet(pkg, content.name)
            assert entry.part is not None
            # A new sheet, or a sheet entry whose part was missing: register its type.
            content_types.add(entry.part, CT_WORKSHEET)
            writer.write(content, entry.part, existing=False)

    if rebuilt_ids and _calc_chain_mentions(pkg, workbook, rebuilt_ids):
        workbook.drop_calc_chain(pkg, content_types)

    pkg.write(workbook.part, workbook.text.encode("utf-8"))
    pkg.write(_rels_part(workbook.part), workbook.rels_text.encode("utf-8"))
    pkg.write(_ContentTypes.PART, content_types.text.encode("utf-8"))
    if styles.text != original_styles or not pkg.exists(styles_part):
        pkg.write(styles_part, styles.text.encode("utf-8"))


def _replace_atomically(target: Path, produce: Callable[[BinaryIO], None]) -> None:
    """Write ``target`` via a fsynced temporary file beside it and ``os.replace``."""
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
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        except FileNotFoundError:
            pass
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


def write_sheets(src: PathLike, dst: PathLike | None, contents: Sequence[SheetContent]) -> None:
    """Write output sheets into a copy of ``src`` (or into ``src`` itself).

    Parameters
    ----------
    src
        An existing .xlsx or .xlsm workbook.
    dst
        Where to write; ``None`` replaces ``src``. Written atomically: on any
        failure the file at ``dst`` is left as it was.
    contents
        The sheets to (re)build, by name. An existing sheet of that name keeps
        its buttons, shapes, form controls, comments and page setup; its cells,
        tables and the charts this writer made are rebuilt. Missing sheets are
        appended to the workbook.

    Raises
    ------
    WorkbookWriteError
        ``src`` is not a readable .xlsx/.xlsm (not a zip, corrupt, a part is
        missing), a table name is already used elsewhere in the workbook, a
        sheet or table name is invalid, or ``dst`` cannot be replaced.

    Notes
    -----
    Every zip member the outputs do not own is copied as stored (compressed
    bytes untouched), so other sheets, charts, pivot tables, images, comments,
    validation, defined names, ``vbaProject.bin`` and buttons stay byte-identical.
    """
    source = Path(src)
    target = Path(dst) if dst is not None else source
    _validate(contents)
    try:
        fp = source.open("rb")
    except FileNotFoundError as exc:
        raise WorkbookWriteError(f"{source.name}: no such file") from exc
    except OSError as exc:
        raise WorkbookWriteError(f"{source.name}: cannot open ({exc.strerror or exc})") from exc
    with fp:
        try:
            pkg = _Package(fp, os.fstat(fp.fileno()).st_size)
            _build(pkg, contents)
            _replace_atomically(target, pkg.emit)
        except WorkbookWriteError as exc:
            raise WorkbookWriteError(f"{source.name}: {exc}") from exc
