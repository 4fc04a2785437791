"""Random sequences of writes read back exactly as a plain Python model of them predicts.

Hypothesis draws a sequence of operations (assign of int / float / bool / str / datetime,
append and extend of float and string series with and without steps, StringSet add and
remove, pop) on a few overlapping paths, so that type conflicts, namespace clashes and
non-increasing steps all happen. Each operation is applied to a run (sync or async) and to
a model; where the model says the call must fail or drop a point, the run must raise or warn.
Then the run is stopped, opened read-only, and every field must hold what the model holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nepnb as neptune
from nepnb.exceptions import FieldTypeConflict, MissingField, ValueDropped
from tests.helpers.client import QUIET, structure_types

PATHS = ["a", "b", "c", "c/x", "c/y", "d/e/f"]

UTC = timezone.utc
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=True, allow_infinity=True)
texts = st.text(max_size=12)
datetimes = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
steps = st.one_of(st.none(), st.integers(-3, 30), st.floats(-3, 30, allow_nan=False))
series_floats = st.one_of(floats, st.integers(-1000, 1000))
tags = st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=2), max_size=3)
path = st.sampled_from(PATHS)


@st.composite
def extend_op(draw: st.DrawFn) -> tuple[Any, ...]:
    values = draw(st.one_of(st.lists(series_floats, min_size=1, max_size=4),
                            st.lists(texts, min_size=1, max_size=4)))  # fmt: skip
    with_steps = draw(st.booleans())
    step_list = (
        draw(st.lists(st.integers(-3, 40), min_size=len(values), max_size=len(values)))
        if with_steps
        else None
    )
    return ("extend", draw(path), values, step_list)


operations = st.one_of(
    st.tuples(st.just("assign"), path, st.one_of(ints, floats, st.booleans(), texts, datetimes)),
    st.tuples(st.just("append"), path, st.one_of(series_floats, texts), steps),
    extend_op(),
    st.tuples(st.just("add"), path, tags),
    st.tuples(st.just("remove"), path, tags),
    st.tuples(st.just("pop"), path),
)


@dataclass
class Field:
    kind: str
    value: Any = None
    points: list[tuple[float, Any]] = field(default_factory=list)

    @property
    def next_step(self) -> float:
        return self.points[-1][0] + 1.0 if self.points else 0.0


def atom_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    return "Datetime"


class Model:
    """What a run holds after the operations, by the rules of DESIGN.md section 2."""

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}

    def conflict(self, path: str, kind: str) -> bool:
        """Whether a write of ``kind`` at ``path`` is refused."""
        existing = self.fields.get(path)
        if existing is not None:
            return existing.kind != kind
        if any(p.startswith(path + "/") for p in self.fields):
            return True  # a namespace
        parts = path.split("/")
        return any("/".join(parts[:i]) in self.fields for i in range(1, len(parts)))

    def assign(self, path: str, value: Any) -> bool:
        kind = atom_kind(value)
        existing = self.fields.get(path)
        if existing is not None and existing.kind == "Float" and kind == "Integer":
            kind, value = "Float", float(value)
        if self.conflict(path, kind):
            return False
        self.fields[path] = Field(kind, value)
        return True

    def append(self, path: str, value: Any, step: float | None) -> str:
        """The outcome: "ok", "conflict" or "dropped"."""
        kind = "StringSeries" if isinstance(value, str) else "FloatSeries"
        if self.conflict(path, kind):
            return "conflict"
        target = self.fields.setdefault(path, Field(kind))
        if step is None:
            step = target.next_step
        elif target.points and not step > target.points[-1][0]:
            return "dropped"
        target.points.append((float(step), value if isinstance(value, str) else float(value)))
        return "ok"

    def set_op(self, path: str, values: list[str], add: bool) -> bool:
        if self.conflict(path, "StringSet"):
            return False
        target = self.fields.setdefault(path, Field("StringSet", set()))
        target.value = target.value | set(values) if add else target.value - set(values)
        return True

    def pop(self, path: str) -> bool:
        """Delete a field or namespace; False if there is nothing at ``path`` (an error)."""
        known = [p for p in self.fields if p == path or p.startswith(path + "/")]
        for p in known:
            del self.fields[p]
        return bool(known)


def apply(run: Any, model: Model, op: tuple[Any, ...]) -> None:
    """Apply ``op`` to the run and the model; the run must fail and warn where the model says."""
    kind, target = op[0], op[1]
    if kind == "assign":
        if model.assign(target, op[2]):
            run[target] = op[2]
        else:
            with pytest.raises(FieldTypeConflict):
                run[target] = op[2]
    elif kind == "append":
        outcome = model.append(target, op[2], op[3])
        if outcome == "conflict":
            with pytest.raises(FieldTypeConflict):
                run[target].append(op[2], step=op[3])
        elif outcome == "dropped":
            with pytest.warns(ValueDropped):
                run[target].append(op[2], step=op[3])
        else:
            run[target].append(op[2], step=op[3])
    elif kind == "extend":
        values, step_list = op[2], op[3]
        outcomes = [
            model.append(target, value, None if step_list is None else step_list[i])
            for i, value in enumerate(values)
        ]
        if outcomes[0] == "conflict":
            with pytest.raises(FieldTypeConflict):
                run[target].extend(values, steps=step_list)
        elif "dropped" in outcomes:
            with pytest.warns(ValueDropped):
                run[target].extend(values, steps=step_list)
        else:
            run[target].extend(values, steps=step_list)
    elif kind in ("add", "remove"):
        if model.set_op(target, op[2], add=kind == "add"):
            getattr(run[target], kind)(op[2])
        else:
            with pytest.raises(FieldTypeConflict):
                getattr(run[target], kind)(op[2])
    elif model.pop(target):
        run.pop(target)
    else:
        with pytest.raises(MissingField):
            run.pop(target)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def check(ro: Any, model: Model, capsys: pytest.CaptureFixture[str]) -> None:
    types = {
        p: k
        for p, k in structure_types(ro, capsys).items()
        if not p.startswith(("sys/", "monitoring/", "source_code/"))
    }
    assert types == {p: f.kind for p, f in model.fields.items()}
    for path, expected in model.fields.items():
        handler = ro[path]
        if expected.kind in ("FloatSeries", "StringSeries"):
            frame = handler.fetch_values(include_timestamp=False)
            got_steps = [float(s) for s in frame["step"]]
            got_values = list(frame["value"])
            if expected.kind == "FloatSeries":
                got_values = [float(v) for v in got_values]
            assert got_steps == [s for s, _ in expected.points], path
            assert len(got_values) == len(expected.points), path
            for got, (_, want) in zip(got_values, expected.points, strict=True):
                assert same(got, want), (path, got, want)
        elif expected.kind == "Datetime":
            assert handler.fetch() == expected.value, path
        else:
            assert same(handler.fetch(), expected.value), (path, handler.fetch(), expected.value)


@pytest.mark.parametrize("mode", ["sync", "async"])
@settings(
    max_examples=40,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=25))
def test_writes_read_back_as_the_model_predicts(
    mode: str, ops: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str]
) -> None:
    run = neptune.init_run(
        project="prop/roundtrip", mode=mode, capture_traceback=False, source_files=[], **QUIET
    )
    try:
        sys_id = run["sys/id"].fetch()
        model = Model()
        for op in ops:
            apply(run, model, op)
    finally:
        run.stop()
    ro = neptune.init_run(with_id=sys_id, project="prop/roundtrip", mode="read-only")
    try:
        check(ro, model, capsys)
    finally:
        ro.stop()
