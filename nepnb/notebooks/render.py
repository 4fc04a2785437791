"""A notebook comparison as text for the terminal, colored like ``git diff``."""

from __future__ import annotations

import json
from typing import Any

from nepnb.notebooks.compare import CellChange, LineOp, MetadataChange, NotebookDiff, OutputChange

_COLORS = {
    "added": "\033[32m",
    "removed": "\033[31m",
    "changed": "\033[33m",
    "moved": "\033[36m",
    "header": "\033[1m",
    "dim": "\033[2m",
    "insert": "\033[32m",
    "delete": "\033[31m",
}
_RESET = "\033[0m"


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        if not self.color or style not in _COLORS:
            return text
        return f"{_COLORS[style]}{text}{_RESET}"


def render_diff(diff: NotebookDiff, *, color: bool = False, show_unchanged: bool = False) -> str:
    """The comparison as lines of text: a summary, then each cell that differs."""
    paint = _Painter(color)
    lines = [
        paint("header", f"--- {diff.a}"),
        paint("header", f"+++ {diff.b}"),
        paint("header", f"Summary: {diff.summary_line()}"),
    ]
    if not diff.options.outputs:
        lines.append(paint("dim", "(outputs not compared)"))
    if diff.metadata:
        lines.append("")
        lines.append(paint("changed", "notebook metadata:"))
        lines.extend(_metadata_lines(diff.metadata, paint))
    for cell in diff.cells:
        if cell.status == "unchanged" and not show_unchanged:
            continue
        lines.append("")
        lines.extend(_cell_lines(cell, paint))
    return "\n".join(lines) + "\n"


def _position(cell: CellChange) -> str:
    if cell.a_index is None:
        return f"cell {cell.b_index + 1}" if cell.b_index is not None else "cell"
    if cell.b_index is None:
        return f"cell {cell.a_index + 1}"
    if cell.a_index == cell.b_index:
        return f"cell {cell.b_index + 1}"
    return f"cell {cell.a_index + 1} → {cell.b_index + 1}"


def _cell_lines(cell: CellChange, paint: _Painter) -> list[str]:
    what = cell.status
    if cell.moved and cell.status == "changed":
        what = "moved and changed"
    details = f" ({', '.join(cell.changed_parts)})" if cell.status == "changed" else ""
    style = "moved" if cell.status == "moved" else cell.status
    lines = [paint(style, f"## {_position(cell)} [{cell.cell_type}] {what}{details}")]
    if cell.status == "added" and cell.source_b is not None:
        lines.extend(paint("insert", f"+ {line}") for line in cell.source_b.splitlines())
    elif cell.status == "removed" and cell.source_a is not None:
        lines.extend(paint("delete", f"- {line}") for line in cell.source_a.splitlines())
    elif cell.source_diff:
        lines.extend(_line_ops(cell.source_diff, paint))
    if cell.execution_count and cell.status != "unchanged":
        lines.append(
            paint("dim", f"  execution count {cell.execution_count[0]} → {cell.execution_count[1]}")
        )
    for output in cell.outputs:
        if output.status != "unchanged":
            lines.extend(_output_lines(output, cell.status, paint))
    if cell.metadata:
        lines.append(paint("dim", "  metadata:"))
        lines.extend(_metadata_lines(cell.metadata, paint, indent="    "))
    return lines


def _line_ops(ops: list[LineOp], paint: _Painter, indent: str = "") -> list[str]:
    lines = []
    for op in ops:
        if op.op == "skip":
            lines.append(paint("dim", f"{indent}  … {op.count} unchanged line(s)"))
        elif op.op == "omitted":
            lines.append(paint("dim", f"{indent}  … {op.count} more line(s) not shown"))
        elif op.op == "equal":
            lines.extend(f"{indent}  {line}" for line in op.lines)
        elif op.op == "delete":
            lines.extend(paint("delete", f"{indent}- {line}") for line in op.lines)
        else:
            lines.extend(paint("insert", f"{indent}+ {line}") for line in op.lines)
    return lines


def _output_lines(output: OutputChange, cell_status: str, paint: _Painter) -> list[str]:
    label = output.mime or output.output_type
    if cell_status in ("added", "removed"):
        return [paint("dim", f"  output: {label}")]
    number = (output.b_index if output.b_index is not None else output.a_index) or 0
    head = f"  output {number + 1} ({label}) {output.status}"
    if output.image is not None:
        image = output.image
        if image.get("changed"):
            head += (
                f": {image['changed_fraction'] * 100:.1f}% of pixels differ "
                f"(mean difference {image['score']:.3f})"
            )
        if image.get("note"):
            head += f"; {image['note']}"
    elif output.note:
        head += f": {output.note}"
    lines = [paint(output.status if output.status != "unchanged" else "dim", head)]
    if output.text_diff:
        lines.extend(_line_ops(output.text_diff, paint, indent="    "))
    elif output.preview:
        sign = "+" if output.status == "added" else "-"
        style = "insert" if output.status == "added" else "delete"
        lines.extend(paint(style, f"    {sign} {line}") for line in output.preview)
    return lines


def _metadata_lines(
    changes: list[MetadataChange], paint: _Painter, indent: str = "  "
) -> list[str]:
    lines = []
    for change in changes:
        if change.status == "added":
            lines.append(paint("insert", f"{indent}+ {change.key}: {_short(change.b)}"))
        elif change.status == "removed":
            lines.append(paint("delete", f"{indent}- {change.key}: {_short(change.a)}"))
        else:
            lines.append(
                paint("changed", f"{indent}~ {change.key}: {_short(change.a)} → {_short(change.b)}")
            )
    return lines


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
