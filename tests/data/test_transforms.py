"""Batch transforms: values against per-sample references, randomness from the seeded generator,
arrays in → arrays out, Tensors in → Tensors out, inputs never modified."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import transforms as T


def images(n=8, c=3, h=6, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, c, h, w)).astype(np.uint8)


def test_to_float_and_normalize():
    x = images()
    f = T.ToFloat()(x)
    assert f.dtype == np.float32 and np.allclose(f, x / 255)
    assert T.ToFloat(scale=1 / 16, dtype=np.float64)(x).dtype == np.float64
    n = T.Normalize(0.2860, 0.3530)(f)
    assert n.dtype == np.float32 and np.allclose(n, (x / 255 - 0.2860) / 0.3530, atol=1e-5)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    n = T.Normalize(mean, std)(f)
    ref = (x / 255 - np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    assert np.allclose(n, ref, atol=1e-5)
    assert np.allclose(T.ToFloat()(x), x / 255)          # the input was not modified
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        T.Normalize(mean, std)(f[:, :2])
    with pytest.raises(ValueError, match="std must be positive"):
        T.Normalize(0, 0)


def test_tensor_in_tensor_out():
    x = cr.tensor(images().astype(np.float32))
    for t in (T.ToFloat(), T.Normalize(0.5, 0.5), T.RandomCrop(4, padding=1, generator=0),
              T.RandomHorizontalFlip(generator=0), T.RandomErasing(generator=0), T.Pad(1),
              T.Resize(3), T.AddChannel()):
        out = t(x)
        assert isinstance(out, cr.Tensor), t
    assert isinstance(T.ToFloat()(images()), np.ndarray)


def test_add_channel_pad_resize_compose():
    x = images(c=1)[:, 0]                                  # (N, H, W)
    assert T.AddChannel()(x).shape == (8, 1, 6, 5)
    assert T.AddChannel()(images()).shape == (8, 3, 6, 5)
    p = T.Pad((1, 2, 3, 4), value=7)(x)
    assert p.shape == (8, 9, 12) and (p[:, 0] == 7).all() and (p[:, 1:7, 3:8] == x).all()
    r = T.Resize((12, 10))(x)
    np.testing.assert_array_equal(r, x.repeat(2, axis=1).repeat(2, axis=2))
    assert T.Resize(3)(images()).shape == (8, 3, 3, 3)
    pipeline = T.Compose([T.ToFloat(), T.Normalize(0.5, 0.5), T.AddChannel()])
    out = pipeline(x)
    assert out.shape == (8, 1, 6, 5) and out.min() >= -1 and out.max() <= 1
    assert "Normalize" in repr(pipeline)


@pytest.mark.parametrize("shape", [(40, 3, 6, 5), (40, 6, 5)])
def test_random_crop_windows_come_from_the_padded_image(shape):
    x = np.random.default_rng(1).integers(1, 256, shape).astype(np.uint8)
    out = T.RandomCrop((6, 5), padding=2, generator=3)(x)
    assert out.shape == shape and out.dtype == x.dtype
    pad = [(0, 0)] * (x.ndim - 2) + [(2, 2), (2, 2)]
    padded = np.pad(x, pad)
    offsets = set()
    for i in range(len(x)):
        hits = [(t, l) for t in range(5) for l in range(5)
                if np.array_equal(out[i], padded[i, ..., t:t + 6, l:l + 5])]
        assert hits, f"sample {i} is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 10                                   # many different corners are used
    assert np.array_equal(T.RandomCrop((6, 5))(x), x)          # no padding, full size: identity
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(9)(x)


def test_random_crop_matches_a_per_sample_loop():
    x = images(n=16)
    out = T.RandomCrop(4, padding=1, generator=11)(x)
    rng = np.random.default_rng(11)
    top, left = rng.integers(0, 5, 16), rng.integers(0, 4, 16)
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    for i in range(16):
        np.testing.assert_array_equal(out[i], padded[i, :, top[i]:top[i] + 4,
                                                     left[i]:left[i] + 4])


def test_random_horizontal_flip():
    x = images(n=200)
    assert np.array_equal(T.RandomHorizontalFlip(p=0)(x), x)
    assert np.array_equal(T.RandomHorizontalFlip(p=1)(x), x[..., ::-1])
    out = T.RandomHorizontalFlip(p=0.5, generator=0)(x)
    flipped = np.array([np.array_equal(o, s[..., ::-1]) for o, s in zip(out, x)])
    kept = np.array([np.array_equal(o, s) for o, s in zip(out, x)])
    assert (flipped | kept).all() and 70 < flipped.sum() < 130
    assert np.array_equal(x, images(n=200))                     # input untouched
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        T.RandomHorizontalFlip(p=2)


def test_random_erasing_rectangles():
    x = np.random.default_rng(0).random((300, 3, 20, 16)).astype(np.float32) + 1.0
    assert np.array_equal(T.RandomErasing(p=0)(x), x)
    out = T.RandomErasing(p=1, scale=(0.05, 0.3), ratio=(0.5, 2), value=0, generator=0)(x)
    assert out.dtype == x.dtype and out.shape == x.shape
    erased = out == 0
    assert np.array_equal(erased[:, 0], erased[:, 1]) and np.array_equal(erased[:, 0], erased[:, 2])
    assert np.array_equal(out[~erased], x[~erased])
    areas = []
    for mask in erased[:, 0]:
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        assert rows.size and cols.size
        h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
        assert mask.sum() == h * w                               # one solid rectangle
        areas.append(h * w / (20 * 16))
    areas = np.array(areas)
    assert areas.min() > 0.02 and areas.max() < 0.4              # within scale, up to rounding
    half = T.RandomErasing(p=0.5, generator=1)(x)
    touched = (half != x).any(axis=(1, 2, 3))
    assert 100 < touched.sum() < 200
    with pytest.raises(ValueError, match="scale"):
        T.RandomErasing(scale=(0.5, 0.1))


def test_random_erasing_3d_and_global_generator():
    x = np.ones((50, 8, 8), np.float32)
    cr.manual_seed(0)
    a = T.RandomErasing(p=1, value=-1)(x)
    cr.manual_seed(0)
    b = T.RandomErasing(p=1, value=-1)(x)
    np.testing.assert_array_equal(a, b)
    assert (a == -1).any(axis=(1, 2)).all()
    cr.manual_seed(0)
    c1 = T.RandomCrop(6, padding=1)(x)
    cr.manual_seed(0)
    c2 = T.RandomCrop(6, padding=1)(x)
    np.testing.assert_array_equal(c1, c2)


def test_bad_shapes_and_generators():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(N, H, W\)"):
        T.RandomHorizontalFlip()(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="generator must be"):
        T.RandomCrop(3, generator="seed")
