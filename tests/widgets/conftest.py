"""Runs in a temporary local store for the chart widget tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nepnb


@pytest.fixture(autouse=True)
def close_charts() -> Iterator[None]:
    """Close the charts a test made: ipywidgets keeps every widget (and so its runs) until
    it is closed."""
    yield
    from ipywidgets.widgets.widget import _instances

    from nepnb.widgets import ChartWidget

    for widget in list(_instances.values()):
        if isinstance(widget, ChartWidget):
            widget.close()


@pytest.fixture
def open_run(nepnb_home: Path) -> Iterator[Callable[..., nepnb.Run]]:
    """Open runs (async, nothing captured, a long flush period unless given); stopped after."""
    runs: list[nepnb.Run] = []

    def make(**options: Any) -> nepnb.Run:
        settings: dict[str, Any] = {
            "capture_stdout": False,
            "capture_stderr": False,
            "capture_hardware_metrics": False,
            "flush_period": 1000,
        }
        settings.update(options)
        run = nepnb.init_run(**settings)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.stop()
