"""The Excel functions as classic xlwings (Windows desktop Excel, COM) imports them.

"Import Functions" in the xlwings add-in runs ``xlwings.udfs.import_udfs``, which
writes a VBA module with one wrapper per function
(``generate_vba_wrapper``) and registers each function's description, category
and argument help with ``Application.MacroOptions``. Here the same xlwings code
runs in a fresh interpreter with the Windows-only modules (``pythoncom``,
``pywintypes``, ``win32com``) stubbed and the classic decorators installed where
``import xlwings`` would put them on Windows; the test process itself runs the
Office.js runtime (root ``conftest.py``), so the check needs its own process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from abmxl import udfs

ROOT = Path(__file__).resolve().parent.parent

CLASSIC_IMPORT = r"""
import io, json, sys, types

for name in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
    sys.modules[name] = types.ModuleType(name)
sys.modules["pythoncom"].CoInitialize = lambda: None
sys.modules["pywintypes"].com_error = type("com_error", (Exception,), {})
sys.modules["win32com.client"].Dispatch = lambda *args, **kwargs: None
sys.modules["win32com"].client = sys.modules["win32com.client"]

import xlwings
import xlwings.udfs as classic

# What `import xlwings` selects on Windows with pywin32 (xlwings/__init__.py).
xlwings.func, xlwings.arg, xlwings.ret = classic.xlfunc, classic.xlarg, classic.xlret
import abmxl.udfs

vba = io.StringIO()
workbook = types.SimpleNamespace(Name="abm_template.xlsm")
classic.generate_vba_wrapper("abmxl.udfs", abmxl.udfs, vba, workbook)
options = {}
for name in dir(abmxl.udfs):
    function = getattr(abmxl.udfs, name)
    if hasattr(function, "__xlfunc__"):
        info = function.__xlfunc__
        # The values import_udfs hands to Application.MacroOptions.
        options[info["name"]] = {
            "description": info["ret"]["doc"][:255],
            "category": info["category"],
            "argument_docs": [arg["doc"][:255] for arg in info["args"] if not arg["vba"]],
            "options": [arg["options"] for arg in info["args"]],
        }
print(json.dumps({"vba": vba.getvalue(), "options": options}))
"""


@pytest.fixture(scope="module")
def classic_import() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_ON_SERVER"}
    completed = subprocess.run(
        [sys.executable, "-c", CLASSIC_IMPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout)


def _vba_signatures(vba: str) -> dict[str, list[str]]:
    signatures = {}
    for match in re.finditer(r"^Function (\w+)\((.*)\)$", vba, flags=re.MULTILINE):
        signatures[match.group(1)] = [p.strip() for p in match.group(2).split(",") if p.strip()]
    return signatures


def test_vba_wrapper_declares_every_function_with_its_arguments(
    classic_import: dict[str, Any],
) -> None:
    signatures = _vba_signatures(classic_import["vba"])
    assert sorted(signatures) == sorted(spec.classic_name for spec in udfs.EXCEL_FUNCTIONS.values())
    for spec in udfs.EXCEL_FUNCTIONS.values():
        expected = [
            f"Optional {argument.name}" if argument.optional else argument.name
            for argument in spec.arguments
        ]
        assert signatures[spec.classic_name] == expected, spec.classic_name


def test_vba_wrapper_calls_the_python_function_of_the_same_name(
    classic_import: dict[str, Any],
) -> None:
    vba = classic_import["vba"]
    for spec in udfs.EXCEL_FUNCTIONS.values():
        arguments = ", ".join(argument.name for argument in spec.arguments)
        assert (
            f'{spec.classic_name} = XLPy.CallUDF("abmxl.udfs", "{spec.classic_name}", '
            f"Array({arguments}), ThisWorkbook, Application.Caller)"
        ) in vba


def test_function_wizard_gets_description_category_and_argument_help(
    classic_import: dict[str, Any],
) -> None:
    options = classic_import["options"]
    assert sorted(options) == sorted(spec.classic_name for spec in udfs.EXCEL_FUNCTIONS.values())
    for spec in udfs.EXCEL_FUNCTIONS.values():
        registered = options[spec.classic_name]
        assert registered["category"] == "ABM"
        assert registered["description"] == spec.description  # not cut at 255
        assert registered["argument_docs"] == [argument.doc for argument in spec.arguments]
        # Every argument keeps its shape (ndim=2) and sees error cells as text.
        assert all(o == {"ndim": 2, "err_to_str": True} for o in registered["options"])
