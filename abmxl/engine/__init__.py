"""The funnel engine: raw input tables in, ``FunnelSummary`` out.

``clean`` turns the cells a reader hands over (``RawTable``) into typed tables
and DataIssues; ``funnel`` computes tiers, stages and KPIs from them with
``abmxl.metrics``. No file access and no clock: the front doors (CLI, Python
API, Excel button) read and write workbooks and pass ``today``.
"""

from abmxl.engine.funnel import KPI_LABELS, build_summary
from abmxl.engine.model import FunnelSummary, RawTable

__all__ = ["KPI_LABELS", "FunnelSummary", "RawTable", "build_summary"]
