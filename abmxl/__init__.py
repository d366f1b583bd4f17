"""abmxl: account-based marketing metrics, Excel functions and funnel refresh.

Every metric of the contract is importable from here (``from abmxl import
win_rate``); ``refresh_workbook`` runs the funnel refresh on a workbook file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abmxl.metrics import *  # noqa: F403
from abmxl.metrics import __all__ as _metrics_all

if TYPE_CHECKING:
    from abmxl.refresh import refresh_workbook

__version__ = "0.1.0"
__all__ = [*_metrics_all, "refresh_workbook"]


def __getattr__(name: str) -> Any:
    # The refresh pulls in pandas and the workbook readers; keep `import abmxl`
    # cheap for code (and Excel functions) that only needs the metrics.
    if name == "refresh_workbook":
        from abmxl.refresh import refresh_workbook

        return refresh_workbook
    raise AttributeError(f"module 'abmxl' has no attribute {name!r}")
