"""The worked examples of ``shared/spec/metrics.md`` as one table.

``abmxl metrics`` prints it, and the tests run it through every front door
(numpy arrays, pandas Series, the Excel functions, the command line), so all
doors are checked against the same expected values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkedExample:
    """One worked example of the metric contract: a call and the value it must give.

    Attributes
    ----------
    function : str
        Python name in :mod:`abmxl.metrics`, e.g. ``"win_rate"``.
    excel : str
        Excel NAME: the function is ``ABM_<NAME>`` / ``ABM.<NAME>`` in Excel.
    args : tuple
        Positional arguments, in the order of the Python and Excel signatures.
    expected : float
        The result the contract states (an int for ``tier``).
    kwargs : dict
        Keyword arguments, if any.
    note : str
        What the example shows, for ``abmxl metrics``.
    """

    function: str
    excel: str
    args: tuple[Any, ...]
    expected: float
    kwargs: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def call(self) -> str:
        """The example as a Python call, e.g. ``"win_rate(10, 100)"``."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.function}({', '.join(parts)})"


WORKED_EXAMPLES: tuple[WorkedExample, ...] = (
    WorkedExample("win_rate", "WINRATE", (10, 100), 0.10, note="10 of 100 closed deals won"),
    WorkedExample("acv", "ACV", (500000, 5), 100000.0, note="500,000 over 5 years"),
    WorkedExample("acv", "ACV", (90000, 3, 5000), 28333.333333333332, note="with 5,000 fees"),
    WorkedExample("clv", "CLV", (100000, 5), 500000.0),
    WorkedExample("clv", "CLV", (100000, 5, 0.8), 400000.0, note="80% gross margin"),
    WorkedExample("clv", "CLV", (100000, 5, 0.8, 0.1), 333589.23570794344, note="10% discount"),
    WorkedExample("clv_from_churn", "CLV_CHURN", (100000, 0.2, 0.8), 400000.0),
    WorkedExample("clv_from_churn", "CLV_CHURN", (100000, 0.2, 0.8, 0.1), 293333.3333333334),
    WorkedExample("clv_from_churn", "CLV_CHURN", (24000, 0.08, 0.75), 225000.0),
    WorkedExample("cac", "CAC", (300000, 200000, 10), 50000.0),
    WorkedExample("cac", "CAC", (300000, 200000, 10, 100000), 60000.0, note="with overhead"),
    WorkedExample("engagement_pct", "ENGAGEMENT_PCT", (45, 300), 0.15),
    WorkedExample("tier", "TIER", (85, 70, 12, 150000), 1, note="just right"),
    WorkedExample("tier", "TIER", (85, 70, 0, 50000), 2, note="too big"),
    WorkedExample("tier", "TIER", (85, 0, 0, 10000), 3, note="too small"),
    WorkedExample("tier", "TIER", (50, 90, 90, 900000), 0, note="outside the ICP"),
    WorkedExample("tier", "TIER", (85, 70, 12, 50000), 2),
    WorkedExample("tam", "TAM", (1200, 50000), 60000000.0),
    WorkedExample(
        "pipeline_velocity", "PIPELINE_VELOCITY", (50, 20000, 0.25, 90), 2777.777777777778
    ),
    WorkedExample("churn_rate", "CHURN_RATE", (8, 100), 0.08),
    WorkedExample("renewal_rate", "RENEWAL_RATE", (45, 50), 0.9),
    WorkedExample("net_revenue_retention", "NRR", (1000000, 180000, 50000, 100000), 1.03),
    WorkedExample("gross_revenue_retention", "GRR", (1000000, 50000, 100000), 0.85),
    WorkedExample("nps", "NPS", ([10, 9, 8, 7, 6, 0, 10, 9, 3, 10],), 20.0),
    WorkedExample("ltv_to_cac", "LTV_CAC", (300000, 100000), 3.0),
    WorkedExample("cac_payback_months", "CAC_PAYBACK", (1200, 1200, 0.8), 15.0),
    WorkedExample("account_penetration", "PENETRATION", (4, 10), 0.4),
    WorkedExample("cost_per", "COST_PER", (50000, 25), 2000.0),
)
