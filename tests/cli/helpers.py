"""Checks shared by the command tests."""
from __future__ import annotations

import struct
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """(width, height) of a PNG, from its IHDR chunk; AssertionError if it is not a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path}: no IHDR chunk first"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_legible_png(path, min_side: int = 300, max_side: int = 4000) -> None:
    """A complete PNG (Pillow decodes it) of a size that reads at 100 %."""
    width, height = png_size(path)
    assert min_side <= width <= max_side and min_side <= height <= max_side, (width, height)
    assert Path(path).stat().st_size > 10_000, "suspiciously small: an empty figure?"
    from PIL import Image

    with Image.open(path) as image:
        image.load()                          # decodes every row: a truncated file fails here
        assert image.size == (width, height)
        colors = image.convert("L").getextrema()
        assert colors[0] < colors[1], "a blank image"
