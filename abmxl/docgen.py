"""Generate the Excel function reference (``docs/functions.md``) from the code.

Everything on the page comes from :data:`abmxl.udfs.EXCEL_FUNCTIONS` (names,
descriptions, argument help, defaults, example formulas) and from the numpy-style
docstrings of the :mod:`abmxl.metrics` functions (formula, domains, what comes
back), so the reference cannot drift from what Excel shows. A test checks that
the committed page equals :func:`render`.

    python -m abmxl.docgen docs/functions.md
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from abmxl.udfs import CATEGORY, EXCEL_FUNCTIONS, ExcelArgument, ExcelFunction

_SECTION_UNDERLINE = re.compile(r"^-{3,}$")
_INLINE_MATH = re.compile(r":math:`([^`]+)`")
_ROLE = re.compile(r":(?:func|class|data|mod|meth):`~?(?:abmxl\.metrics\.)?([\w.]+)`")
# Docstring sections shown on the page; the rest (Examples, Notes) is for Python users.
_SHOWN_SECTIONS = ("Parameters", "Returns", "Raises")


def _numpy_sections(docstring: str) -> tuple[list[str], dict[str, list[str]]]:
    """Split a numpy-style docstring into its opening text and its named sections."""
    lines = inspect.cleandoc(docstring).splitlines()
    opening: list[str] = []
    sections: dict[str, list[str]] = {}
    current = opening
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _SECTION_UNDERLINE.match(lines[i + 1]) and lines[i].strip():
            current = sections.setdefault(lines[i].strip(), [])
            i += 2
            continue
        current.append(lines[i])
        i += 1
    return opening, sections


def _markdown_text(text: str) -> str:
    """reStructuredText inline markup -> Markdown (literals, cross-references, math)."""
    text = _INLINE_MATH.sub(r"$\1$", text)
    return _ROLE.sub(r"`\1`", text).replace("``", "`")


def _opening_markdown(lines: list[str]) -> Iterator[str]:
    """The docstring's opening: prose as is, ``.. math::`` directives as math blocks."""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".. math::"):
            inline = line.removeprefix(".. math::").strip()
            block: list[str] = [inline] if inline else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                block.append(lines[i].strip())
                i += 1
            yield "```math"
            yield from "\n".join(block).strip().splitlines()
            yield "```"
            yield ""
            continue
        yield _markdown_text(line)
        i += 1


def _definition_list(lines: list[str]) -> Iterator[str]:
    """A numpy ``name : type`` / indented description section -> Markdown bullets."""
    entry: list[str] = []
    for line in [*lines, ""]:
        if line and not line.startswith(" "):
            if entry:
                yield _bullet(entry)
            entry = [line]
        elif line.strip() and entry:
            entry.append(line.strip())
    if entry:
        yield _bullet(entry)


def _bullet(entry: list[str]) -> str:
    head, *description = entry
    name, _, kind = head.partition(" : ")
    label = f"`{name.strip()}`" + (f" ({kind.strip()})" if kind else "")
    text = " ".join(description)
    return _markdown_text(f"- {label}: {text}" if text else f"- {label}")


def _syntax(function: ExcelFunction, name: str) -> str:
    parts = [
        f"[{argument.name}]" if argument.optional else argument.name
        for argument in function.arguments
    ]
    return f"={name}({', '.join(parts)})"


def _default_text(argument: ExcelArgument) -> str:
    if not argument.optional:
        return "required"
    if argument.default is None:
        return "optional, default none"
    if isinstance(argument.default, str):  # a word, such as a model name
        return f'optional, default "{argument.default}"'
    return f"optional, default {argument.default:g}"


def _python_call(function: ExcelFunction) -> str:
    signature = inspect.signature(function.core)
    parameters = ", ".join(
        name if p.default is inspect.Parameter.empty else f"{name}={p.default!r}"
        for name, p in signature.parameters.items()
    )
    return f"abmxl.{function.core.__name__}({parameters})"


def _function_section(function: ExcelFunction) -> Iterator[str]:
    yield f"## {function.classic_name} / {function.office_name}"
    yield ""
    yield function.description
    yield ""
    yield "| | |"
    yield "|---|---|"
    yield f"| classic xlwings (Windows) | `{_syntax(function, function.classic_name)}` |"
    yield f"| xlwings Lite (Office.js) | `{_syntax(function, function.office_name)}` |"
    yield f"| Python | `{_python_call(function)}` |"
    example = f"={function.classic_name}({function.example})"
    yield f"| example | `{example}` -> {function.example_result} |"
    yield ""
    yield "| argument | | help shown in Excel |"
    yield "|---|---|---|"
    for argument in function.arguments:
        yield f"| `{argument.name}` | {_default_text(argument)} | {argument.doc} |"
    yield ""
    opening, sections = _numpy_sections(function.core.__doc__ or "")
    yield f"From the docstring of `abmxl.{function.core.__name__}`:"
    yield ""
    quoted = [f"> {line}".rstrip() for line in _opening_markdown(opening)]
    # Collapse runs of empty quote lines and drop trailing ones.
    for i, line in enumerate(quoted):
        if line != ">" or (i + 1 < len(quoted) and quoted[i + 1] != ">"):
            yield line
    for title in _SHOWN_SECTIONS:
        if title in sections:
            yield ">"
            yield f"> **{title}**"
            yield ">"
            for bullet in _definition_list(sections[title]):
                yield f"> {bullet}"
    yield ""


def render() -> str:
    """The whole reference page as Markdown."""
    lines = [
        "# Excel function reference",
        "",
        "<!-- Generated by `python -m abmxl.docgen docs/functions.md` (`make docs`) from",
        "     abmxl/udfs.py and the docstrings of abmxl/metrics.py. Do not edit by hand. -->",
        "",
        f"{len(EXCEL_FUNCTIONS)} functions, in the function wizard's category "
        f'"{CATEGORY}". Classic xlwings (Windows desktop Excel) names them `ABM_<NAME>`; '
        "xlwings Lite and other Office.js hosts `ABM.<NAME>`. Installing them, blanks, "
        "errors and which formula style to use: [excel-functions.md](excel-functions.md).",
        "",
        "Every argument takes a single cell or a range. Ranges broadcast like Excel's "
        "array arithmetic and the result spills; a bad element shows `#DIV/0!`, `#NUM!` "
        "or `#VALUE!` in its own cell only. Arguments in [brackets] are optional.",
        "",
        "| classic | xlwings Lite | what it computes |",
        "|---|---|---|",
    ]
    for function in EXCEL_FUNCTIONS.values():
        anchor = f"{function.classic_name}--{function.office_name}".lower().replace(".", "")
        lines.append(
            f"| [{function.classic_name}](#{anchor}) | {function.office_name} | "
            f"{function.description} |"
        )
    lines.append("")
    for function in EXCEL_FUNCTIONS.values():
        lines.extend(_function_section(function))
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m abmxl.docgen", description=__doc__)
    parser.add_argument("output", nargs="?", help="file to write; standard output if omitted")
    args = parser.parse_args(argv)
    page = render()
    if args.output:
        Path(args.output).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
