"""Output diffs stay near linear: repeated lines, long logs and huge outputs give the exact
line diff (or a bounded fallback that says so), never a quadratic alignment."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nepnb.notebooks import compare as compare_module
from nepnb.notebooks.compare import (
    CompareOptions,
    NotebookDiff,
    align_lines,
    compare_notebooks,
    side_of_notebook,
)
from nepnb.notebooks.render import render_diff
from tests.helpers.nbrun import notebook_dict, stream

WARNING = "UserWarning: this option is deprecated and will be removed in a future release"


def with_output(text: str) -> dict[str, Any]:
    return notebook_dict("train()", outputs=[[stream(text)]])


def compare(a: str, b: str, **options: Any) -> NotebookDiff:
    diff = compare_notebooks(
        side_of_notebook(with_output(a), "A"),
        side_of_notebook(with_output(b), "B"),
        CompareOptions(**options),
    )
    json.dumps(diff.to_json())
    render_diff(diff)
    return diff


def text_ops(diff: NotebookDiff) -> list[tuple[str, Any]]:
    (output,) = diff.cells[0].outputs
    assert output.text_diff is not None
    return [
        (op.op, op.count if op.op in ("skip", "omitted") else op.lines) for op in output.text_diff
    ]


def applied(a: list[str], b: list[str]) -> list[str]:
    """b rebuilt from a and the opcodes, checking that they cover both sides in order."""
    rebuilt: list[str] = []
    at_a = at_b = 0
    opcodes, _ = align_lines(a, b)
    for tag, i1, i2, j1, j2 in opcodes:
        assert (i1, j1) == (at_a, at_b), opcodes
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        else:
            assert tag in ("delete", "insert", "replace")
        rebuilt.extend(a[i1:i2] if tag == "equal" else b[j1:j2])
        at_a, at_b = i2, j2
    assert (at_a, at_b) == (len(a), len(b))
    return rebuilt


def test_one_line_inserted_into_ten_thousand_identical_lines() -> None:
    lines = [WARNING] * 10_000
    changed = [*lines[:5_000], "epoch 3: loss nan", *lines[5_000:]]
    diff = compare("\n".join(lines) + "\n", "\n".join(changed) + "\n")
    assert diff.cells[0].status == "changed"
    assert text_ops(diff) == [
        ("skip", 4_997),
        ("equal", [WARNING] * 3),
        ("insert", ["epoch 3: loss nan"]),
        ("equal", [WARNING] * 3),
        ("skip", 4_997),
    ]
    assert diff.cells[0].outputs[0].note == ""


def test_a_long_log_with_scattered_changes_is_diffed_exactly() -> None:
    lines = [f"step {k}: loss {1 / (k + 1):.6f}" for k in range(20_000)]
    changed = list(lines)
    for k in range(0, 20_000, 2_000):
        changed[k] = f"step {k}: loss nan"
    diff = compare("\n".join(lines), "\n".join(changed), context=0, max_lines=100)
    ops = text_ops(diff)
    assert [op for op, _ in ops if op == "delete"] == ["delete"] * 10
    assert [lines for op, lines in ops if op == "insert"] == [
        [f"step {k}: loss nan"] for k in range(0, 20_000, 2_000)
    ]
    assert diff.cells[0].outputs[0].note == ""


def test_repeated_lines_in_another_order_fall_back_to_a_replacement_that_says_so() -> None:
    a = ["tick", "tock"] * 1_000
    b = ["tock", "tick"] * 1_000
    assert applied(a, b) == b
    _, note = align_lines(a, b)
    assert "no line there occurs once on each side" in note
    diff = compare("\n".join(a), "\n".join(b), max_lines=10)
    output = diff.cells[0].outputs[0]
    assert "shown as replaced" in output.note
    assert text_ops(diff)[-1][0] == "omitted"  # still bounded by max_lines


def test_a_huge_output_is_matched_at_its_ends_only_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compare_module, "HUGE_TEXT", 10_000)
    lines = [f"row {k}" for k in range(2_000)]
    changed = [*lines[:100], "new row", *lines[100:1_500], "other row", *lines[1_500:]]
    diff = compare("\n".join(lines), "\n".join(changed), context=1, max_lines=5_000)
    ops = text_ops(diff)
    assert ops[0] == ("skip", 99) and ops[1] == ("equal", ["row 99"])
    assert ops[2] == ("delete", lines[100:1_500])
    assert ops[3] == ("insert", changed[100:1_502])
    assert ops[4:] == [("equal", ["row 1500"]), ("skip", 499)]
    note = diff.cells[0].outputs[0].note
    assert (
        "too large to align line by line" in note
        and "1400 line(s) shown as replaced by 1402" in note
    )


@pytest.mark.slow
def test_a_50_mb_output_with_one_inserted_line() -> None:
    line = "0.123456789 " * 8  # 96 characters
    lines = [f"{k:08d} {line}" for k in range(500_000)]  # 52.5 MB
    changed = [*lines[:250_000], "inserted", *lines[250_000:]]
    diff = compare("\n".join(lines), "\n".join(changed), context=0)
    assert text_ops(diff) == [("skip", 250_000), ("insert", ["inserted"]), ("skip", 250_000)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("abcdef"), max_size=40),
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from("abxyz"), st.booleans()), max_size=8),
)
def test_any_edit_of_lines_is_rebuilt_exactly(a: list[str], edits: list[tuple]) -> None:
    b = list(a)
    for position, line, insert in edits:
        if insert or not b:
            b.insert(min(position, len(b)), line)
        else:
            b[position % len(b)] = line
    assert applied(a, b) == b


def test_unique_lines_anchor_a_shuffled_block() -> None:
    rng = random.Random(7)
    a = [f"line {k}" for k in range(3_000)]
    b = list(a)
    rng.shuffle(b[1_000:1_100])
    assert applied(a, b) == b
    opcodes, note = align_lines(a, b)
    equal = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal")
    assert equal >= 2_900 and note == ""
