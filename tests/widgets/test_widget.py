"""The chart widget's state, its answers to the browser, the live feed, the picture, and
what a user gets for bad input."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

import nepnb
from nepnb.exceptions import InvalidValue, MissingField, ObjectNotFound
from nepnb.widgets import ChartWidget, LiveFeed, chart
from nepnb.widgets.chart import MAX_BUCKETS_PER_MESSAGE
from tests.helpers.widgets import Sent


def stored_run(name: str, points: int, offset: float = 0.0) -> str:
    """A stopped run with float series a/x and a/y and a string series; its id."""
    run = nepnb.init_run(
        name=name, mode="sync", capture_hardware_metrics=False, capture_traceback=False
    )
    steps = np.arange(points, dtype=np.float64)
    run["a/x"].extend((np.sin(steps / 50) + offset).tolist())
    run["a/y"].extend((steps * 2).tolist())
    run["a/text"].append("hello")
    ident = run["sys/id"].fetch()
    run.stop()
    return ident


def test_state_of_a_chart_of_one_run_and_two_paths(nepnb_home: object) -> None:
    ident = stored_run("baseline", 300)
    widget = chart(ident, ["a/x", "a/y"], show=False, x_axis="time", log_scale=True, smoothing=0.5)
    assert widget.series == [
        {"key": json.dumps([ident, "a/x"]), "label": "a/x", "path": "a/x"},
        {"key": json.dumps([ident, "a/y"]), "label": "a/y", "path": "a/y"},
    ]
    assert widget.title == f"{ident}: a/x, a/y"
    assert (widget.x_axis, widget.log_scale, widget.smoothing) == ("time", True, 0.5)
    assert widget.live is False and widget.feed is None  # a stopped run: nothing to push
    state = widget.get_state()
    assert state["series"] == widget.series and state["x_axis"] == "time"
    assert "as default}" in str(widget._esm)  # the bundled ES module
    widget.close()


def test_several_runs_are_labelled_by_id_and_name(nepnb_home: object) -> None:
    first, second = stored_run("baseline", 50), stored_run("Untitled", 50)
    widget = chart([first, second], "a/x", show=False)
    assert [s["label"] for s in widget.series] == [f"{first} (baseline)", second]
    both = chart([first, second], ["a/x", "a/y"], show=False)
    assert [s["label"] for s in both.series][:2] == [
        f"{first} (baseline) a/x",
        f"{first} (baseline) a/y",
    ]


def test_answers_to_the_browser_stay_small_and_zoom_refines(nepnb_home: object) -> None:
    run = nepnb.init_run(mode="sync", capture_hardware_metrics=False, capture_traceback=False)
    values = np.random.default_rng(3).standard_normal(1_000_000)
    values[123_456] = 50.0  # a spike the buckets must keep
    run["big"].extend(values.tolist())
    run.stop()
    widget = chart(run, "big", show=False)
    key = widget.series[0]["key"]
    whole = widget.answer({"type": "fetch", "id": 7, "key": key, "x_axis": "step", "buckets": 9999})
    assert whole["type"] == "buckets" and whole["id"] == 7
    data = whole["data"]
    assert len(data["x"]) <= MAX_BUCKETS_PER_MESSAGE and data["total"] == 1_000_000
    assert max(data["max"]) == 50.0 and data["exact"] is False
    zoom = widget.answer(
        {"type": "fetch", "id": 8, "key": key, "x_axis": "step", "start": 1000, "end": 1999,
         "buckets": 2000}
    )  # fmt: skip
    assert zoom["data"]["exact"] is True and zoom["data"]["in_range"] == 1000
    assert zoom["data"]["last"][1:-1] == values[1000:2000].tolist()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"key": "nope"}, "this chart has no series 'nope'"),
        ({"buckets": 0}, "buckets must be between 1"),
        ({"x_axis": "epoch"}, "the x axis must be one of step, time"),
        ({"start": 10, "end": 5}, "must not be after end"),
    ],
)
def test_bad_requests_get_an_error_reply(
    nepnb_home: object, request_: dict[str, object], message: str
) -> None:
    widget = chart(stored_run("r", 20), "a/x", show=False)
    request = {"type": "fetch", "id": 3, "key": widget.series[0]["key"], "x_axis": "step",
               "buckets": 100, **request_}  # fmt: skip
    reply = widget.answer(request)
    assert reply["type"] == "error" and reply["id"] == 3
    assert message in reply["message"]


def test_bad_input_raises_clear_errors(nepnb_home: object) -> None:
    ident = stored_run("r", 20)
    with pytest.raises(MissingField, match="there is no field 'a/nope' in " + ident):
        chart(ident, "a/nope", show=False)
    with pytest.raises(InvalidValue, match="'a/text' is a StringSeries; only a FloatSeries"):
        chart(ident, "a/text", show=False)
    with pytest.raises(ObjectNotFound, match="NOPE-9"):
        chart("NOPE-9", "a/x", show=False)
    with pytest.raises(InvalidValue, match="runs are Run objects or run ids"):
        chart([ident, 3], "a/x", show=False)
    with pytest.raises(InvalidValue, match="no run to chart"):
        chart([], "a/x", show=False)
    with pytest.raises(InvalidValue, match="x_axis must be one of step, time"):
        chart(ident, "a/x", show=False, x_axis="epoch")
    with pytest.raises(InvalidValue, match=r"smoothing must be between 0 and 0\.99"):
        chart(ident, "a/x", show=False, smoothing=2)
    with pytest.raises(nepnb.exceptions.InvalidPath):
        chart(ident, "a//x", show=False)


def test_live_feed_pushes_while_the_loop_appends_and_ends_when_the_run_stops(
    open_run: Callable[..., nepnb.Run],
) -> None:
    run = open_run(flush_period=0.3)
    widget = run["loss"].chart(show=False)
    sent = Sent()
    widget.send = sent  # type: ignore[method-assign]
    assert widget.live and isinstance(widget.feed, LiveFeed) and widget.feed.running
    totals = []
    deadline = time.monotonic() + 2.0
    step = 0
    while time.monotonic() < deadline:  # a training loop: the feed runs beside it
        for _ in range(1000):
            run["loss"].append(1.0 / (1 + step))
            step += 1
        time.sleep(0.01)
        pushed = sent.of_type("series")
        if pushed:
            totals.append(pushed[-1]["data"]["total"])
    assert len(set(totals)) >= 3, totals  # the pushed series grew while the loop ran
    assert totals == sorted(totals)
    assert all(len(m["data"]["x"]) <= MAX_BUCKETS_PER_MESSAGE for m in sent.of_type("series"))
    run.stop()
    deadline = time.monotonic() + 5
    while widget.feed.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not widget.feed.running and widget.live is False
    assert sent.of_type("series")[-1]["data"]["total"] == step  # the last points too


def test_closing_the_widget_stops_its_feed(open_run: Callable[..., nepnb.Run]) -> None:
    run = open_run()
    run["loss"].append(1.0)
    widget = run["loss"].chart(show=False)
    assert widget.feed is not None and widget.feed.running
    widget.close()
    assert not widget.feed.running


def test_the_feed_skips_series_that_did_not_change(open_run: Callable[..., nepnb.Run]) -> None:
    run = open_run()
    run["a"].append(1.0)
    run["b"].append(1.0)
    widget = chart(run, ["a", "b"], show=False, live=False)
    widget.send = Sent()  # type: ignore[method-assign]
    feed = LiveFeed(widget)
    assert feed.tick(widget) == 2
    assert feed.tick(widget) == 0
    run["b"].append(2.0)
    assert feed.tick(widget) == 1  # the run changed (a cheap mark per run): only b is new
    assert feed.tick(widget, force=True) == 2


def test_picture_and_summary(nepnb_home: object) -> None:
    first, second = stored_run("one", 400), stored_run("two", 400, offset=2.0)
    widget = chart([first, second], "a/x", show=False)
    image = Image.open(io.BytesIO(widget.picture()))
    assert image.format == "PNG" and image.size[0] == 720
    colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20)}
    assert (0x4E, 0x79, 0xA7) in colours and (0xF2, 0x8E, 0x2B) in colours  # both lines
    summary = widget.summary()
    assert f"{first} (one) a/x: 400 points, step 0 to 399, last 0.99" in summary
    bundle = widget._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/plain", "image/png"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id


def test_a_widget_needs_distinct_series(nepnb_home: object) -> None:
    ident = stored_run("r", 10)
    with pytest.raises(InvalidValue, match="named twice"):
        chart([ident, ident], "a/x", show=False)
    assert isinstance(chart(ident, "a/x", show=False), ChartWidget)


def test_outside_ipython_showing_prints_the_summary(
    nepnb_home: object, capsys: pytest.CaptureFixture[str]
) -> None:
    ident = stored_run("r", 10)
    chart(ident, "a/x")
    assert capsys.readouterr().out.endswith(
        f"a/x: 10 points, step 0 to 9, last {np.sin(9 / 50):.6g}\n"
    )
