"""Reference models against the same architectures written in plain torch.nn here (torchvision is
not installable beside torch 2.13): state_dict keys, order and shapes, parameter counts, and
outputs with copied weights."""
import numpy as np
import pytest
import torch
from torch import nn as tnn

import chainrule as cr
from chainrule import models
from chainrule.models import get_model


# --------------------------------------------------------------------------- plain-torch twins
def torch_mlp(in_features=784, hidden=(256, 128), num_classes=10, dropout=0.0):
    layers, width = [tnn.Flatten()], in_features
    for h in hidden:
        layers += [tnn.Linear(width, h), tnn.ReLU(), tnn.Dropout(dropout)]
        width = h
    return tnn.Sequential(*layers, tnn.Linear(width, num_classes))


class TorchLeNet5(tnn.Module):
    def __init__(self, in_channels=1, num_classes=10, dropout=0.0):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(in_channels, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2))
        self.classifier = tnn.Sequential(
            tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(), tnn.Dropout(dropout),
            tnn.Linear(120, 84), tnn.ReLU(), tnn.Dropout(dropout), tnn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class TorchSmallVGG(tnn.Module):
    def __init__(self, in_channels=3, num_classes=10, channels=(32, 64, 128), side=4):
        super().__init__()
        layers, cin = [], in_channels
        for c in channels:
            layers += [tnn.Conv2d(cin, c, 3, padding=1, bias=False), tnn.BatchNorm2d(c),
                       tnn.ReLU(), tnn.Conv2d(c, c, 3, padding=1, bias=False),
                       tnn.BatchNorm2d(c), tnn.ReLU(), tnn.MaxPool2d(2)]
            cin = c
        self.features = tnn.Sequential(*layers)
        self.classifier = tnn.Sequential(
            tnn.Flatten(), tnn.Dropout(0.0), tnn.Linear(cin * side**2, 256), tnn.ReLU(),
            tnn.Dropout(0.0), tnn.Linear(256, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def torch_vgg16(num_classes=1000):
    """torchvision.models.vgg16, written out (configuration D)."""
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(cin, v, 3, padding=1), tnn.ReLU(True)]
            cin = v

    class VGG(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(*layers)
            self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
            self.classifier = tnn.Sequential(
                tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(),
                tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(),
                tnn.Linear(4096, num_classes))

    return VGG()


class TBasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class TorchResNet(tnn.Module):
    """torchvision.models.ResNet, written out."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def count(model):
    return sum(p.numel() for p in model.parameters())


def shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def copy_weights(cr_model, torch_model):
    """torch → chainrule in float64, after giving BatchNorm non-trivial statistics and affine
    parameters (so evaluation mode is a real test)."""
    torch_model.double()
    with torch.no_grad():
        for m in torch_model.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    cr_model.double()
    state = {k: v.detach().numpy() for k, v in torch_model.state_dict().items()}
    cr_model.load_state_dict(state)
    assert list(cr_model.state_dict()) == list(state)


def compare_outputs(cr_model, torch_model, x, train, grad=False):
    copy_weights(cr_model, torch_model)
    cr_model.train(train)
    torch_model.train(train)
    xt = torch.tensor(x, requires_grad=grad)
    xc = cr.tensor(x, requires_grad=grad)
    out_t, out_c = torch_model(xt), cr_model(xc)
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), rtol=1e-6, atol=1e-8)
    if grad:
        g = np.random.default_rng(1).standard_normal(out_c.shape)
        out_t.backward(torch.tensor(g))
        out_c.backward(g)
        np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-8)
        t_params = dict(torch_model.named_parameters())
        for name, p in cr_model.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-5,
                                       atol=1e-8, err_msg=name)
    return out_c


# --------------------------------------------------------------------------- small models
def test_mlp_matches_torch():
    torch.manual_seed(0)
    m = models.MLP()
    assert count(m) == count(torch_mlp()) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert shapes(m) == shapes(torch_mlp())
    x = np.random.default_rng(0).standard_normal((5, 1, 28, 28))
    out = compare_outputs(m, torch_mlp(), x, train=False, grad=True)
    assert out.shape == (5, 10)
    custom = models.MLP(in_features=64, hidden_sizes=(32,), num_classes=3, dropout=0.5)
    assert shapes(custom) == shapes(torch_mlp(64, (32,), 3)) and custom(cr.zeros(2, 8, 8)).shape \
        == (2, 3)
    # dropout layers are always there, so keys do not depend on the rate
    assert list(models.MLP(dropout=0.3).state_dict()) == list(models.MLP().state_dict())


@pytest.mark.parametrize("train", [True, False])
def test_lenet5_matches_torch(train):
    torch.manual_seed(0)
    m = get_model("lenet")
    assert count(m) == count(TorchLeNet5()) == 61706
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28))
    out = compare_outputs(m, TorchLeNet5(), x, train=train, grad=True)   # dropout p = 0
    assert out.shape == (3, 10)
    assert list(models.LeNet5(dropout=0.5).state_dict()) == list(m.state_dict())
    assert models.LeNet5(in_channels=3, image_size=32)(cr.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert models.LeNet5(image_size=12)(cr.zeros(1, 1, 12, 12)).shape == (1, 10)
    with pytest.raises(ValueError, match="image_size=8 is too small"):
        models.LeNet5(image_size=8)


def test_small_vgg():
    torch.manual_seed(0)
    m = get_model("small-vgg")
    assert shapes(m) == shapes(TorchSmallVGG()) and count(m) == count(TorchSmallVGG())
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    out = compare_outputs(m, TorchSmallVGG(), x, train=True)
    assert out.shape == (2, 10)
    gray = models.SmallVGG(in_channels=1, num_classes=5, image_size=28)
    assert shapes(gray) == shapes(TorchSmallVGG(1, 5, side=3))
    out = gray(cr.tensor(np.random.default_rng(1).standard_normal((2, 1, 28, 28)),
                         dtype=np.float32))
    assert out.shape == (2, 5) and out.dtype == np.float32
    out.sum().backward()
    assert all(p.grad is not None for p in gray.parameters())


# --------------------------------------------------------------------------- torchvision models
def test_resnet18_keys_shapes_and_outputs_match_torchvision_layout():
    torch.manual_seed(0)
    m = models.resnet18(num_classes=10)
    t = TorchResNet(TBasicBlock, [2, 2, 2, 2], num_classes=10)
    assert shapes(m) == shapes(t)
    keys = dict(shapes(m))
    assert keys["conv1.weight"] == (64, 3, 7, 7) and keys["layer1.0.conv1.weight"] == (64, 64, 3, 3)
    assert keys["layer2.0.downsample.0.weight"] == (128, 64, 1, 1)
    assert keys["layer2.0.downsample.1.running_var"] == (128,)
    assert keys["layer4.1.bn2.num_batches_tracked"] == () and keys["fc.weight"] == (10, 512)
    assert "layer1.0.downsample.0.weight" not in keys
    # 11,689,512 parameters with torchvision's 1000-class head
    assert count(m) == count(t) == 11_689_512 - 513 * 1000 + 513 * 10
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32))
    compare_outputs(m, t, x, train=True)
    out = compare_outputs(m, t, x, train=False, grad=True)
    assert out.shape == (2, 10)


def test_resnet50_keys_shapes_and_count():
    m = get_model("resnet50")
    t = TorchResNet(TBottleneck, [3, 4, 6, 3])
    assert shapes(m) == shapes(t)
    assert count(m) == count(t) == 25_557_032
    keys = dict(shapes(m))
    assert keys["layer1.0.downsample.0.weight"] == (256, 64, 1, 1)
    assert keys["layer3.5.conv3.weight"] == (1024, 256, 1, 1) and keys["fc.weight"] == (1000, 2048)
    m.eval()
    assert m(cr.zeros(1, 3, 32, 32)).shape == (1, 1000)


def test_resnet_zero_init_residual_and_initialisation():
    m = models.resnet18(zero_init_residual=True)
    assert not m.layer1[0].bn2.weight.numpy().any() and m.layer1[0].bn1.weight.numpy().all()
    w = m.layer3[0].conv1.weight.numpy()                   # He normal, fan_out = 256·3·3
    assert abs(w.std() - np.sqrt(2 / (256 * 9))) < 0.05 * np.sqrt(2 / (256 * 9))


def test_vgg16_keys_shapes_count_and_forward():
    m = models.vgg16(init_weights=False)
    t = torch_vgg16()
    assert shapes(m) == shapes(t)
    assert count(m) == count(t) == 138_357_544
    del t
    keys = dict(shapes(m))
    assert keys["features.0.weight"] == (64, 3, 3, 3)
    assert keys["features.28.weight"] == (512, 512, 3, 3)
    assert keys["classifier.0.weight"] == (4096, 25088)
    assert keys["classifier.6.weight"] == (1000, 4096)
    m.eval()
    assert m(cr.zeros(1, 3, 32, 32)).shape == (1, 1000)     # adaptive pool: 1×1 → 7×7


def test_vgg_layers_and_initialisation():
    bn = models.vision.make_vgg_layers(models.vision.VGG_CONFIGS["vgg16"], batch_norm=True)
    assert isinstance(bn[1], cr.nn.BatchNorm2d) and len(bn) == 44     # torchvision's vgg16_bn
    w = cr.nn.Parameter(np.zeros((300, 400), np.float32))
    models.vision._normal_(w, 0.01)
    assert abs(w.numpy().std() - 0.01) < 5e-4 and w.dtype == np.float32


# --------------------------------------------------------------------------- registry
def test_registry():
    assert models.model_names()[:6] == ["mlp", "lenet", "small-vgg", "vgg16", "vgg16-bn",
                                        "resnet18"]
    assert set(["mlp", "lenet", "small-vgg", "vgg16", "resnet18", "resnet50"]) <= set(
        models.model_names())
    with pytest.raises(ValueError) as e:
        get_model("alexnet")
    assert "unknown model 'alexnet'; valid names: mlp, lenet, small-vgg" in str(e.value)
    with pytest.raises(TypeError, match=r"get_model\('resnet18'\): .*dropout.*takes \("):
        get_model("resnet18", dropout=0.5)
    assert isinstance(get_model("LeNet5"), models.LeNet5)
    assert isinstance(get_model("small_vgg", num_classes=4), models.SmallVGG)
    assert isinstance(get_model("mlp", dropout=0.2), models.MLP)
    with pytest.raises(ValueError, match="already taken"):
        models.register_model("mlp", models.LeNet5)
