"""Build the template workbook and sample workbooks.

``build_workbook`` writes the .xlsm a user opens: the input sheets of
``shared/spec/workbook.md`` as formatted Excel Tables, Settings and
ChannelWeights prefilled with the defaults, a "Start here" sheet, a
"Calculator" sheet typing every Excel function on its worked example, an
``xlwings.conf`` sheet, the empty output sheets, and a VBA project holding the
whole xlwings module plus our ``RefreshFunnel`` macro behind a Form-control
"Refresh funnel" button. Given DataFrames it writes the same workbook filled
with them (``abmxl new --sample N``, the demo, the benchmarks).

How it is made (docs/template.md): XlsxWriter writes every part except the
VBA project, which is the installed xlwings' ``quickstart_standalone.xlsm``
project with its sample ``Module1`` swapped for ``abmxl/vba/abmxl.bas`` by
pyOpenVBA. The xlwings module names the xlwings DLL of its own version, so the
template must be rebuilt (``make template``) whenever the pinned xlwings
changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from abmxl import schema
from abmxl.examples import WORKED_EXAMPLES
from abmxl.io.content import FMT_CURRENCY, FMT_DATE, FMT_INTEGER
from abmxl.serials import date_serial, datetime64_serials

START_SHEET = "Start here"
CALCULATOR_SHEET = "Calculator"
CONF_SHEET = "xlwings.conf"

SHEET_ORDER: tuple[str, ...] = (
    START_SHEET,
    *schema.OUTPUT_SHEETS,
    *schema.INPUT_SHEETS,
    *schema.MAPPING_SHEETS,
    CALCULATOR_SHEET,
    CONF_SHEET,
)
"""Sheets of the template, left to right. ``Sheet1``/``Sheet2`` are the code names of
the first two, the document modules the xlwings project already holds."""

VBA_MODULE_NAME = "abmxl"
REFRESH_MACRO = "RefreshFunnel"
IMPORT_MACRO = "ImportFunctions"
REFRESH_CALL = 'RunPython "import abmxl.excel; abmxl.excel.refresh()"'
UDF_MODULES = "abmxl.udfs"

LITE_BUTTON_SHAPE = "TextBox 1"
"""XlsxWriter's name for the xlwings Lite button on Funnel Summary: the first object of
that sheet's drawing part (the Form button lives in the legacy VML part)."""
LITE_BUTTON_CELL = "G2"
"""The cell the Lite button's hyperlink selects; xlwings Lite runs the script bound to it."""
LITE_BUTTON = f"[{LITE_BUTTON_SHAPE}]{schema.FUNNEL_SUMMARY_SHEET}!{LITE_BUTTON_CELL}"

BUILD_TIMESTAMP = dt.datetime(2026, 1, 1)
"""Creation date written into every built workbook, so that two builds are identical."""

EXCEL_MAX_ROWS = 1_048_576

_QUICKSTART = "quickstart_standalone.xlsm"

# Number formats of the input columns; unlisted number columns use "General".
COLUMN_FORMATS: dict[str, str] = {
    "employees": FMT_INTEGER,
    "annual_revenue": FMT_CURRENCY,
    "fit_score": "0",
    "intent_score": "0",
    "expected_acv": FMT_CURRENCY,
    "tier_override": "0",
    "amount": FMT_CURRENCY,
    "one_time_fees": FMT_CURRENCY,
    "term_years": "0.0#",
    "tier": "0",
    "score": "0",
    "weight": "0.0#",
}

SETTING_NOTES: dict[str, str] = {
    "as_of": "Date the funnel is measured at; blank = today",
    "fit_min": "Fit score (0-100) an account needs to be a target (tiers 1-3)",
    "intent_min": "Intent score (0-100) that counts as showing intent",
    "engagement_min": "Engagement score (minutes in the window) that counts as engaged",
    "acv_tier1": "Expected ACV for Tier 1",
    "acv_tier2": "Expected ACV for Tier 2",
    "window_days": "Engagement older than this many days does not count",
    "half_life_days": "Blank = no decay; else engagement loses half its weight every N days",
    "gross_margin": "Gross margin used for customer lifetime value (0-1)",
    "discount_rate": "Yearly discount rate used for customer lifetime value",
    "customer_lifetime_years": "Customer lifetime used when no renewal has closed",
    "decimal_separator": "Decimal mark of numbers typed as text: . (1,234.5) or , (1.234,5)",
    "date_order": "Dates typed as text like 03/04/2026: auto (from the column), MDY or DMY",
    "period": "Trends period: quarter, month or year",
    "trend_periods": "How many periods the Trends sheet shows, up to the one holding as_of",
    "spike_recent_days": "Engagement spikes: the recent period, in days",
    "spike_baseline_days": "Engagement spikes: the baseline period before it, in days",
    "spike_min_lift": "Spiking: recent at least (1 + this) times the baseline rate",
    "spike_min_recent": "Spiking: recent engagement at least this much",
    "attribution_window_days": "Touches this many days before an opportunity count toward it",
    "attribution_half_life_days": "time_decay attribution: a touch's credit halves every N days",
    "attribution_model": "Model the Attribution chart shows: first, last, linear, u_shaped, "
    "w_shaped, time_decay or weighted",
    "engagement_source": "Events outside this workbook: a Parquet file, folder or glob, or a CSV "
    "file (blank: the Engagement sheet)",
}


def _dropdowns() -> dict[tuple[str, str], dict]:
    """Data validation of the input columns with a short list of usual values.

    Status, type and channel accept anything (CRM exports differ; the engine
    matches values loosely and reports unknown ones), so their lists only
    suggest; tier, category and engaged warn on a value outside the list.
    """
    suggest = {"validate": "list", "show_error": False}
    warn = {"validate": "list", "error_type": "warning", "error_title": "Unusual value"}
    channels = f"={schema.CHANNEL_WEIGHTS.name}!$A$2:$A$500"
    return {
        ("Accounts", "tier_override"): {
            **warn,
            "source": ["0", "1", "2", "3"],
            "error_message": "Tier override is 0 (non-target), 1, 2, 3 or blank.",
        },
        ("Contacts", "engaged"): {
            **warn,
            "source": ["Y", "N"],
            "error_message": "Engaged is Y or N.",
        },
        ("Engagement", "channel"): {**suggest, "source": channels},
        ("Opportunities", "type"): {
            **suggest,
            "source": [schema.NEW_BUSINESS, schema.RENEWAL, schema.EXPANSION],
        },
        ("Opportunities", "status"): {
            **suggest,
            "source": ["Open", "Won", "Lost", "Closed Won", "Closed Lost"],
        },
        ("Spend", "tier"): {
            **warn,
            "source": ["0", "1", "2", "3"],
            "error_message": "Tier is 1-3, 0 for non-target spend, blank for program-wide.",
        },
        ("Spend", "category"): {
            **warn,
            "source": ["Sales", "Marketing", "Overhead"],
            "error_message": "Category is Sales, Marketing or Overhead.",
        },
    }


# -- the VBA project ------------------------------------------------------------------


def vba_module_source() -> str:
    """Source of our VBA module (``abmxl/vba/abmxl.bas``) with CRLF line ends."""
    text = resources.files("abmxl").joinpath("vba", "abmxl.bas").read_text(encoding="utf-8")
    return "\r\n".join(text.splitlines()) + "\r\n"


@functools.cache
def vba_project_bin() -> bytes:
    """The template's ``vbaProject.bin``.

    The VBA project of the installed xlwings' ``quickstart_standalone.xlsm`` (the
    ``xlwings`` module with ``RunPython``/``ImportPythonUDFs``, the ``Dictionary``
    class, ``ThisWorkbook``/``Sheet1``/``Sheet2``) with its sample ``Module1``
    replaced by our module. pyOpenVBA edits a copy of that workbook; the result
    is the same bytes on every call for the same xlwings and module source.
    """
    import xlwings
    from pyopenvba import ExcelFile

    quickstart = Path(xlwings.__file__).parent / _QUICKSTART
    with tempfile.TemporaryDirectory(prefix="abmxl-vba-") as tmp:
        source, edited = Path(tmp) / "source.xlsm", Path(tmp) / "edited.xlsm"
        shutil.copyfile(quickstart, source)
        with ExcelFile(source) as book:
            project = book.vba_project()
            project.delete_module("Module1")
            project.add_module(VBA_MODULE_NAME, vba_module_source())
            book.save(edited)
        with zipfile.ZipFile(edited) as package:
            return package.read("xl/vbaProject.bin")


# -- building ---------------------------------------------------------------------------


def build_workbook(
    path: str | Path,
    data: Mapping[str, pd.DataFrame] | None = None,
    *,
    vba: bool = True,
    as_given: Collection[str] = (),
) -> Path:
    """Write the template workbook, optionally filled with input data.

    Parameters
    ----------
    path : str or path-like
        Where to write. Must end in ``.xlsm`` with ``vba=True`` and ``.xlsx``
        with ``vba=False``: Excel refuses a file whose extension does not match
        its content type.
    data : mapping of str to pandas.DataFrame, optional
        Input tables keyed by sheet name (``abmxl.schema.INPUT_SHEETS``) with the
        spec's canonical columns, as ``abmxl.sample.generate`` returns them;
        columns beyond the spec's are written after them. A sheet not given
        gets an empty table, except Settings and ChannelWeights, which get the
        spec's defaults. ``ColumnMap`` and ``ValueMap`` frames (their spec's
        columns) fill those Tables.
    vba : bool
        With the VBA project and the Form-control buttons (``.xlsm``); without,
        a plain ``.xlsx`` for xlwings Lite or for reading only.
    as_given : collection of str
        Sheets whose frame is a CRM export (``abmxl new --accounts a.csv``):
        its Table gets the frame's own headers, in its order, and every value
        is written as text as the file has it (ingest.md section 8: the
        refresh maps and parses them). Headers must suit an Excel Table
        (unique, not blank: ``abmxl.io.csv_reader.as_table`` makes them so).

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Each column is converted once (vectorized) and written with the one
    XlsxWriter call its type needs; dates are Excel serial numbers with a date
    style on every cell. XlsxWriter's ``constant_memory`` mode cannot be used:
    it refuses ``add_table``.
    """
    path = Path(path)
    wanted = ".xlsm" if vba else ".xlsx"
    if path.suffix.lower() != wanted:
        kind = "a macro workbook" if vba else "a workbook without macros"
        raise ValueError(f"{path.name}: {kind} must be named {wanted}")
    data = dict(data or {})
    unknown = sorted(set(data) - set(schema.READ_SHEETS))
    if unknown:
        raise ValueError(f"no input sheet named {', '.join(map(repr, unknown))}")

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties(
        {
            "title": "ABM funnel workbook",
            "subject": "Account-based marketing funnel",
            "author": "abmxl",
            "comments": "Built by abmxl.template.build_workbook; see the Start here sheet.",
            "created": BUILD_TIMESTAMP,
        }
    )
    if vba:
        workbook.add_vba_project(io.BytesIO(vba_project_bin()), is_stream=True)
        workbook.set_vba_name("ThisWorkbook")
    formats = _Formats(workbook)
    sheets = {name: workbook.add_worksheet(name) for name in SHEET_ORDER}
    if vba:
        for number, sheet in enumerate(sheets.values(), start=1):
            sheet.set_vba_name(f"Sheet{number}")

    _write_start_sheet(sheets[START_SHEET], formats, vba=vba)
    _write_funnel_summary(sheets[schema.FUNNEL_SUMMARY_SHEET], formats, vba=vba)
    _write_account_scores(sheets[schema.ACCOUNT_SCORES_SHEET], formats)
    for name, what in _OUTPUT_PLACEHOLDERS.items():
        _write_output_placeholder(sheets[name], what, formats)
    dropdowns = _dropdowns()
    for name, spec in schema.INPUT_SHEETS.items():
        frame = data.get(name)
        if frame is None and name == schema.SETTINGS.name:
            frame = default_settings_frame()
        elif frame is None and name == schema.CHANNEL_WEIGHTS.name:
            frame = default_channel_weights_frame()
        if frame is not None and name == schema.SETTINGS.name and "description" not in frame:
            frame = frame.assign(description=frame["key"].map(SETTING_NOTES))
        if name in as_given and frame is not None:
            _write_export_sheet(sheets[name], spec.name, frame, formats)
        else:
            _write_input_sheet(sheets[name], spec, frame, formats, dropdowns)
    for name, spec in schema.MAPPING_SHEETS.items():
        _write_mapping_sheet(sheets[name], spec, data.get(name), formats)
    _write_calculator(sheets[CALCULATOR_SHEET], formats, vba=vba)
    _write_conf_sheet(sheets[CONF_SHEET], formats)
    sheets[START_SHEET].activate()
    workbook.close()
    return path


def new_workbook(
    path: str | Path,
    sample_accounts: int | None = None,
    seed: int = 7,
    *,
    messy: bool = False,
    csv_files: Mapping[str, str | Path] | None = None,
) -> Path:
    """A new workbook from the template, optionally with generated sample data or CSVs.

    ``abmxl new BOOK [--sample N] [--messy]``, ``abmxl new BOOK --accounts
    a.csv --opportunities o.csv ...`` and ``abmxl demo`` call this. The
    suffix of ``path`` decides the kind: ``.xlsm`` with the macro and button,
    ``.xlsx`` without. ``messy`` adds the bad rows a real CRM export has (see
    ``abmxl.sample.generate``), so DataIssues has something to show.
    ``csv_files`` maps input names to CSV exports: each file's rows go into
    its input's Table with the file's own headers, values as text
    (``abmxl.io.csv_reader``; a file that cannot be read raises
    ``CsvReadError`` before anything is written).
    """
    data: dict[str, pd.DataFrame] = {}
    if sample_accounts is not None:
        from abmxl.sample import generate

        data.update(generate(sample_accounts, seed=seed, messy=messy))
    exports = {}
    if csv_files:
        from abmxl.io.csv_reader import as_table, read_csv_tables

        exports = {name: as_table(raw) for name, raw in read_csv_tables(csv_files).items()}
        data.update(exports)
    vba = Path(path).suffix.lower() != ".xlsx"
    return build_workbook(path, data or None, vba=vba, as_given=set(exports))


def default_settings_frame() -> pd.DataFrame:
    """The Settings table of the spec: every key with its default (blank = ``None``)."""
    return pd.DataFrame(
        {
            "key": list(schema.DEFAULT_SETTINGS),
            "value": list(schema.DEFAULT_SETTINGS.values()),
            "description": [SETTING_NOTES[key] for key in schema.DEFAULT_SETTINGS],
        },
        dtype=object,
    )


def default_channel_weights_frame() -> pd.DataFrame:
    """The ChannelWeights table of the spec."""
    return pd.DataFrame(
        {
            "channel": list(schema.DEFAULT_CHANNEL_WEIGHTS),
            "weight": list(schema.DEFAULT_CHANNEL_WEIGHTS.values()),
        }
    )


# -- formats ----------------------------------------------------------------------------


class _Formats:
    """The handful of cell formats the builder uses, created once per workbook."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._number: dict[str, Format] = {}
        self.title = workbook.add_format({"bold": True, "font_size": 16})
        self.heading = workbook.add_format({"bold": True, "font_size": 12})
        self.bold = workbook.add_format({"bold": True})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.code = workbook.add_format({"font_name": "Consolas"})
        self.muted = workbook.add_format({"italic": True, "font_color": "#595959"})
        self.text = self.number("@")
        self.date = self.number(FMT_DATE)
        self.argument = workbook.add_format({"bg_color": "#EDEDED"})
        self.argument_date = workbook.add_format({"bg_color": "#EDEDED", "num_format": FMT_DATE})

    def number(self, num_format: str) -> Format:
        if num_format not in self._number:
            self._number[num_format] = self._workbook.add_format({"num_format": num_format})
        return self._number[num_format]


# -- input sheets -----------------------------------------------------------------------


_CellWriter = Callable[[int, int, object, Format], object]


def _write_input_sheet(
    sheet: Worksheet,
    spec: schema.SheetSpec,
    frame: pd.DataFrame | None,
    formats: _Formats,
    dropdowns: Mapping[tuple[str, str], dict],
) -> None:
    """One input sheet: an Excel Table named like the sheet, data below its header."""
    header = [column.name for column in spec.columns]
    kinds = {column.name: column.kind for column in spec.columns}
    if frame is not None:
        header += [str(column) for column in frame.columns if str(column) not in kinds]
    n_rows = 0 if frame is None else len(frame)
    column_formats = [_column_format(name, kinds.get(name, "text"), formats) for name in header]

    sheet.freeze_panes(1, 0)
    for col, name in enumerate(header):
        width = 44.0 if name == "description" else max(12.0, len(name) + 4.0)
        sheet.set_column(col, col, width, column_formats[col])
    sheet.add_table(
        0,
        0,
        max(n_rows, 1),
        len(header) - 1,
        {
            "name": spec.name,
            "style": "Table Style Medium 2",
            "columns": [{"header": name} for name in header],
        },
    )
    for col, name in enumerate(header):
        rule = dropdowns.get((spec.name, name))
        if rule is not None:
            sheet.data_validation(1, col, EXCEL_MAX_ROWS - 1, col, dict(rule))
    if frame is None or n_rows == 0:
        return

    columns: list[list] = []
    writers: list[_CellWriter] = []
    for name in header:
        values, writer = _column_cells(sheet, frame[name], kinds.get(name, "text"), formats.date)
        columns.append(values)
        writers.append(writer)
    for col, (values, writer) in enumerate(zip(columns, writers, strict=True)):
        cell_format = column_formats[col]
        for row, value in enumerate(values, start=1):
            if value is not None:  # None is an empty cell
                writer(row, col, value, cell_format)


def _write_export_sheet(
    sheet: Worksheet, name: str, frame: pd.DataFrame, formats: _Formats
) -> None:
    """An export as given: an Excel Table named ``name`` with the frame's headers, every
    value written as text (a Text-formatted column, so Excel keeps what is typed too)."""
    header = [str(column) for column in frame.columns] or ["Column1"]
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, len(header) - 1, 16.0, formats.text)
    sheet.add_table(
        0,
        0,
        max(len(frame), 1),
        len(header) - 1,
        {
            "name": name,
            "style": "Table Style Medium 2",
            "columns": [{"header": text} for text in header],
        },
    )
    for col in range(frame.shape[1]):
        values = frame.iloc[:, col].to_numpy(dtype=object)
        for row in np.flatnonzero(~np.equal(values, None)):
            sheet.write_string(int(row) + 1, col, str(values[row]), formats.text)


def _column_format(name: str, kind: schema.ColumnKind, formats: _Formats) -> Format:
    if kind == "date":
        return formats.date
    if kind == "id":
        return formats.text
    if kind == "number":
        return formats.number(COLUMN_FORMATS.get(name, "General"))
    return formats.number("General")


def _column_cells(
    sheet: Worksheet, series: pd.Series, kind: schema.ColumnKind, date_format: Format
) -> tuple[list, _CellWriter]:
    """A column's cell values (``None`` = empty) and the function that writes one.

    Number and date columns that convert cleanly become floats written with
    ``write_number`` (dates as Excel serials: the cell's date style makes them
    dates); anything else is written cell by cell by its Python type, so a
    text value in a number column stays text, as a CRM export would hold it.
    """
    if kind == "date" or pd.api.types.is_datetime64_any_dtype(series.dtype):
        serials = _excel_serials(series)
        if serials is not None:
            return serials, sheet.write_number
    elif kind == "number" and pd.api.types.is_numeric_dtype(series.dtype):
        if not pd.api.types.is_bool_dtype(series.dtype):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            return _floats_or_none(values), sheet.write_number
    elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        values = series.astype(object).where(series.notna(), None).tolist()
        if all(value is None or isinstance(value, str) for value in values):
            return values, sheet.write_string
    values = series.astype(object).where(series.notna(), None).tolist()
    return values, functools.partial(_write_any, sheet, date_format)


def _excel_serials(series: pd.Series) -> list | None:
    """Excel date serials of a date column, or ``None`` if some filled cell is no date."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series.dt.tz_localize(None) if series.dt.tz is not None else series
    else:
        filled = series.notna()
        if not all(isinstance(v, dt.date) for v in series[filled]):
            return None
        stamps = pd.to_datetime(series, errors="coerce")
    days, _ = datetime64_serials(stamps.to_numpy(dtype="datetime64[ns]"))
    return _floats_or_none(days)


def _floats_or_none(values: np.ndarray) -> list:
    values = np.asarray(values, dtype=float)
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    return cells.tolist()


def _write_any(
    sheet: Worksheet,
    date_format: Format,
    row: int,
    col: int,
    value: object,
    cell_format: Format,
) -> None:
    """Write one value by its type; text is always text (never a formula or URL).

    A date in a column without a date style (Settings' value) gets ``date_format``.
    """
    if isinstance(value, str):
        sheet.write_string(row, col, value, cell_format)
    elif isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value), cell_format)
    elif isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            return
        serial = date_serial(stamp.to_pydatetime())
        if serial is None:  # before 1900: Excel has no such date; keep it readable
            sheet.write_string(row, col, stamp.isoformat(), cell_format)
            return
        own_date_style = cell_format.num_format not in ("General", "@")
        sheet.write_number(row, col, serial, cell_format if own_date_style else date_format)
    elif isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if not math.isnan(number):
            sheet.write_number(row, col, number, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)


# -- the other sheets -------------------------------------------------------------------


# Characters of body text that fit on one line of the 110-wide text column
# (proportional text runs narrower than the "0" that column widths count).
_CHARS_PER_LINE = 105
_LINE_HEIGHT = 15.0


def _write_lines(
    sheet: Worksheet, first_row: int, lines: Sequence[tuple[str, Format | None]]
) -> int:
    row = first_row
    for text, cell_format in lines:
        if text:
            sheet.write_string(row, 0, text, cell_format)
            # Give a wrapped paragraph the height of its lines: neither Excel (on
            # opening a file) nor LibreOffice grows a row to fit wrapped text.
            n_lines = -(-len(text) // _CHARS_PER_LINE)
            if n_lines > 1:
                sheet.set_row(row, _LINE_HEIGHT * n_lines)
        row += 1
    return row


def _write_start_sheet(sheet: Worksheet, formats: _Formats, *, vba: bool) -> None:
    sheet.set_column(0, 0, 110, formats.wrap)
    sheet.set_column(1, 1, 4)
    sheet.hide_gridlines(2)
    sheet.set_row(0, 24)
    required = {
        name: ", ".join(spec.required_columns) for name, spec in schema.INPUT_SHEETS.items()
    }
    button = (
        'Press the "Refresh funnel" button (on the right, and on the Funnel Summary sheet).'
        if vba
        else "This copy has no macro: refresh it with `abmxl refresh BOOK` or with "
        "xlwings Lite (see below)."
    )
    h, p, c = formats.heading, None, formats.code
    lines: list[tuple[str, Format | None]] = [
        ("ABM funnel workbook", formats.title),
        ("Paste your CRM exports, press one button, read the funnel by tier.", formats.muted),
        ("", p),
        ("1. Paste your data", h),
        (
            "Each input sheet holds one table named like the sheet. Paste your export into "
            "it, headers included, or paste under the header row: the table grows with it. "
            "Headers are matched ignoring case, and spaces count as underscores "
            "(Account ID = account_id). Extra columns are fine and ignored.",
            p,
        ),
        (f"Accounts (required): one row per account. Needs {required['Accounts']}.", p),
        (
            f"Opportunities (required): one row per deal. Needs {required['Opportunities']}. "
            "Status Won/Closed Won is won, Lost/Closed Lost is lost, anything else is open.",
            p,
        ),
        (
            f"Engagement: one row per touch. Needs {required['Engagement']}; a blank weight "
            "uses the channel's weight from ChannelWeights.",
            p,
        ),
        (
            f"Contacts: needs {required['Contacts']}; engaged is Y or N. "
            f"Spend: needs {required['Spend']}; tier blank = program-wide. "
            f"Surveys: needs {required['Surveys']} (0-10).",
            p,
        ),
        (
            "Settings and ChannelWeights hold the thresholds and channel weights; their "
            "defaults are already filled in. Leave as_of blank to measure as of today.",
            p,
        ),
        (
            "Headers or values your CRM names its own way: map them on ColumnMap "
            "(Opportunities | status | Forecast Category) and ValueMap (Opportunities | "
            "status | Closed - Signed | Won) instead of editing the export.",
            p,
        ),
        ("", p),
        ("2. Refresh", h),
        (button, p),
        (
            "It reads the input sheets, computes each account's engagement, tier and funnel "
            "stage, and rewrites the Funnel Summary, Trends, Attribution and Account Scores "
            "sheets. It never "
            "changes your input sheets. Rows it had to skip or repair are listed with the "
            "reason in the Data issues table of Funnel Summary (from column J).",
            p,
        ),
        (
            "Progress shows in Excel's status bar; if something goes wrong a message box "
            "says what, and your data stays as it was.",
            p,
        ),
        ("", p),
        ("3. Read the results", h),
        (
            "Funnel Summary: the six stages (Target, Engaged, Opportunity, Won, Retained, "
            "Expanded) for All targets, Tier 1-3 and Non-target, with conversion rates, and "
            "the KPIs (win rate, pipeline, velocity, CAC, CLV, ...). Account Scores: one row "
            "per account with its tier, engagement score and current stage.",
            p,
        ),
        ("", p),
        ("Install (once per computer)", h),
        ("Classic Excel on Windows or Mac (this .xlsm, with the button):", formats.bold),
        ("    pip install abmxl", c),
        (
            "This workbook carries its own copy of the xlwings macros, so it needs no add-in. "
            "It runs the Python that is on your PATH; to use another one, add a row "
            "Interpreter_Win (or Interpreter_Mac) with its path to the xlwings.conf sheet, "
            "or run `xlwings config create` and edit ~/.xlwings/xlwings.conf.",
            p,
        ),
        (
            "On a Mac, also run `xlwings runpython install` once. The workbook was built for "
            "xlwings 0.37.8 (the version abmxl installs); with another xlwings, rebuild it "
            "with `abmxl template abm_template.xlsm`.",
            p,
        ),
        (
            "Excel functions (Calculator sheet, Windows): install the xlwings add-in "
            "(`xlwings addin install`) and click Import Functions, or press the "
            '"Import functions" button on the Calculator sheet (needs File > Options > '
            'Trust Center > Macro Settings > "Trust access to the VBA project object model").',
            p,
        ),
        ("xlwings Lite (Excel on Windows, Mac or the web, no local Python):", formats.bold),
        (
            "Add the xlwings Lite add-in, put abmxl in its requirements.txt and "
            "`from abmxl.excel import refresh_funnel` in its main.py. Then press the "
            '"Refresh funnel (xlwings Lite)" shape on Funnel Summary or run refresh_funnel '
            "from the add-in. The Excel functions are called ABM.WINRATE etc. there.",
            p,
        ),
        ("Command line (no Excel needed):", formats.bold),
        ("    abmxl refresh this_workbook.xlsm", c),
    ]
    _write_lines(sheet, 0, lines)
    if vba:
        sheet.insert_button(
            2,
            1,
            {
                "macro": REFRESH_MACRO,
                "caption": "Refresh funnel",
                "width": 140,
                "height": 36,
                "x_offset": 8,
                "description": "Runs abmxl.excel.refresh on this workbook",
            },
        )


def _write_funnel_summary(sheet: Worksheet, formats: _Formats, *, vba: bool) -> None:
    sheet.write_string(0, 0, "ABM funnel summary", formats.title)
    sheet.write_string(
        1, 0, "Empty until you press Refresh funnel (see Start here).", formats.muted
    )
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, 7, 14)
    # Columns D:H of rows 1-4 stay free of values after a refresh (abmxl.io.layout).
    if vba:
        sheet.insert_button(
            0,
            3,
            {
                "macro": REFRESH_MACRO,
                "caption": "Refresh funnel",
                "width": 150,
                "height": 40,
                "x_offset": 4,
                "y_offset": 4,
                "description": "Runs abmxl.excel.refresh on this workbook",
            },
        )
    # Office.js cannot bind a Form button: xlwings Lite runs a script when the
    # hyperlink of a shape selects the cell given in @script(button=...).
    sheet.insert_textbox(
        0,
        6,
        "Refresh funnel (xlwings Lite)",
        {
            "width": 150,
            "height": 40,
            "x_offset": 4,
            "y_offset": 4,
            "font": {"bold": True, "color": "white"},
            "align": {"vertical": "middle", "horizontal": "center"},
            "fill": {"color": "#2F5597"},
            "line": {"none": True},
            "url": f"internal:'{schema.FUNNEL_SUMMARY_SHEET}'!{LITE_BUTTON_CELL}",
            "tip": "xlwings Lite: runs abmxl.excel.refresh_funnel",
        },
    )


def _write_account_scores(sheet: Worksheet, formats: _Formats) -> None:
    sheet.write_string(
        0, 0, "Empty until you press Refresh funnel: one row per account.", formats.muted
    )
    sheet.set_column(0, 0, 56)


_OUTPUT_PLACEHOLDERS = {
    schema.TRENDS_SHEET: "the funnel per period and what changed since the last one.",
    schema.ATTRIBUTION_SHEET: "pipeline and revenue by channel under each attribution model.",
}


def _write_output_placeholder(sheet: Worksheet, what: str, formats: _Formats) -> None:
    """An empty output sheet in its place, so a refresh fills it where it stands."""
    sheet.write_string(0, 0, f"Empty until you press Refresh funnel: {what}", formats.muted)
    sheet.set_column(0, 0, 30)


# -- the mapping sheets (ingest.md sections 3 and 4) ------------------------------------

MAPPING_NOTES: dict[str, str] = {
    schema.COLUMN_MAP.name: (
        "ColumnMap: when an export names a column its own way, one row maps it: the input "
        "sheet, abmxl's column and your header, e.g. Opportunities | status | Forecast "
        "Category (abmxl's columns of each input are listed on the right)."
    ),
    schema.VALUE_MAP.name: (
        "ValueMap: when your CRM writes its own statuses, types or channels, one row says "
        "what one means, e.g. Opportunities | status | Closed - Signed | Won (means: "
        "Won/Lost/Open, New Business/Renewal/Expansion, or a ChannelWeights channel)."
    ),
}
_MAPPING_WIDTHS = {"sheet": 18.0, "column": 18.0, "header": 28.0, "value": 28.0, "means": 18.0}
# The ValueMap columns a row can map (abmxl.engine.ingest.maps), and their meanings.
_VALUE_MAP_SHEETS = ["Opportunities", "Engagement", "Spend"]
_VALUE_MAP_COLUMNS = ["status", "type", "channel"]
_VALUE_MAP_MEANINGS = ["Won", "Lost", "Open", schema.NEW_BUSINESS, schema.RENEWAL, schema.EXPANSION]


def _write_mapping_sheet(
    sheet: Worksheet, spec: schema.SheetSpec, frame: pd.DataFrame | None, formats: _Formats
) -> None:
    """ColumnMap or ValueMap: one explaining line, then an Excel Table named like the
    sheet (header on row 2) with dropdowns for ``sheet`` and ``column``."""
    header = [column.name for column in spec.columns]
    rows = [] if frame is None else frame[header].astype(object).to_numpy().tolist()
    sheet.write_string(0, 0, MAPPING_NOTES[spec.name], formats.muted)
    sheet.freeze_panes(2, 0)
    for col, name in enumerate(header):
        sheet.set_column(col, col, _MAPPING_WIDTHS[name], formats.text)
    sheet.add_table(
        1,
        0,
        1 + max(len(rows), 1),
        len(header) - 1,
        {
            "name": spec.name,
            "style": "Table Style Medium 2",
            "columns": [{"header": name} for name in header],
        },
    )
    for row, values in enumerate(rows, start=2):
        for col, value in enumerate(values):
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                sheet.write_string(row, col, str(value), formats.text)
    warn = {"validate": "list", "error_type": "warning", "error_title": "Unusual value"}
    suggest = {"validate": "list", "show_error": False}
    last = EXCEL_MAX_ROWS - 1
    if spec.name == schema.COLUMN_MAP.name:
        inputs = list(schema.INPUT_SHEETS)
        rule = {**warn, "source": inputs, "error_message": "sheet is one of the input sheets."}
        sheet.data_validation(2, 0, last, 0, rule)
        sheet.data_validation(2, 1, last, 1, {**suggest, "source": _columns_block(sheet, formats)})
        return
    rules = [
        (_VALUE_MAP_SHEETS, "sheet is Opportunities, Engagement or Spend."),
        (_VALUE_MAP_COLUMNS, "column is status, type or channel."),
    ]
    for col, (source, message) in enumerate(rules):
        sheet.data_validation(
            2, col, last, col, {**warn, "source": source, "error_message": message}
        )
    means = header.index("means")
    sheet.data_validation(2, means, last, means, {**suggest, "source": _VALUE_MAP_MEANINGS})


_COLUMNS_BLOCK_COL = 5  # column F: abmxl's columns of each input, beside the ColumnMap Table


def _columns_block(sheet: Worksheet, formats: _Formats) -> str:
    """Write each input's canonical columns (one column per input, from F2) and return
    the dropdown source that lists the columns of the row's ``sheet`` (column A).

    A literal list of every column would pass Excel's 255-character limit; the
    block also shows the analyst which names ``column`` takes.
    """
    first = _COLUMNS_BLOCK_COL
    longest = max(len(spec.columns) for spec in schema.INPUT_SHEETS.values())
    for offset, (name, spec) in enumerate(schema.INPUT_SHEETS.items()):
        col = first + offset
        sheet.set_column(col, col, max(14.0, len(name) + 4.0))
        sheet.write_string(1, col, name, formats.bold)
        for row, column in enumerate(spec.columns, start=2):
            sheet.write_string(row, col, column.name, formats.muted)
    last_col = first + len(schema.INPUT_SHEETS) - 1
    rng = xlsxwriter.utility.xl_range_abs
    names = rng(1, first, 1, last_col)
    body = rng(2, first, 1 + longest, last_col)
    anchor = xlsxwriter.utility.xl_rowcol_to_cell(2, first, row_abs=True, col_abs=True)
    which = f"MATCH($A3,{names},0)"
    return f"=OFFSET({anchor},0,{which}-1,COUNTA(INDEX({body},0,{which})),1)"


def _excel_literal(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _write_calculator(sheet: Worksheet, formats: _Formats, *, vba: bool) -> None:
    """Every Excel function on its worked example, arguments in cells the user can change."""
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 4, 13)
    sheet.set_column(5, 6, 16)
    sheet.set_column(7, 7, 40)
    sheet.set_column(8, 8, 34)
    sheet.write_string(0, 0, "Calculator: the abmxl Excel functions", formats.title)
    sheet.write_string(
        1,
        0,
        "Change the grey arguments and the Result recalculates. Classic Excel (Windows) "
        "names them ABM_<NAME> once the functions are imported; xlwings Lite names them "
        "ABM.<NAME> (column I).",
        formats.muted,
    )
    if vba:
        sheet.insert_button(
            0,
            7,
            {
                "macro": IMPORT_MACRO,
                "caption": "Import functions",
                "width": 140,
                "height": 32,
                "x_offset": 4,
                "y_offset": 4,
                "description": "Registers the ABM_* functions (xlwings ImportPythonUDFs)",
            },
        )
    arg_format = formats.argument
    header = ["Example", "arg 1", "arg 2", "arg 3", "arg 4", "Result", "Expected"]
    header += ["Formula (classic Excel)", "xlwings Lite"]
    first = 3
    for col, text in enumerate(header):
        sheet.write_string(first, col, text, formats.bold)
    row = first + 1
    nps = None
    for example in WORKED_EXAMPLES:
        label = f"{example.excel}: {example.note}" if example.note else example.excel
        sheet.write_string(row, 0, label)
        if example.excel == "NPS":
            nps = (row, example)  # a range argument: its scores go below the table
        else:
            refs = []
            for offset, value in enumerate(example.args):
                sheet.write_number(row, 1 + offset, float(value), arg_format)
                refs.append(xlsxwriter.utility.xl_rowcol_to_cell(row, 1 + offset))
            _write_result(sheet, row, f"ABM_{example.excel}", refs, example.expected, formats)
        row += 1

    if nps is not None:
        nps_row, example = nps
        scores = list(example.args[0])
        row += 1
        sheet.write_string(row, 0, "NPS: survey answers (0-10)", formats.bold)
        for offset, score in enumerate(scores, start=1):
            sheet.write_number(row + offset, 0, float(score), arg_format)
        scores_range = xlsxwriter.utility.xl_range(row + 1, 0, row + len(scores), 0)
        sheet.write_string(nps_row, 1, f"scores in {scores_range}", formats.muted)
        _write_result(sheet, nps_row, "ABM_NPS", [scores_range], example.expected, formats)
        row += len(scores) + 2

    # ENGAGEMENT_SCORES: the spec's example, one score per account, spilled down.
    sheet.write_string(row, 0, "engagement scores: the spec's example", formats.heading)
    sheet.write_string(row + 1, 0, "as of", formats.bold)
    sheet.write_number(row + 1, 1, _serial(dt.date(2026, 3, 31)), formats.date)
    sheet.write_string(row + 2, 0, "window days", formats.bold)
    sheet.write_number(row + 2, 1, 90, arg_format)
    events_row = row + 4
    for col, text in enumerate(["event account", "event date", "weight"]):
        sheet.write_string(events_row, 2 + col, text, formats.bold)
    events = [
        ("A", dt.date(2026, 3, 30), 30),
        ("A", dt.date(2025, 11, 1), 10),
        ("B", dt.date(2026, 3, 1), 2),
        ("Z", dt.date(2026, 3, 30), 5),
        ("A", dt.date(2026, 4, 2), 100),
    ]
    for offset, (account, day, weight) in enumerate(events, start=1):
        sheet.write_string(events_row + offset, 2, account)
        sheet.write_number(events_row + offset, 3, _serial(day), formats.date)
        sheet.write_number(events_row + offset, 4, weight, arg_format)
    sheet.write_string(events_row, 0, "account", formats.bold)
    sheet.write_string(events_row, 1, "score", formats.bold)
    accounts = ["A", "B", "C"]
    for offset, account in enumerate(accounts, start=1):
        sheet.write_string(events_row + offset, 0, account)
    cell = xlsxwriter.utility.xl_rowcol_to_cell
    rng = xlsxwriter.utility.xl_range
    args = [
        rng(events_row + 1, 0, events_row + 3, 0),
        rng(events_row + 1, 2, events_row + 5, 2),
        rng(events_row + 1, 3, events_row + 5, 3),
        rng(events_row + 1, 4, events_row + 5, 4),
        cell(row + 1, 1),
        cell(row + 2, 1),
    ]
    formula = f"=ABM_ENGAGEMENT_SCORES({','.join(args)})"
    sheet.write_dynamic_array_formula(
        events_row + 1, 1, events_row + 3, 1, formula, formats.number("0.00"), 30
    )
    sheet.write_string(events_row + 4, 0, "expected: A 30, B 2, C 0", formats.muted)
    sheet.write_string(events_row + 5, 0, formula.replace("ABM_", "ABM.", 1)[1:], formats.code)


def _write_result(
    sheet: Worksheet,
    row: int,
    name: str,
    refs: Sequence[str],
    expected: float,
    formats: _Formats,
) -> None:
    formula = f"={name}({','.join(refs)})"
    # A dynamic-array formula: Excel shows it without the implicit-intersection "@"
    # it puts before legacy calls of user-defined functions. The cached value is the
    # spec's result, shown until Excel recalculates.
    sheet.write_dynamic_array_formula(row, 5, row, 5, formula, None, expected)
    sheet.write_number(row, 6, expected, formats.number("General"))
    sheet.write_string(row, 7, formula, formats.code)
    sheet.write_string(row, 8, formula.replace("ABM_", "ABM.", 1), formats.code)


def _serial(day: dt.date) -> float:
    serial = date_serial(day)
    assert serial is not None  # the Calculator's fixed example dates
    return serial


def _write_conf_sheet(sheet: Worksheet, formats: _Formats) -> None:
    """xlwings reads keys from A1 down to the first blank row; values are in column B.

    Only keys with a value: a key with an empty value would override the user's
    own setting (for example the interpreter path) with nothing.
    """
    sheet.set_column(0, 1, 18)
    sheet.set_column(3, 3, 90)
    sheet.write_string(0, 0, "UDF Modules")
    sheet.write_string(0, 1, UDF_MODULES)
    notes = [
        "xlwings settings for this workbook: key in column A, value in column B, no blank rows.",
        "UDF Modules: the Python module whose Excel functions Import Functions registers.",
        "Add Interpreter_Win / Interpreter_Mac with a Python path if Python is not on PATH.",
        "Never leave a key with an empty value: it would override your own xlwings settings.",
    ]
    for row, note in enumerate(notes):
        sheet.write_string(row, 3, note, formats.muted)
