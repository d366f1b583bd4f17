"""A small tokenizer for the parts kept as text: find elements and their spans.

The worksheet part of an existing output sheet can be tens of megabytes of
``sheetData``; the writer keeps only a few of its other children (page setup,
drawings, controls) verbatim. Finding them by span, without building a tree of
the cells, is what this tokenizer does: comments, processing instructions and
CDATA are skipped, quoted attribute values may hold ">".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from abmxl.io.xlsx_writer.errors import WorkbookWriteError

_TOKEN = re.compile(
    r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>"
    r"|<(/?)([^\s/>!?]+)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>",
    re.S,
)
_ATTRIBUTE = re.compile(r"([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def local_name(qname: str) -> str:
    return qname.rpartition(":")[2]


def attributes(start_tag: str) -> dict[str, str]:
    """Attributes of a start tag, unescaped, in document order."""
    body = start_tag[1:].split(None, 1)
    if len(body) < 2:
        return {}
    return {
        m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ATTRIBUTE.finditer(body[1])
    }


@dataclass(frozen=True)
class Element:
    qname: str
    start: int  # offset of "<"
    end: int  # offset after the closing ">"
    start_tag_end: int  # offset after the start tag's ">"

    @property
    def name(self) -> str:
        return local_name(self.qname)


def inner(text: str, element: Element) -> tuple[int, int]:
    """The span of an element's content (between its start and end tags)."""
    if element.start_tag_end == element.end:
        return element.end, element.end
    return element.start_tag_end, text.rindex("<", element.start, element.end)


def root_element(text: str) -> Element:
    """The document element (its span runs to the end of its end tag)."""
    for m in _TOKEN.finditer(text):
        if m.group(2) is None or m.group(1):
            continue
        if m.group(3):
            return Element(m.group(2), m.start(), m.end(), m.end())
        close = text.rfind("</" + m.group(2))
        if close < m.end():
            raise WorkbookWriteError(f"corrupt workbook (no end tag for <{m.group(2)}>)")
        return Element(m.group(2), m.start(), text.index(">", close) + 1, m.end())
    raise WorkbookWriteError("corrupt workbook (a part has no XML document element)")


def children(text: str, start: int, end: int) -> list[Element]:
    """The top-level elements in ``text[start:end]`` (comments and PIs skipped)."""
    found: list[Element] = []
    depth = 0
    open_name = ""
    open_start = open_tag_end = 0
    for m in _TOKEN.finditer(text, start, end):
        closing, qname, self_closing = m.group(1), m.group(2), m.group(3)
        if qname is None:
            continue
        if closing:
            depth -= 1
            if depth < 0:
                raise WorkbookWriteError(f"corrupt workbook (unbalanced </{qname}>)")
            if depth == 0:
                found.append(Element(open_name, open_start, m.end(), open_tag_end))
        elif self_closing:
            if depth == 0:
                found.append(Element(qname, m.start(), m.end(), m.end()))
        else:
            if depth == 0:
                open_name, open_start, open_tag_end = qname, m.start(), m.end()
            depth += 1
    if depth:
        raise WorkbookWriteError("corrupt workbook (unclosed XML element)")
    return found


def prefix_for(start_tag: str, namespace: str) -> str | None:
    """The prefix a start tag binds to ``namespace`` ("" = default), or None."""
    for name, value in attributes(start_tag).items():
        if value == namespace and (name == "xmlns" or name.startswith("xmlns:")):
            return name[6:]
    return None


def qualify(prefix: str, local: str) -> str:
    return f"{prefix}:{local}" if prefix else local
