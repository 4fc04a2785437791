"""Visual comparison of image outputs: real PNG/JPEG/GIF/WebP bytes made with Pillow."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, features

from nepnb.notebooks.images import ImageComparison, compare_images, decode_image_data

MAGENTA = (255, 0, 255)


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(width: int = 100, height: int = 100) -> np.ndarray:
    """A smooth RGB image, different in every pixel and channel."""
    yy, xx = np.mgrid[0:height, 0:width]
    red = xx * 200 // max(1, width - 1) + 20
    green = yy * 200 // max(1, height - 1) + 20
    blue = (xx + yy) * 200 // max(1, width + height - 2) + 20
    return np.stack([red, green, blue], axis=2).astype(np.uint8)


def plot(size: int = 300, seed: int = 0) -> Image.Image:
    """Something like a matplotlib line plot: white background, thin coloured lines."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(seed)
    for i in range(12):
        points = [
            (x, size / 2 + size * 0.3 * np.sin(x / 40 + i) + rng.normal() * 3)
            for x in range(0, size, 3)
        ]
        draw.line(points, fill=(int(rng.integers(256)), 90, 200), width=2)
    return image


def diff_pixels(result: ImageComparison) -> np.ndarray:
    assert result.diff_png is not None
    diff = Image.open(io.BytesIO(result.diff_png))
    assert diff.format == "PNG"
    return np.asarray(diff.convert("RGB"))


def is_magenta(pixels: np.ndarray) -> np.ndarray:
    return np.all(pixels == np.array(MAGENTA, dtype=np.uint8), axis=-1)


# ---------------------------------------------------------------------------------- identical


def test_identical_bytes_are_unchanged() -> None:
    data = encode(Image.fromarray(gradient(64, 48)))
    result = compare_images(data, data)
    assert result == ImageComparison(False, 0.0, 0.0, (64, 48), (64, 48), None, "")
    as_text = base64.b64encode(data).decode()
    assert compare_images(as_text, as_text) == result
    assert compare_images(data, as_text) == result  # same bytes once base64 is decoded


def test_identical_bytes_are_not_decoded() -> None:
    # a valid header with a corrupt body: decoding it would fail, reading the size does not
    data = bytearray(encode(Image.fromarray(gradient(64, 48))))
    data[60:-20] = bytes(len(data) - 80)
    result = compare_images(bytes(data), bytes(data))
    assert not result.changed
    assert result.size_a == result.size_b == (64, 48)
    assert result.note == ""


# ------------------------------------------------------------------------ same pixels, new bytes


def test_png_recompressed_is_unchanged() -> None:
    image = Image.fromarray(gradient())
    fast, small = encode(image, compress_level=0), encode(image, compress_level=9, optimize=True)
    assert fast != small
    result = compare_images(fast, small)
    assert not result.changed
    assert result.score == 0.0
    assert result.changed_fraction == 0.0
    assert result.diff_png is None
    assert result.size_a == result.size_b == (100, 100)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
def test_png_and_lossless_webp_are_unchanged() -> None:
    image = Image.fromarray(gradient())
    webp = encode(image, "WEBP", lossless=True)
    assert Image.open(io.BytesIO(webp)).format == "WEBP"
    result = compare_images(encode(image), webp)
    assert not result.changed
    assert result.score == 0.0


def test_jpeg_quality_95_of_a_smooth_image_is_unchanged() -> None:
    image = Image.fromarray(gradient(300, 200))
    png, jpeg = encode(image), encode(image, "JPEG", quality=95)
    result = compare_images(png, jpeg)
    print(
        f"\nsmooth image, PNG vs JPEG q95: score={result.score:.5f} "
        f"changed_fraction={result.changed_fraction:.4f}"
    )
    assert not result.changed  # measured: score ~0.002, no pixel beyond the tolerance
    assert result.score < 0.01
    # and a second JPEG generation of the JPEG
    again = encode(Image.open(io.BytesIO(jpeg)), "JPEG", quality=95)
    assert not compare_images(jpeg, again).changed


def test_jpeg_quality_95_of_a_sharp_plot_is_unchanged() -> None:
    # Thin coloured lines on white: JPEG ringing exceeds the tolerance around the lines, pixel
    # by pixel, but it is compression noise, not a change.
    image = plot()
    result = compare_images(encode(image), encode(image, "JPEG", quality=95, subsampling=0))
    print(
        f"\nsharp plot, PNG vs JPEG q95 4:4:4: score={result.score:.5f} "
        f"changed_fraction={result.changed_fraction:.4f}"
    )
    assert not result.changed
    assert result.score < 0.01
    assert result.diff_png is None


def dilated(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` grown by ``pixels`` in every direction (8-connected)."""
    for _ in range(pixels):
        padded = np.pad(mask, 1)
        grown = padded[1:-1, 1:-1].copy()
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                grown |= padded[
                    1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx
                ]
        mask = grown
    return mask


def changed_mask(result: ImageComparison) -> np.ndarray:
    """The changed pixels, read back from the (full size) diff image."""
    return is_magenta(diff_pixels(result))


@pytest.mark.parametrize("quality", [50, 75, 95])
@pytest.mark.parametrize("change", ["patch", "line", "every curve"])
def test_jpeg_noise_never_counts_away_from_a_real_change(quality: int, change: str) -> None:
    before = plot()
    if change == "every curve":
        after = plot(seed=1)
    else:
        after = before.copy()
        draw = ImageDraw.Draw(after)
        if change == "patch":
            draw.rectangle([200, 40, 259, 79], fill=(200, 30, 30))
        else:
            draw.line([(40, 60), (280, 70)], fill=(0, 0, 0), width=1)
    truth = np.any(np.asarray(before) != np.asarray(after), axis=2)
    result = compare_images(
        encode(before, "JPEG", quality=quality), encode(after, "JPEG", quality=quality)
    )
    assert result.changed
    marked = changed_mask(result)
    # Ringing next to a changed pixel may count; anything 4 pixels or more away is noise (before
    # the noise was tolerated: hundreds of pixels over unchanged curves, up to 15 pixels away).
    assert not np.any(marked & ~dilated(truth, 3)), "compression noise counted as a change"
    if change != "every curve":
        assert np.count_nonzero(marked & truth) >= 0.9 * np.count_nonzero(truth)


def test_jpeg_noise_tolerance_still_sees_a_faint_patch() -> None:
    before = plot()
    after = before.copy()
    ImageDraw.Draw(after).rectangle([100, 100, 159, 139], fill=(225, 225, 225))
    result = compare_images(encode(before, "JPEG"), encode(after, "JPEG"))
    assert result.changed
    truth = np.any(np.asarray(before) != np.asarray(after), axis=2)
    assert np.count_nonzero(changed_mask(result) & truth) >= 0.8 * np.count_nonzero(truth)


# ----------------------------------------------------------------------------------- changes


def test_patch_changed_in_100x100() -> None:
    pixels = gradient()
    changed = pixels.copy()
    changed[30:40, 50:60] = 255 - changed[30:40, 50:60]  # rows 30..39, columns 50..59
    a, b = encode(Image.fromarray(pixels)), encode(Image.fromarray(changed))

    result = compare_images(a, b)
    assert result.changed
    assert result.changed_fraction == 0.01
    expected_score = np.abs(pixels.astype(int) - changed).mean() / 255
    assert result.score == pytest.approx(expected_score, abs=1e-12)
    assert result.size_a == result.size_b == (100, 100)
    assert result.note == ""

    diff = diff_pixels(result)
    assert diff.shape == (100, 100, 3)  # small enough: not scaled
    magenta = is_magenta(diff)
    expected = np.zeros((100, 100), dtype=bool)
    expected[30:40, 50:60] = True
    assert np.array_equal(magenta, expected)
    # everything else is faded grey context: grey, light, and not flat
    context = diff[~expected]
    assert np.all(context[:, 0] == context[:, 1])
    assert np.all(context[:, 1] == context[:, 2])
    assert context.min() >= 128
    assert len(np.unique(context[:, 0])) > 3


def test_tolerance_threshold() -> None:
    pixels = gradient()
    by_8, by_9 = pixels.copy(), pixels.copy()
    by_8[0, 0, 1] += 8
    by_9[0, 0, 1] += 9
    a = encode(Image.fromarray(pixels))
    assert not compare_images(a, encode(Image.fromarray(by_8))).changed
    result = compare_images(a, encode(Image.fromarray(by_9)))
    assert result.changed
    assert result.changed_fraction == 1 / 10_000
    assert compare_images(a, encode(Image.fromarray(by_8)), tolerance=0).changed
    assert not compare_images(a, encode(Image.fromarray(by_9)), tolerance=9).changed
    with pytest.raises(ValueError):
        compare_images(a, a, tolerance=256)
    with pytest.raises(ValueError):
        compare_images(a, a, max_diff_size=0)


def test_size_change() -> None:
    image = Image.fromarray(gradient(64, 48))
    bigger = image.resize((80, 60), Image.Resampling.LANCZOS)
    result = compare_images(encode(image), encode(bigger))
    assert result.changed
    assert result.note == "size changed 64x48 → 80x60"
    assert (result.size_a, result.size_b) == ((64, 48), (80, 60))
    assert result.score < 0.02  # same picture, rescaled
    assert diff_pixels(result).shape == (48, 64, 3)  # in a's geometry

    other = compare_images(encode(image), encode(Image.new("RGB", (32, 32), "black")))
    assert other.changed
    assert other.note == "size changed 64x48 → 32x32"
    assert other.score > 0.2
    assert other.changed_fraction == 1.0
    assert is_magenta(diff_pixels(other)).all()


# -------------------------------------------------------------------------------- pixel modes


def test_transparent_pixels_hidden_colour_does_not_count() -> None:
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[..., :3] = gradient(40, 40)
    rgba[..., 3] = 255
    rgba[:20, :, 3] = 0  # top half fully transparent
    other = rgba.copy()
    other[:20, :, :3] = [[[255, 0, 0]]]  # another hidden colour under alpha 0
    a, b = encode(Image.fromarray(rgba, "RGBA")), encode(Image.fromarray(other, "RGBA"))
    assert a != b
    result = compare_images(a, b)
    assert not result.changed
    assert result.score == 0.0

    # but a pixel that became transparent, or half transparent, did change
    faded = rgba.copy()
    faded[30:, :, 3] = 128
    result = compare_images(a, encode(Image.fromarray(faded, "RGBA")))
    assert result.changed
    assert result.changed_fraction == pytest.approx(10 / 40)


def test_opaque_rgba_equals_rgb() -> None:
    pixels = gradient()
    rgba = np.concatenate([pixels, np.full((100, 100, 1), 255, np.uint8)], axis=2)
    result = compare_images(encode(Image.fromarray(pixels)), encode(Image.fromarray(rgba)))
    assert not result.changed


def test_palette_image() -> None:
    rgb = Image.fromarray(gradient()).quantize(colors=64).convert("RGB")
    palette_png = encode(rgb.quantize(colors=64))
    assert Image.open(io.BytesIO(palette_png)).mode == "P"
    assert not compare_images(encode(rgb), palette_png).changed
    gif = encode(rgb.quantize(colors=64), "GIF")
    assert not compare_images(encode(rgb), gif).changed
    assert not compare_images(palette_png, gif).changed

    # a palette edit shows up as a change
    edited = np.asarray(rgb).copy()
    edited[:5, :5] = 0
    result = compare_images(gif, encode(Image.fromarray(edited).quantize(colors=65), "GIF"))
    assert result.changed
    assert result.changed_fraction == pytest.approx(25 / 10_000)


def test_palette_transparency_and_grey_modes() -> None:
    pixels = np.zeros((20, 20), dtype=np.uint8)
    pixels[5:15, 5:15] = 1
    pal = Image.fromarray(pixels, "L").convert("P")
    pal.putpalette([0, 0, 0, 200, 30, 30] + [0, 0, 0] * 254)
    transparent_black = encode(pal, "GIF", transparency=0)
    pal.putpalette([90, 90, 250, 200, 30, 30] + [0, 0, 0] * 254)
    transparent_blue = encode(pal, "GIF", transparency=0)
    assert not compare_images(transparent_black, transparent_blue).changed
    assert compare_images(transparent_black, encode(pal, "GIF")).changed  # alpha removed

    grey = (gradient(30, 30)[..., 0]).astype(np.uint8)
    as_l = encode(Image.fromarray(grey, "L"))
    as_rgb = encode(Image.fromarray(np.repeat(grey[..., None], 3, axis=2)))
    as_la = encode(Image.fromarray(np.stack([grey, np.full_like(grey, 255)], axis=2), "LA"))
    as_16 = encode(Image.fromarray(grey.astype(np.uint16) * 257))  # 16-bit greyscale PNG
    assert Image.open(io.BytesIO(as_16)).mode.startswith("I")
    for other in (as_rgb, as_la, as_16):
        result = compare_images(as_l, other)
        assert not result.changed, result
        assert result.score == 0.0


def test_animated_gif_compares_first_frame() -> None:
    frame = Image.fromarray(gradient(32, 32)).quantize(colors=32)
    second, third = Image.new("P", (32, 32), 0), Image.new("P", (32, 32), 5)
    second.putpalette(frame.getpalette() or [])
    third.putpalette(frame.getpalette() or [])
    one = encode(frame, "GIF", save_all=True, append_images=[second], duration=100)
    two = encode(frame, "GIF", save_all=True, append_images=[third], duration=200)
    assert getattr(Image.open(io.BytesIO(one)), "n_frames", 1) == 2
    assert one != two
    assert not compare_images(one, two).changed
    assert not compare_images(one, encode(frame.convert("RGB"))).changed


def test_cmyk_jpeg_decodes() -> None:
    cmyk = Image.fromarray(gradient(40, 30)).convert("CMYK")
    result = compare_images(encode(cmyk, "JPEG", quality=95), encode(Image.new("RGB", (40, 30))))
    assert result.note == ""
    assert result.size_a == (40, 30)
    assert result.changed


# ------------------------------------------------------------------------------------ base64


def test_base64_with_newlines() -> None:
    raw = encode(Image.fromarray(gradient()))
    wrapped = base64.encodebytes(raw).decode()  # 76-character lines, as old .ipynb files
    assert "\n" in wrapped
    assert decode_image_data(wrapped) == raw
    assert decode_image_data(raw) == raw
    assert decode_image_data(" " + wrapped.replace("\n", "\r\n") + "\n") == raw
    assert decode_image_data(base64.b64encode(raw).decode().rstrip("=")) == raw
    assert decode_image_data("data:image/png;base64," + base64.b64encode(raw).decode()) == raw
    with pytest.raises(ValueError):
        decode_image_data("not base64 at all!")

    # a re-encoded PNG given as wrapped base64 on one side and unwrapped on the other
    other = encode(Image.fromarray(gradient()), compress_level=0)
    result = compare_images(wrapped, base64.b64encode(other).decode())
    assert not result.changed
    assert result.size_a == (100, 100)


# ------------------------------------------------------------------------------- undecodable


def test_corrupt_and_non_image_data_never_raise() -> None:
    png = encode(Image.fromarray(gradient()))
    truncated = png[: len(png) // 2]
    cases: dict[str, bytes | str] = {
        "bad base64": "iVBORw0KGgo!!!$$$",
        "not an image": b"hello, world",
        "truncated png": truncated,
        "svg text": '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>',
    }
    for name, bad in cases.items():
        result = compare_images(png, bad)
        assert result.changed, name
        assert result.score == 1.0, name
        assert result.diff_png is None, name
        assert result.note.startswith("could not decode image b: "), (name, result.note)
        assert result.size_a == (100, 100), name
        assert result.size_b == (0, 0), name
        json.dumps(result.to_json())

        same = compare_images(bad, bad)
        assert not same.changed, name
        assert same.score == 0.0, name
        assert same.diff_png is None, name

    svg_text = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    svg = compare_images(svg_text, svg_text.replace("4", "5"))
    assert svg.changed
    assert svg.score == 1.0
    assert "could not decode image a: " in svg.note
    assert "could not decode image b: " in svg.note
    assert "SVG" in svg.note

    assert "truncated" in compare_images(png, truncated).note.lower()


# -------------------------------------------------------------------------------- diff image


def test_diff_image_size_is_bounded() -> None:
    pixels = np.full((400, 1000, 3), 255, dtype=np.uint8)
    changed = pixels.copy()
    changed[200, 700] = 0  # one pixel
    a, b = encode(Image.fromarray(pixels)), encode(Image.fromarray(changed))

    result = compare_images(a, b)
    diff = diff_pixels(result)
    assert diff.shape == (205, 512, 3)  # 1000x400 -> 512x205, aspect ratio kept
    assert is_magenta(diff).any()  # a single pixel stays visible when scaled down
    assert result.changed_fraction == pytest.approx(1 / 400_000)

    small = diff_pixels(compare_images(a, b, max_diff_size=64))
    assert small.shape == (26, 64, 3)
    assert is_magenta(small).sum() <= 2
    ys, xs = np.nonzero(is_magenta(small))
    assert abs(xs[0] - 700 * 64 / 1000) <= 1
    assert abs(ys[0] - 200 * 26 / 400) <= 1

    tall = compare_images(
        encode(Image.new("RGB", (30, 900))), encode(Image.new("RGB", (30, 900), "red"))
    )
    assert diff_pixels(tall).shape == (512, 17, 3)


def test_diff_png_is_small() -> None:
    image = plot(1000, seed=0)
    result = compare_images(encode(image), encode(plot(1000, seed=1)))
    assert result.diff_png is not None
    assert Image.open(io.BytesIO(result.diff_png)).size == (512, 512)
    assert len(result.diff_png) < 60_000


# ------------------------------------------------------------------------------------- JSON


def test_to_json_round_trip() -> None:
    pixels = gradient()
    changed = pixels.copy()
    changed[:3, :7] = 0
    result = compare_images(encode(Image.fromarray(pixels)), encode(Image.fromarray(changed)))
    data = json.loads(json.dumps(result.to_json()))
    assert set(data) == {
        "changed",
        "score",
        "changed_fraction",
        "size_a",
        "size_b",
        "diff_png",
        "note",
    }
    assert data["changed"] is True
    assert data["size_a"] == [100, 100]
    assert isinstance(data["diff_png"], str)
    assert base64.b64decode(data["diff_png"]) == result.diff_png
    assert data["score"] == float(f"{result.score:.6g}")
    assert data["changed_fraction"] == 0.0021

    back = ImageComparison.from_json(data)
    assert back.diff_png == result.diff_png
    assert back.score == pytest.approx(result.score, rel=1e-5)
    assert back == ImageComparison.from_json(back.to_json())
    assert (back.changed, back.size_a, back.size_b, back.note) == (True, (100, 100), (100, 100), "")

    unchanged = compare_images(encode(Image.fromarray(pixels)), encode(Image.fromarray(pixels)))
    assert unchanged.to_json()["diff_png"] is None
    assert ImageComparison.from_json(json.loads(json.dumps(unchanged.to_json()))) == unchanged


def test_two_1000x1000_pngs_differing_in_a_square() -> None:
    """(bench/checkpoints.py times image compares.)"""
    image = plot(1000, seed=0)
    modified = np.array(image)
    modified[400:450, 400:450] = 0
    result = compare_images(encode(image), encode(Image.fromarray(modified)))
    assert result.changed
    assert result.changed_fraction == pytest.approx(2500 / 1_000_000)
