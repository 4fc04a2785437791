"""Generated notebook histories for bench/checkpoint_storage.py: many versions of a few notebooks.

Each notebook starts with a handful of cells and grows the way a working notebook does. From
one version to the next, one thing happens (chosen at random, deterministic for a seed):

- cells are edited and re-run (new execution counts, new numbers in their training logs and
  tables, sometimes a re-rendered plot) -- the most common step;
- a new cell is appended at the end (code with its outputs, a plot for some, or markdown);
- a cell fails: its outputs become an IPython traceback (ANSI colours, 10 to 40 frames lines),
  and a later version fixes and re-runs it;
- "Restart and run all": every code cell is re-run (every count and logged number changes);
- a markdown cell is edited, a cell is deleted, or cells are inserted in the middle.

The cells come from bench/_notebooks.py (sources, logs, pandas-like tables, matplotlib-like
PNG plots). Versions are the ``.ipynb`` text nbformat writes, so git and nepnb see the same
bytes.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import _notebooks

_ERRORS = (
    ("ValueError", "could not convert string to float: 'n/a'"),
    ("KeyError", "'val_loss'"),
    ("RuntimeError", "CUDA out of memory. Tried to allocate 2.00 GiB"),
    ("TypeError", "unsupported operand type(s) for *: 'NoneType' and 'float'"),
    ("ZeroDivisionError", "division by zero"),
)


def traceback_output(seed: int) -> dict[str, Any]:
    """An ``error`` output as IPython writes it (ANSI-coloured frames)."""
    rng = random.Random(seed)
    name, value = rng.choice(_ERRORS)
    frames = [
        "\x1b[0;31m---------------------------------------------------------------------------"
        "\x1b[0m",
        f"\x1b[0;31m{name}\x1b[0m                                 Traceback (most recent call last)",
    ]
    for k in range(rng.randint(3, 12)):
        module = rng.choice(("train.py", "model.py", "data.py", "torch/nn/modules/module.py"))
        line = rng.randint(10, 900)
        frames.append(
            f"File \x1b[0;32m~/project/{module}:{line}\x1b[0m, in \x1b[0;36mstep_{k}\x1b[0;34m"
            f"(batch, model)\x1b[0m\n\x1b[1;32m   {line - 1}\x1b[0m     loss \x1b[38;5;241m=\x1b"
            f"[39m compute(batch)\n\x1b[0;32m---> {line}\x1b[0m     \x1b[38;5;28;01mreturn\x1b"
            f"[39;00m model(batch\x1b[38;5;241m.\x1b[39mx) \x1b[38;5;241m*\x1b[39m scale\n"
        )
    frames.append(f"\x1b[0;31m{name}\x1b[0m: {value}")
    return {"output_type": "error", "ename": name, "evalue": value, "traceback": frames}


@dataclass
class History:
    """One notebook's versions (``.ipynb`` texts, oldest first) and what each step did."""

    name: str
    versions: list[str]
    steps: list[str]

    @property
    def size(self) -> int:
        return sum(len(text.encode()) for text in self.versions)


class _Growing(_notebooks.SyntheticNotebook):
    """A SyntheticNotebook that starts small, grows, and has cells failing with tracebacks."""

    def __init__(self, seed: int, cells: int) -> None:
        self.errors: dict[str, int] = {}  # cell id -> traceback seed
        # a small notebook (about 40 KB of text outputs and plots per 10 cells)
        super().__init__(cells, cells * 4_000, seed=seed, text_share=0.6)

    def append(self, rng: random.Random) -> str:
        kind = "markdown" if rng.random() < 0.25 else "code"
        spec = self._new_spec(kind)
        if kind == "code" and rng.random() < 0.3:
            spec.images, spec.variants = [self._image_seed()], [0]
        self.cells.append(spec)
        return kind

    def notebook(self) -> dict[str, Any]:
        built = super().notebook()
        if not self.errors:
            return built
        cells = []
        for cell in built["cells"]:
            seed = self.errors.get(cell.get("id", ""))
            if seed is not None:
                cell = copy.copy(cell)
                cell["outputs"] = [
                    *[o for o in cell["outputs"] if o["output_type"] == "stream"][:1],
                    traceback_output(seed),
                ]
            cells.append(cell)
        return {**built, "cells": cells}


def history(seed: int, versions: int, start_cells: int = 6) -> History:
    """``versions`` versions of one generated notebook."""
    rng = random.Random(seed)
    nb = _Growing(seed, start_cells)
    texts = [nb.text()]
    steps = ["start"]
    while len(texts) < versions:
        code = [s for s in nb.cells if s.kind == "code"]
        roll = rng.random()
        if nb.errors and roll < 0.5:  # fix the failing cell and run it again
            cell_id = next(iter(nb.errors))
            del nb.errors[cell_id]
            spec = next(s for s in nb.cells if s.cell_id == cell_id)
            spec.edits += 1
            nb.rerun(spec)
            step = "fix"
        elif roll < 0.45:
            nb.change(rng.randint(1, 2), rng=rng, image_share=0.3)
            step = "edit"
        elif roll < 0.70:
            step = "append " + nb.append(rng)
        elif roll < 0.78 and code:
            spec = rng.choice(code)
            spec.edits += 1
            nb.rerun(spec)
            nb.errors[spec.cell_id] = rng.getrandbits(32)
            step = "error"
        elif roll < 0.84:
            for spec in code:
                nb.rerun(spec)
            nb.errors.clear()
            step = "run all"
        elif roll < 0.92:
            nb.change(1, rng=rng, code_only=False)
            step = "edit any"
        elif roll < 0.96 and len(nb.cells) > start_cells:
            nb.delete(1, rng=rng, keep=set(nb.errors))
            step = "delete"
        else:
            nb.insert(1, rng=rng)
            step = "insert"
        texts.append(nb.text())
        steps.append(step)
    return History(f"notebook-{seed}.ipynb", texts, steps)


def corpus(notebooks: int, versions: int, seed: int = 0) -> list[History]:
    """``notebooks`` histories of ``versions`` versions each."""
    return [history(seed * 1000 + k + 1, versions) for k in range(notebooks)]


def interleaved(histories: list[History]) -> Iterator[tuple[History, int]]:
    """(history, version index) in the order a team would commit them: round robin."""
    longest = max((len(h.versions) for h in histories), default=0)
    for i in range(longest):
        for h in histories:
            if i < len(h.versions):
                yield h, i
