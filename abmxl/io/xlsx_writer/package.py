"""The package layer: parts by name, their relationships, and content types.

``Package`` holds the source workbook's zip members and the edits a write
makes (new bytes, deletions, new parts) until ``emit`` writes the output zip:
source members in their order (unchanged ones copied raw), then new parts.
Relationship parts and ``[Content_Types].xml`` are parsed with lxml and
changed element by element; part names are compared without case, as OPC
requires.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote

from lxml import etree

from abmxl.io.xlsx_writer.errors import WorkbookWriteError
from abmxl.io.xlsx_writer.ooxml import NS_CONTENT_TYPES, NS_PKG_RELS, qn
from abmxl.io.xlsx_writer.xmlparts import XmlPart
from abmxl.io.xlsx_writer.xmltext import XML_DECLARATION, escape_attr
from abmxl.io.xlsx_writer.zipio import (
    DOS_DATE_1980_01_01,
    ZipWriter,
    deflate,
    read_directory,
    read_member,
)

# Parts at least this large are deflated on a worker thread as soon as they are
# written (the Account Scores sheet: tens of MB), overlapping the compression
# with rendering the next sheets and copying the untouched parts.
_BACKGROUND_DEFLATE_BYTES = 1 << 20

CONTENT_TYPES_PART = "[Content_Types].xml"


# -- part names ---------------------------------------------------------------------


def rels_part(part: str) -> str:
    """The relationships part of ``part`` (``""`` = the package)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def resolve(source_part: str, target: str) -> str:
    """The part name a relationship target points to (no leading slash)."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, target_part: str) -> str:
    return quote(posixpath.relpath(target_part, posixpath.dirname(source_part) or "."))


# -- relationships ------------------------------------------------------------------


@dataclass
class Relationship:
    id: str
    type: str
    target: str
    target_mode: str | None = None

    def xml(self) -> str:
        mode = f' TargetMode="{escape_attr(self.target_mode)}"' if self.target_mode else ""
        return (
            f'<Relationship Id="{escape_attr(self.id)}" Type="{escape_attr(self.type)}"'
            f' Target="{escape_attr(self.target)}"{mode}/>'
        )


def relationships_xml(rels: Iterable[Relationship]) -> bytes:
    """A new relationships part."""
    body = "".join(r.xml() for r in rels)
    return f'{XML_DECLARATION}<Relationships xmlns="{NS_PKG_RELS}">{body}</Relationships>'.encode()


def next_relationship_id(rels: Iterable[Relationship]) -> str:
    ids = {r.id for r in rels}
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"rId(\d+)", i))]
    n = max(numbers, default=0) + 1
    while f"rId{n}" in ids:
        n += 1
    return f"rId{n}"


class RelationshipsPart:
    """An existing relationships part, edited in place (other elements untouched)."""

    def __init__(self, name: str, data: bytes) -> None:
        self.xml = XmlPart(name, data)
        self.rels: list[Relationship] = []
        self._elements: dict[str, etree._Element] = {}
        for element in self.xml.root.iter(qn(NS_PKG_RELS, "Relationship")):
            rid, kind, target = element.get("Id"), element.get("Type"), element.get("Target")
            if rid is None or kind is None or target is None:
                raise WorkbookWriteError(
                    "corrupt workbook (a relationship lacks Id, Type or Target)"
                )
            self.rels.append(Relationship(rid, kind, target, element.get("TargetMode")))
            self._elements[rid] = element

    def add(self, kind: str, target: str) -> Relationship:
        rel = Relationship(next_relationship_id(self.rels), kind, target)
        element = etree.SubElement(self.xml.root, qn(NS_PKG_RELS, "Relationship"))
        element.set("Id", rel.id)
        element.set("Type", kind)
        element.set("Target", target)
        self.rels.append(rel)
        self._elements[rel.id] = element
        return rel

    def remove(self, rel: Relationship) -> None:
        element = self._elements.pop(rel.id, None)
        if element is not None:
            element.getparent().remove(element)
        self.rels = [r for r in self.rels if r.id != rel.id]

    def to_bytes(self) -> bytes:
        return self.xml.to_bytes()


# -- content types ------------------------------------------------------------------


class ContentTypes:
    """``[Content_Types].xml``: Override elements added and removed by part name."""

    def __init__(self, data: bytes) -> None:
        self.xml = XmlPart(CONTENT_TYPES_PART, data)
        self._overrides: dict[str, etree._Element] = {}
        self._defaults: dict[str, str] = {}
        for element in self.xml.root:
            if element.tag == qn(NS_CONTENT_TYPES, "Override"):
                self._overrides[element.get("PartName", "").lower()] = element
            elif element.tag == qn(NS_CONTENT_TYPES, "Default"):
                extension = element.get("Extension", "").lower()
                self._defaults[extension] = element.get("ContentType", "")

    def content_type(self, part: str) -> str | None:
        """The content type of ``part``: its Override, else its extension's Default."""
        element = self._overrides.get("/" + part.lower())
        if element is not None:
            return element.get("ContentType")
        return self._defaults.get(posixpath.splitext(part)[1][1:].lower())

    def parts_of_type(self, content_type: str) -> list[str]:
        return [
            element.get("PartName", "").lstrip("/")
            for element in self._overrides.values()
            if element.get("ContentType") == content_type
        ]

    def add(self, part: str, content_type: str) -> None:
        key = "/" + part.lower()
        if key in self._overrides:
            return
        element = etree.SubElement(self.xml.root, qn(NS_CONTENT_TYPES, "Override"))
        element.set("PartName", "/" + part)
        element.set("ContentType", content_type)
        self._overrides[key] = element

    def remove(self, part: str) -> None:
        element = self._overrides.pop("/" + part.lower(), None)
        if element is not None:
            element.getparent().remove(element)

    def to_bytes(self) -> bytes:
        return self.xml.to_bytes()


# -- the package --------------------------------------------------------------------


class Package:
    """The source workbook's parts plus the edits a write makes to them."""

    def __init__(self, fp: BinaryIO, size: int) -> None:
        self.fp = fp
        self.members, self.comment = read_directory(fp, size)
        self._by_key = {m.name.lower(): m for m in self.members}
        self._source_cache: dict[str, bytes] = {}
        self.edits: dict[str, bytes | None] = {}  # key: lower-case part name
        self.new_parts: dict[str, str] = {}  # key -> part name, in creation order
        self.reserved: set[str] = set()
        self._rels: dict[str, RelationshipsPart | None] = {}
        self._deflating: dict[str, Future[tuple[bytes, int]]] = {}
        self._deflater: ThreadPoolExecutor | None = None

    def names(self) -> list[str]:
        """Every part name of the source package."""
        return [m.name for m in self.members]

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
            self._source_cache[key] = read_member(self.fp, member)
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
        data = self.read(part)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WorkbookWriteError(f"corrupt workbook (part {part} is not UTF-8 XML)") from exc

    def write(self, part: str, data: bytes) -> None:
        key = part.lower()
        if key not in self._by_key and key not in self.new_parts:
            self.new_parts[key] = part
        self.edits[key] = data
        self._rels.pop(key, None)
        self._deflating.pop(key, None)
        if len(data) >= _BACKGROUND_DEFLATE_BYTES:
            if self._deflater is None:
                self._deflater = ThreadPoolExecutor(1, thread_name_prefix="abmxl-deflate")
            self._deflating[key] = self._deflater.submit(deflate, data)

    def _deflated(self, key: str) -> tuple[bytes, int] | None:
        future = self._deflating.pop(key, None)
        return future.result() if future is not None else None

    def delete(self, part: str) -> None:
        key = part.lower()
        if key in self.new_parts:
            del self.new_parts[key]
            self.edits.pop(key, None)
        elif key in self._by_key:
            self.edits[key] = None
        self._rels.pop(key, None)

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

    def rels_of(self, part: str) -> RelationshipsPart | None:
        """The parsed relationships part of ``part`` (cached), or None if it has none."""
        name = rels_part(part)
        key = name.lower()
        if key not in self._rels:
            self._rels[key] = (
                RelationshipsPart(name, self.read(name)) if self.exists(name) else None
            )
        return self._rels[key]

    def relationships(self, part: str) -> list[Relationship]:
        found = self.rels_of(part)
        return list(found.rels) if found is not None else []

    def close(self) -> None:
        """Stop the deflate thread (after ``emit``, or when a write is refused)."""
        if self._deflater is not None:
            self._deflater.shutdown(wait=True, cancel_futures=True)
            self._deflater = None
        self._deflating.clear()

    def emit(self, out: BinaryIO) -> None:
        """Write the output zip: source order first, then new parts."""
        writer = ZipWriter(out)
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
                deflated = self._deflated(key)
                writer.add(member.name, data, member.dos_time, member.dos_date, deflated)
        for key, part in self.new_parts.items():
            data = self.edits[key]
            assert data is not None
            writer.add(part, data, 0, DOS_DATE_1980_01_01, self._deflated(key))
        writer.close(self.comment)
