"""The runs API of the server extension through a real Jupyter server (pytest-jupyter).

Runs are logged with the real client (sync mode) into the store the server uses
(``NEPNB_HOME``); every reply is checked against the interfaces of labextension/src/api.ts.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tornado.httpclient import HTTPResponse

import nepnb
from nepnb.jupyter.settings import SETTINGS_FILE
from nepnb.notebooks import default_author
from tests.helpers import QUIET, REPO_ROOT
from tests.helpers.jupyter_api import call

PROJECT = "team/cls"


# -- helpers --------------------------------------------------------------------------------


def interface(name: str) -> tuple[set[str], set[str]]:
    """The required and optional property names of a TypeScript interface of api.ts."""
    source = (REPO_ROOT / "labextension/src/api.ts").read_text()
    body = re.search(rf"export interface {name} \{{(.*?)\n\}}", source, re.S)
    assert body, f"no interface {name} in api.ts"
    text = re.sub(r"/\*.*?\*/", "", body.group(1), flags=re.S)
    found = re.findall(r"^\s*(\w+)(\??):", text, re.M)
    return {n for n, q in found if not q}, {n for n, q in found if q}


def assert_shape(data: dict[str, Any], name: str) -> None:
    required, optional = interface(name)
    assert required <= data.keys() <= required | optional, (name, sorted(data))


def reply(response: HTTPResponse, status: int = 200) -> Any:
    assert response.code == status, (response.code, response.body)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


def error(response: HTTPResponse, status: int) -> str:
    message = reply(response, status)["message"]
    assert isinstance(message, str) and message
    return message


async def runs(jp_fetch: Any, **params: str) -> dict[str, Any]:
    data = reply(await call(jp_fetch, "runs", params={"project": PROJECT, **params}))
    assert_shape(data, "IRunsReply")
    for row in data["runs"]:
        assert_shape(row, "IRunRow")
    return data


async def series(jp_fetch: Any, run: str, **params: str) -> dict[str, Any]:
    response = await call(jp_fetch, "runs", run, "series", params={"project": PROJECT, **params})
    data = reply(response)
    assert_shape(data, "ISeriesBuckets")
    return data


def log_run(name: str, *, tags: list[str], lr: float, loss: list[float]) -> str:
    run = nepnb.init_run(project=PROJECT, mode="sync", name=name, tags=tags, **QUIET)
    run["params/lr"] = lr
    run["metrics/loss"].extend(loss)
    sys_id = str(run["sys/id"].fetch())
    run.stop()
    return sys_id


@pytest.fixture
def three_runs(nepnb_home: Path) -> list[str]:
    return [
        log_run("first", tags=["a", "b"], lr=0.1, loss=[3.0, 2.0, 1.5]),
        log_run("second", tags=["a"], lr=0.01, loss=[4.0, math.nan]),
        log_run("third", tags=["b", "a", "c"], lr=0.5, loss=[2.0, 1.0, 0.5, 0.25]),
    ]


# -- the runs table -------------------------------------------------------------------------


async def test_runs_are_listed_newest_first_with_their_sys_fields(jp_fetch, three_runs) -> None:
    data = await runs(jp_fetch, columns="params/lr,metrics/loss,nothing/here")
    assert data["project"] == PROJECT and data["truncated"] is False
    assert [row["id"] for row in data["runs"]] == ["CLS-3", "CLS-2", "CLS-1"]
    newest = data["runs"][0]
    assert newest["name"] == "third" and newest["tags"] == ["a", "b", "c"]
    assert newest["state"] == "inactive" and newest["owner"]
    assert newest["failed"] is False and newest["crashed"] is False
    created = datetime.fromisoformat(newest["creation_time"])
    assert created.tzinfo is not None
    # an hour's slack catches a time zone read wrongly, whatever the machine's load
    assert datetime.now(timezone.utc) - timedelta(hours=1) < created <= datetime.now(timezone.utc)
    assert newest["columns"] == {"params/lr": 0.5, "metrics/loss": 0.25, "nothing/here": None}
    # A float series' last value; NaN is not JSON: null.
    assert data["runs"][1]["columns"]["metrics/loss"] is None
    assert data["runs"][2]["columns"]["metrics/loss"] == 1.5
    paths = {entry["path"]: entry["type"] for entry in data["paths"]}
    assert paths["metrics/loss"] == "floatSeries" and paths["params/lr"] == "float"
    assert paths["sys/tags"] == "stringSet" and paths["sys/creation_time"] == "datetime"
    assert "nothing/here" not in paths
    for entry in data["paths"]:
        assert_shape(entry, "IFieldPath")
    # Without columns: the same runs, no columns.
    assert all(row["columns"] == {} for row in (await runs(jp_fetch))["runs"])


async def test_runs_filter_by_query_and_tags_sort_and_limit(
    jp_fetch, three_runs, nepnb_home: Path
) -> None:
    async def ids(**params: str) -> list[str]:
        return [row["id"] for row in (await runs(jp_fetch, **params))["runs"]]

    assert await ids(query="`params/lr`:float >= 0.1") == ["CLS-3", "CLS-1"]
    assert await ids(query="`metrics/loss`:floatSeries < 1") == ["CLS-3"]
    assert await ids(tags="b") == ["CLS-3", "CLS-1"]
    assert await ids(tags="a,c") == ["CLS-3"]
    assert await ids(tags="a", query='`sys/name`:string = "first"') == ["CLS-1"]
    assert await ids(tags='weird "tag\\') == []
    assert await ids(sort="params/lr", ascending="true") == ["CLS-2", "CLS-1", "CLS-3"]
    assert await ids(sort="params/lr") == ["CLS-3", "CLS-1", "CLS-2"]
    assert await ids(sort="sys/name", ascending="1") == ["CLS-1", "CLS-2", "CLS-3"]
    cut = await runs(jp_fetch, limit="2")
    assert [row["id"] for row in cut["runs"]] == ["CLS-3", "CLS-2"] and cut["truncated"] is True
    assert (await runs(jp_fetch, limit="3"))["truncated"] is False
    # Only the listed runs' paths are offered.
    only_second = await runs(jp_fetch, query='`sys/name`:string = "second"')
    assert {e["path"] for e in only_second["paths"]} >= {"params/lr", "sys/id"}
    # Another project is another table; an unknown one is empty.
    other = reply(await call(jp_fetch, "runs", params={"project": "team/other"}))
    assert other == {
        "project": "team/other",
        "store": "local",
        "location": str(nepnb_home),
        "runs": [],
        "paths": [],
        "truncated": False,
    }


async def test_runs_table_refuses_bad_arguments(jp_fetch, three_runs) -> None:
    async def refused(**params: str) -> str:
        response = await call(jp_fetch, "runs", params={"project": PROJECT, **params})
        return error(response, 400)

    # The message points into the query as the user wrote it.
    assert "(column 15)" in await refused(query="`params/lr` > AND")
    assert "`params/lr` > AND" in await refused(query="`params/lr` > AND", tags="a")
    assert "limit" in await refused(limit="many")
    assert "between 1 and 10,000" in await refused(limit="0")
    assert "ascending" in await refused(ascending="maybe")
    assert "workspace/project" in await refused(project="no-slash")


async def test_a_run_left_running_by_a_dead_process_is_marked_crashed(
    jp_fetch, nepnb_home: Path
) -> None:
    code = textwrap.dedent(
        f"""
        import os, nepnb
        run = nepnb.init_run(project={PROJECT!r}, mode="sync", name="killed", **{QUIET!r})
        run["metrics/loss"].append(1.0)
        os._exit(0)
        """
    )
    env = {**os.environ, "NEPNB_HOME": str(nepnb_home)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    [row] = (await runs(jp_fetch))["runs"]
    assert row["name"] == "killed"
    assert row["crashed"] is True and row["state"] == "inactive"


# -- one run --------------------------------------------------------------------------------


async def test_run_detail_lists_every_field_without_blobs(
    jp_fetch, nepnb_home: Path, tmp_path: Path
) -> None:
    weights = tmp_path / "weights.pt"
    weights.write_bytes(b"\x00" * 2_000)
    run = nepnb.init_run(project=PROJECT, mode="sync", name="detailed", tags=["x"], **QUIET)
    run["params"] = {"lr": 0.1, "layers": 3, "nan": math.nan, "cosine": True}
    run["when"] = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    run["metrics/loss"].extend([3.0, 2.0, 1.0], steps=[10, 20, 35])
    run["metrics/empty"].extend([1.0])
    run["metrics/empty"].clear()
    run["logs/lines"].extend(["one", "two"])
    run["model/weights"].upload(str(weights))
    run["data/files"].upload_files(str(weights))
    run.stop()

    response = await call(jp_fetch, "runs", "CLS-1", params={"project": PROJECT})
    data = reply(response)
    assert_shape(data, "IRunDetail")
    assert (data["project"], data["id"], data["name"], data["state"]) == (
        PROJECT, "CLS-1", "detailed", "inactive",
    )  # fmt: skip
    for entry in data["fields"]:
        assert_shape(entry, "IRunField")
    fields = {entry["path"]: entry for entry in data["fields"]}
    assert [entry["path"] for entry in data["fields"]] == sorted(fields)
    assert fields["params/lr"] == {"path": "params/lr", "type": "float", "value": 0.1}
    assert fields["params/layers"]["value"] == 3 and fields["params/layers"]["type"] == "int"
    assert fields["params/nan"]["value"] is None
    assert fields["params/cosine"]["value"] is True
    assert fields["when"]["value"] == "2026-01-02T03:04:05+00:00"
    assert fields["metrics/loss"] == {
        "path": "metrics/loss",
        "type": "floatSeries",
        "value": 1.0,
        "count": 3,
        "first_step": 10.0,
        "last_step": 35.0,
    }
    assert fields["metrics/empty"]["count"] == 0
    assert (
        fields["metrics/empty"]["first_step"] is None and fields["metrics/empty"]["value"] is None
    )
    assert fields["logs/lines"]["value"] == "two" and fields["logs/lines"]["count"] == 2
    assert fields["model/weights"]["type"] == "file"
    assert fields["model/weights"]["value"] == "weights.pt (2.0 kB)"
    assert fields["data/files"]["type"] == "fileSet"
    assert fields["data/files"]["value"] == ["weights.pt (2.0 kB)"]
    assert fields["sys/tags"]["value"] == ["x"]
    assert fields["sys/state"]["type"] == "experimentState"
    assert "digest" not in response.body.decode()

    missing = await call(jp_fetch, "runs", "CLS-9", params={"project": PROJECT})
    assert "CLS-9" in error(missing, 404)
    elsewhere = await call(jp_fetch, "runs", "CLS-1", params={"project": "team/other"})
    assert error(elsewhere, 404)


# -- chart data -----------------------------------------------------------------------------

N = 50_001  # steps 0..50,000: over several store chunks; 100 buckets are 500 steps wide


@pytest.fixture
def long_series(nepnb_home: Path) -> tuple[str, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    values = rng.standard_normal(N).cumsum()
    values[[7, 12_345]] = np.nan
    values[[8, 40_000]] = [np.inf, -np.inf]
    times = 1.8e9 + np.arange(N) * 0.5
    run = nepnb.init_run(project=PROJECT, mode="sync", **QUIET)
    run["metrics/loss"].extend(
        values.tolist(), steps=np.arange(N, dtype=float).tolist(), timestamps=times.tolist()
    )
    run["logs/text"].append("not a number")
    sys_id = str(run["sys/id"].fetch())
    run.stop()
    return sys_id, values, times


def summary(groups: list[np.ndarray]) -> dict[str, list[Any]]:
    """min and max of the finite values, last value and size of each group (null where
    not finite): what the buckets of those groups of points must say."""

    def json_value(v: float) -> float | None:
        return float(v) if math.isfinite(v) else None

    finite = [g[np.isfinite(g)] for g in groups]
    return {
        "min": [json_value(f.min()) for f in finite],
        "max": [json_value(f.max()) for f in finite],
        "last": [json_value(g[-1]) for g in groups],
        "count": [len(g) for g in groups],
    }


def whole_series_groups(values: np.ndarray) -> list[np.ndarray]:
    """Steps 0..50,000 in 100 buckets: 500 steps each, the last one also holds step 50,000."""
    return [values[i : i + 500] for i in range(0, 49_500, 500)] + [values[49_500:]]


async def test_series_buckets_hold_the_min_max_and_last_of_each_bucket(
    jp_fetch, long_series
) -> None:
    run, values, _ = long_series
    data = await series(jp_fetch, run, path="metrics/loss", buckets="100")
    assert (data["run"], data["path"], data["x_axis"]) == (run, "metrics/loss", "step")
    assert data["total"] == data["in_range"] == N and data["exact"] is False
    assert data["extent"] == [0, N - 1]
    assert {key: data[key] for key in ("min", "max", "last", "count")} == summary(
        whole_series_groups(values)
    )
    assert data["x"] == [*(float(i) for i in range(499, N - 501, 500)), N - 1.0]
    # The default is 1,000 buckets.
    assert len((await series(jp_fetch, run, path="metrics/loss"))["x"]) == 1000


async def test_a_zoomed_range_reads_its_buckets_and_the_points_around_it(
    jp_fetch, long_series
) -> None:
    run, values, _ = long_series
    data = await series(
        jp_fetch, run, path="metrics/loss", buckets="10", start="10000.5", end="20000.5"
    )
    assert data["in_range"] == 10_000 and data["total"] == N and data["extent"] == [0, N - 1]
    inner = {key: data[key][1:-1] for key in ("min", "max", "last", "count")}
    # Steps 10,001..20,000 are in range: 10 buckets of 1,000 steps, edges at 11,000.5 ...
    assert inner == summary([values[i : i + 1000] for i in range(10_001, 20_001, 1000)])
    # The nearest point on each side, on its own.
    assert data["x"][0] == 10_000 and data["last"][0] == values[10_000] and data["count"][0] == 1
    assert data["x"][-1] == 20_001 and data["last"][-1] == values[20_001] and data["count"][-1] == 1
    # Few enough points: they come as they are.
    exact = await series(jp_fetch, run, path="metrics/loss", buckets="100", start="5", end="12")
    assert exact["exact"] is True and exact["in_range"] == 8
    assert exact["x"] == [float(x) for x in range(4, 14)]
    assert exact["last"][1:-1] == [None if not math.isfinite(v) else v for v in values[5:13]]


async def test_series_along_time(jp_fetch, long_series) -> None:
    run, values, times = long_series
    data = await series(jp_fetch, run, path="metrics/loss", buckets="100", x="time")
    assert data["x_axis"] == "time"
    assert data["extent"] == [times[0], times[-1]]
    assert {key: data[key] for key in ("min", "max", "last", "count")} == summary(
        whole_series_groups(values)
    )
    assert data["x"][-1] == times[-1] and data["x"][0] == times[499]
    zoomed = await series(
        jp_fetch, run, path="metrics/loss", x="time", buckets="5000",
        start=str(times[100]), end=str(times[200]),
    )  # fmt: skip
    assert zoomed["exact"] is True and zoomed["x"] == times[99:202].tolist()


async def test_series_requests_that_cannot_be_answered(jp_fetch, long_series) -> None:
    run, _, _ = long_series

    async def refused(status: int, *, run_id: str = run, **params: str) -> str:
        response = await call(
            jp_fetch, "runs", run_id, "series", params={"project": PROJECT, **params}
        )
        return error(response, status)

    assert "'logs/text' is a StringSeries" in await refused(400, path="logs/text")
    assert "'nope'" in await refused(404, path="nope")
    assert "?path=" in await refused(400)
    assert "CLS-404" in await refused(404, run_id="CLS-404", path="metrics/loss")
    for bad in ("0", "10001", "-3"):
        assert "between 1 and 10,000" in await refused(400, path="metrics/loss", buckets=bad)
    assert "whole number" in await refused(400, path="metrics/loss", buckets="ten")
    assert "x axis" in await refused(400, path="metrics/loss", x="epoch")
    assert "?start=" in await refused(400, path="metrics/loss", start="soon")
    assert "finite" in await refused(400, path="metrics/loss", end="inf")
    assert "must not be after end" in await refused(400, path="metrics/loss", start="9", end="1")


# -- settings -------------------------------------------------------------------------------


async def test_settings_keep_the_token_on_the_server(jp_fetch, nepnb_home: Path) -> None:
    log_run("any", tags=[], lr=0.1, loss=[1.0])
    data = reply(await call(jp_fetch, "settings"))
    assert_shape(data, "IServerSettings")
    assert data == {
        "project": "local/default",
        "server_url": "",
        "has_token": False,
        "token_from_environment": False,
        "store": "local",
        "location": str(nepnb_home),
        "author": default_author(nepnb_home),
        "projects": [PROJECT],
        "error": None,
    }
    secret = "c2VjcmV0LXRva2VuLXRoYXQtbXVzdC1zdGF5"
    response = await call(
        jp_fetch,
        "settings",
        method="PUT",
        body={"server_url": " https://track.example.com/ ", "token": secret},
    )
    data = reply(response)
    assert data["server_url"] == "https://track.example.com" and data["has_token"] is True
    assert secret not in response.body.decode()
    file = nepnb_home / SETTINGS_FILE
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert json.loads(file.read_text())["token"] == secret
    again = await call(jp_fetch, "settings")
    assert reply(again)["has_token"] is True and secret not in again.body.decode()

    # Each setting changes alone; null (or "") forgets the token.
    data = reply(await call(jp_fetch, "settings", method="PUT", body={"server_url": ""}))
    assert data["server_url"] == "" and data["has_token"] is True
    data = reply(await call(jp_fetch, "settings", method="PUT", body={"token": None}))
    assert data["has_token"] is False
    assert json.loads(file.read_text())["token"] is None
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"server_url": "track.example.com"}, "not an http(s) address"),
        ({"server_url": 5}, "server_url must be text"),
        ({"token": 5}, "token must be text"),
        ({"project": "a/b"}, "unknown setting(s) project"),
        ("[1, 2]", "must be a JSON object"),
        ("{not json", "not JSON"),
    ],
)
async def test_bad_settings_are_refused(
    jp_fetch, nepnb_home: Path, body: Any, message: str
) -> None:
    response = await call(jp_fetch, "settings", method="PUT", body=body)
    assert message in error(response, 400)
    assert not (nepnb_home / SETTINGS_FILE).exists()


# -- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "parts"),
    [
        ("GET", ("runs",)),
        ("GET", ("runs", "CLS-1")),
        ("GET", ("runs", "CLS-1", "series")),
        ("GET", ("settings",)),
        ("PUT", ("settings",)),
    ],
)
async def test_nothing_answers_without_authentication(
    jp_fetch, three_runs, nepnb_home: Path, method: str, parts: tuple[str, ...]
) -> None:
    response = await call(
        jp_fetch,
        *parts,
        method=method,
        params={"project": PROJECT, "path": "metrics/loss"},
        body={"token": "stolen"} if method == "PUT" else None,
        headers={"Authorization": "token not-the-right-one"},
    )
    assert response.code == 403
    assert b"CLS" not in response.body and b"loss" not in response.body
    assert not (nepnb_home / SETTINGS_FILE).exists()
