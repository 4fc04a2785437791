"""Tables of runs: fetch_runs_table filters, NQL queries, columns, sorting, limits, pandas."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import nepnb as neptune
from nepnb.exceptions import NepnbError, ProjectNotFound
from tests.helpers.client import QUIET

PROJECT = "team/tables"


@pytest.fixture
def project(objects: list[Any]) -> Any:
    """Four runs in PROJECT (TAB-1 … TAB-4), TAB-2 still running, and the project read-only.

    ======  ====  ==========  =====  ====  ========  ============  =========
    run     name  tags        acc    n     loss      opt           extra
    ======  ====  ==========  =====  ====  ========  ============  =========
    TAB-1   r0    all, even   0.0    0     1, 1      "sgd"         —
    TAB-2   r1    all, odd    0.1    1     1, 0.5    "adam"        —
    TAB-3   r2    all, even   0.2    2     1, 0.33   "adam-w"      —
    TAB-4   r3    all, odd    NaN    2^62+1  1, 0.25  "sgd"        "only"
    ======  ====  ==========  =====  ====  ========  ============  =========
    """
    for i in range(4):
        run = neptune.init_run(
            project=PROJECT,
            mode="sync",
            name=f"r{i}",
            tags=["all", "even" if i % 2 == 0 else "odd"],
            **QUIET,
        )
        objects.append(run)
        run["acc"] = i / 10 if i < 3 else math.nan
        run["n"] = i if i < 3 else 2**62 + 1
        run["loss"].extend([1.0, 1.0 / (i + 1)])
        run["opt"] = ["sgd", "adam", "adam-w", "sgd"][i]
        run["log"].append(f"line {i}")
        run["flag"] = i % 2 == 0
        if i == 3:
            run["extra"] = "only"
        if i != 1:
            run.stop()
    opened = neptune.init_project(project=PROJECT, mode="read-only")
    objects.append(opened)
    return opened


def ids(table: Any) -> list[str]:
    frame = table.to_pandas()
    return frame["sys/id"].tolist() if len(frame) else []


def key_of(project: Any) -> str:
    return project["sys/id"].fetch()


def names(table: Any) -> list[str]:
    frame = table.to_pandas()
    return frame["sys/name"].tolist() if len(frame) else []


# the DataFrame ---------------------------------------------------------------------------


def test_to_pandas_columns_and_values(project: Any) -> None:
    frame = project.fetch_runs_table(sort_by="sys/name", ascending=True).to_pandas()
    assert isinstance(frame.index, pd.RangeIndex) and len(frame) == 4
    columns = list(frame.columns)
    sys_columns = [c for c in columns if c.startswith("sys/")]
    monitoring = [c for c in columns if c.startswith("monitoring/")]
    others = [c for c in columns if c not in sys_columns and c not in monitoring]
    # sys/* first, then the others, then monitoring/*, each group sorted.
    assert columns == sorted(sys_columns) + sorted(others) + sorted(monitoring)
    assert {"sys/id", "sys/name", "sys/tags", "sys/state", "sys/owner"} <= set(sys_columns)
    assert {"acc", "n", "loss", "opt", "log", "flag", "extra"} <= set(columns)

    assert frame["sys/name"].tolist() == ["r0", "r1", "r2", "r3"]
    assert frame["acc"].tolist()[:3] == [0.0, 0.1, 0.2] and math.isnan(frame["acc"][3])
    assert frame["n"].tolist() == [0, 1, 2, 2**62 + 1]  # 64-bit integers kept exactly
    assert frame["loss"].tolist() == [1.0, 0.5, 1 / 3, 0.25]  # a series gives its last value
    assert frame["log"].tolist() == ["line 0", "line 1", "line 2", "line 3"]
    assert frame["flag"].tolist() == [True, False, True, False]
    assert frame["opt"].tolist() == ["sgd", "adam", "adam-w", "sgd"]
    assert frame["sys/tags"].tolist() == ["all,even", "all,odd", "all,even", "all,odd"]
    assert frame["sys/state"].tolist() == ["Inactive", "Active", "Inactive", "Inactive"]
    assert frame["extra"][3] == "only"
    assert frame["extra"][:3].isna().all()


def test_rows_of_a_table(project: Any) -> None:
    table = project.fetch_runs_table(sort_by="n", ascending=True)
    assert len(table) == 4
    rows = list(table)
    assert [row["loss"].get() for row in rows] == [1.0, 0.5, 1 / 3, 0.25]
    assert table.to_rows()[0]["sys/tags"].get() == {"all", "even"}
    assert rows[0]["sys/name"].get() == "r0"


def test_file_fields_are_not_columns(project: Any, objects: list[Any], tmp_path: Any) -> None:
    (tmp_path / "f.txt").write_text("x")
    run = neptune.init_run(project=PROJECT, mode="sync", name="with-file", **QUIET)
    objects.append(run)
    run["artifact/file"].upload(str(tmp_path / "f.txt"))
    run["artifact/set"].upload_files(str(tmp_path / "f.txt"))
    frame = project.fetch_runs_table().to_pandas()
    assert "artifact/file" not in frame.columns
    assert "artifact/set" not in frame.columns


# sorting and limits ----------------------------------------------------------------------


def test_default_order_is_newest_first(project: Any) -> None:
    assert names(project.fetch_runs_table()) == ["r3", "r2", "r1", "r0"]
    assert names(project.fetch_runs_table(ascending=True)) == ["r0", "r1", "r2", "r3"]


def test_sort_by_a_field(project: Any) -> None:
    assert names(project.fetch_runs_table(sort_by="opt", ascending=True))[:2] == ["r1", "r2"]
    assert names(project.fetch_runs_table(sort_by="loss")) == ["r0", "r1", "r2", "r3"]
    assert names(project.fetch_runs_table(sort_by="loss", ascending=True)) == [
        "r3",
        "r2",
        "r1",
        "r0",
    ]


def test_runs_without_the_sort_field_come_last(project: Any) -> None:
    # acc is NaN for r3, extra exists for r3 only.
    assert names(project.fetch_runs_table(sort_by="acc"))[-1] == "r3"
    assert names(project.fetch_runs_table(sort_by="acc", ascending=True))[-1] == "r3"
    assert names(project.fetch_runs_table(sort_by="extra"))[0] == "r3"
    assert names(project.fetch_runs_table(sort_by="extra", ascending=True))[0] == "r3"


def test_limit(project: Any) -> None:
    assert names(project.fetch_runs_table(limit=2)) == ["r3", "r2"]
    assert names(project.fetch_runs_table(limit=1, sort_by="n", ascending=True)) == ["r0"]
    assert len(project.fetch_runs_table(limit=100)) == 4
    for bad in (0, -1):
        with pytest.raises(ValueError, match="limit"):
            project.fetch_runs_table(limit=bad)


# filters ---------------------------------------------------------------------------------


def test_filter_by_id(project: Any) -> None:
    key = key_of(project)
    assert ids(project.fetch_runs_table(id=f"{key}-2")) == [f"{key}-2"]
    assert ids(project.fetch_runs_table(id=[f"{key}-1", f"{key}-3"], ascending=True)) == [
        f"{key}-1",
        f"{key}-3",
    ]
    assert ids(project.fetch_runs_table(id="NOPE-1")) == []


def test_filter_by_state(project: Any) -> None:
    assert names(project.fetch_runs_table(state="active")) == ["r1"]
    assert names(project.fetch_runs_table(state="inactive")) == ["r3", "r2", "r0"]
    assert names(project.fetch_runs_table(state=["Active", "INACTIVE"])) == ["r3", "r2", "r1", "r0"]
    with pytest.raises(ValueError, match="running"):
        project.fetch_runs_table(state="running")


def test_filter_by_owner(project: Any) -> None:
    owner = project.fetch_runs_table().to_pandas()["sys/owner"][0]
    assert len(project.fetch_runs_table(owner=owner)) == 4
    assert len(project.fetch_runs_table(owner=[owner, "someone-else"])) == 4
    assert len(project.fetch_runs_table(owner="someone-else")) == 0


def test_filter_by_tags_requires_all_of_them(project: Any) -> None:
    assert names(project.fetch_runs_table(tag="even")) == ["r2", "r0"]
    assert names(project.fetch_runs_table(tag=["all", "odd"])) == ["r3", "r1"]
    assert names(project.fetch_runs_table(tag=["even", "odd"])) == []


def test_filters_combine(project: Any) -> None:
    assert names(project.fetch_runs_table(tag="odd", state="inactive")) == ["r3"]


def test_trashed(project: Any) -> None:
    assert len(project.fetch_runs_table(trashed=False)) == 4
    assert len(project.fetch_runs_table(trashed=True)) == 0
    assert len(project.fetch_runs_table(trashed=None)) == 4


# NQL -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("`acc`:float > 0.05", ["r2", "r1"]),
        ("`acc`:float >= 0.1 AND `acc`:float < 0.2", ["r1"]),
        ("`n`:int = 2", ["r2"]),
        (f"`n`:int = {2**62 + 1}", ["r3"]),
        ("`loss`:floatSeries < 0.4", ["r3", "r2"]),
        ('`opt`:string = "sgd"', ["r3", "r0"]),
        ('`opt`:string != "sgd"', ["r2", "r1"]),
        ('`opt`:string CONTAINS "adam"', ["r2", "r1"]),
        ('`opt`:string MATCHES "^adam$"', ["r1"]),
        ('`sys/tags`:stringSet CONTAINS "even"', ["r2", "r0"]),
        ('`sys/name`:string = "r2" OR `n`:int = 0', ["r2", "r0"]),
        ('NOT `sys/tags`:stringSet CONTAINS "even"', ["r3", "r1"]),
        ("`extra`:string EXISTS", ["r3"]),
        ("`extra`:string NOT EXISTS", ["r2", "r1", "r0"]),
        ("`flag`:bool = true", ["r2", "r0"]),
        ("`sys/state`:experimentState = running", ["r1"]),
        ('(`opt`:string = "sgd") AND (`flag`:bool = false)', ["r3"]),
        ("`acc`:float > 100", []),
        ('`log`:stringSeries = "line 3"', ["r3"]),
        ('`sys/creation_time`:datetime > "-1d"', ["r3", "r2", "r1", "r0"]),
    ],
)
def test_nql_queries(project: Any, query: str, expected: list[str]) -> None:
    assert names(project.fetch_runs_table(query=query)) == expected


def test_nan_matches_no_comparison(project: Any) -> None:
    assert "r3" not in names(project.fetch_runs_table(query="`acc`:float = NaN"))
    assert "r3" not in names(project.fetch_runs_table(query="`acc`:float < 1"))


def test_query_with_columns_sort_and_limit(project: Any) -> None:
    table = project.fetch_runs_table(
        query='`sys/tags`:stringSet CONTAINS "all"',
        columns=["acc"],
        sort_by="n",
        ascending=True,
        limit=3,
    )
    frame = table.to_pandas()
    assert set(frame.columns) == {"sys/id", "acc", "n"}
    assert frame["n"].tolist() == [0, 1, 2]


def test_a_bad_query_says_where(project: Any) -> None:
    with pytest.raises(NepnbError, match="===="):
        project.fetch_runs_table(query="`n`:int ==== 1")
    with pytest.raises(ValueError):
        project.fetch_runs_table(query="(`n`:int = 1")


def test_query_cannot_be_mixed_with_filters(project: Any) -> None:
    for extra in ({"id": "X-1"}, {"state": "active"}, {"owner": "me"}, {"tag": "t"}):
        with pytest.raises(ValueError, match="query"):
            project.fetch_runs_table(query="`n`:int = 1", **extra)


# columns ---------------------------------------------------------------------------------


def test_columns_select_fields(project: Any) -> None:
    frame = project.fetch_runs_table(columns=["acc", "loss"]).to_pandas()
    assert set(frame.columns) == {"sys/id", "sys/creation_time", "acc", "loss"}
    assert frame.columns[0] == "sys/creation_time" or frame.columns[0] == "sys/id"
    assert frame["loss"].tolist() == [0.25, 1 / 3, 0.5, 1.0]


def test_a_missing_column_is_empty(project: Any) -> None:
    frame = project.fetch_runs_table(columns=["no/such/field"]).to_pandas()
    assert "no/such/field" in frame.columns
    assert frame["no/such/field"].isna().all()
    assert len(frame) == 4


def test_columns_with_sort_by(project: Any) -> None:
    frame = project.fetch_runs_table(columns=["acc"], sort_by="n", ascending=True).to_pandas()
    assert set(frame.columns) == {"sys/id", "acc", "n"}
    assert frame["n"].tolist() == [0, 1, 2, 2**62 + 1]


def test_empty_project(objects: list[Any]) -> None:
    with pytest.raises(ProjectNotFound, match="team/empty"):
        neptune.init_project(project="team/empty", mode="read-only")
    empty = neptune.init_project(project="team/empty")  # opened to write: created
    objects.append(empty)
    table = empty.fetch_runs_table()
    assert len(table) == 0
    assert len(table.to_pandas()) == 0
    frame = empty.fetch_runs_table(columns=["acc"]).to_pandas()
    assert len(frame) == 0 and "acc" in frame.columns


def test_tables_see_async_writes_after_wait(project: Any, objects: list[Any]) -> None:
    run = neptune.init_run(project=PROJECT, mode="async", name="late", flush_period=60, **QUIET)
    objects.append(run)
    run["acc"] = 0.99
    run.wait()
    assert names(project.fetch_runs_table(query="`acc`:float > 0.5")) == ["late"]


def test_other_projects_are_not_listed(project: Any, objects: list[Any]) -> None:
    run = neptune.init_run(project="team/other", mode="sync", name="elsewhere", **QUIET)
    objects.append(run)
    assert "elsewhere" not in names(project.fetch_runs_table())
