"""One expected-value table through every front door (like empyrical's tests).

``abmxl.examples.WORKED_EXAMPLES`` (the spec's worked examples) is computed as
Python scalars, as numpy arrays (all examples of a function at once), as pandas
Series, and through the Excel functions' dispatcher with Excel-shaped 2D
payloads; ``tests/test_cli.py`` runs it through the command line. Inputs must
come back unmodified.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import abmxl
from abmxl.examples import WORKED_EXAMPLES, WorkedExample

AGGREGATES = {"nps"}  # takes a whole range and returns one number


def _columns_by_function() -> dict[tuple[str, int], list[WorkedExample]]:
    """Examples grouped by (function, number of arguments): one column call each."""
    groups: dict[tuple[str, int], list[WorkedExample]] = {}
    for example in WORKED_EXAMPLES:
        if example.function not in AGGREGATES:
            groups.setdefault((example.function, len(example.args)), []).append(example)
    return groups


BY_FUNCTION = _columns_by_function()


def _id(example: WorkedExample) -> str:
    return example.call


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=_id)
def test_scalars_give_python_scalars(example: WorkedExample) -> None:
    result = getattr(abmxl, example.function)(*example.args, **example.kwargs)
    assert type(result) is (int if example.function == "tier" else float)
    assert result == pytest.approx(example.expected, rel=1e-12)


@pytest.mark.parametrize("key", sorted(BY_FUNCTION), ids=lambda k: f"{k[0]}/{k[1]}")
@pytest.mark.parametrize("container", ["ndarray", "Series", "list"])
def test_columns_of_examples(key: tuple[str, int], container: str) -> None:
    examples = BY_FUNCTION[key]
    columns = [[ex.args[i] for ex in examples] for i in range(key[1])]
    wrap = {"ndarray": np.asarray, "Series": pd.Series, "list": list}[container]
    inputs = [wrap(column) for column in columns]
    snapshot = copy.deepcopy(inputs)
    result = getattr(abmxl, key[0])(*inputs)
    assert isinstance(result, np.ndarray)
    assert result.shape == (len(examples),)
    np.testing.assert_allclose(result, [ex.expected for ex in examples], rtol=1e-12)
    for before, after in zip(snapshot, inputs, strict=True):
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))


def test_nps_as_list_array_and_series() -> None:
    (example,) = [ex for ex in WORKED_EXAMPLES if ex.function == "nps"]
    scores = example.args[0]
    for container in (list, np.asarray, pd.Series):
        data = container(scores)
        assert abmxl.nps(data) == pytest.approx(example.expected)
        assert list(data) == scores
