"""Synthetic notebooks for bench/checkpoints.py: realistic cells, outputs and plots, any size.

A notebook is a list of cell specs (seeds and counters) from which the cells are built, so a
change ("edit 10 cells and re-run them") only rebuilds those cells. Everything is deterministic
for a given seed.

- markdown cells: a heading and a few paragraphs;
- code cells: 3 to 25 lines of Python; a ``stream`` output (a training log); for about a third,
  an ``execute_result`` with a pandas-like table (``text/html`` and ``text/plain``); and for some,
  a ``display_data`` plot (``image/png`` and ``text/plain``).

Plots are line plots drawn like matplotlib's defaults (white figure, axes frame, ticks and
labels, the tab10 colours, a legend, noisy loss curves, random walks or signals), rendered with
Pillow at twice the size and scaled down, which antialiases them: they compress like real
matplotlib PNGs (about 15 to 40 KB for 600x400 RGBA), not like noise. A re-run re-renders a plot
with new noise on the same axes layout.

The notebook's size is reached by scaling the text outputs to ``text_share`` of the wanted size
and then adding distinct plots to code cells (in a random order, a second plot per cell if
needed) until the size is reached.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TAB10 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
WIDTH, HEIGHT = 600, 400
_SUPERSAMPLE = 2
#: Bytes an image output adds to the .ipynb besides its base64 (keys, indentation, text/plain).
_IMAGE_OUTPUT_OVERHEAD = 190

_TEXT = (
    "the model data training loss accuracy validation we run each epoch batch learning rate "
    "results show that features are normalized before fitting baseline compare against "
    "experiment dataset split test folds mean variance score improves slightly when using "
    "dropout weight decay schedule warmup optimizer gradient clipping notebook figure below "
    "table summarizes metrics per fold and seed this section looks at errors"
)
_WORDS = _TEXT.split()
_NAMES = ("lr", "batch_size", "depth", "width", "dropout", "weight_decay", "epochs", "seed")
_COLUMNS = ("fold", "seed", "loss", "val_loss", "accuracy", "f1", "auc", "time_s", "lr", "n")

_font_cache: dict[int, Any] = {}
_image_cache: dict[tuple[int, int, int, int], str] = {}


def _font(size: int) -> Any:
    if size not in _font_cache:
        try:
            _font_cache[size] = ImageFont.load_default(size=size)
        except TypeError:  # Pillow < 10.1: a fixed bitmap font
            _font_cache[size] = ImageFont.load_default()
    return _font_cache[size]


def render_plot(seed: int, variant: int = 0, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A matplotlib-like line plot as PNG bytes (RGBA). ``variant`` changes the data's noise,
    not the plot's layout: a re-run of the same cell."""
    layout = np.random.default_rng([seed, 0])
    noise = np.random.default_rng([seed, variant + 1])
    s = _SUPERSAMPLE
    w, h = width * s, height * s
    image = Image.new("RGBA", (w, h), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    font, title_font = _font(11 * s), _font(13 * s)
    x0, y0, x1, y1 = 70 * s, 35 * s, w - 20 * s, h - 50 * s
    kind = int(layout.integers(0, 3))
    n_series = int(layout.integers(1, 5))
    n = int(layout.integers(60, 400))
    xs = np.arange(n)
    series = []
    for k in range(n_series):
        if kind == 0:  # a loss curve
            decay = np.exp(-xs / layout.uniform(20, 150)) * layout.uniform(1, 3) + 0.1
            y = decay + noise.normal(0, 0.03, n).cumsum() * 0.1 + noise.normal(0, 0.02, n)
        elif kind == 1:  # a random walk
            y = noise.normal(0, 1, n).cumsum()
        else:  # a noisy signal
            phase = xs / layout.uniform(5, 40) + k
            y = np.sin(phase) * layout.uniform(0.5, 2) + noise.normal(0, 0.1, n)
        series.append(y)
    values = np.concatenate(series)
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad

    def px(x: float) -> float:
        return x0 + (x1 - x0) * x / max(n - 1, 1)

    def py(v: float) -> float:
        return y1 - (y1 - y0) * (v - lo) / (hi - lo)

    black, grid_grey = (0, 0, 0, 255), (225, 225, 225, 255)
    grid = layout.random() < 0.5
    for i in range(6):
        v = lo + (hi - lo) * i / 5
        yy = py(v)
        if grid:
            draw.line([(x0, yy), (x1, yy)], fill=grid_grey, width=s)
        draw.line([(x0 - 4 * s, yy), (x0, yy)], fill=black, width=s)
        draw.text((x0 - 6 * s, yy), f"{v:.2f}", fill=black, font=font, anchor="rm")
        x = (n - 1) * i / 5
        xx = px(x)
        if grid:
            draw.line([(xx, y0), (xx, y1)], fill=grid_grey, width=s)
        draw.line([(xx, y1), (xx, y1 + 4 * s)], fill=black, width=s)
        draw.text((xx, y1 + 6 * s), f"{int(x)}", fill=black, font=font, anchor="mt")
    for k, y in enumerate(series):
        points = [(px(i), py(float(v))) for i, v in enumerate(y)]
        draw.line(points, fill=TAB10[(k + seed) % 10], width=3, joint="curve")
    draw.rectangle([x0, y0, x1, y1], outline=black, width=s)
    title = f"Figure {seed}: {('loss', 'random walk', 'signal')[kind]}"
    draw.text(((x0 + x1) / 2, y0 - 8 * s), title, fill=black, font=title_font, anchor="mb")
    draw.text(((x0 + x1) / 2, h - 8 * s), "step", fill=black, font=font, anchor="mb")
    lx, ly = x1 - 110 * s, y0 + 8 * s
    box = [lx, ly, x1 - 8 * s, ly + (n_series * 16 + 6) * s]
    draw.rectangle(box, fill=(255, 255, 255, 230), outline=(200, 200, 200, 255), width=s)
    for k in range(n_series):
        yy = ly + (10 + 16 * k) * s
        draw.line([(lx + 6 * s, yy), (lx + 26 * s, yy)], fill=TAB10[(k + seed) % 10], width=3)
        draw.text((lx + 32 * s, yy), f"series {k}", fill=black, font=font, anchor="lm")
    image = image.resize((width, height), Image.Resampling.BOX)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def plot_b64(seed: int, variant: int = 0, width: int = WIDTH, height: int = HEIGHT) -> str:
    """``render_plot`` as base64, as stored in a notebook (cached)."""
    key = (seed, variant, width, height)
    if key not in _image_cache:
        png = render_plot(seed, variant, width, height)
        _image_cache[key] = base64.b64encode(png).decode("ascii")
    return _image_cache[key]


# -- cells ----------------------------------------------------------------------------------


@dataclass
class CellSpec:
    kind: str  # "markdown" or "code"
    seed: int
    cell_id: str
    edits: int = 0  # times the source was edited
    runs: int = 0  # times the cell was re-run (its outputs' values change)
    execution_count: int | None = None
    base_lines: int = 0  # stream lines at text scale 1
    base_rows: int = 0  # table rows at text scale 1 (0: no table)
    cols: int = 0
    lines: int = 0  # at the notebook's text scale
    rows: int = 0
    images: list[int] = field(default_factory=list)  # plot seeds
    variants: list[int] = field(default_factory=list)  # each plot's re-render count
    source_only: bool = False  # images-only notebooks: a one-line source and the plot


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def markdown_source(spec: CellSpec) -> str:
    rng = random.Random(spec.seed)
    parts = [f"## {_words(rng, rng.randint(2, 6)).capitalize()}"]
    for _ in range(rng.randint(1, 3)):
        sentences = [_words(rng, rng.randint(6, 18)).capitalize() + "." for _ in range(4)]
        parts.append(" ".join(sentences))
    if spec.edits:
        parts.append(f"Edit {spec.edits}: {_words(random.Random(spec.seed + spec.edits), 12)}.")
    return "\n\n".join(parts)


def code_source(spec: CellSpec) -> str:
    if spec.source_only:
        return f"plot_run(run_id={spec.seed}, metric='loss')"
    rng = random.Random(spec.seed)
    lines = []
    for _ in range(rng.randint(3, 25)):
        choice = rng.random()
        name = rng.choice(_NAMES)
        if choice < 0.3:
            lines.append(f"{name} = {rng.choice([1e-3, 3e-4, 0.1, 0.5, 2, 16, 64, 256])}")
        elif choice < 0.5:
            lines.append(f"for epoch in range({name}):")
            lines.append(f"    loss = train_one_epoch(model, loader, {name}={name})")
        elif choice < 0.7:
            cols = ", ".join(repr(c) for c in rng.sample(_COLUMNS, 3))
            lines.append(f"df = results[[{cols}]].groupby('fold').mean()")
        elif choice < 0.85:
            lines.append(f"model = build_model(depth={rng.randint(2, 12)}, width={name})")
        else:
            lines.append(f"print(f'{name}={{{name}}}')  # {_words(rng, 4)}")
    if spec.edits:
        edit = random.Random(spec.seed * 7919 + spec.edits)
        lines[edit.randrange(len(lines))] += f"  # tried {edit.random():.3f}"
        lines.append(f"lr = {edit.choice([1e-3, 3e-4, 1e-4])} * {spec.edits}")
    return "\n".join(lines)


def _stream_text(spec: CellSpec, rng: random.Random) -> str:
    n = spec.lines
    out = []
    loss = rng.uniform(1.0, 3.0)
    for epoch in range(n):
        loss *= rng.uniform(0.9, 1.0)
        out.append(
            f"epoch {epoch + 1:3d}/{n}  loss={loss:.4f}  val_loss={loss * rng.uniform(1, 1.2):.4f}"
            f"  acc={1 - loss / 4 + rng.uniform(-0.01, 0.01):.4f}"
            f"  lr={rng.choice([1e-3, 3e-4]):.1e}"
            f"  {rng.uniform(5, 60):.1f}s"
        )
    return "\n".join(out) + "\n"


def _table(spec: CellSpec, rng: random.Random) -> tuple[str, str]:
    columns = list(_COLUMNS[: spec.cols])
    rows = [[round(rng.uniform(0, 10), 4) for _ in columns] for _ in range(spec.rows)]
    head = "".join(f"      <th>{c}</th>\n" for c in columns)
    body = "".join(
        f"    <tr>\n      <th>{i}</th>\n"
        + "".join(f"      <td>{v:.4f}</td>\n" for v in row)
        + "    </tr>\n"
        for i, row in enumerate(rows)
    )
    html = (
        "<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n"
        "        vertical-align: middle;\n    }\n</style>\n"
        '<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">\n'
        f"      <th></th>\n{head}    </tr>\n  </thead>\n  <tbody>\n{body}  </tbody>\n</table>\n"
        f"<p>{spec.rows} rows × {len(columns)} columns</p>\n</div>"  # noqa: RUF001 (as pandas)
    )
    text = "    " + "".join(f"{c:>10}" for c in columns) + "\n"
    text += "\n".join(f"{i:<4}" + "".join(f"{v:>10.4f}" for v in row) for i, row in enumerate(rows))
    return html, text


def build_cell(spec: CellSpec) -> dict[str, Any]:
    """The notebook cell (nbformat 4 in-memory form: strings joined) of a spec."""
    if spec.kind == "markdown":
        return {
            "cell_type": "markdown",
            "id": spec.cell_id,
            "metadata": {},
            "source": markdown_source(spec),
        }
    rng = random.Random(spec.seed * 1_000_003 + spec.runs)
    outputs: list[dict[str, Any]] = []
    if spec.lines:
        outputs.append({"output_type": "stream", "name": "stdout", "text": _stream_text(spec, rng)})
    for seed, variant in zip(spec.images, spec.variants, strict=True):
        outputs.append(
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "image/png": plot_b64(seed, variant),
                    "text/plain": f"<Figure size {WIDTH}x{HEIGHT} with 1 Axes>",
                },
            }
        )
    if spec.rows:
        html, text = _table(spec, rng)
        outputs.append(
            {
                "output_type": "execute_result",
                "execution_count": spec.execution_count,
                "metadata": {},
                "data": {"text/html": html, "text/plain": text},
            }
        )
    return {
        "cell_type": "code",
        "execution_count": spec.execution_count,
        "id": spec.cell_id,
        "metadata": {},
        "outputs": outputs,
        "source": code_source(spec),
    }


# -- notebooks ------------------------------------------------------------------------------


def notebook_text(notebook: dict[str, Any]) -> str:
    """The .ipynb text, laid out as Jupyter writes it (nbformat: multi-line strings split into
    lists of lines, sorted keys, indent 1)."""
    import nbformat

    return nbformat.writes(nbformat.from_dict(copy.deepcopy(notebook)), version=4)


class SyntheticNotebook:
    """A synthetic notebook of ``n_cells`` cells and about ``size`` bytes (as an .ipynb file).

    ``images_only``: every cell is a code cell with a one-line source and one distinct plot (the
    size then follows from the plots). Otherwise ``markdown_share`` of the cells are markdown,
    the text outputs take about ``text_share`` of the size and plots the rest.
    """

    def __init__(
        self,
        n_cells: int = 1000,
        size: int = 20_000_000,
        *,
        seed: int = 0,
        markdown_share: float = 0.25,
        text_share: float = 0.3,
        images_only: bool = False,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.counter = 0  # the kernel's execution counter
        self.next_seed = seed * 1_000_000 + 1
        self.next_image = seed * 1_000_000 + 500_000
        self.metadata: dict[str, Any] = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        }
        self.text_scale = 1.0
        self.cells: list[CellSpec] = []
        self._ids: set[str] = set()
        self._built: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {}
        for _ in range(n_cells):
            if images_only:
                spec = self._new_spec("code")
                spec.source_only = True
                spec.images, spec.variants = [self._image_seed()], [0]
            else:
                kind = "markdown" if self.rng.random() < markdown_share else "code"
                spec = self._new_spec(kind)
            self.cells.append(spec)
        if not images_only:
            self._fit(size, text_share)

    # specs
    def _new_spec(self, kind: str) -> CellSpec:
        cell_id = f"{self.rng.getrandbits(32):08x}"
        while cell_id in self._ids:
            cell_id = f"{self.rng.getrandbits(32):08x}"
        self._ids.add(cell_id)
        spec = CellSpec(kind, self.next_seed, cell_id)
        self.next_seed += 1
        if kind == "code":
            spec.base_lines = self.rng.randint(2, 40)
            if self.rng.random() < 0.35:
                spec.base_rows, spec.cols = self.rng.randint(5, 40), self.rng.randint(4, 8)
            self.counter += 1
            spec.execution_count = self.counter
            self._scale(spec)
        return spec

    def _image_seed(self) -> int:
        self.next_image += 1
        return self.next_image

    def _scale(self, spec: CellSpec) -> None:
        spec.lines = max(1, round(spec.base_lines * self.text_scale))
        spec.rows = max(2, round(spec.base_rows * self.text_scale)) if spec.base_rows else 0

    def _set_text_scale(self, scale: float) -> None:
        self.text_scale = scale
        for spec in self.cells:
            if spec.kind == "code":
                self._scale(spec)

    def _fit(self, size: int, text_share: float) -> None:
        """Scale the text outputs to ``text_share`` of ``size``, then add plots up to ``size``."""
        self._set_text_scale(0.0)
        t0 = self.file_size()
        self._set_text_scale(1.0)
        t1 = self.file_size()
        wanted = text_share * size
        self._set_text_scale(max(0.0, (wanted - t0) / max(t1 - t0, 1)))
        budget = size - self.file_size()
        code = [i for i, spec in enumerate(self.cells) if spec.kind == "code"]
        order = self.rng.sample(code, len(code))
        k = 0
        while code and budget > 0:
            spec = self.cells[order[k % len(order)]]
            image = self._image_seed()
            cost = len(plot_b64(image)) + _IMAGE_OUTPUT_OVERHEAD
            if cost > 2 * budget:
                break
            spec.images.append(image)
            spec.variants.append(0)
            budget -= cost
            k += 1

    # building
    def notebook(self) -> dict[str, Any]:
        """The notebook as a dict (nbformat 4 in-memory form). Unchanged cells are the same
        objects from one call to the next: do not modify them."""
        cells = []
        for spec in self.cells:
            key = (spec.edits, spec.runs, spec.lines, spec.rows, tuple(spec.variants))
            known = self._built.get(spec.cell_id)
            if known is None or known[0] != key:
                known = (key, build_cell(spec))
                self._built[spec.cell_id] = known
            cells.append(known[1])
        return {
            "cells": cells,
            "metadata": copy.deepcopy(self.metadata),
            "nbformat": 4,
            "nbformat_minor": 5,
        }

    def text(self) -> str:
        return notebook_text(self.notebook())

    def file_size(self) -> int:
        # json.dumps of the nbformat layout without its validation: the same bytes, faster
        return len(_ipynb_json(self.notebook()).encode())

    def copy(self) -> SyntheticNotebook:
        other = copy.copy(self)
        other.rng = random.Random()
        other.rng.setstate(self.rng.getstate())
        other.cells = [copy.deepcopy(spec) for spec in self.cells]
        other.metadata = copy.deepcopy(self.metadata)
        other._ids = set(self._ids)
        other._built = dict(self._built)  # keyed by cell id and version: safe to share
        return other

    # changes
    def change(
        self, count: int, *, rng: random.Random, image_share: float = 0.5, code_only: bool = True
    ) -> dict[str, Any]:
        """Edit ``count`` cells' sources and re-run them (new execution counts and text output
        values); each of their plots is re-rendered with probability ``image_share`` (always,
        and the source kept, in an images-only notebook). Returns counts of what changed and
        the changed cells' ids (``ids``)."""
        pool = [
            i for i, spec in enumerate(self.cells) if spec.kind == "code" or not code_only
        ] or list(range(len(self.cells)))
        done: dict[str, Any] = dict.fromkeys(
            ("cells", "code", "markdown", "images_rerendered", "images_kept"), 0
        )
        done["ids"] = []
        for i in rng.sample(pool, min(count, len(pool))):
            spec = self.cells[i]
            done["cells"] += 1
            done["ids"].append(spec.cell_id)
            if not spec.source_only:
                spec.edits += 1
            if spec.kind == "markdown":
                done["markdown"] += 1
                continue
            done["code"] += 1
            self.rerun(spec)
            for k in range(len(spec.images)):
                if spec.source_only or rng.random() < image_share:
                    spec.variants[k] += 1
                    done["images_rerendered"] += 1
                else:
                    done["images_kept"] += 1
        return done

    def rerun(self, spec: CellSpec) -> None:
        spec.runs += 1
        self.counter += 1
        spec.execution_count = self.counter

    def insert(self, count: int, *, rng: random.Random) -> None:
        """Insert ``count`` new code cells at random places (like the others, with a plot for
        as many of them as the notebook's share of code cells with plots)."""
        code = [s for s in self.cells if s.kind == "code"]
        with_plot = sum(1 for s in code if s.images) / max(len(code), 1)
        for _ in range(count):
            spec = self._new_spec("code")
            if rng.random() < with_plot:
                spec.images, spec.variants = [self._image_seed()], [0]
            self.cells.insert(rng.randint(0, len(self.cells)), spec)

    def delete(self, count: int, *, rng: random.Random, keep: set[str] | None = None) -> None:
        """Delete ``count`` cells at random (but not the cells whose ids are in ``keep``)."""
        keep = keep or set()
        pool = [i for i, spec in enumerate(self.cells) if spec.cell_id not in keep]
        for i in sorted(rng.sample(pool, min(count, len(pool))), reverse=True):
            del self.cells[i]

    def stats(self) -> dict[str, int]:
        code = [s for s in self.cells if s.kind == "code"]
        return {
            "cells": len(self.cells),
            "code_cells": len(code),
            "markdown_cells": len(self.cells) - len(code),
            "images": sum(len(s.images) for s in code),
            "code_cells_with_images": sum(1 for s in code if s.images),
            "tables": sum(1 for s in code if s.rows),
        }


def _split_lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ipynb_json(notebook: dict[str, Any]) -> str:
    """nbformat's v4 writer without validation: multi-line strings as lists of lines (sources,
    stream text, text/* and other non-JSON, non-image data), sorted keys, indent 1."""
    cells = []
    for cell in notebook["cells"]:
        cell = dict(cell, source=_split_lines(cell["source"]))
        if "outputs" in cell:
            outputs = []
            for output in cell["outputs"]:
                output = dict(output)
                if "text" in output:
                    output["text"] = _split_lines(output["text"])
                if "data" in output:
                    output["data"] = {
                        mime: value
                        if mime.startswith("image/") or mime.endswith("json")
                        else _split_lines(value)
                        for mime, value in output["data"].items()
                    }
                outputs.append(output)
            cell["outputs"] = outputs
        cells.append(cell)
    return json.dumps(dict(notebook, cells=cells), sort_keys=True, indent=1, ensure_ascii=False)
