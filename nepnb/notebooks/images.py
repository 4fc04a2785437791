"""Visual comparison of notebook image outputs.

Two versions of an ``image/png`` (``image/jpeg``, ``image/gif``, ``image/webp``…) output are
compared by their pixels, not their bytes: a plot that was merely re-encoded, or re-rendered with
a bit of antialiasing noise, is reported as unchanged, and a real change comes with a measure of
how much changed and a small PNG that shows where.

Pixels are compared after normalizing both images to straight RGB(A) with 8 bits per channel.
When either image has an alpha channel, the colour channels are composited over white and the
alpha channel is compared as a fourth channel, so the hidden colour of a fully transparent pixel
never counts, while a pixel that became transparent does.

Lossy images (JPEG, lossy WebP) carry compression noise: around sharp edges a re-encoded block
rings by tens of levels even where the picture did not change. When either side is lossy, a
pixel counts as changed only when the difference also holds on average over the 7x7 pixels
around it (about a JPEG block) beyond the noise its quantization allows: ringing averages out,
a real change (a line, a patch, a moved curve) does not. Callers that have a lossless version
of the same output (IPython shows PIL images as PNG and JPEG) should compare that instead.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ImageComparison", "compare_images", "decode_image_data", "representation_to_compare"]

#: Image MIME types, the lossless ones first: an output shown both ways (IPython shows a PIL
#: image as PNG and JPEG) is compared through its lossless picture.
LOSSLESS_FIRST = ("image/png", "image/gif", "image/webp", "image/jpeg")

#: Colour used in the diff image for the pixels that changed.
DIFF_COLOR = (255, 0, 255)

# The diff image is a 4-bit palette PNG: index 0 is DIFF_COLOR, the other 15 are faded greys
# (black in the image maps to _FADED_DARKEST, white stays white).
_GRAY_LEVELS = 15
_FADED_DARKEST = 150
_DIFF_PNG_COMPRESS_LEVEL = 7  # 9 is ~8x slower for ~8% smaller files

_WHITESPACE = re.compile(r"\s+")
_DATA_URL = re.compile(r"^data:[^,]*;base64,", re.IGNORECASE)

_Array = np.ndarray[Any, np.dtype[np.uint8]]

# Lossy images: the signed difference is averaged over _NOISE_WINDOW² pixels, and must exceed
# _NOISE_PER_DC_STEP x the luma DC quantization step of a JPEG (8 at quality 75, 16 at 50), at
# least _MIN_JPEG_NOISE, or _WEBP_NOISE for a lossy WebP. Measured on plots with a patch, a
# line, text or every curve changed: at JPEG quality 50 to 100 no pixel 3 or more pixels away
# from a real change counts, and more than 90% of the pixels of a changed patch or line do.
_NOISE_WINDOW = 7
_NOISE_PER_DC_STEP = 1.25
_MIN_JPEG_NOISE = 10
_WEBP_NOISE = 12


@dataclass(frozen=True)
class ImageComparison:
    """The outcome of :func:`compare_images`.

    ``score`` is the mean absolute difference over all channels and pixels, divided by 255.
    ``changed_fraction`` is the fraction of pixels whose largest channel difference exceeds the
    tolerance. Sizes are ``(width, height)``, ``(0, 0)`` for an image that could not be decoded.
    ``diff_png`` shows b in faded grey with the changed pixels painted magenta; it is ``None``
    when nothing changed or an image could not be decoded.
    """

    changed: bool
    score: float
    changed_fraction: float
    size_a: tuple[int, int]
    size_b: tuple[int, int]
    diff_png: bytes | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict: floats rounded to 6 significant digits, ``diff_png`` as base64."""
        return {
            "changed": self.changed,
            "score": _round(self.score),
            "changed_fraction": _round(self.changed_fraction),
            "size_a": list(self.size_a),
            "size_b": list(self.size_b),
            "diff_png": (
                base64.b64encode(self.diff_png).decode("ascii")
                if self.diff_png is not None
                else None
            ),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageComparison:
        """The inverse of :meth:`to_json` (up to the rounding of the floats)."""
        diff = data.get("diff_png")
        size_a, size_b = data["size_a"], data["size_b"]
        return cls(
            changed=bool(data["changed"]),
            score=float(data["score"]),
            changed_fraction=float(data["changed_fraction"]),
            size_a=(int(size_a[0]), int(size_a[1])),
            size_b=(int(size_b[0]), int(size_b[1])),
            diff_png=base64.b64decode(diff) if diff is not None else None,
            note=str(data.get("note", "")),
        )


def decode_image_data(data: bytes | str) -> bytes:
    """The raw bytes of an image output.

    A ``str`` is base64, as stored in ``.ipynb`` outputs: whitespace and newlines anywhere are
    ignored, missing padding is tolerated, and a ``data:…;base64,`` prefix is stripped. Bytes
    are returned as they are. Raises ``ValueError`` when the string is not valid base64.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if not isinstance(data, str):
        raise TypeError(f"image data must be bytes or a base64 str, not {type(data).__name__}")
    text = _WHITESPACE.sub("", data)
    text = _DATA_URL.sub("", text, count=1)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64 data ({exc})") from None


def representation_to_compare(data_a: dict[str, Any], data_b: dict[str, Any]) -> str | None:
    """The image MIME type to compare two versions of an output's ``data`` by: the most
    faithful one both have (PNG before JPEG), or None. The other image types both have are
    encodings of the same picture and need no comparison of their own."""
    return next((mime for mime in LOSSLESS_FIRST if mime in data_a and mime in data_b), None)


def compare_images(
    a: bytes | str, b: bytes | str, *, tolerance: int = 8, max_diff_size: int = 512
) -> ImageComparison:
    """Compare two image outputs visually.

    ``a`` and ``b`` are raw image bytes or base64 strings as in ``.ipynb`` outputs. A pixel counts
    as changed when its largest channel difference exceeds ``tolerance`` (0..255). When the sizes
    differ, b is resampled to a's size for the score and the diff image, and the result is
    always ``changed``. The diff image is scaled down so that neither side exceeds
    ``max_diff_size``. Data that cannot be decoded never raises: it is compared by its bytes.
    """
    if not 0 <= tolerance <= 255:
        raise ValueError(f"tolerance must be between 0 and 255, got {tolerance}")
    if max_diff_size < 1:
        raise ValueError(f"max_diff_size must be at least 1, got {max_diff_size}")

    raw_a, error_a = _raw_bytes(a)
    if a is b or (type(a) is type(b) and a == b):
        return _identical(raw_a, error_a)
    raw_b, error_b = _raw_bytes(b)
    if error_a is None and error_b is None and raw_a == raw_b:
        return _identical(raw_a, None)

    image_a = image_b = None
    if error_a is None:
        image_a, error_a = _open(raw_a)
    if error_b is None:
        image_b, error_b = _open(raw_b)
    if image_a is None or image_b is None:
        errors = {"a": error_a, "b": error_b}
        notes = [f"could not decode image {n}: {e}" for n, e in errors.items() if e is not None]
        changed = raw_a != raw_b
        return ImageComparison(
            changed=changed,
            score=1.0 if changed else 0.0,
            changed_fraction=1.0 if changed else 0.0,
            size_a=image_a.size if image_a is not None else (0, 0),
            size_b=image_b.size if image_b is not None else (0, 0),
            diff_png=None,
            note="; ".join(notes),
        )
    try:
        return _compare_decoded(image_a, image_b, tolerance=tolerance, max_diff_size=max_diff_size)
    except Exception as exc:  # an exotic mode Pillow cannot convert: never raise
        return ImageComparison(
            True, 1.0, 1.0, image_a.size, image_b.size, None, f"could not compare images: {exc!r}"
        )


# --------------------------------------------------------------------------------------------
# decoding


def _raw_bytes(data: bytes | str) -> tuple[bytes, str | None]:
    """Raw bytes and ``None``, or the UTF-8 bytes of a non-base64 string and why."""
    try:
        return decode_image_data(data), None
    except ValueError as exc:
        text = data if isinstance(data, str) else repr(data)
        reason = str(exc)
        if text.lstrip().startswith("<"):
            reason = "not a raster image (looks like SVG or other markup)"
        return text.encode("utf-8", "surrogatepass"), reason
    except TypeError as exc:
        return repr(data).encode("utf-8"), str(exc)


def _open(raw: bytes) -> tuple[Image.Image | None, str | None]:
    """A fully loaded RGB or RGBA image, or ``None`` and the reason it could not be decoded.
    The image's ``info["nepnb_noise"]`` is the compression noise it may carry (0: lossless)."""
    try:
        encoded = Image.open(io.BytesIO(raw))
        encoded.load()  # the first frame of an animation
        image = _normalize(encoded)
        image.info["nepnb_noise"] = _compression_noise(encoded, raw)
        return image, None
    except UnidentifiedImageError:
        if raw.lstrip()[:1] == b"<":
            return None, "not a raster image (looks like SVG or other markup)"
        return None, "not a recognized image format"
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _compression_noise(image: Image.Image, raw: bytes) -> int:
    """How many levels a lossy encoding may move an unchanged pixel, on average over a
    block; 0 for a lossless image (PNG, GIF, lossless WebP …)."""
    if image.format == "JPEG":
        tables = getattr(image, "quantization", None) or {}
        luma = tables.get(0) if isinstance(tables, dict) else None
        dc_step = int(luma[0]) if luma else 8  # 8: quality 75, Pillow's and IPython's default
        return max(_MIN_JPEG_NOISE, round(_NOISE_PER_DC_STEP * dc_step))
    if image.format == "WEBP" and b"VP8L" not in raw[12:64]:  # VP8L: the lossless bitstream
        return _WEBP_NOISE
    return 0


def _normalize(image: Image.Image) -> Image.Image:
    """Upright, 8 bits per channel, ``RGB`` when opaque and ``RGBA`` otherwise."""
    try:
        if image.getexif().get(0x0112, 1) != 1:  # EXIF orientation, as browsers apply it
            image = ImageOps.exif_transpose(image)
    except Exception:
        pass
    mode = image.mode
    if mode == "RGBA" or (mode == "RGB" and "transparency" not in image.info):
        return image
    if mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return Image.fromarray(_high_depth_to_8bit(image, mode)).convert("RGB")
    if "transparency" in image.info or (
        mode == "P" and image.palette is not None and image.palette.mode == "RGBA"
    ):
        return image.convert("RGBA")  # colour key (tRNS) or palette alpha
    if mode in ("1", "L", "P", "CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    return image.convert("RGBA")  # LA, PA, La, RGBa, …


def _high_depth_to_8bit(image: Image.Image, mode: str) -> _Array:
    values = np.asarray(image).astype(np.float64)
    if mode.startswith("I;16") or (mode == "I" and values.size and values.max() > 255):
        values = values / 257.0  # 16-bit samples, as in 16-bit greyscale PNGs
    elif mode == "F" and values.size and float(np.nanmax(values)) <= 1.0:
        values = values * 255.0
    return np.clip(np.nan_to_num(np.rint(values)), 0, 255).astype(np.uint8)


def _identical(raw: bytes, error: str | None) -> ImageComparison:
    """Same data on both sides: the size is read from the header only, nothing is decoded."""
    size = (0, 0)
    if error is None:
        try:
            with Image.open(io.BytesIO(raw)) as image:
                size = image.size
        except Exception:
            error = "not a recognized image format"
    note = f"identical data, could not decode image: {error}" if error is not None else ""
    return ImageComparison(False, 0.0, 0.0, size, size, None, note)


# --------------------------------------------------------------------------------------------
# comparing


def _compare_decoded(
    image_a: Image.Image, image_b: Image.Image, *, tolerance: int, max_diff_size: int
) -> ImageComparison:
    size_a, size_b = image_a.size, image_b.size
    note = ""
    if size_a != size_b:
        note = f"size changed {size_a[0]}x{size_a[1]} → {size_b[0]}x{size_b[1]}"
        if 0 in size_a or 0 in size_b:
            return ImageComparison(True, 1.0, 1.0, size_a, size_b, None, note)
        # Pillow resamples RGBA premultiplied, so hidden colours do not bleed in.
        image_b = image_b.resize(size_a, Image.Resampling.LANCZOS)
    if 0 in size_a:
        return ImageComparison(note != "", 0.0, 0.0, size_a, size_b, None, note)

    noise = max(image_a.info.get("nepnb_noise", 0), image_b.info.get("nepnb_noise", 0))
    with_alpha = image_a.mode == "RGBA" or image_b.mode == "RGBA"
    pixels_a = _pixels(image_a, with_alpha)
    pixels_b = _pixels(image_b, with_alpha)

    diff = np.maximum(pixels_a, pixels_b)
    diff -= np.minimum(pixels_a, pixels_b)
    score = float(diff.sum(dtype=np.uint64)) / (diff.size * 255)
    largest = diff[..., 0]
    for channel in range(1, diff.shape[2]):
        largest = np.maximum(largest, diff[..., channel])
    mask = largest > tolerance
    if noise and mask.any():
        mask &= _beyond_noise(pixels_a, pixels_b, max(tolerance, noise))
    changed_pixels = int(np.count_nonzero(mask))
    changed_fraction = changed_pixels / mask.size

    changed = changed_pixels > 0 or size_a != size_b
    diff_png = _diff_png(pixels_b, mask, max_diff_size) if changed else None
    return ImageComparison(changed, score, changed_fraction, size_a, size_b, diff_png, note)


def _beyond_noise(
    pixels_a: _Array, pixels_b: _Array, level: int
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Pixels where the signed difference, averaged over the window around them, exceeds
    ``level`` in some channel: compression ringing averages out, a real change does not."""
    signed = pixels_b.astype(np.int32) - pixels_a.astype(np.int32)
    radius = _NOISE_WINDOW // 2
    padded = np.pad(signed, ((radius, radius), (radius, radius), (0, 0)), mode="edge")
    # box sums through cumulative sums: rows, then columns
    sums = np.cumsum(padded, axis=0)
    sums = np.concatenate(
        [sums[_NOISE_WINDOW - 1 : _NOISE_WINDOW], sums[_NOISE_WINDOW:] - sums[:-_NOISE_WINDOW]]
    )
    sums = np.cumsum(sums, axis=1)
    sums = np.concatenate(
        [
            sums[:, _NOISE_WINDOW - 1 : _NOISE_WINDOW],
            sums[:, _NOISE_WINDOW:] - sums[:, :-_NOISE_WINDOW],
        ],
        axis=1,
    )
    mean = np.abs(sums) / (_NOISE_WINDOW * _NOISE_WINDOW)
    result: np.ndarray[Any, np.dtype[np.bool_]] = mean.max(axis=2) > level
    return result


def _pixels(image: Image.Image, with_alpha: bool) -> _Array:
    """HxWx3 RGB, or HxWx4 with RGB composited over white and alpha kept as a channel."""
    if not with_alpha:
        return np.asarray(image)  # RGB
    if image.mode != "RGBA":
        rgb = np.asarray(image)
        alpha = np.full((*rgb.shape[:2], 1), 255, dtype=np.uint8)
        return np.concatenate([rgb, alpha], axis=2)
    rgba = np.asarray(image)
    alpha16 = rgba[..., 3:].astype(np.uint16)
    # rgb * a + 255 * (255 - a) <= 65025, so uint16 cannot overflow
    over_white = rgba[..., :3] * alpha16 + (255 - alpha16) * 255
    over_white = (over_white + 127) // 255
    out = np.empty_like(rgba)
    out[..., :3] = over_white
    out[..., 3] = rgba[..., 3]
    return out


def _diff_png(pixels_b: _Array, mask: np.ndarray[Any, np.dtype[np.bool_]], max_size: int) -> bytes:
    """b in faded grey, changed pixels in DIFF_COLOR, at most ``max_size`` on each side."""
    height, width = mask.shape
    scale = min(1.0, max_size / max(width, height))
    target = (
        max(1, min(max_size, round(width * scale))),
        max(1, min(max_size, round(height * scale))),
    )

    gray = Image.fromarray(np.ascontiguousarray(pixels_b[..., :3])).convert("L")
    marks = Image.fromarray(mask.view(np.uint8) * np.uint8(255))
    if target != (width, height):
        gray = gray.resize(target, Image.Resampling.BOX)
        # any changed source pixel under an output pixel marks it: small changes stay visible
        marks = marks.resize(target, Image.Resampling.BOX)

    # grey value -> palette index 1.._GRAY_LEVELS; index 0 is the diff colour
    lut = [1 + value * _GRAY_LEVELS // 256 for value in range(256)]
    indices = np.array(gray.point(lut))
    indices[np.asarray(marks) > 0] = 0

    palette = list(DIFF_COLOR)
    for level in range(_GRAY_LEVELS):
        shade = _FADED_DARKEST + round(level * (255 - _FADED_DARKEST) / (_GRAY_LEVELS - 1))
        palette += [shade, shade, shade]
    out = Image.fromarray(indices)
    out.putpalette(palette)  # L -> P
    buffer = io.BytesIO()
    out.save(buffer, "PNG", bits=4, compress_level=_DIFF_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def _round(value: float) -> float:
    return float(f"{value:.6g}")
