"""The inline chart widget: ``nepnb.chart(...)``, ``run["path"].chart()``, ``%neptune chart``.

An anywidget whose front end (labextension/widget/chart.ts, bundled into ``static/chart.js``)
draws the series with the chart component of the runs panel. It starts with each series as
the kernel read it when the widget was made (the ``initial`` trait: drawn at once), then asks
for each series downsampled to its width, and again for the visible range after a zoom
("fetch" messages, answered here when the kernel is free). While a cell keeps the kernel busy, nothing from the
browser is handled, so live data is pushed: a :class:`LiveFeed` thread sends each series that
changed ("series" messages, at most ``MAX_BUCKETS_PER_MESSAGE`` buckets) a few times a second,
until its runs stop or the widget closes.

Where widgets do not render, the output's ``image/png`` (drawn by :mod:`.picture`) and
``text/plain`` show instead; they are refreshed after the cell that showed the chart and after
the one in which its runs stopped, so the saved notebook holds the final picture.
"""

from __future__ import annotations

import atexit
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from nepnb.exceptions import InvalidValue, NepnbError
from nepnb.store.downsample import X_AXES, SeriesBuckets, check_request
from nepnb.widgets.picture import Line, draw_chart
from nepnb.widgets.series import ChartSeries

if TYPE_CHECKING:
    from nepnb.client.objects import NeptuneObject

__all__ = ["MAX_BUCKETS_PER_MESSAGE", "ChartWidget", "LiveFeed", "chart", "chart_series"]

STATIC = Path(__file__).parent / "static"
#: Never more buckets than this per series in one message to the browser.
MAX_BUCKETS_PER_MESSAGE = 2000
#: Buckets per series the kernel pushes while live (about the width of a notebook output).
LIVE_BUCKETS = 1000
#: The width of the fallback picture, and the buckets per series the widget starts with.
PICTURE_WIDTH = 720
#: Live pushes at most this often (seconds).
LIVE_INTERVAL = 0.25
#: After a tick that took t seconds, the feed rests BUSY_FACTOR * t more (at most MAX_REST s:
#: a slow tick on a busy machine must not stop the chart from moving).
BUSY_FACTOR = 9
MAX_REST = 1.0
#: A live series is read again after this long even when nothing seems to have changed
#: (points in transit between the write pipeline and the store when last read).
LIVE_REREAD = 1.0


def _bundle() -> Path:
    path = STATIC / "chart.js"
    if not path.is_file():
        raise NepnbError(
            f"the chart widget's JavaScript is missing ({path}): nepnb was installed without "
            "its build step. Reinstall it (`pip install nepnb`), or in a source checkout run "
            "`jlpm build:widgets`."
        )
    return path


def read_all(lines: Sequence[ChartSeries], buckets: int, x_axis: str) -> dict[str, SeriesBuckets]:
    """Every series, by key. (Reading them in threads was measured: no faster, SQLite and
    the chunks' decoding hold the GIL most of the time.)"""
    return {line.key: line.read(buckets, x_axis) for line in lines}


class ChartWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """A chart of float series of one or more runs; see :func:`chart`."""

    _esm = _bundle()
    #: The lines, in legend order: ``{"key": ..., "label": ..., "path": ...}``.
    series = traitlets.List(traitlets.Dict()).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    x_axis = traitlets.Enum(X_AXES, default_value="step").tag(sync=True)
    log_scale = traitlets.Bool(False).tag(sync=True)
    smoothing = traitlets.Float(0.0).tag(sync=True)
    height = traitlets.Int(260).tag(sync=True)
    #: True while points may still come (the feed pushes them).
    live = traitlets.Bool(False).tag(sync=True)
    #: Each series as the widget was made (by key, ISeriesBuckets, ``PICTURE_WIDTH``
    #: buckets): drawn at once, before the browser's own requests are answered.
    initial = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        lines: Sequence[ChartSeries],
        *,
        title: str = "",
        x_axis: str = "step",
        log_scale: bool = False,
        smoothing: float = 0.0,
        height: int = 260,
        live: bool = True,
        interval: float = LIVE_INTERVAL,
    ) -> None:
        if x_axis not in X_AXES:
            raise InvalidValue(f"x_axis must be one of {', '.join(X_AXES)}, not {x_axis!r}")
        if not 0 <= smoothing <= 0.99:
            raise InvalidValue(f"smoothing must be between 0 and 0.99, not {smoothing!r}")
        if not 80 <= height <= 2000:
            raise InvalidValue(f"height must be between 80 and 2000 pixels, not {height!r}")
        keys = [line.key for line in lines]
        if len(set(keys)) != len(keys):
            raise InvalidValue("a series is named twice; each run and path once")
        self._lines = {line.key: line for line in lines}
        # One read of every series serves the first paint, the picture and the summary.
        self._snapshot: dict[str, SeriesBuckets] | None = read_all(lines, PICTURE_WIDTH, x_axis)
        super().__init__(
            series=[{"key": line.key, "label": line.label, "path": line.path} for line in lines],
            title=title,
            x_axis=x_axis,
            log_scale=log_scale,
            smoothing=float(smoothing),
            height=height,
            live=live and any(line.is_live() for line in lines),
            initial={
                key: self._lines[key].reply(data, x_axis) for key, data in self._snapshot.items()
            },
        )
        self._display_id = uuid.uuid4().hex
        self._shown_in: int | None = None  # the execution count of the cell that showed it
        self._hooked = False
        self.on_msg(self._on_message)
        self.feed: LiveFeed | None = None
        if self.live:
            self.feed = LiveFeed(self, interval)
            self.feed.start()

    # the browser's requests -------------------------------------------------------------
    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "fetch":
            return
        self.send(self.answer(content))

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reply to a browser's "fetch": the series' buckets, or an error message."""
        ident = request.get("id")
        try:
            line = self._lines.get(str(request.get("key")))
            if line is None:
                raise InvalidValue(f"this chart has no series {request.get('key')!r}")
            x_axis = str(request.get("x_axis", "step"))
            buckets = request.get("buckets", LIVE_BUCKETS)
            start, end = check_request(buckets, x_axis, request.get("start"), request.get("end"))
            buckets = min(buckets, MAX_BUCKETS_PER_MESSAGE)
            data = line.read(buckets, x_axis, start, end)
            return {"type": "buckets", "id": ident, "data": line.reply(data, x_axis)}
        except (NepnbError, ValueError, TypeError) as error:
            return {"type": "error", "id": ident, "message": str(error)}

    # live data --------------------------------------------------------------------------
    def snapshot(self, buckets: int = LIVE_BUCKETS) -> dict[str, SeriesBuckets]:
        """Every series along the chart's x axis, whole, downsampled: by key."""
        return read_all(self.lines, buckets, self.x_axis)

    def push(self, key: str, data: SeriesBuckets) -> None:
        """Send the browser a series' new buckets (whole-range, replacing what it holds)."""
        line = self._lines[key]
        self.send(
            {
                "type": "series",
                "key": key,
                "x_axis": self.x_axis,
                "data": line.reply(data, self.x_axis),
            }
        )

    @property
    def lines(self) -> list[ChartSeries]:
        return list(self._lines.values())

    def close(self) -> None:
        """Stop pushing and close the widget in the browser (ipywidgets keeps every widget
        until it is closed: a closed chart lets its runs and copies go)."""
        feed = getattr(self, "feed", None)  # (None when __init__ failed half-way)
        if feed is not None:
            feed.stop()
        self._lines = {}
        self._snapshot = None
        super().close()

    # display ----------------------------------------------------------------------------
    def _take_snapshot(self) -> dict[str, SeriesBuckets]:
        """The series for a picture: the read made for the first display, then fresh ones."""
        snapshot, self._snapshot = self._snapshot, None
        return snapshot if snapshot is not None else self.snapshot(PICTURE_WIDTH)

    def picture(self, snapshot: dict[str, SeriesBuckets] | None = None) -> bytes:
        """The chart as a PNG (what shows where widgets do not)."""
        data = snapshot if snapshot is not None else self.snapshot(PICTURE_WIDTH)
        return draw_chart(
            [Line(line.label, data[key]) for key, line in self._lines.items()],
            x_axis=self.x_axis,
            log_scale=self.log_scale,
            title=self.title,
            width=PICTURE_WIDTH,
            height=self.height,
        )

    def summary(self, snapshot: dict[str, SeriesBuckets] | None = None) -> str:
        """One line per series: what the text/plain output says."""
        data = snapshot if snapshot is not None else self.snapshot(2)
        rows = [f"nepnb chart{': ' + self.title if self.title else ''}"]
        for key, line in self._lines.items():
            buckets = data[key]
            if buckets.extent is None:
                rows.append(f"  {line.path}: no points yet")
                continue
            name = line.label if line.label == line.path else f"{line.label} {line.path}"
            rows.append(
                f"  {name}: {buckets.total:,} points, {self.x_axis} "
                f"{buckets.extent[0]:g} to {buckets.extent[1]:g}, last {buckets.last[-1]:.6g}"
            )
        return "\n".join(rows)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        view = super()._repr_mimebundle_(**kwargs)  # anywidget: (data, metadata)
        bundle = dict((view[0] if isinstance(view, tuple) else view) or {})
        snapshot = self._take_snapshot()
        bundle["text/plain"] = self.summary(snapshot)
        bundle["image/png"] = self.picture(snapshot)
        return bundle

    def _ipython_display_(self) -> None:
        """Shown once per cell (``chart()`` shows it; the same widget as the cell's last
        expression is not shown again), with a display id so that, while the chart is live,
        its picture can be brought up to date later (see ``_after_cell``)."""
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if shell is None:  # a plain script: no frontend to draw it, say what it shows
            print(self.summary(self._take_snapshot()))
            return
        count = getattr(shell, "execution_count", None)
        if count is not None and count == self._shown_in:
            return
        self._shown_in = count
        display(self._repr_mimebundle_(), raw=True, display_id=self._display_id)
        if shell is not None and self.live and not self._hooked:
            self._hooked = True
            shell.events.register("post_run_cell", self._after_cell)

    def refresh_picture(self) -> None:
        """Put the current picture and summary into every output showing this widget."""
        from IPython.display import update_display

        update_display(self._repr_mimebundle_(), raw=True, display_id=self._display_id)

    def _after_cell(self, result: Any = None) -> None:
        """After the cell that showed the chart, and after the one in which its runs stopped,
        the outputs get the picture as it is then (each update re-renders the chart in the
        browser: not after every cell)."""
        from IPython import get_ipython

        count = getattr(result, "execution_count", None)
        try:
            final = not any(line.is_live() for line in self._lines.values())
            if final or count is None or count == self._shown_in:
                self.refresh_picture()
        except NepnbError:
            final = True  # the run went away; the last picture stays
        if final:  # nothing changes any more
            shell = get_ipython()
            if shell is not None and self._hooked:
                self._hooked = False
                shell.events.unregister("post_run_cell", self._after_cell)


class LiveFeed:
    """A daemon thread that pushes a chart's changed series a few times a second while any
    of its runs is live; it ends when they all stop, the widget closes, or the kernel exits."""

    def __init__(self, widget: ChartWidget, interval: float = LIVE_INTERVAL) -> None:
        self._widget = weakref.ref(widget)  # the feed must not keep a dropped chart alive
        self.interval = max(float(interval), 0.05)
        self.pushes = 0
        self._stopping = threading.Event()
        self._seen: dict[str, _Seen] = {}
        self._thread = threading.Thread(target=self._loop, name="nepnb-chart-feed", daemon=True)
        _FEEDS.add(self)

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait: bool = True) -> None:
        self._stopping.set()
        if wait and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        try:
            while not self._stopping.wait(self.interval):
                widget = self._widget()
                if widget is None or widget.comm is None:
                    return  # closed
                started = time.monotonic()
                live = [line for line in widget.lines if line.is_live()]
                self.tick(widget)
                if not live:
                    self.tick(widget, force=True)  # the last points, after the stop's flush
                    widget.live = False
                    return
                # Never busy more than a tenth of the time, however long the reads take
                # (they hold the GIL part of the time: the loop beside them waits then).
                self._stopping.wait(min(BUSY_FACTOR * (time.monotonic() - started), MAX_REST))
        except Exception:  # the kernel is going away, the store closed …: stop quietly
            return
        finally:
            _FEEDS.discard(self)

    def tick(self, widget: ChartWidget, force: bool = False) -> int:
        """Push each series that changed since the last push; returns how many were pushed."""
        pushed = 0
        now = time.monotonic()
        for line in widget.lines:
            mark = _change_mark(line, widget.x_axis)
            seen = self._seen.get(line.key)
            stale = seen is None or now - seen.read_at >= LIVE_REREAD
            if not (force or stale):
                if seen.mark == mark:  # type: ignore[union-attr]
                    continue
                # Points on their way from the pipeline to the store are in neither: read
                # now, the chart would lose them for a moment (drawn, gone, back again).
                if line.writing_here and line.obj.writes_in_transit():
                    continue
            data = line.read(LIVE_BUCKETS, widget.x_axis)
            if seen is not None and not force:
                if data.total < seen.total and not stale:
                    continue  # the same, caught between the two reads
                if (data.total, data.extent) == (seen.total, seen.extent):
                    self._seen[line.key] = _Seen(mark, data.total, data.extent, now)
                    continue  # nothing new
            widget.push(line.key, data)
            self._seen[line.key] = _Seen(mark, data.total, data.extent, now)
            pushed += 1
        self.pushes += pushed
        return pushed


@dataclass(frozen=True)
class _Seen:
    """What the feed last read of a series."""

    mark: tuple[Any, ...]
    total: int
    extent: tuple[float, float] | None
    read_at: float


def _change_mark(line: ChartSeries, x_axis: str) -> tuple[Any, ...]:
    """Something that changes when the series may have new points (cheap: no store read for
    a run written here)."""
    obj = line.obj
    if line.writing_here:
        return (x_axis, *obj.write_progress())
    return (x_axis, obj.store.get_fields(obj.info.uid, [line.path]).get(line.path))  # type: ignore[union-attr]


_FEEDS: weakref.WeakSet[LiveFeed] = weakref.WeakSet()


@atexit.register
def _stop_feeds() -> None:
    """The kernel exits: stop pushing (before the runs are stopped and the stores closed)."""
    for feed in list(_FEEDS):
        feed.stop(wait=False)


# building charts ------------------------------------------------------------------------
def _objects(runs: Any, project: str | None) -> list[NeptuneObject]:
    from nepnb.client.objects import NeptuneObject

    items = [runs] if isinstance(runs, (str, NeptuneObject)) else runs
    try:
        items = list(items)
    except TypeError:
        raise InvalidValue(
            f"runs are Run objects or run ids (strings), not {type(runs).__name__}"
        ) from None
    if not items:
        raise InvalidValue("no run to chart: give a Run, a run id, or a list of them")
    objects = []
    for item in items:
        if isinstance(item, NeptuneObject):
            objects.append(item)
        elif isinstance(item, str):
            from nepnb.client.run import init_run

            objects.append(init_run(with_id=item, project=project, mode="read-only"))
        else:
            raise InvalidValue(
                f"runs are Run objects or run ids (strings); {item!r} is a {type(item).__name__}"
            )
    return objects


def _paths(paths: str | Iterable[str]) -> list[str]:
    from nepnb.client.paths import validate_path

    items = [paths] if isinstance(paths, str) else list(paths)
    if not items:
        raise InvalidValue("no path to chart: give a series path such as 'metrics/loss'")
    for path in items:
        if not isinstance(path, str):
            raise InvalidValue(f"paths are strings; {path!r} is a {type(path).__name__}")
        validate_path(path)
    return items


def chart_series(
    runs: Any, paths: str | Iterable[str], *, project: str | None = None
) -> list[ChartSeries]:
    """The checked lines for every run and path, labelled by what tells them apart."""
    objects = _objects(runs, project)
    path_list = _paths(paths)
    lines = []
    for obj in objects:
        for path in path_list:
            name = _name_of(obj) if len(objects) > 1 else ""
            run = obj.sys_id or obj.mode
            if len(objects) > 1 and len(path_list) > 1:
                label = f"{run}{name} {path}"
            elif len(objects) > 1:
                label = f"{run}{name}"
            else:
                label = path
            line = ChartSeries(obj, path, label)
            line.check()
            lines.append(line)
    return lines


def _name_of(obj: NeptuneObject) -> str:
    """ " (name)" for a run with a name of its own, else ""."""
    name = obj.name
    return f" ({name})" if name and name != "Untitled" else ""


def chart(
    runs: Any,
    paths: str | Iterable[str],
    *,
    project: str | None = None,
    title: str | None = None,
    x_axis: str = "step",
    log_scale: bool = False,
    smoothing: float = 0.0,
    height: int = 260,
    live: bool = True,
    show: bool = True,
) -> ChartWidget:
    """Chart the float series ``paths`` of ``runs`` (a Run, a run id, or a list of them; ids
    are opened read-only, in ``project``) in the notebook, live while they are written.

    The chart is shown at once (``show=False``: only returned); as the cell's last
    expression it is not shown twice. ``x_axis``: "step" or "time".
    """
    lines = chart_series(runs, paths, project=project)
    if title is None:
        objects = {line.run_id for line in lines}
        title = ", ".join(sorted({line.path for line in lines}))
        if len(objects) == 1:
            title = f"{next(iter(objects))}: {title}"
    widget = ChartWidget(
        lines,
        title=title,
        x_axis=x_axis,
        log_scale=log_scale,
        smoothing=smoothing,
        height=height,
        live=live,
    )
    if show:
        widget._ipython_display_()
    return widget
