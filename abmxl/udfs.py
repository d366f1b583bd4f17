"""Every abmxl metric as an Excel function, for classic xlwings and xlwings Lite.

One module serves both xlwings runtimes:

* classic xlwings (Windows desktop Excel, COM): the Excel name is the Python
  name, so the functions are called ``ABM_WINRATE``, ``ABM_TIER``, ...; the
  category ``ABM`` groups them in the function wizard.
* xlwings Lite and xlwings Server (Office.js): ``name=`` and ``namespace=`` give
  ``ABM.WINRATE``, ``ABM.TIER``, ...

The functions are thin: they turn Excel cells into numpy arrays, call the
formula in :mod:`abmxl.metrics` through :func:`abmxl.metrics.evaluate` (which
reports bad elements instead of raising) and turn the result back into cells.
Behaviour in a cell:

* every argument takes one cell or a range; ranges broadcast like Excel's own
  array arithmetic (a 1-row or 1-column argument stretches; a shorter range
  leaves ``#N/A`` in the cells it does not reach) and the result is a 2D array
  of the broadcast shape, which dynamic-array Excel spills;
* blank cells count as 0 (Excel's arithmetic), except where the metric says
  what a missing value means (``TIER``: blank intent, engagement and ACV are 0
  and a blank fit is untiered; ``NPS`` ignores blanks); an omitted optional
  argument, or a blank cell in one, takes the argument's default;
* a bad element gives ``#DIV/0!`` (zero denominator), ``#NUM!`` (a number outside
  the metric's domain) or ``#VALUE!`` (text, or not a single cell where one is
  needed) in its own cell only; an error cell in the input passes its error on.

The Excel-facing functions carry no type annotations on purpose: xlwings reads
parameter annotations as converters. Their signatures mirror the core
functions' (a test checks names and defaults), and their docstrings are the
function-wizard descriptions (at most 255 characters).

Examples
--------
Called from Python, a function returns the cells Excel would show:

>>> ABM_WINRATE([[10], [12], [0]], [[100], [10], [0]])
[[0.1], ['#NUM!'], ['#DIV/0!']]
>>> ABM_TIER(85, 70, 12, 150000)
[[1]]
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import xlwings as xw
from numpy.typing import NDArray

from abmxl import metrics
from abmxl.metrics.attribution import ATTRIBUTION_MODELS
from abmxl.serials import date_serial, serial_days

__all__ = [
    "ABM_ACV",
    "ABM_ATTRIBUTION",
    "ABM_CAC",
    "ABM_CAC_PAYBACK",
    "ABM_CHURN_RATE",
    "ABM_CLV",
    "ABM_CLV_CHURN",
    "ABM_COST_PER",
    "ABM_ENGAGEMENT_PCT",
    "ABM_ENGAGEMENT_SCORES",
    "ABM_ENGAGEMENT_TREND",
    "ABM_GRR",
    "ABM_LIFT",
    "ABM_LTV_CAC",
    "ABM_NPS",
    "ABM_NRR",
    "ABM_PENETRATION",
    "ABM_PIPELINE_VELOCITY",
    "ABM_RENEWAL_RATE",
    "ABM_TAM",
    "ABM_TIER",
    "ABM_TIER_REASON",
    "ABM_WINRATE",
    "EXCEL_FUNCTIONS",
    "ExcelArgument",
    "ExcelFunction",
]

NAMESPACE = "ABM"
CATEGORY = "ABM"
# Office.js: functions without an explicit namespace in this module get ABM.<NAME>.
__xlwings_func_namespace__ = NAMESPACE

Cells = list[list[Any]]
Shape = Literal["elementwise", "aggregate", "per_account", "spill3", "channel_table"]
Blanks = Literal["zero", "missing"]

# ---------------------------------------------------------------- error codes
# Excel's ERROR.TYPE numbering; 0 is "no error".
_NULL, _DIV0, _VALUE, _REF, _NAME, _NUM, _NA = 1, 2, 3, 4, 5, 6, 7
_ERROR_TEXT = np.array(
    ["", "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"], dtype=object
)
_ERROR_CODES = {text: code for code, text in enumerate(_ERROR_TEXT) if code}
# Newer Excel errors that Office.js custom functions cannot return: shown as #VALUE!.
_ERROR_CODES.update(
    dict.fromkeys(
        ["#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!"], _VALUE
    )
)
_ERROR_CODES["#GETTING_DATA"] = _VALUE
# metrics.ERROR_NONE/DIV0/NUM/VALUE -> Excel codes.
_FROM_CORE = np.array([0, _DIV0, _NUM, _VALUE], dtype=np.int8)
_FROM_KIND = {"num": _NUM, "value": _VALUE}

_PLAIN_NUMBER_TYPES = frozenset({float, int, bool, type(None), np.float64})


# ---------------------------------------------------------------- metadata


@dataclass(frozen=True)
class ExcelArgument:
    """One argument of an Excel function: its name, wizard help and default."""

    name: str
    doc: str
    default: Any = inspect.Parameter.empty

    @property
    def optional(self) -> bool:
        return self.default is not inspect.Parameter.empty


@dataclass(frozen=True)
class ExcelFunction:
    """What an Excel function is: names, help, the core metric and how cells map to it.

    ``shape`` says how cells map to the result: ``elementwise`` (ranges broadcast,
    one result per cell), ``aggregate`` (a whole range gives one number) or
    ``per_account`` (one result per cell of the first argument). ``blanks`` says
    what a blank cell of a required argument is: ``zero`` (Excel's arithmetic) or
    ``missing`` (passed to the core as missing, where the metric's own rule for
    missing values applies). ``example`` holds the arguments of an example
    formula and ``example_result`` what it shows.
    """

    name: str
    python_name: str
    core: Callable[..., Any]
    description: str
    arguments: tuple[ExcelArgument, ...]
    shape: Shape
    blanks: Blanks
    example: str
    example_result: str

    @property
    def classic_name(self) -> str:
        """The name in classic xlwings (Windows desktop Excel), e.g. ``ABM_WINRATE``."""
        return self.python_name

    @property
    def office_name(self) -> str:
        """The name in xlwings Lite / Office.js, e.g. ``ABM.WINRATE``."""
        return f"{NAMESPACE}.{self.name}"


#: Every Excel function by NAME (``"WINRATE"``), in the order of the metric contract.
EXCEL_FUNCTIONS: dict[str, ExcelFunction] = {}

_MAX_DESCRIPTION = 255  # classic Excel's Application.MacroOptions limit


def _excel_function(
    core: Callable[..., Any],
    *,
    name: str,
    example: str,
    result: str,
    shape: Shape = "elementwise",
    blanks: Blanks = "zero",
    **argument_docs: str,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn a declaration (signature + docstring) into a registered Excel function.

    The declaration's signature is what xlwings introspects (``inspect.signature``
    follows ``__wrapped__``); its docstring becomes the description. Every
    argument gets ``ndim=2`` (so one row and one column keep their shape) and
    ``err_to_str=True`` (so an error cell arrives as its text, e.g. ``"#N/A"``,
    instead of looking blank).
    """

    def register(declaration: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(declaration)
        if set(signature.parameters) != set(argument_docs):
            raise TypeError(
                f"{declaration.__name__}: argument docs {sorted(argument_docs)} do not match "
                f"parameters {list(signature.parameters)}"
            )
        description = " ".join(inspect.cleandoc(declaration.__doc__ or "").split())
        if not 0 < len(description) <= _MAX_DESCRIPTION:
            raise ValueError(f"{declaration.__name__}: description must be 1..255 characters")
        spec = ExcelFunction(
            name=name,
            python_name=declaration.__name__,
            core=core,
            description=description,
            arguments=tuple(
                ExcelArgument(p.name, argument_docs[p.name], p.default)
                for p in signature.parameters.values()
            ),
            shape=shape,
            blanks=blanks,
            example=example,
            example_result=result,
        )
        adapter = _ADAPTERS[shape]

        @functools.wraps(declaration)
        def excel_function(*args: Any, **kwargs: Any) -> Cells:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return adapter(spec, bound.arguments)

        excel_function.__doc__ = description
        for argument in spec.arguments:
            excel_function = xw.arg(argument.name, ndim=2, err_to_str=True, doc=argument.doc)(
                excel_function
            )
        # xw.func last: Office.js' xw.arg re-runs xw.func without options, which
        # would reset name/namespace set earlier (and classic's category).
        excel_function = xw.func(name=name, namespace=NAMESPACE, category=CATEGORY)(excel_function)
        EXCEL_FUNCTIONS[name] = spec
        return excel_function

    return register


# ---------------------------------------------------------------- cells -> arrays


def _as_grid(value: Any) -> NDArray[np.object_]:
    """Any argument (a scalar, a 2D list from xlwings, a Python sequence) -> 2D object array.

    A 1D sequence from a Python caller is taken as a column.
    """
    if isinstance(value, list | tuple) and value and isinstance(value[0], list | tuple):
        grid = np.empty((len(value), len(value[0])), dtype=object)
        grid[...] = value
        return grid
    array = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if array.ndim == 0:
        return array.astype(object).reshape(1, 1)
    if array.ndim == 1:
        return array.astype(object, copy=False).reshape(-1, 1)
    if array.ndim == 2:
        return array.astype(object, copy=False)
    raise ValueError(f"expected cells in at most 2 dimensions, got {array.ndim}")


def _cell_number(cell: Any) -> tuple[float, int]:
    """One cell -> (number, error code); a blank is (nan, 0)."""
    if cell is None:
        return np.nan, 0
    if isinstance(cell, bool | int | float | np.number):
        number = float(cell)
        return (number, 0) if not np.isinf(number) else (np.nan, _NUM)
    if isinstance(cell, dt.date):
        # Classic xlwings hands date cells over as datetime; Excel's value is the serial.
        serial = date_serial(cell)
        return (serial, 0) if serial is not None else (np.nan, _NUM)
    if isinstance(cell, str):
        # Text is never a number (as in abmxl.metrics); an error cell passes its error on.
        return np.nan, _ERROR_CODES.get(cell, _VALUE)
    return np.nan, _VALUE


_cell_numbers = np.frompyfunc(_cell_number, 1, 2)


def _numbers(grid: NDArray[np.object_]) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Cells -> (float array with nan for blanks, int8 Excel error codes)."""
    if grid.size == 0 or set(map(type, grid.flat)) <= _PLAIN_NUMBER_TYPES:
        # The usual case: numbers and blanks only; one C-level conversion.
        values = grid.astype(np.float64)
        codes = np.zeros(grid.shape, dtype=np.int8)
        infinite = np.isinf(values)
        if infinite.any():
            values[infinite] = np.nan
            codes[infinite] = _NUM
        return values, codes
    values, codes = _cell_numbers(grid)
    return values.astype(np.float64), codes.astype(np.int8)


def _fill_blanks(
    values: NDArray[np.float64], codes: NDArray[np.int8], blank: float
) -> NDArray[np.float64]:
    missing = np.isnan(values) & (codes == 0)
    if np.isnan(blank) or not missing.any():
        return values
    return np.where(missing, blank, values)


def _argument_numbers(
    spec: ExcelFunction, argument: ExcelArgument, value: Any
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """One argument's cells -> numbers with blanks resolved, and error codes."""
    values, codes = _numbers(_as_grid(value))
    if argument.optional:
        blank = np.nan if argument.default is None else float(argument.default)
    else:
        blank = 0.0 if spec.blanks == "zero" else np.nan
    return _fill_blanks(values, codes, blank), codes


def _first_error(codes: NDArray[np.int8]) -> int:
    """The first error in reading order (row by row), 0 if none."""
    flat = codes.ravel()
    position = int(np.argmax(flat != 0)) if flat.size else 0
    return int(flat[position]) if flat.size else 0


# ---------------------------------------------------------------- arrays -> cells


def _cells(
    values: NDArray[Any], codes: NDArray[np.int8], blank: NDArray[np.bool_] | None = None
) -> Cells:
    """Result values and Excel error codes -> the 2D list of cells xlwings returns.

    An undefined result without an error code (``nan``) or an infinite one is
    ``#NUM!``; a float result comes back as Python floats, an integer one (TIER)
    as Python ints.
    """
    if values.dtype.kind == "f":
        undefined = ~np.isfinite(values) & (codes == 0)
        if undefined.any():
            codes = np.where(undefined, np.int8(_NUM), codes)
    cells = values.astype(object)
    failed = codes != 0
    if failed.any():
        cells[failed] = _ERROR_TEXT[codes[failed]]
    if blank is not None and blank.any():
        cells[blank] = ""
    return cells.tolist()


def _error_cells(shape: tuple[int, int], code: int) -> Cells:
    return np.full(shape, _ERROR_TEXT[code], dtype=object).tolist()


def _domain_code(error: ValueError) -> int:
    return _FROM_KIND.get(getattr(error, "kind", "num"), _NUM)


# ---------------------------------------------------------------- adapters


def _broadcast_shape(shapes: list[tuple[int, int]]) -> tuple[int, int]:
    return max(s[0] for s in shapes), max(s[1] for s in shapes)


def _stretch(
    values: NDArray[np.float64], codes: NDArray[np.int8], shape: tuple[int, int]
) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Excel's array broadcasting: a size-1 axis repeats; a shorter one leaves #N/A."""
    if values.shape == shape:
        return values, codes
    sources, beyond = [], []
    for size, target in zip(values.shape, shape, strict=True):
        positions = np.arange(target)
        sources.append(
            np.zeros(target, dtype=np.intp) if size == 1 else np.minimum(positions, size - 1)
        )
        beyond.append((size != 1) & (positions >= size))
    grid = np.ix_(*sources)
    stretched_codes = codes[grid]
    outside = beyond[0][:, None] | beyond[1][None, :]
    if outside.any():
        stretched_codes = np.where(outside & (stretched_codes == 0), np.int8(_NA), stretched_codes)
    return values[grid], stretched_codes


def _elementwise_inputs(
    spec: ExcelFunction, arguments: Mapping[str, Any]
) -> tuple[tuple[int, int], list[Any], NDArray[np.int8]]:
    """Every argument's cells -> (broadcast shape, core arguments, input error codes)."""
    converted = [
        _argument_numbers(spec, argument, arguments[argument.name]) for argument in spec.arguments
    ]
    shape = _broadcast_shape([values.shape for values, _ in converted])
    codes = np.zeros(shape, dtype=np.int8)
    core_args: list[Any] = []
    for values, argument_codes in converted:
        if values.shape == (1, 1):
            # One cell: pass a scalar, the core broadcasts it.
            core_args.append(values[0, 0])
            if argument_codes[0, 0]:
                codes[codes == 0] = argument_codes[0, 0]
            continue
        values, argument_codes = _stretch(values, argument_codes, shape)
        core_args.append(values)
        # Excel reports the first error it meets, argument by argument.
        codes = np.where(codes == 0, argument_codes, codes)
    return shape, core_args, codes


def _elementwise(spec: ExcelFunction, arguments: Mapping[str, Any]) -> Cells:
    shape, core_args, codes = _elementwise_inputs(spec, arguments)
    if 0 in shape:
        return [[]]
    try:
        result = metrics.evaluate(spec.core, *core_args)
    except ValueError as error:  # a DomainError the core cannot attribute to elements
        return _error_cells(shape, _domain_code(error))
    values = np.broadcast_to(result.values, shape)
    core_codes = _FROM_CORE[np.broadcast_to(result.errors, shape)]
    return _cells(values, np.where(codes == 0, core_codes, codes))


def _aggregate(spec: ExcelFunction, arguments: Mapping[str, Any]) -> Cells:
    (argument,) = spec.arguments
    values, codes = _argument_numbers(spec, argument, arguments[argument.name])
    input_error = _first_error(codes)
    if input_error:
        return _error_cells((1, 1), input_error)
    try:
        result = metrics.evaluate(spec.core, values)
    except ValueError as error:
        return _error_cells((1, 1), _domain_code(error))
    return _cells(result.values.reshape(1, 1), _FROM_CORE[result.errors.reshape(1, 1)])


def _id_error(cell: Any) -> int:
    """The Excel error code an id cell carries (its own error value, or #NUM! for a
    non-finite number); 0 for a usable id or a blank."""
    if isinstance(cell, str):
        return _ERROR_CODES.get(cell, 0)
    if isinstance(cell, float | np.floating) and not np.isfinite(cell):
        return _NUM
    return 0


_id_errors = np.frompyfunc(_id_error, 1, 1)


def _ids(grid: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.int8]]:
    """Id cells -> (text, or None for a blank or an error; error codes).

    The text is what the refresh reads (``engine.clean.parse_text``): stripped,
    numbers in their text form (1001.0 -> "1001"), so ENGAGEMENT_SCORES matches
    events to accounts exactly as the Funnel Summary does.
    """
    from abmxl.engine.clean import parse_text  # pandas: loaded only for this function

    codes = _id_errors(grid).astype(np.int8)
    texts = parse_text(grid.ravel()).text.reshape(grid.shape)
    texts[codes != 0] = None
    return texts, codes


def _single_cell(value: Any) -> tuple[float, int]:
    """A one-cell argument -> (number or nan for blank, error code); a range is #VALUE!."""
    grid = _as_grid(value)
    if grid.shape != (1, 1):
        return np.nan, _VALUE
    values, codes = _numbers(grid)
    return float(values[0, 0]), int(codes[0, 0])


def _days(serials: NDArray[np.float64]) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """Excel serial numbers -> calendar days (time of day dropped), and out-of-range flags."""
    days, valid = serial_days(serials)
    return days, ~valid


def _channel_weights(
    cells: NDArray[np.object_], n_events: tuple[int, ...]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Channel cells -> (the channel's default weight, no channel), per event.

    Channels are matched as the refresh matches them (``engine.clean.channel_key``:
    case-insensitive, spaces = underscores) against ``schema.DEFAULT_CHANNEL_WEIGHTS``.
    """
    from abmxl.engine.clean import channel_key, parse_text
    from abmxl.schema import DEFAULT_CHANNEL_WEIGHTS

    cells = np.broadcast_to(cells, n_events)
    column = parse_text(np.asarray(cells, dtype=object))
    known = np.array(
        [DEFAULT_CHANNEL_WEIGHTS.get(channel_key(c), 0.0) for c in column.uniques], dtype=np.float64
    )
    weight = np.append(known, np.nan)[column.codes]
    return weight, column.codes < 0


def _per_account(spec: ExcelFunction, arguments: Mapping[str, Any]) -> Cells:
    """ENGAGEMENT_SCORES and ENGAGEMENT_TREND: one result per cell of ``account_ids``,
    same shape."""
    import pandas as pd

    accounts, account_codes = _ids(_as_grid(arguments["account_ids"]))
    shape = accounts.shape
    if 0 in shape:
        return [[]]

    # The single-cell parameters: one error among them fails every score.
    as_of, parameter_code = _single_cell(arguments["as_of"])
    if not parameter_code and np.isnan(as_of):
        parameter_code = _VALUE  # a blank as-of date: there is no "today" in a formula
    parameters: dict[str, float | None] = {}
    defaults = {argument.name: argument.default for argument in spec.arguments}
    names = [argument.name for argument in spec.arguments]
    # The single-number parameters after as_of (window and half-life, or the
    # recent and baseline periods); `channels` is an event column.
    for name in (n for n in names[names.index("as_of") + 1 :] if n != "channels"):
        number, code = _single_cell(arguments[name])
        parameter_code = parameter_code or code
        parameters[name] = defaults[name] if np.isnan(number) else number
    if parameter_code:
        return _error_cells(shape, parameter_code)
    as_of_day, as_of_outside = _days(np.array([as_of]))
    if as_of_outside[0]:
        return _error_cells(shape, _NUM)

    # Event columns: one element per event; a one-cell column applies to every event.
    event_ids, event_id_codes = _ids(_as_grid(arguments["event_account_ids"]).ravel())
    serials, date_codes = _numbers(_as_grid(arguments["event_dates"]).ravel())
    weights, weight_codes = _numbers(_as_grid(arguments["event_weights"]).ravel())
    try:
        n_events = np.broadcast_shapes(event_ids.shape, serials.shape, weights.shape)
    except ValueError:
        return _error_cells(shape, _VALUE)
    event_ids, event_id_codes, serials, date_codes, weights, weight_codes = (
        np.broadcast_to(a, n_events)
        for a in (event_ids, event_id_codes, serials, date_codes, weights, weight_codes)
    )
    blank_weight = np.isnan(weights) & (weight_codes == 0)
    channel_cells = arguments.get("channels")
    unplaced_channel = np.zeros(n_events, dtype=bool)
    if channel_cells is not None:
        # As the refresh reads Engagement: a blank weight is the channel's
        # ChannelWeights default (an unknown channel weighs 0); a row without a
        # channel is skipped.
        try:
            channel_weight, no_channel = _channel_weights(_as_grid(channel_cells).ravel(), n_events)
        except ValueError:
            return _error_cells(shape, _VALUE)
        weights = np.where(blank_weight, channel_weight, weights)
        unplaced_channel = no_channel
    weights = np.where(np.isnan(weights) & (weight_codes == 0), 0.0, weights)  # blank = 0
    days, outside = _days(serials)
    date_codes = np.where((date_codes == 0) & ~np.isnan(serials) & outside, _NUM, date_codes)
    # Events without an account or a date cannot be placed: ignored, as the refresh skips them.
    placed = (event_id_codes == 0) & ~np.equal(event_ids, None)
    placed &= ~((date_codes == 0) & np.isnan(serials))
    placed &= ~unplaced_channel
    event_codes = np.where(date_codes != 0, date_codes, weight_codes)
    usable = placed & (event_codes == 0)

    named = (account_codes == 0) & ~np.equal(accounts, None)
    try:
        result = metrics.evaluate(
            spec.core,
            accounts[named],
            event_ids[usable],
            days[usable],
            weights[usable],
            as_of_day[0],
            *parameters.values(),
        )
    except ValueError as error:
        return _error_cells(shape, _domain_code(error))

    named_codes = _FROM_CORE[result.errors]
    # An unreadable event makes its account's score unknown, whatever its date.
    bad_events = placed & (event_codes != 0)
    if bad_events.any():
        account_index = pd.Index(accounts[named])
        for code in np.unique(event_codes[bad_events]):
            hit = account_index.isin(event_ids[bad_events & (event_codes == code)])
            named_codes[hit & (named_codes == 0)] = code
    values = np.zeros(shape, dtype=np.float64)
    values[named] = result.values
    codes = account_codes.copy()
    codes[named] = named_codes
    blank = np.equal(accounts, None) & (account_codes == 0)
    return _cells(values, codes, blank=blank)


def _spill3(spec: ExcelFunction, arguments: Mapping[str, Any]) -> Cells:
    """LIFT: the core returns three results per element; each input cell (in
    reading order) gets one output row of the three, side by side. A result the
    core leaves undefined without an error (an interval with no success) is a
    blank cell."""
    shape, core_args, codes = _elementwise_inputs(spec, arguments)
    if 0 in shape:
        return [[]]
    columns, column_codes = [], []
    for part in range(3):
        try:
            result = metrics.evaluate(lambda *a, k=part: spec.core(*a)[k], *core_args)
        except ValueError as error:
            return _error_cells((shape[0] * shape[1], 3), _domain_code(error))
        columns.append(np.broadcast_to(result.values, shape).ravel())
        column_codes.append(_FROM_CORE[np.broadcast_to(result.errors, shape)].ravel())
    values = np.stack(columns, axis=1)
    errors = np.stack(column_codes, axis=1)
    # An error of the ratio (bad input, no baseline) is the error of all three.
    input_codes = codes.ravel()[:, None]
    errors = np.where(input_codes != 0, input_codes, np.where(errors == 0, errors[:, :1], errors))
    blank = np.isnan(values) & (errors == 0)
    return _cells(values, errors.astype(np.int8), blank=blank)


_ATTRIBUTION_HEADER = ["channel", "opportunities", "pipeline", "won deals", "revenue"]


def _text_cells(grid: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.int8]]:
    """Text cells (status, channel, model) -> (text or None for blank; error codes).

    An error value passes its error on; a number is #VALUE! (no status or
    channel is a number).
    """
    codes = np.zeros(grid.shape, dtype=np.int8)
    texts = np.empty(grid.shape, dtype=object)
    for position, cell in np.ndenumerate(grid):  # a few thousand cells of a formula
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            texts[position] = None
        elif isinstance(cell, str) and cell in _ERROR_CODES:
            codes[position] = _ERROR_CODES[cell]
        elif isinstance(cell, str):
            texts[position] = cell.strip()
        else:
            codes[position] = _VALUE
    return texts, codes


def _column(value: Any) -> NDArray[np.object_]:
    return _as_grid(value).ravel()


def _channel_table(spec: ExcelFunction, arguments: Mapping[str, Any]) -> Cells:
    """ATTRIBUTION: a header row and one row per channel (then ``(no touch)``).

    Rows without an account (or, for events, a date or channel; for
    opportunities, a status) are left out, as the refresh skips them. Any
    other bad cell (an error value, text in a number or date column, a
    negative amount or weight, a date Excel cannot hold) leaves every number
    of the table as that error: the credits of one opportunity move every
    channel's figures, so none could be trusted.
    """
    import pandas as pd

    from abmxl.engine import attribution
    from abmxl.engine.clean import channel_key
    from abmxl.schema import DEFAULT_CHANNEL_WEIGHTS, LOST_STATUSES, WON_STATUSES, normalize_token

    width = len(_ATTRIBUTION_HEADER)
    # Single-cell parameters.
    model_texts, model_codes = _text_cells(_as_grid(arguments["model"]))
    if model_texts.shape != (1, 1):
        return _error_cells((1, width), _VALUE)
    if model_codes[0, 0]:
        return _error_cells((1, width), int(model_codes[0, 0]))
    defaults = {argument.name: argument.default for argument in spec.arguments}
    model = (model_texts[0, 0] or defaults["model"]).strip().lower()
    if model not in ATTRIBUTION_MODELS:
        return _error_cells((1, width), _VALUE)
    as_of, parameter_code = _single_cell(arguments["as_of"])
    if not parameter_code and np.isnan(as_of):
        parameter_code = _VALUE  # no "today" in a formula
    parameters: dict[str, float] = {}
    for name in ("window_days", "half_life_days"):
        number, code = _single_cell(arguments[name])
        parameter_code = parameter_code or code
        parameters[name] = defaults[name] if np.isnan(number) else number
    if parameter_code:
        return _error_cells((1, width), parameter_code)
    if parameters["window_days"] < 0 or parameters["half_life_days"] <= 0:
        return _error_cells((1, width), _NUM)
    as_of_day, as_of_outside = _days(np.array([as_of]))
    if as_of_outside[0]:
        return _error_cells((1, width), _NUM)

    # Opportunities: one element per row; all columns of one length.
    opp_ids, opp_id_codes = _ids(_as_grid(arguments["opportunity_accounts"]).reshape(-1, 1))
    opp_ids, opp_id_codes = opp_ids.ravel(), opp_id_codes.ravel()
    created, created_codes = _numbers(_as_grid(arguments["created_dates"]).reshape(-1, 1))
    closes, close_codes = _numbers(_as_grid(arguments["close_dates"]).reshape(-1, 1))
    statuses, status_codes = _text_cells(_column(arguments["statuses"]))
    amounts, amount_codes = _numbers(_as_grid(arguments["amounts"]).reshape(-1, 1))
    event_ids, event_id_codes = _ids(_as_grid(arguments["event_accounts"]).reshape(-1, 1))
    event_ids, event_id_codes = event_ids.ravel(), event_id_codes.ravel()
    serials, date_codes = _numbers(_as_grid(arguments["event_dates"]).reshape(-1, 1))
    channels, channel_codes = _text_cells(_column(arguments["event_channels"]))
    weights, weight_codes = _numbers(_as_grid(arguments["event_weights"]).reshape(-1, 1))
    opp_columns = [opp_ids, created.ravel(), closes.ravel(), statuses, amounts.ravel()]
    event_columns = [event_ids, serials.ravel(), channels, weights.ravel()]
    if len({c.size for c in opp_columns}) != 1 or len({c.size for c in event_columns}) != 1:
        return _error_cells((1, width), _VALUE)
    created, closes, amounts = created.ravel(), closes.ravel(), amounts.ravel()
    serials, weights = serials.ravel(), weights.ravel()

    opp_used = (opp_id_codes == 0) & ~np.equal(opp_ids, None)
    opp_used &= (status_codes != 0) | ~np.equal(statuses, None)
    created_days, created_outside = _days(created)
    close_days, close_outside = _days(closes)
    no_day = np.datetime64("NaT", "D")
    created_days = np.where(np.isnan(created), no_day, created_days)  # blank: no date
    close_days = np.where(np.isnan(closes), no_day, close_days)
    opp_codes = np.zeros(opp_ids.size, dtype=np.int8)
    for codes in (opp_id_codes, created_codes.ravel(), close_codes.ravel(), status_codes,
                  amount_codes.ravel()):  # fmt: skip
        opp_codes = np.where(opp_codes == 0, codes, opp_codes)
    opp_codes = np.where(
        (opp_codes == 0)
        & ((created_outside & ~np.isnan(created)) | (close_outside & ~np.isnan(closes))),
        _NUM,
        opp_codes,
    )
    opp_codes = np.where((opp_codes == 0) & (amounts < 0), _NUM, opp_codes)

    event_used = (event_id_codes == 0) & ~np.equal(event_ids, None)
    event_used &= ~((date_codes.ravel() == 0) & np.isnan(serials))
    event_used &= (channel_codes != 0) | ~np.equal(channels, None)
    event_days, event_outside = _days(serials)
    event_codes = np.zeros(event_ids.size, dtype=np.int8)
    for codes in (date_codes.ravel(), channel_codes, weight_codes.ravel()):
        event_codes = np.where(event_codes == 0, codes, event_codes)
    event_codes = np.where((event_codes == 0) & event_outside & ~np.isnan(serials), _NUM,
                           event_codes)  # fmt: skip
    event_codes = np.where((event_codes == 0) & (weights < 0), _NUM, event_codes)
    table_error = _first_error(
        np.concatenate([opp_codes[opp_used | (opp_id_codes != 0)], event_codes[event_used]])
    )

    opp_keep = np.flatnonzero(opp_used & (opp_codes == 0))
    event_keep = np.flatnonzero(event_used & (event_codes == 0))
    account_index = pd.Index(pd.unique(opp_ids[opp_keep]))
    event_account = account_index.get_indexer(event_ids[event_keep])
    known = event_account >= 0  # touches of accounts without an opportunity credit nobody
    event_keep, event_account = event_keep[known], event_account[known]
    keys = np.array([channel_key(c) for c in channels[event_keep]], dtype=object)
    # Blank weight = the channel's default ChannelWeights weight (0 when unknown).
    default_weight = np.array([DEFAULT_CHANNEL_WEIGHTS.get(k, 0.0) for k in keys])
    own_weight = weights[event_keep]
    engagement = pd.DataFrame(
        {
            "account": event_account.astype(np.int64),
            "date": event_days[event_keep],
            "weight": np.where(np.isnan(own_weight), default_weight, own_weight),
            "channel": pd.Series(keys, dtype=object),
        }
    )
    tokens = np.array([normalize_token(t) for t in statuses[opp_keep]], dtype=object)
    won = np.isin(tokens, list(WON_STATUSES))
    lost = np.isin(tokens, list(LOST_STATUSES))
    opportunities = pd.DataFrame(
        {
            "account": account_index.get_indexer(opp_ids[opp_keep]).astype(np.int64),
            "created_date": created_days[opp_keep],
            "close_date": close_days[opp_keep],
        }
    )
    amount = np.nan_to_num(amounts[opp_keep])  # blank amount = 0, as the refresh repairs it
    found = attribution.influence(
        engagement if len(engagement) else None,
        opportunities,
        won,
        won | lost,
        int(as_of_day[0].astype("datetime64[D]").view(np.int64)),
        parameters["window_days"],
    )
    table = attribution.attribution_table(found, amount, None, parameters["half_life_days"])
    rows = table[table["Model"] == model]
    body = rows[["Channel", "Opportunities", "Pipeline", "Won deals", "Revenue"]].to_numpy(
        dtype=object
    )
    if table_error:
        body[:, 1:] = _ERROR_TEXT[table_error]
    else:
        body[:, 1:] = np.asarray(body[:, 1:], dtype=np.float64).tolist()
    return [_ATTRIBUTION_HEADER, *body.tolist()]


_ADAPTERS: dict[Shape, Callable[[ExcelFunction, Mapping[str, Any]], Cells]] = {
    "elementwise": _elementwise,
    "aggregate": _aggregate,
    "per_account": _per_account,
    "spill3": _spill3,
    "channel_table": _channel_table,
}

# ---------------------------------------------------------------- the functions
# Declarations: the signature and docstring are what Excel shows; the body is
# the adapter chosen by `shape`. Order follows the metric contract.

_FRACTION = "a fraction (0.1 = 10%; format the cell as %)"
_CHANNELS_DOC = (
    "Optional. Channel of each event (Engagement[channel]): a blank weight takes the "
    "channel's ChannelWeights default, as the refresh does; a row without one is skipped."
)


@_excel_function(
    metrics.win_rate,
    name="WINRATE",
    example="10, 100",
    result="0.1",
    won="Opportunities (or accounts) won; 0 <= won <= closed.",
    closed="Opportunities closed, won or lost; >= 0.",
)
def ABM_WINRATE(won, closed):
    """Win rate: won / closed, a fraction (0.1 = 10%). #DIV/0! when nothing closed; #NUM! for
    negative counts or won > closed. Takes cells or whole columns (spills)."""


@_excel_function(
    metrics.acv,
    name="ACV",
    example="90000, 3, 5000",
    result="28333.33",
    total_contract_value="Total contract value over the whole term; >= 0.",
    years="Contract term in years; > 0 (1.5 = 18 months).",
    one_time_fees="Optional. One-time fees included in the contract value; default 0.",
)
def ABM_ACV(total_contract_value, years, one_time_fees=0):
    """Annual contract value: (total contract value - one-time fees) / years. #NUM! for
    years <= 0 or fees outside 0..total."""


@_excel_function(
    metrics.clv,
    name="CLV",
    example="100000, 5, 0.8, 0.1",
    result="333589.24",
    acv="Annual contract value; >= 0.",
    lifetime_years="Expected customer lifetime in years; > 0.",
    gross_margin="Optional. Gross margin 0..1; default 1 (revenue).",
    discount_rate="Optional. Annual discount rate; > -1; default 0.",
    expansion_rate="Optional. Annual revenue growth of the account; >= -1; default 0.",
)
def ABM_CLV(acv, lifetime_years, gross_margin=1, discount_rate=0, expansion_rate=0):
    """Customer lifetime value over a fixed lifetime: yearly margin, growing by the expansion
    rate and discounted, summed over the lifetime (first year undiscounted)."""


@_excel_function(
    metrics.clv_from_churn,
    name="CLV_CHURN",
    example="100000, 0.2, 0.8",
    result="400000",
    acv="Annual contract value; >= 0.",
    churn_rate="Annual churn rate; 0 < churn <= 1.",
    gross_margin="Optional. Gross margin 0..1; default 1 (revenue).",
    discount_rate="Optional. Annual discount rate; > -1; default 0.",
    expansion_rate="Optional. Annual revenue growth of a retained account; default 0.",
)
def ABM_CLV_CHURN(acv, churn_rate, gross_margin=1, discount_rate=0, expansion_rate=0):
    """Customer lifetime value from an annual churn rate: acv * margin / (1 - q (1 - churn)),
    q = (1 + expansion) / (1 + discount). #NUM! when growth outpaces churn."""


@_excel_function(
    metrics.cac,
    name="CAC",
    example="300000, 200000, 10, 100000",
    result="60000",
    sales_cost="Sales spend of the period; >= 0.",
    marketing_cost="Marketing spend of the period; >= 0.",
    new_customers="Customers acquired in the period; >= 0.",
    overhead_cost="Optional. Other acquisition costs (tools, agencies); default 0.",
)
def ABM_CAC(sales_cost, marketing_cost, new_customers, overhead_cost=0):
    """Customer acquisition cost: (sales + marketing + overhead) / new customers. #DIV/0!
    when there are no new customers."""


@_excel_function(
    metrics.engagement_pct,
    name="ENGAGEMENT_PCT",
    example="45, 300",
    result="0.15",
    engaged_accounts="Target accounts that are engaged; 0 <= engaged <= target.",
    target_accounts="Target accounts; >= 0.",
)
def ABM_ENGAGEMENT_PCT(engaged_accounts, target_accounts):
    """Share of target accounts that are engaged: engaged / target, a fraction (0.15 =
    15%)."""


# The Settings thresholds TIER and TIER_REASON share, with their wizard help.
_TIER_THRESHOLDS_HELP = {
    "fit_min": "Optional. Minimum fit to be tiered; default 70.",
    "intent_min": "Optional. Intent that counts as a signal; default 60.",
    "engagement_min": "Optional. Engagement that counts as a signal; default 10.",
    "acv_tier1": "Optional. Minimum ACV for tier 1; default 100000.",
    "acv_tier2": "Optional. Minimum ACV for tier 2; default 25000.",
}


@_excel_function(
    metrics.tier,
    name="TIER",
    example="85, 70, 12, 150000",
    result="1",
    blanks="missing",
    fit_score="Fit score 0-100; blank = untiered (0).",
    intent_score="Intent score 0-100; blank = 0 (no signal).",
    engagement_score="Engagement score (minutes); blank = 0.",
    expected_acv="Expected annual contract value; blank = 0.",
    **_TIER_THRESHOLDS_HELP,
)
def ABM_TIER(
    fit_score,
    intent_score,
    engagement_score,
    expected_acv,
    fit_min=70,
    intent_min=60,
    engagement_min=10,
    acv_tier1=100000,
    acv_tier2=25000,
):
    """ABM tier: 1 (high fit, intent and engagement, ACV >= tier 1), 2 (intent or engagement,
    ACV >= tier 2), 3 (high fit, no signal or small ACV), 0 (fit below fit_min)."""


@_excel_function(
    metrics.tam,
    name="TAM",
    example="1200, 50000",
    result="60000000",
    accounts="Accounts in the ideal customer profile; >= 0.",
    average_acv="Average annual contract value; >= 0.",
)
def ABM_TAM(accounts, average_acv):
    """Total addressable market: accounts * average ACV (annual revenue)."""


@_excel_function(
    metrics.pipeline_velocity,
    name="PIPELINE_VELOCITY",
    example="50, 20000, 0.25, 90",
    result="2777.78",
    opportunities="Open opportunities; >= 0.",
    average_deal_size="Average deal value; >= 0.",
    win_rate="Win rate 0..1.",
    sales_cycle_days="Average days from opportunity to close; >= 0.",
)
def ABM_PIPELINE_VELOCITY(opportunities, average_deal_size, win_rate, sales_cycle_days):
    """Pipeline velocity, revenue per day: opportunities * deal size * win rate / sales cycle
    days. #DIV/0! for a zero-day cycle."""


@_excel_function(
    metrics.churn_rate,
    name="CHURN_RATE",
    example="8, 100",
    result="0.08",
    customers_lost="Starting customers lost in the period; 0 <= lost <= at start.",
    customers_at_start="Customers at the start of the period; >= 0.",
)
def ABM_CHURN_RATE(customers_lost, customers_at_start):
    """Churn rate: customers lost / customers at the start of the period, a fraction."""


@_excel_function(
    metrics.renewal_rate,
    name="RENEWAL_RATE",
    example="45, 50",
    result="0.9",
    renewed="Contracts renewed; 0 <= renewed <= up for renewal.",
    up_for_renewal="Contracts that came up for renewal; >= 0.",
)
def ABM_RENEWAL_RATE(renewed, up_for_renewal):
    """Renewal rate: contracts renewed / contracts up for renewal, a fraction."""


@_excel_function(
    metrics.net_revenue_retention,
    name="NRR",
    example="1000000, 180000, 50000, 100000",
    result="1.03",
    starting_arr="ARR of existing customers at the start; >= 0.",
    expansion_arr="ARR added by those customers (upsell, cross-sell); >= 0.",
    contraction_arr="ARR lost to downgrades; >= 0.",
    churned_arr="ARR lost to customers leaving; contraction + churned <= start.",
)
def ABM_NRR(starting_arr, expansion_arr, contraction_arr, churned_arr):
    """Net revenue retention: (start + expansion - contraction - churned) / start. Above 1
    (100%) when expansion outgrows losses."""


@_excel_function(
    metrics.gross_revenue_retention,
    name="GRR",
    example="1000000, 50000, 100000",
    result="0.85",
    starting_arr="ARR of existing customers at the start; >= 0.",
    contraction_arr="ARR lost to downgrades; >= 0.",
    churned_arr="ARR lost to customers leaving; contraction + churned <= start.",
)
def ABM_GRR(starting_arr, contraction_arr, churned_arr):
    """Gross revenue retention: (start - contraction - churned) / start, a fraction."""


@_excel_function(
    metrics.nps,
    name="NPS",
    example="{10,9,8,7,6,0,10,9,3,10}",
    result="20",
    shape="aggregate",
    blanks="missing",
    scores="Survey answers 0-10 (whole numbers), a whole range; blanks are ignored.",
)
def ABM_NPS(scores):
    """Net promoter score of a range of 0-10 answers: 100 * (promoters 9-10 - detractors 0-6)
    / answers, from -100 to 100. Blanks are ignored."""


@_excel_function(
    metrics.ltv_to_cac,
    name="LTV_CAC",
    example="300000, 100000",
    result="3",
    clv="Customer lifetime value (ABM_CLV); >= 0.",
    cac="Customer acquisition cost (ABM_CAC); >= 0.",
)
def ABM_LTV_CAC(clv, cac):
    """LTV:CAC ratio: customer lifetime value / acquisition cost. #DIV/0! when CAC is 0."""


@_excel_function(
    metrics.cac_payback_months,
    name="CAC_PAYBACK",
    example="1200, 1200, 0.8",
    result="15",
    cac="Customer acquisition cost; >= 0.",
    acv="Annual contract value; >= 0.",
    gross_margin="Optional. Gross margin 0..1; default 1.",
)
def ABM_CAC_PAYBACK(cac, acv, gross_margin=1):
    """CAC payback in months: CAC / (ACV * gross margin / 12)."""


@_excel_function(
    metrics.account_penetration,
    name="PENETRATION",
    example="4, 10",
    result="0.4",
    engaged_contacts="Engaged contacts at the account; 0 <= engaged <= committee.",
    buying_committee_size="People in the account's buying committee; >= 0.",
)
def ABM_PENETRATION(engaged_contacts, buying_committee_size):
    """Account penetration: engaged contacts / buying committee size, a fraction."""


@_excel_function(
    metrics.cost_per,
    name="COST_PER",
    example="50000, 25",
    result="2000",
    spend="Program spend; >= 0.",
    accounts="Accounts reached: engaged, with an opportunity, or won; >= 0.",
)
def ABM_COST_PER(spend, accounts):
    """Spend per account: cost per engaged, opportunity or won account. #DIV/0! for 0
    accounts."""


@_excel_function(
    metrics.engagement_scores,
    name="ENGAGEMENT_SCORES",
    example="Accounts[account_id], Engagement[account_id], Engagement[date], "
    "Engagement[weight], DATE(2026,3,31), 90, 30",
    result="one score per account",
    shape="per_account",
    account_ids="The accounts to score (a column); one score per cell, same shape.",
    event_account_ids="Account of each event (a column).",
    event_dates="Date of each event (a column of dates).",
    event_weights="Weight (minutes, points) of each event; >= 0; blank = 0.",
    as_of="The date ages are measured from, e.g. TODAY().",
    window_days="Optional. Events aged 0..window days count; default 90.",
    half_life_days="Optional. Days after which an event's weight halves; default none.",
    channels=_CHANNELS_DOC,
)
def ABM_ENGAGEMENT_SCORES(
    account_ids,
    event_account_ids,
    event_dates,
    event_weights,
    as_of,
    window_days=90,
    half_life_days=None,
    channels=None,
):
    """Engagement score per account: sum of its event weights dated 0..window days before
    as_of, optionally halving every half_life days. Spills one score per account."""


@_excel_function(
    metrics.lift,
    name="LIFT",
    example="30, 100, 10, 100",
    result="3",
    shape="spill3",
    successes="Successes of the group (e.g. won target accounts); 0 <= successes <= trials.",
    trials="Size of the group (e.g. target accounts); >= 0.",
    baseline_successes="Successes of the baseline (e.g. won non-target accounts).",
    baseline_trials="Size of the baseline (e.g. non-target accounts); >= 0.",
    confidence="Optional. Confidence level of the interval, 0..1; default 0.95.",
)
def ABM_LIFT(successes, trials, baseline_successes, baseline_trials, confidence=0.95):
    """Lift of a rate over a baseline rate, (a/n1)/(c/n2), with its Katz log confidence
    interval: spills ratio, low, high in a row (one row per input row). Blank interval when
    a success count is 0."""


@_excel_function(
    metrics.engagement_trend,
    name="ENGAGEMENT_TREND",
    example="Accounts[account_id], Engagement[account_id], Engagement[date], "
    "Engagement[weight], DATE(2026,3,31), 7, 28, Engagement[channel]",
    result="one trend per account",
    shape="per_account",
    account_ids="The accounts (a column); one trend per cell, same shape.",
    event_account_ids="Account of each event (a column).",
    event_dates="Date of each event (a column of dates).",
    event_weights="Weight (minutes, points) of each event; >= 0; blank = 0 or the channel's.",
    as_of="The last day of the recent period, e.g. TODAY().",
    recent_days="Optional. Length of the recent period in days; default 7.",
    baseline_days="Optional. Length of the baseline period before it; default 28.",
    channels=_CHANNELS_DOC,
)
def ABM_ENGAGEMENT_TREND(
    account_ids,
    event_account_ids,
    event_dates,
    event_weights,
    as_of,
    recent_days=7,
    baseline_days=28,
    channels=None,
):
    """Engagement trend per account: recent engagement / its baseline rate - 1 (9 = ten
    times the usual, -1 = nothing lately). #DIV/0! without baseline events. Spills one
    value per account."""


@_excel_function(
    metrics.tier_reason,
    name="TIER_REASON",
    example="85, 70, 12, 150000",
    result="Tier 1: fit 85 >= 70, intent 70 >= 60, engagement 12 >= 10, ACV 150,000 >= 100,000",
    blanks="missing",
    fit_score="Fit score 0-100; blank = untiered.",
    intent_score="Intent score 0-100; blank = 0.",
    engagement_score="Engagement score (minutes); blank = 0.",
    expected_acv="Expected annual contract value; blank = 0.",
    **_TIER_THRESHOLDS_HELP,
    tier_override="Optional. A tier set by hand (0-3); blank = none.",
)
def ABM_TIER_REASON(
    fit_score,
    intent_score,
    engagement_score,
    expected_acv,
    fit_min=70,
    intent_min=60,
    engagement_min=10,
    acv_tier1=100000,
    acv_tier2=25000,
    tier_override=None,
):
    """Why an account is in its ABM tier, in words: the tier, the conditions it met, then
    after "not Tier N:" the conditions of the better tier that failed. Same arguments as
    ABM_TIER."""


@_excel_function(
    metrics.attribution_shares,
    name="ATTRIBUTION",
    example="Opportunities[account_id], Opportunities[created_date], "
    "Opportunities[close_date], Opportunities[status], Opportunities[amount], "
    "Engagement[account_id], Engagement[date], Engagement[channel], Engagement[weight], "
    'DATE(2026,6,30), "w_shaped"',
    result="a header row and one row per channel",
    shape="channel_table",
    opportunity_accounts="Account of each opportunity (a column).",
    created_dates="Created date of each opportunity; blank = no journey, credits (no touch).",
    close_dates="Close date of each opportunity (blank while open).",
    statuses="Status of each opportunity: Won / Closed Won, Lost / Closed Lost, else open.",
    amounts="Amount of each opportunity; >= 0; blank = 0.",
    event_accounts="Account of each engagement event (a column).",
    event_dates="Date of each event; events after as_of are ignored.",
    event_channels="Channel of each event (web_visit, webinar, ...).",
    event_weights="Weight of each event; blank = the channel's default weight; 0 = no touch.",
    as_of="The date the journeys are measured at, e.g. TODAY().",
    model="Optional. first, last, linear, u_shaped, w_shaped (default), time_decay, weighted.",
    window_days="Optional. Touches up to this many days before creation count; default 90.",
    half_life_days="Optional. time_decay: days after which a touch's credit halves; default 30.",
)
def ABM_ATTRIBUTION(
    opportunity_accounts,
    created_dates,
    close_dates,
    statuses,
    amounts,
    event_accounts,
    event_dates,
    event_channels,
    event_weights,
    as_of,
    model="w_shaped",
    window_days=90,
    half_life_days=30,
):
    """Credit by channel under an attribution model: spills a header row and one row per
    channel (then (no touch)) with credited opportunities, pipeline, won deals and revenue,
    as the Attribution sheet computes them."""
