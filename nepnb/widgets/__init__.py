"""Inline charts in notebooks: an anywidget over the chart component, live while runs are
written (see :mod:`nepnb.widgets.chart`). Imported only when a chart is asked for."""

from __future__ import annotations

from nepnb.widgets.chart import ChartWidget, LiveFeed, chart, chart_series
from nepnb.widgets.series import ChartSeries, pending_points

__all__ = ["ChartSeries", "ChartWidget", "LiveFeed", "chart", "chart_series", "pending_points"]
