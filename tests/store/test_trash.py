"""The trash, part of the Store contract: every store implementation must pass these tests."""

from __future__ import annotations

import numpy as np
import pytest

from nepnb.exceptions import InvalidValue, ObjectNotFound, ProjectNotFound
from nepnb.store.base import ObjectKind, Store
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Batch, Operation, OpKind, SeriesPoints

PROJECT = "team/cls"


def _run(store: Store, points: int = 100, project: str = PROJECT) -> str:
    info = store.create_object(project, ObjectKind.RUN)
    series = SeriesPoints(np.arange(float(points)), np.ones(points), np.zeros(points))
    store.apply(
        info.uid,
        Batch(
            [
                Operation(OpKind.ASSIGN, "sys/trashed", FieldType.BOOL, False),
                Operation(OpKind.ASSIGN, "lr", FieldType.FLOAT, 0.1),
                Operation(OpKind.LOG, "loss", FieldType.FLOAT_SERIES, series),
            ]
        ),
    )
    return info.uid


def _trashed(store: Store, uid: str) -> bool:
    return bool(store.get_fields(uid, ["sys/trashed"])["sys/trashed"].value)


def test_trash_restore_delete_and_clear(store: Store) -> None:
    uids = [_run(store) for _ in range(4)]
    assert store.list_trash(PROJECT) == []

    moved = store.trash_objects(PROJECT, ["CLS-1", "cls-2", "CLS-3"])
    assert [o.sys_id for o in moved] == ["CLS-1", "CLS-2", "CLS-3"]
    assert [o.sys_id for o in store.list_trash(PROJECT)] == ["CLS-1", "CLS-2", "CLS-3"]
    assert _trashed(store, uids[0]) and not _trashed(store, uids[3])
    # A trashed object keeps its data, and can be read and written.
    assert len(store.read_series(uids[0], "loss")) == 100
    size = store.get_fields(uids[0], ["sys/size"])["sys/size"].value
    assert size >= 2400
    store.apply(uids[0], Batch([Operation(OpKind.ASSIGN, "note", FieldType.STRING, "late")]))
    assert _trashed(store, uids[0])  # writing does not take it out of the trash

    store.restore_objects(PROJECT, "CLS-3")
    assert not _trashed(store, uids[2])
    assert [o.sys_id for o in store.list_trash(PROJECT)] == ["CLS-1", "CLS-2"]

    deleted = store.delete_objects_from_trash(PROJECT, ["CLS-1"])
    assert [o.sys_id for o in deleted] == ["CLS-1"]
    with pytest.raises(ObjectNotFound):
        store.find_object(PROJECT, sys_id="CLS-1")
    try:
        fields = store.get_fields(uids[0])
    except ObjectNotFound:  # the HTTP store: the server knows no such object
        fields = {}
    assert fields == {}  # not even sys/size
    assert [o.sys_id for o in store.list_objects(PROJECT, ObjectKind.RUN)] == [
        "CLS-2",
        "CLS-3",
        "CLS-4",
    ]

    cleared = store.clear_trash(PROJECT)
    assert [o.sys_id for o in cleared] == ["CLS-2"]
    assert store.list_trash(PROJECT) == []
    assert store.clear_trash(PROJECT) == []  # an empty trash: nothing to do
    assert [o.sys_id for o in store.list_objects(PROJECT, ObjectKind.RUN)] == ["CLS-3", "CLS-4"]
    # Numbers are not given again after a deletion.
    assert store.create_object(PROJECT, ObjectKind.RUN).sys_id == "CLS-5"


def test_unknown_ids_are_listed_and_nothing_changes(store: Store) -> None:
    _run(store)
    _run(store, project="team/other")
    with pytest.raises(ObjectNotFound, match="CLS-7, CLS-9") as raised:
        store.trash_objects(PROJECT, ["CLS-1", "CLS-7", "CLS-9"])
    assert "nothing was changed" in str(raised.value)
    assert store.list_trash(PROJECT) == []
    # An id of another project is not one of this project's.
    with pytest.raises(ObjectNotFound, match="OTH-1"):
        store.trash_objects(PROJECT, ["OTH-1"])
    with pytest.raises(ObjectNotFound, match="CLS-8"):
        store.delete_objects_from_trash(PROJECT, ["CLS-8"])
    with pytest.raises(ProjectNotFound):
        store.list_trash("team/missing")


@pytest.mark.parametrize("ids", [[], [""], [3]])
def test_bad_ids_are_refused(store: Store, ids: list[object]) -> None:
    _run(store)
    with pytest.raises(InvalidValue, match="id"):
        store.trash_objects(PROJECT, ids)  # type: ignore[arg-type]


def test_only_trashed_objects_are_deleted(store: Store) -> None:
    uid = _run(store)
    _run(store)
    store.trash_objects(PROJECT, ["CLS-2"])
    with pytest.raises(InvalidValue, match="CLS-1 is not in the trash"):
        store.delete_objects_from_trash(PROJECT, ["CLS-1", "CLS-2"])
    assert len(store.read_series(uid, "loss")) == 100
    assert [o.sys_id for o in store.list_trash(PROJECT)] == ["CLS-2"]


def test_the_project_object_cannot_be_trashed(store: Store) -> None:
    own = store.create_object(PROJECT, ObjectKind.PROJECT)
    with pytest.raises(InvalidValue, match="own object"):
        store.trash_objects(PROJECT, [own.sys_id])


def test_models_and_versions_go_to_the_trash_too(store: Store) -> None:
    model = store.create_object(PROJECT, ObjectKind.MODEL, model_key="MOD")
    version = store.create_object(PROJECT, ObjectKind.MODEL_VERSION, model_id=model.sys_id)
    store.trash_objects(PROJECT, [model.sys_id, version.sys_id])
    assert {o.kind for o in store.list_trash(PROJECT)} == {
        ObjectKind.MODEL,
        ObjectKind.MODEL_VERSION,
    }
    store.clear_trash(PROJECT)
    assert store.list_objects(PROJECT, ObjectKind.MODEL) == []
