"""The image edge: every kind of picture becomes correct RGB; every bad input a clear error."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.images import ImageError, load_image
from tests.helpers import image_bytes, natural_image


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 20, 20))  # blue left half, red right half
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = load_image(image_bytes(img, "JPEG", exif=exif.tobytes(), quality=95))
    assert out.size == (20, 40)
    top, bottom = np.asarray(out)[5, 10], np.asarray(out)[35, 10]
    assert top[2] > 200 and top[0] < 60  # blue on top after the rotation
    assert bottom[0] > 200 and bottom[2] < 60


def test_palette_with_transparency_goes_onto_white() -> None:
    img = Image.new("P", (32, 32), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 16, 32))
    out = load_image(image_bytes(img, "PNG", transparency=0))
    arr = np.asarray(out)
    assert out.mode == "RGB"
    assert tuple(arr[10, 4]) == (255, 0, 0)
    assert tuple(arr[10, 28]) == (255, 255, 255)  # transparent → white, not black


def test_rgba_and_grey_alpha_are_composited() -> None:
    rgba = Image.new("RGBA", (20, 20), (0, 0, 255, 0))
    assert tuple(np.asarray(load_image(image_bytes(rgba, "PNG")))[0, 0]) == (255, 255, 255)
    la = Image.new("LA", (20, 20), (0, 128))
    value = np.asarray(load_image(image_bytes(la, "PNG")))[0, 0]
    assert 120 <= value[0] <= 135 and value[0] == value[1] == value[2]


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    arr = np.tile(np.linspace(0, 65535, 64, dtype=np.uint16), (32, 1))
    png = image_bytes(Image.fromarray(arr), "PNG")
    assert Image.open(io.BytesIO(png)).mode.startswith("I")
    out = np.asarray(load_image(png))[..., 0]
    assert out[0, 0] == 0 and out[0, -1] == 255
    assert 120 <= out[0, 32] <= 135  # mid-grey stays mid-grey, not clipped to white


def test_cmyk_and_grey_become_rgb() -> None:
    cmyk = Image.new("CMYK", (20, 20), (0, 255, 255, 0))  # red
    r, g, b = np.asarray(load_image(image_bytes(cmyk, "JPEG", quality=95)))[10, 10]
    assert r > 200 and g < 60 and b < 60
    grey = Image.new("L", (20, 20), 77)
    assert tuple(np.asarray(load_image(image_bytes(grey, "PNG")))[3, 3]) == (77, 77, 77)


def test_animated_gif_uses_its_first_frame() -> None:
    frames = [Image.new("RGB", (24, 24), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    r, g, b = np.asarray(load_image(buf.getvalue()))[5, 5]
    assert r > 200 and g < 60 and b < 60


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size but carries (almost) no pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 100)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"hello, this is a text file\n" * 10, "not_image", "not an image"),
        (b"", "not_image", "not an image"),
        (image_bytes(natural_image(64, 64), "JPEG")[:600], "broken", "damaged"),
        (_png_header_only(30000, 30000), "too_large", "megapixels are accepted"),
        (_png_header_only(9000, 9000), "too_large", "81.0 megapixels"),
        (image_bytes(Image.new("RGB", (1, 1)), "PNG"), "too_small", "1×1"),
        (image_bytes(Image.new("RGB", (400, 8)), "PNG"), "too_small", "400×8"),
    ],
    ids=["text", "empty", "truncated-jpeg", "bomb", "over-limit", "1x1", "thin"],
)
def test_bad_inputs_raise_image_error_with_a_code(data: bytes, code: str, words: str) -> None:
    with pytest.raises(ImageError) as err:
        load_image(data)
    assert err.value.code == code
    assert words in str(err.value)


def test_pixel_limit_is_configurable() -> None:
    data = image_bytes(natural_image(200, 100), "PNG")
    assert load_image(data, max_pixels=20_000).size == (200, 100)
    with pytest.raises(ImageError, match="at most") as err:
        load_image(data, max_pixels=19_999)
    assert err.value.code == "too_large"


def test_truncated_png_is_broken_not_a_crash() -> None:
    data = image_bytes(natural_image(64, 64), "PNG")
    with pytest.raises(ImageError) as err:
        load_image(data[: len(data) // 2])
    assert err.value.code == "broken"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="nope.jpg"):
        load_image(tmp_path / "nope.jpg")
