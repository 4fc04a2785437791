"""What the layers above the client read of an object: public, read-only views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nepnb.store.field_types import FieldType


def test_an_object_says_where_it_is_stored(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync", project="team/views")
    assert run.mode == "sync"
    assert run.project == "team/views"
    assert run.sys_id == run["sys/id"].fetch()
    assert run.info is not None and run.info.sys_id == run.sys_id
    assert run.store is not None and run.store.get_fields(run.info.uid, ["sys/id"])
    assert run.kind_label == "run"
    assert run.label == f"run {run.sys_id}"


@pytest.mark.parametrize("mode", ["offline", "debug"])
def test_an_object_in_no_store_says_so(new_run: Callable[..., Any], mode: str) -> None:
    run = new_run(mode=mode)
    assert (run.store, run.info, run.sys_id, run.mode) == (None, None, None, mode)
    assert run.label == f"{mode} run in {run.project}"


@pytest.mark.parametrize("mode", ["async", "sync", "offline", "debug"])
def test_an_object_says_its_name(
    new_run: Callable[..., Any], reopen: Callable[..., Any], mode: str
) -> None:
    run = new_run(mode=mode, name="walk")
    assert run.name == "walk"
    run["sys/name"] = "walk 2"
    assert run.name == "walk 2"  # at once, whether or not the store has it yet
    assert new_run(mode=mode).name == "Untitled"
    if mode in ("async", "sync"):
        run.wait()
        assert reopen(run.sys_id).name == "walk 2"  # opened by id: what the store holds


def test_the_views_cannot_be_assigned(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="debug")
    for name in ("store", "mode", "project", "sys_id", "info", "name"):
        with pytest.raises(AttributeError):
            setattr(run, name, None)


def test_field_type_is_what_the_object_knows(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync")
    run["lr"] = 0.1
    run["loss"].append(1.0)
    assert run.field_type("lr") is FieldType.FLOAT
    assert run.field_type("loss") is FieldType.FLOAT_SERIES
    assert run.field_type("nothing/here") is None


def test_unflushed_points_are_readable_until_the_writer_takes_them(
    new_run: Callable[..., Any],
) -> None:
    run = new_run(mode="async", flush_period=3600)
    handed, waiting = run.write_progress()
    for value in (0.5, 0.25, 0.125):
        run["loss"].append(value)
    run["other"].append(1.0)
    buffers = run.pending_series("loss")
    assert buffers and all(buffer.path == "loss" for buffer in buffers)
    assert sum(buffer.points() for buffer in buffers) == 3
    assert run.write_progress() == (handed, waiting + 4)
    assert run.queued_writes() >= 4
    run.wait()
    assert run.pending_series("loss") == []
    assert run.write_progress()[0] >= handed + 4
    assert not run.writes_in_transit()


def test_internal_writes_are_not_counted_as_the_users(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync")
    before = run.user_writes()
    run.assign_internal("notebook/note", FieldType.STRING, "by nepnb")
    assert run.log_internal("notebook/cells/a", FieldType.STRING_SERIES, "x", 0.0)
    assert not run.log_internal("notebook/cells/a", FieldType.STRING_SERIES, "y", 0.0)
    assert run.user_writes() == before
    run["mine"] = 1
    assert run.user_writes() == before + 1
    assert run["notebook/note"].fetch() == "by nepnb"
