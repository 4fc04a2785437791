"""coalesce(): consecutive appends merged per series, every other write kept in its place."""

from __future__ import annotations

from nepnb.importers.neptune_ops import Points, coalesce
from nepnb.store.field_types import FieldType
from nepnb.store.operations import Operation, OpKind

F, S = FieldType.FLOAT_SERIES, FieldType.STRING_SERIES


def _log(path: str, step: float, value: object, ftype: FieldType = F) -> Operation:
    return Operation(OpKind.LOG, path, ftype, Points([step], [value], [100.0 + step]))


def test_appends_merge_until_another_write() -> None:
    ops = [
        _log("a", 0, 1.0),
        _log("b", 0, "x", S),
        _log("a", 1, 2.0),
        Operation(OpKind.CLEAR, "a", F),
        _log("a", 0, 3.0),
    ]
    out = coalesce(ops)
    assert [(o.kind, o.path) for o in out] == [
        (OpKind.LOG, "a"),
        (OpKind.LOG, "b"),
        (OpKind.CLEAR, "a"),
        (OpKind.LOG, "a"),
    ]
    first = out[0].value
    assert first.steps.tolist() == [0.0, 1.0] and first.values.tolist() == [1.0, 2.0]
    assert first.timestamps.tolist() == [100.0, 101.0]
    assert out[1].value.values == ["x"]  # strings stay a list
    assert out[3].value.values.tolist() == [3.0]


def test_a_series_of_another_type_is_not_merged() -> None:
    out = coalesce([_log("a", 0, 1.0), _log("a", 1, "x", S)])
    assert [(o.path, o.type) for o in out] == [("a", F), ("a", S)]
