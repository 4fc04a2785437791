"""The Store contract: every store implementation must pass these tests."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from nepnb.exceptions import InvalidProjectName, MissingField, ObjectNotFound, ProjectNotFound
from nepnb.store.base import ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.local import CHUNK_POINTS
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

PROJECT = "team/cls"


def assign(path: str, ftype: FieldType, value: object) -> Operation:
    return Operation(OpKind.ASSIGN, path, ftype, value)


def floats(path: str, steps: list[float], values: list[float], t0: float = 1000.0) -> Operation:
    points = SeriesPoints(
        np.asarray(steps, dtype=float),
        np.asarray(values, dtype=float),
        t0 + np.arange(len(steps), dtype=float),
    )
    return Operation(OpKind.LOG, path, FieldType.FLOAT_SERIES, points)


def strings(path: str, steps: list[float], values: list[str]) -> Operation:
    points = SeriesPoints(np.asarray(steps, dtype=float), list(values), np.zeros(len(steps)))
    return Operation(OpKind.LOG, path, FieldType.STRING_SERIES, points)


def new_run(store: Store, **kwargs: object):
    return store.create_object(PROJECT, ObjectKind.RUN, **kwargs)  # type: ignore[arg-type]


# projects and objects ------------------------------------------------------------------


def test_projects_are_created_on_first_use_with_a_short_key(store: Store) -> None:
    with pytest.raises(ProjectNotFound, match="team/cls"):
        store.get_project(PROJECT)
    project = store.get_project(PROJECT, create=True)
    assert project.name == PROJECT and project.key == "CLS"
    assert store.get_project(PROJECT) == project
    other = store.get_project("team/image-classification", create=True)
    assert other.key == "IC"
    assert [p.name for p in store.list_projects()] == ["team/cls", "team/image-classification"]


def test_an_object_created_in_a_new_project_makes_the_project(store: Store) -> None:
    """The project and the object are made together (one transaction), key as usual."""
    run = store.create_object("team/object-detection", ObjectKind.RUN)
    assert run.sys_id == "OD-1" and run.created
    assert store.get_project("team/object-detection").key == "OD"
    with pytest.raises(InvalidProjectName, match="workspace/project"):
        store.create_object("team/", ObjectKind.RUN)


@pytest.mark.parametrize("name", ["cls", "a/b/c", "/cls", "team/", "team/c ls", "", "team/-x"])
def test_bad_project_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(InvalidProjectName, match="workspace/project"):
        store.get_project(name, create=True)


def test_runs_get_increasing_ids_per_project(store: Store) -> None:
    ids = [new_run(store).sys_id for _ in range(3)]
    assert ids == ["CLS-1", "CLS-2", "CLS-3"]
    assert store.create_object("team/other", ObjectKind.RUN).sys_id == "OTH-1"
    found = store.find_object(PROJECT, sys_id="cls-2")
    assert found.sys_id == "CLS-2" and found.kind is ObjectKind.RUN
    with pytest.raises(ObjectNotFound, match="CLS-9"):
        store.find_object(PROJECT, sys_id="CLS-9")


def test_custom_run_id_returns_the_same_run(store_factory) -> None:
    first = new_run(store_factory(), custom_run_id="nightly-42")
    second = new_run(store_factory(), custom_run_id="nightly-42")
    assert first.created and not second.created
    assert second.uid == first.uid and second.sys_id == first.sys_id
    assert store_factory().find_object(PROJECT, custom_run_id="nightly-42").uid == first.uid


def test_a_creation_with_a_given_uid_is_done_once(store_factory) -> None:
    uid = "0123456789abcdef0123456789abcdef"
    first = new_run(store_factory(), uid=uid)
    again = new_run(store_factory(), uid=uid)  # a retry after a lost answer
    assert first.created and not again.created
    assert (again.uid, again.sys_id) == (uid, "CLS-1")
    assert [o.sys_id for o in store_factory().list_objects(PROJECT, ObjectKind.RUN)] == ["CLS-1"]


def test_an_object_is_found_by_its_uid(store_factory) -> None:
    run = new_run(store_factory(), custom_run_id="nightly")
    model = store_factory().create_object(PROJECT, ObjectKind.MODEL, model_key="FOREST")
    other = store_factory()
    found = other.get_object(run.uid)
    assert (found.uid, found.project, found.kind) == (run.uid, PROJECT, ObjectKind.RUN)
    assert (found.sys_id, found.custom_run_id) == ("CLS-1", "nightly")
    assert other.get_object(model.uid).sys_id == "CLS-FOREST"
    with pytest.raises(ObjectNotFound, match="0" * 32):
        other.get_object("0" * 32)


def test_models_versions_and_the_project_object(store: Store) -> None:
    model = store.create_object(PROJECT, ObjectKind.MODEL, model_key="FOREST")
    assert model.sys_id == "CLS-FOREST"
    again = store.create_object(PROJECT, ObjectKind.MODEL, model_key="FOREST")
    assert again.uid == model.uid and not again.created
    v1 = store.create_object(PROJECT, ObjectKind.MODEL_VERSION, model_id=model.sys_id)
    v2 = store.create_object(PROJECT, ObjectKind.MODEL_VERSION, model_id=model.sys_id)
    assert (v1.sys_id, v2.sys_id) == ("CLS-FOREST-1", "CLS-FOREST-2")
    listed = store.list_objects(PROJECT, ObjectKind.MODEL_VERSION, model_id=model.sys_id)
    assert [o.sys_id for o in listed] == ["CLS-FOREST-1", "CLS-FOREST-2"]
    project = store.create_object(PROJECT, ObjectKind.PROJECT)
    assert project.sys_id == "CLS"
    assert store.create_object(PROJECT, ObjectKind.PROJECT).uid == project.uid


def test_initial_batch_is_applied_with_the_creation(store: Store) -> None:
    run = new_run(store, initial=Batch([assign("sys/name", FieldType.STRING, "baseline")]))
    fields = store.get_fields(run.uid)
    assert fields["sys/name"].value == "baseline"
    assert fields["sys/id"].value == run.sys_id
    assert fields["sys/creation_time"].type is FieldType.DATETIME


# fields ---------------------------------------------------------------------------------


def test_atoms_round_trip_exactly(store: Store) -> None:
    run = new_run(store)
    big = 2**63 - 1
    batch = Batch(
        [
            assign("a/float", FieldType.FLOAT, 0.1),
            assign("a/nan", FieldType.FLOAT, math.nan),
            assign("a/inf", FieldType.FLOAT, -math.inf),
            assign("a/int", FieldType.INT, big),
            assign("a/bool", FieldType.BOOL, False),
            assign("a/text", FieldType.STRING, "zażółć \u2603"),
            assign("a/when", FieldType.DATETIME, 1_700_000_000.25),
            assign("a/tags", FieldType.STRING_SET, ["x", "y"]),
        ]
    )
    assert store.apply(run.uid, batch).rejected == []
    fields = store.get_fields(run.uid, prefix="a")
    assert fields["a/float"].value == 0.1
    assert math.isnan(fields["a/nan"].value)
    assert fields["a/inf"].value == -math.inf
    assert fields["a/int"].value == big and fields["a/int"].type is FieldType.INT
    assert fields["a/bool"].value is False
    assert fields["a/text"].value == "zażółć \u2603"
    assert fields["a/when"].value.timestamp() == 1_700_000_000.25
    assert fields["a/tags"].value == ["x", "y"]
    assert set(store.get_fields(run.uid, ["a/int", "missing"])) == {"a/int"}


def test_type_conflicts_are_rejected_and_change_nothing(store: Store) -> None:
    run = new_run(store)
    store.apply(run.uid, Batch([assign("x", FieldType.FLOAT, 1.0), floats("s", [0], [1.0])]))
    result = store.apply(
        run.uid,
        Batch(
            [
                assign("x", FieldType.STRING, "text"),
                assign("x/child", FieldType.INT, 1),
                assign("s", FieldType.FLOAT, 2.0),
                assign("ok", FieldType.INT, 7),
            ]
        ),
    )
    assert [r.path for r in result.rejected] == ["x", "x/child", "s"]
    assert "Float" in result.rejected[0].reason and "String" in result.rejected[0].reason
    assert "nothing can be stored under it" in result.rejected[1].reason
    fields = store.get_fields(run.uid)
    assert fields["x"].value == 1.0 and fields["ok"].value == 7 and "x/child" not in fields
    assert store.read_series(run.uid, "s").values.tolist() == [1.0]


def test_a_namespace_cannot_become_a_field(store: Store) -> None:
    run = new_run(store)
    store.apply(run.uid, Batch([assign("ns/a", FieldType.INT, 1)]))
    result = store.apply(run.uid, Batch([assign("ns", FieldType.INT, 2)]))
    assert result.rejected and "namespace" in result.rejected[0].reason
    assert "ns" not in store.get_fields(run.uid)


def test_operations_of_one_batch_see_the_ones_before_them(store: Store) -> None:
    # Stores may buffer a batch's writes: each operation must still see the earlier ones.
    run = new_run(store)
    result = store.apply(
        run.uid,
        Batch(
            [
                assign("ns/a", FieldType.INT, 1),
                assign("ns", FieldType.INT, 2),  # a namespace since the operation before
                floats("s", [0, 1], [1, 2]),
                Operation(OpKind.DELETE, "s"),
                assign("s", FieldType.STRING, "was a series"),
                assign("x", FieldType.INT, 1),
                assign("x", FieldType.INT, 2),
                floats("t", [0], [5]),
                floats("t", [1, 2], [6, 7]),
                Operation(OpKind.CLEAR, "t"),
                floats("t", [3], [8]),
            ]
        ),
    )
    assert [r.path for r in result.rejected] == ["ns"]
    fields = store.get_fields(run.uid)
    assert fields["ns/a"].value == 1 and "ns" not in fields
    assert fields["s"].value == "was a series" and fields["x"].value == 2
    assert store.read_series(run.uid, "t").values.tolist() == [8.0]


def test_a_batch_with_a_failing_operation_keeps_the_others(store: Store) -> None:
    run = new_run(store)
    store.apply(run.uid, Batch([floats("s", [0], [1])]))
    result = store.apply(
        run.uid,
        Batch(
            [
                assign("before", FieldType.INT, 1),
                assign("s", FieldType.INT, 2),  # refused: s is a series
                floats("s", [1, 2], [2, 3]),
                assign("after", FieldType.INT, 3),
            ]
        ),
    )
    assert [r.path for r in result.rejected] == ["s"]
    fields = store.get_fields(run.uid)
    assert fields["before"].value == 1 and fields["after"].value == 3
    assert store.read_series(run.uid, "s").values.tolist() == [1.0, 2.0, 3.0]


def test_delete_removes_a_field_or_a_whole_namespace(store: Store) -> None:
    run = new_run(store)
    store.apply(
        run.uid,
        Batch(
            [
                assign("p/a", FieldType.INT, 1),
                floats("p/s", [0, 1], [1, 2]),
                assign("p2", FieldType.INT, 3),
            ]
        ),
    )
    store.apply(run.uid, Batch([Operation(OpKind.DELETE, "p")]))
    assert set(store.get_fields(run.uid, prefix="p")) == set()
    assert store.get_fields(run.uid)["p2"].value == 3
    with pytest.raises(MissingField):
        store.read_series(run.uid, "p/s")
    # The path is free again, for another type.
    assert (
        store.apply(run.uid, Batch([assign("p", FieldType.STRING, "now a string")])).rejected == []
    )


# series ---------------------------------------------------------------------------------


def test_float_series_round_trip_with_nan_and_inf(store: Store) -> None:
    run = new_run(store)
    values = [0.5, math.nan, math.inf, -math.inf, -0.0]
    store.apply(run.uid, Batch([floats("loss", [0, 1, 2, 3, 4], values)]))
    data = store.read_series(run.uid, "loss")
    assert data.steps.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(data.values, np.asarray(values))
    assert data.timestamps.tolist() == [1000, 1001, 1002, 1003, 1004]
    meta = store.get_fields(run.uid, ["loss"])["loss"].value
    assert meta["count"] == 5 and meta["last"] == 0.0 and meta["last_step"] == 4


def test_series_grow_across_chunks_and_batches(store: Store) -> None:
    run = new_run(store)
    total = 2 * CHUNK_POINTS + 123
    chunks = [(0, 100), (100, CHUNK_POINTS + 7), (CHUNK_POINTS + 7, total)]
    for start, end in chunks:
        steps = list(range(start, end))
        store.apply(run.uid, Batch([floats("m", steps, [s * 2.0 for s in steps])]))
    data = store.read_series(run.uid, "m")
    assert len(data) == total
    np.testing.assert_array_equal(data.steps, np.arange(total, dtype=float))
    np.testing.assert_array_equal(data.values, np.arange(total, dtype=float) * 2)


def test_non_increasing_steps_are_dropped_and_reported(store: Store) -> None:
    run = new_run(store)
    store.apply(run.uid, Batch([floats("m", [5, 6], [1, 2])]))
    result = store.apply(run.uid, Batch([floats("m", [6, 3, 7, 7, 8], [9, 9, 3, 9, 4])]))
    assert len(result.rejected) == 1
    assert "3 point(s) not stored" in result.rejected[0].reason
    assert "step 6" in result.rejected[0].reason
    data = store.read_series(run.uid, "m")
    assert data.steps.tolist() == [5, 6, 7, 8]
    assert data.values.tolist() == [1, 2, 3, 4]


def test_string_series_and_clear(store: Store) -> None:
    run = new_run(store)
    store.apply(run.uid, Batch([strings("log", [0, 1], ["hello", "wörld \n"])]))
    assert store.read_series(run.uid, "log").values == ["hello", "wörld \n"]
    store.apply(run.uid, Batch([Operation(OpKind.CLEAR, "log", FieldType.STRING_SERIES)]))
    data = store.read_series(run.uid, "log")
    assert len(data) == 0 and data.values == []
    store.apply(run.uid, Batch([strings("log", [0], ["again"])]))
    assert store.read_series(run.uid, "log").values == ["again"]


def test_configure_keeps_min_max_unit(store: Store) -> None:
    run = new_run(store)
    config = {"min": 0.0, "max": 100.0, "unit": "%"}
    store.apply(
        run.uid,
        Batch(
            [
                Operation(OpKind.CONFIGURE, "cpu", FieldType.FLOAT_SERIES, config),
                floats("cpu", [0], [3]),
            ]
        ),
    )
    meta = store.get_fields(run.uid, ["cpu"])["cpu"].value
    assert (meta["min"], meta["max"], meta["unit"], meta["last"]) == (0.0, 100.0, "%", 3.0)


def test_string_sets_and_file_sets(store: Store, tmp_path: Path) -> None:
    run = new_run(store)
    tags = "sys/tags"
    store.apply(
        run.uid,
        Batch(
            [
                Operation(OpKind.SET_ADD, tags, FieldType.STRING_SET, ["b", "a"]),
                Operation(OpKind.SET_ADD, tags, FieldType.STRING_SET, ["c"]),
                Operation(OpKind.SET_REMOVE, tags, FieldType.STRING_SET, ["b", "zzz"]),
            ]
        ),
    )
    assert store.get_fields(run.uid, [tags])[tags].value == ["a", "c"]
    digest = store.put_blob(b"weights", project=PROJECT)
    ref = {"digest": digest, "size": 7, "mtime": 0.0}
    store.apply(
        run.uid,
        Batch(
            [
                Operation(
                    OpKind.FILES_UPLOAD, "files", FieldType.FILE_SET, {"a/w.bin": ref, "b.txt": ref}
                ),
                Operation(OpKind.FILES_DELETE, "files", FieldType.FILE_SET, ["a"]),
            ]
        ),
    )
    assert list(store.get_fields(run.uid, ["files"])["files"].value) == ["b.txt"]


def test_size_is_the_same_on_every_store(store: Store) -> None:
    """``sys/size`` counts the JSON of every user field (a series' state included), 24 bytes
    a float point, the chunks of other series, and the bytes of the files named; never the
    ``sys/`` fields, which change on every write."""
    run = new_run(store)
    ref = {"digest": "a" * 64, "size": 1000, "mtime": 0.0}
    batch = Batch(
        [
            assign("params/lr", FieldType.FLOAT, 0.001),
            assign("params/epochs", FieldType.INT, 10),
            assign("params/optimizer", FieldType.STRING, "adam"),
            assign("params/nesterov", FieldType.BOOL, True),
            floats("train/loss", list(range(1000)), [1.0 / (i + 1) for i in range(1000)]),
            assign("note", FieldType.STRING, "baseline"),
            strings("log", [0, 1], ["one", "two"]),
            assign("weights", FieldType.FILE, ref),
            Operation(OpKind.FILES_UPLOAD, "data", FieldType.FILE_SET, {"a.csv": ref}),
        ]
    )
    assert store.apply(run.uid, batch).rejected == []
    size = store.get_fields(run.uid, ["sys/size"])["sys/size"]
    assert size.type is FieldType.FLOAT
    assert size.value == 26_500
    # read among the other fields, or for several objects: the same
    assert store.get_fields(run.uid)["sys/size"].value == 26_500
    empty = new_run(store)
    sizes = store.get_fields_of([run.uid, empty.uid], ["sys/size"])
    assert [sizes[uid]["sys/size"].value for uid in (run.uid, empty.uid)] == [26_500, 0]
    assert store.get_fields(run.uid, prefix="params").keys() == {
        "params/lr",
        "params/epochs",
        "params/optimizer",
        "params/nesterov",
    }


def test_fields_read_without_sizes_leave_out_sys_size_only(store: Store) -> None:
    """``sizes=False`` (what a client opening an object asks) reads every field but the one
    computed when read; the values read are the same."""
    run = new_run(store)
    batch = Batch(
        [
            assign("params/lr", FieldType.FLOAT, 0.001),
            floats("train/loss", [0, 1, 2], [1.0, 0.5, 0.25]),
        ]
    )
    assert store.apply(run.uid, batch).rejected == []
    every = store.get_fields(run.uid)
    without = store.get_fields(run.uid, sizes=False)
    assert "sys/size" in every
    assert without.keys() == every.keys() - {"sys/size"}
    assert without["train/loss"].value["last_step"] == 2
    assert {p: f.value for p, f in without.items()} == {
        p: f.value for p, f in every.items() if p != "sys/size"
    }
    asked = store.get_fields_of([run.uid], ["sys/size", "params/lr"], sizes=False)[run.uid]
    assert asked.keys() == {"params/lr"}


# batches and blobs ----------------------------------------------------------------------


def test_a_batch_applied_twice_is_stored_once(store_factory) -> None:
    store = store_factory()
    run = new_run(store)
    batch = Batch(
        [floats("m", [0, 1], [1, 2]), Operation(OpKind.SET_ADD, "t", FieldType.STRING_SET, ["x"])]
    )
    assert not store.apply(run.uid, batch).duplicate
    assert store_factory().apply(run.uid, batch).duplicate
    assert store.read_series(run.uid, "m").values.tolist() == [1, 2]


def test_apply_to_an_unknown_object_fails_clearly(store: Store) -> None:
    with pytest.raises(ObjectNotFound):
        store.apply("no-such-uid", Batch([assign("x", FieldType.INT, 1)]))


def test_blobs_are_content_addressed(store: Store, tmp_path: Path) -> None:
    digest = store.put_blob(b"abc", project=PROJECT)
    assert digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert store.put_blob(b"abc", project=PROJECT) == digest
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (3 << 20))
    file_digest, size = store.put_blob_file(source, project=PROJECT)
    assert size == 3 << 20
    assert store.read_blob(file_digest) == source.read_bytes()
    target = tmp_path / "out" / "copy.bin"
    store.copy_blob_to(file_digest, target)
    assert target.read_bytes() == source.read_bytes()


def test_fields_of_many_objects(store: Store) -> None:
    runs = [new_run(store) for _ in range(3)]
    for i, run in enumerate(runs):
        store.apply(run.uid, Batch([assign("acc", FieldType.FLOAT, i / 10)]))
    fields = store.get_fields_of([r.uid for r in runs], ["acc", "sys/id"])
    assert [fields[r.uid]["acc"].value for r in runs] == [0.0, 0.1, 0.2]
    assert [fields[r.uid]["sys/id"].value for r in runs] == ["CLS-1", "CLS-2", "CLS-3"]


# notebook checkpoints ---------------------------------------------------------------------


def test_parts_are_stored_once_and_read_back(store: Store) -> None:
    import hashlib

    # Content-addressed: each part's key is the SHA-256 of its bytes (the server checks it).
    parts = {hashlib.sha256(data).hexdigest(): data for data in (b"first", b"second" * 1000)}
    assert store.missing_parts(parts, project=PROJECT) == set(parts)
    assert store.put_parts(parts, project=PROJECT) == 2
    assert store.put_parts(parts, project=PROJECT) == 0
    assert store.missing_parts([*parts, "c" * 64], project=PROJECT) == {"c" * 64}
    assert store.get_parts(parts, project=PROJECT) == parts


def test_reading_a_missing_part_is_a_store_error(store: Store) -> None:
    from nepnb.exceptions import StoreError

    with pytest.raises(StoreError, match="missing"):
        store.get_parts(["d" * 64], project=PROJECT)


def test_checkpoints_chain_and_are_found_by_id_prefix(store_factory) -> None:
    from nepnb.exceptions import CheckpointNotFound

    store = store_factory()
    first = store.add_checkpoint(
        PROJECT, "nb1", path="a.ipynb", summary="one", body="", author="ada", manifest="m1"
    )
    second = store_factory().add_checkpoint(
        PROJECT, "nb1", path="b.ipynb", summary="two", body="more", author="bob",
        manifest="m2", runs=["CLS-1"], stats={"cells": 3},
    )  # fmt: skip
    other = store.add_checkpoint(
        PROJECT, "nb2", path="c.ipynb", summary="x", body="", author="ada", manifest="m3"
    )
    assert (first.seq, first.parent_id) == (1, None)
    assert (second.seq, second.parent_id) == (2, first.id)
    assert other.seq == 1
    assert [c.id for c in store.list_checkpoints(PROJECT, "nb1")] == [second.id, first.id]
    found = store.get_checkpoint(PROJECT, second.id[:6].upper())
    assert found == second
    assert found.runs == ("CLS-1",) and found.stats == {"cells": 3}
    assert found.message == "two\n\nmore"
    with pytest.raises(CheckpointNotFound, match="at least 4"):
        store.get_checkpoint(PROJECT, "ab")
    with pytest.raises(CheckpointNotFound, match="no checkpoint"):
        store.get_checkpoint(PROJECT, "ffffffffffff")
    with pytest.raises(CheckpointNotFound):
        store.get_checkpoint("team/other", second.id)
    notebooks = store.list_notebooks(PROJECT)
    assert [(n.notebook_id, n.path, n.checkpoints) for n in notebooks] == [
        ("nb2", "c.ipynb", 1),
        ("nb1", "b.ipynb", 2),
    ]
    assert store.get_notebook(PROJECT, "nb1").path == "b.ipynb"
    assert store.get_notebook(PROJECT, "nope") is None


def test_checkpoints_added_at_once_are_all_stored_in_order(store_factory) -> None:
    import threading

    results = []

    def add(n: int) -> None:
        results.append(
            store_factory().add_checkpoint(
                PROJECT, "nb", path="a.ipynb", summary=f"s{n}", body="", author="a", manifest="m"
            )
        )

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = store_factory().list_checkpoints(PROJECT, "nb")
    assert [c.seq for c in history] == list(range(8, 0, -1))
    for newer, older in itertools.pairwise(history):
        assert newer.parent_id == older.id
