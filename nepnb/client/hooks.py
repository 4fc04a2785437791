"""The client's seam to the layers above it (the kernel magic, the chart widgets).

The client never imports those layers. They subscribe here when they load and the client
calls through this module:

- ``run_opened(run)``: ``init_run`` opened a run for writing (the kernel attaches it to the
  notebook's session: cell capture, a linked checkpoint);
- ``announcement_stream()``: where ``init_run`` says which run it opened (stderr unless a
  layer above says otherwise);
- ``chart(obj, path, **options)``: ``run[path].chart()``, drawn by whoever registered a chart
  factory (the widgets).

``nepnb/__init__.py`` wires the kernel and the widgets in at import, so a run opened in a
notebook joins its session without ``%load_ext nepnb``; nothing heavy is imported until an
event fires.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from nepnb.exceptions import NepnbError

if TYPE_CHECKING:
    from nepnb.client.objects import NeptuneObject
    from nepnb.client.run import Run

RunListener = Callable[["Run"], None]
StreamProvider = Callable[[], "TextIO | None"]
ChartFactory = Callable[..., Any]

_run_opened: list[RunListener] = []
_announcement: list[StreamProvider] = []
_chart: list[ChartFactory] = []


def on_run_opened(listener: RunListener) -> RunListener:
    """Call ``listener(run)`` each time a run is opened for writing (once per listener)."""
    if listener not in _run_opened:
        _run_opened.append(listener)
    return listener


def off_run_opened(listener: RunListener) -> None:
    """Stop calling ``listener`` (no error if it was not registered)."""
    if listener in _run_opened:
        _run_opened.remove(listener)


def run_opened(run: Run) -> None:
    """Tell the listeners that ``run`` was opened for writing (called by ``init_run``)."""
    for listener in list(_run_opened):
        listener(run)


def set_announcement_stream(provider: StreamProvider | None) -> None:
    """Ask ``provider()`` where to announce each opened object (None: it says nothing);
    ``provider`` None restores the default, stderr."""
    _announcement[:] = [] if provider is None else [provider]


def announcement_stream() -> TextIO | None:
    """Where ``init_run`` says which run it opened; None: nowhere."""
    return _announcement[0]() if _announcement else sys.stderr


def set_chart_factory(factory: ChartFactory | None) -> None:
    """Draw ``run[path].chart(**options)`` with ``factory(obj, path, **options)``."""
    _chart[:] = [] if factory is None else [factory]


def chart(obj: NeptuneObject, path: str, **options: Any) -> Any:
    """The chart of the series ``path`` of ``obj``, from the registered chart factory."""
    if not _chart:
        raise NepnbError(
            "no chart factory is registered: import nepnb (the package) so that its chart "
            "widgets register, or call nepnb.chart(run, path)"
        )
    return _chart[0](obj, path, **options)
