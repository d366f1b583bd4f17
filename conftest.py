"""Test-process setup that must happen before anything imports xlwings.

xlwings chooses its UDF implementation at import time; selecting the Office.js
runtime (the one xlwings Lite and xlwings Server run) lets the tests call our
Excel functions through xlwings' own dispatcher on Linux. The Office.js code
path is xlwings PRO under the PolyForm Noncommercial license, which covers
running this project's own tests (see docs/excel-functions.md).
"""

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

collect_ignore = ["bench", "workbook_templates", ".venv", "build", "demo"]
