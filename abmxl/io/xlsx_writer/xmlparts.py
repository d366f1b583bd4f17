"""Existing XML parts parsed with lxml and written back with minimal change.

A shared part (workbook, relationships, content types, styles, a drawing) is
parsed into a tree, the writer changes the few elements it must, and the tree
is serialised again behind the part's original prolog (XML declaration and
anything before the root), so that prefixes, attribute order and everything
the writer did not touch come out as they went in. Elements are found by
namespace URI, never by prefix: ``x:sheet`` and ``sheet`` with a default
namespace, ``r:id`` declared on the root or on each element, are the same.
"""

from __future__ import annotations

import re

from lxml import etree

from abmxl.io.xlsx_writer.errors import WorkbookWriteError
from abmxl.io.xlsx_writer.ooxml import STRICT_MESSAGE, STRICT_ROOT

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False
)
_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)


class XmlPart:
    """One parsed part: its prolog bytes and its root element."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        prolog = _PROLOG.match(data)
        self.prolog = prolog.group(0) if prolog else b""
        try:
            self.root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError as exc:
            raise WorkbookWriteError(f"corrupt workbook (part {name} is not XML: {exc})") from None
        if etree.QName(self.root).namespace and etree.QName(self.root).namespace.startswith(
            STRICT_ROOT
        ):
            raise WorkbookWriteError(STRICT_MESSAGE)

    def to_bytes(self) -> bytes:
        return self.prolog + etree.tostring(self.root, encoding="unicode").encode("utf-8")


def prefix_of(element: etree._Element, namespace: str) -> str | None:
    """The prefix bound to ``namespace`` where ``element`` is (None = unbound; "" = default)."""
    for prefix, uri in element.nsmap.items():
        if uri == namespace:
            return prefix or ""
    return None


def insert_in_order(parent: etree._Element, child: etree._Element, order: tuple[str, ...]) -> None:
    """Insert ``child`` among ``parent``'s children at its place in a schema sequence.

    ``order`` lists the local names of the sequence; ``child`` goes after the
    last existing child that comes before it (children of unknown names, such
    as extensions, stay where they are after it).
    """
    rank = order.index(etree.QName(child).localname)
    position = 0
    for i, existing in enumerate(parent):
        if not isinstance(existing.tag, str):
            continue
        name = etree.QName(existing).localname
        if name in order and order.index(name) < rank:
            position = i + 1
    parent.insert(position, child)
