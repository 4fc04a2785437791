"""A static picture of a chart (PNG, drawn with Pillow) for where widgets do not render:
nbconvert's HTML, a notebook viewed on GitHub, a notebook opened without its kernel.

The same data as the widget (buckets: a line through each bucket's last value, a faint band
from its min to its max), the same colours (labextension/src/chart/palette.ts), axes with a
few round ticks and a legend.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nepnb.store.downsample import SeriesBuckets

__all__ = ["PALETTE", "Line", "draw_chart", "nice_ticks"]

#: Tableau 10, as the chart component uses.
PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]  # fmt: skip
_TEXT = (51, 51, 51)
_GRID = (224, 224, 224)
_FONT_SIZE = 12


@dataclass(frozen=True)
class Line:
    """One series of the picture."""

    label: str
    buckets: SeriesBuckets


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten apart) in ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _label(value: float, x_axis: str | None = None) -> str:
    if x_axis == "time":
        return time.strftime("%H:%M:%S", time.localtime(value))
    if value == 0:
        return "0"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(value) >= scale:
            divided = value / (scale if suffix != "k" else 1e3)
            return f"{divided:.4g}{suffix}"
    if abs(value) < 1e-3:
        return f"{value:.2g}"
    return f"{value:,.4g}"


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(_FONT_SIZE)
    except TypeError:  # Pillow < 10.1: a fixed bitmap font
        return ImageFont.load_default()


def _rgb(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    value = int(color[1:], 16)
    return (value >> 16) & 255, (value >> 8) & 255, value & 255, alpha


def draw_chart(
    lines: Sequence[Line],
    *,
    x_axis: str = "step",
    log_scale: bool = False,
    title: str = "",
    width: int = 720,
    height: int = 300,
) -> bytes:
    """The chart as PNG bytes."""
    font = _font()
    legend_rows = math.ceil(len(lines) / 3) if lines else 0
    top = 24 if title else 10
    left, right = 64, 16
    image = Image.new("RGBA", (width, height + 18 * legend_rows), (255, 255, 255, 255))
    draw = ImageDraw.Draw(image, "RGBA")
    if title:
        draw.text((left, 5), title, fill=_TEXT, font=font)
    plot = (left, top, width - right, height - 28)

    def y_of(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if log_scale:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(values > 0, np.log10(values), np.nan)
        return values

    xs = [line.buckets.x for line in lines if len(line.buckets)]
    ys = [
        y_of(b) for line in lines for b in (line.buckets.min, line.buckets.max, line.buckets.last)
    ]
    finite_y = np.concatenate([v[np.isfinite(v)] for v in ys]) if ys else np.empty(0)
    if not xs or not len(finite_y):
        draw.rectangle(plot, outline=_GRID)
        message = "no points yet"
        draw.text(
            ((plot[0] + plot[2]) / 2 - 30, (plot[1] + plot[3]) / 2), message, fill=_TEXT, font=font
        )
        return _png(image)
    x_low = float(min(x[0] for x in xs))
    x_high = float(max(x[-1] for x in xs))
    if x_high <= x_low:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    y_low, y_high = float(finite_y.min()), float(finite_y.max())
    pad = (y_high - y_low) * 0.05 or max(abs(y_high) * 0.05, 0.5)
    y_low, y_high = y_low - pad, y_high + pad

    def px(x: np.ndarray | float) -> np.ndarray:
        return plot[0] + (np.asarray(x) - x_low) / (x_high - x_low) * (plot[2] - plot[0])

    def py(y: np.ndarray | float) -> np.ndarray:
        return plot[3] - (np.asarray(y) - y_low) / (y_high - y_low) * (plot[3] - plot[1])

    # grid and tick labels
    for tick in nice_ticks(y_low, y_high):
        y = float(py(tick))
        draw.line((plot[0], y, plot[2], y), fill=_GRID)
        text = _label(10**tick) if log_scale else _label(tick)
        draw.text((plot[0] - 6, y), text, fill=_TEXT, font=font, anchor="rm")
    for tick in nice_ticks(x_low, x_high, 6):
        x = float(px(tick))
        draw.line((x, plot[1], x, plot[3]), fill=_GRID)
        draw.text((x, plot[3] + 4), _label(tick, x_axis), fill=_TEXT, font=font, anchor="ma")
    draw.rectangle(plot, outline=(180, 180, 180))

    for index, line in enumerate(lines):
        color = PALETTE[index % len(PALETTE)]
        b = line.buckets
        if not len(b):
            continue
        bx = px(b.x)
        low, high, last = py(y_of(b.min)), py(y_of(b.max)), py(y_of(b.last))
        # The min/max band: one polygon per run of buckets with finite bounds.
        band = _rgb(color, 60)
        finite = np.isfinite(low) & np.isfinite(high)
        edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(np.int8), 0]))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            if stop - start > 1:
                upper = list(zip(bx[start:stop].tolist(), high[start:stop].tolist(), strict=True))
                lower = list(zip(bx[start:stop].tolist(), low[start:stop].tolist(), strict=True))
                draw.polygon(upper + lower[::-1], fill=band)
        segment: list[tuple[float, float]] = []
        for x, y in zip(bx.tolist(), last.tolist(), strict=True):
            if math.isfinite(y):
                segment.append((x, y))
                continue
            _polyline(draw, segment, _rgb(color))
            segment = []
        _polyline(draw, segment, _rgb(color))

    # legend: up to three entries a row, below the x axis
    for index, line in enumerate(lines):
        row, column = divmod(index, 3)
        x = plot[0] + column * (plot[2] - plot[0]) / 3
        y = height - 4 + row * 18
        draw.line((x, y + 7, x + 18, y + 7), fill=_rgb(PALETTE[index % len(PALETTE)]), width=3)
        draw.text((x + 24, y), line.label[:48], fill=_TEXT, font=font)
    return _png(image)


def _polyline(
    draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], color: tuple[int, ...]
) -> None:
    if len(points) == 1:
        x, y = points[0]
        draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=color)
    elif points:
        draw.line(points, fill=color, width=2, joint="curve")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()
