"""What a student reads in a layer's formula(): index expressions written as by hand (no
``1·h + 1·i``), and every symbol defined (the averaging matrices of adaptive pooling)."""
from __future__ import annotations

import chainrule as cr


def _text(layer) -> str:
    return "\n".join(e.text for e in layer.formula().equations)


def test_convolution_indices_read_as_written_by_hand():
    plain = cr.nn.Conv2d(3, 4, 3).formula()
    assert "x̃[n,c, h + i, w + j]" in plain.equations[0].text
    assert "h + i, w + j" in plain.equations[0].latex
    assert "1·h" not in _text(cr.nn.Conv2d(3, 4, 3)) and "1·i" not in _text(cr.nn.Conv2d(3, 4, 3))
    strided = _text(cr.nn.Conv2d(3, 4, 3, stride=2, dilation=(1, 3)))
    assert "x̃[n,c, 2h + i, 2w + 3j]" in strided
    assert "x̃[n,c, l + i]" in _text(cr.nn.Conv1d(2, 2, 3))
    transposed = _text(cr.nn.ConvTranspose2d(3, 4, 3, stride=2))
    assert "2h + i, 2w + j" in transposed and "2·h" not in transposed


def test_pooling_indices_read_as_written_by_hand():
    assert "x̃[n,c, 2h + i, 2w + j]" in _text(cr.nn.MaxPool2d(2))      # was 2·h − 0 + i
    assert "x̃[n,c, 2h − 1 + i, 2w − 1 + j]" in _text(cr.nn.AvgPool2d(3, 2, 1))
    assert "h + 2i" in _text(cr.nn.MaxPool2d(3, 1, dilation=2))


def test_adaptive_pooling_defines_its_matrices():
    text = _text(cr.nn.AdaptiveAvgPool2d(1))
    assert "A_H[i, r] = 1/|bin i|" in text
