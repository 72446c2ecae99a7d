import torch
import torch.nn as nn
import torch.nn.functional as F
# ruff: noqa  (written the way the Grad-CAM / saliency tutorials and pytorch-grad-cam's hooks
# write it by hand)

# Interpreting a small CNN by hand. The network (two conv blocks, global average pooling, a
# linear classifier) is first trained for a few SGD steps. Grad-CAM: a forward hook
# (register_forward_hook) on the last conv block keeps its activations and a full backward hook
# (register_full_backward_hook) keeps the gradient of the class score at its output; the channel
# weights are the spatial mean of that gradient (F.adaptive_avg_pool2d to 1×1), the map is the
# ReLU of the weighted channel sum, brought up to the input's size by F.interpolate (bilinear) and
# normalised to [0, 1] per image; the hooks are removed with their handles' .remove() afterwards.
# Then the model is frozen (model.requires_grad_(False)) and three input attributions are taken
# with torch.autograd.grad with respect to the input: vanilla saliency (|∂score/∂x|, max over
# channels), SmoothGrad (the gradient averaged over copies of the input with torch.randn_like
# noise under torch.manual_seed) and integrated gradients (a batch of inputs on the straight path
# from a baseline, the alphas by torch.linspace, the trapezoidal average of their gradients
# times input − baseline), whose completeness (sum of attributions = score(x) − score(baseline))
# is recorded too. The caller hands in the images (N×C×H×W floats) and integer labels.


class SmallCNN(nn.Module):
    def __init__(self, in_channels=2, classes=4, width=6, pool="max"):
        super().__init__()
        self.block1 = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1),
                                    nn.ReLU(inplace=True),
                                    nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2))
        self.block2 = nn.Sequential(nn.Conv2d(width, 2 * width, 3, padding=1),
                                    nn.ReLU(inplace=True))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        x = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.gap(x), 1))


class GradCAM:
    def __init__(self, model, target_layer):
        self.model = model
        self.activations = None
        self.gradients = None
        self.grad_inputs = None
        self.handles = [
            target_layer.register_forward_hook(self.save_activation),
            target_layer.register_full_backward_hook(self.save_gradient),
        ]

    def save_activation(self, module, input, output):
        self.activations = output.detach()

    def save_gradient(self, module, grad_input, grad_output):
        self.gradients = grad_output[0].detach()
        self.grad_inputs = [None if g is None else g.detach() for g in grad_input]

    def __call__(self, x, target=None):
        self.model.zero_grad()
        logits = self.model(x)
        if target is None:
            target = logits.argmax(dim=1)
        score = logits.gather(1, target.view(-1, 1)).sum()
        score.backward()
        weights = F.adaptive_avg_pool2d(self.gradients, 1)           # (N, C, 1, 1)
        cam = F.relu((weights * self.activations).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
        flat = cam.view(cam.size(0), -1)
        lo = flat.min(dim=1, keepdim=True)[0]
        hi = flat.max(dim=1, keepdim=True)[0]
        cam = ((flat - lo) / (hi - lo + 1e-8)).view_as(cam)
        return cam, target, logits.detach()

    def remove(self):
        for h in self.handles:
            h.remove()


def class_score(model, x, target):
    return model(x).gather(1, target.view(-1, 1)).squeeze(1)


def saliency(model, x, target):
    x = x.clone().requires_grad_(True)
    score = class_score(model, x, target).sum()
    grad, = torch.autograd.grad(score, x)
    return grad.abs().amax(dim=1), grad


def smoothgrad(model, x, target, n_samples=8, noise_level=0.15):
    sigma = noise_level * (x.amax(dim=(1, 2, 3), keepdim=True) - x.amin(dim=(1, 2, 3),
                                                                       keepdim=True))
    total = torch.zeros_like(x)
    for _ in range(n_samples):
        noisy = (x + sigma * torch.randn_like(x)).requires_grad_(True)
        score = class_score(model, noisy, target).sum()
        grad, = torch.autograd.grad(score, noisy)
        total += grad
    return total / n_samples


def integrated_gradients(model, x, target, baseline=None, steps=16):
    if baseline is None:
        baseline = torch.zeros_like(x)
    alphas = torch.linspace(0, 1, steps).view(-1, 1, 1, 1)
    attributions = []
    for i in range(x.size(0)):
        path = baseline[i:i + 1] + alphas * (x[i:i + 1] - baseline[i:i + 1])
        path.requires_grad_(True)
        scores = class_score(model, path, target[i].repeat(steps))
        grads, = torch.autograd.grad(scores.sum(), path)
        avg = ((grads[:-1] + grads[1:]) / 2).mean(dim=0)     # trapezoidal rule
        attributions.append((x[i] - baseline[i]) * avg)
    return torch.stack(attributions)


def build(in_channels=2, classes=4, width=6, pool="max"):
    return SmallCNN(in_channels, classes, width, pool)


def run(model, data, steps=8, lr=0.1, batch_size=8, n_explain=4, n_samples=8, ig_steps=16,
        seed=0):
    torch.manual_seed(seed)
    dtype = torch.get_default_dtype()
    images = torch.from_numpy(data["images"]).to(dtype)
    labels = torch.from_numpy(data["labels"])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    model.train()
    for step in range(steps):
        i = (step * batch_size) % (len(labels) - batch_size + 1)
        loss = F.cross_entropy(model(images[i:i + batch_size]), labels[i:i + batch_size])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.eval()
    x, y = images[-n_explain:], labels[-n_explain:]
    cam_hooks = GradCAM(model, model.block2)
    cam, predicted, logits = cam_hooks(x)
    cam_label, _, _ = cam_hooks(x, y)
    activations, gradients = cam_hooks.activations, cam_hooks.gradients
    grad_inputs = cam_hooks.grad_inputs
    cam_hooks.remove()
    n_hooks = len(model.block2._forward_hooks) + len(model.block2._backward_hooks)
    param_grads = {n: p.grad.clone() for n, p in model.named_parameters()}

    model.requires_grad_(False)
    sal, raw_grad = saliency(model, x, y)
    smooth = smoothgrad(model, x, y, n_samples=n_samples)
    ig = integrated_gradients(model, x, y, steps=ig_steps)
    with torch.no_grad():
        delta = class_score(model, x, y) - class_score(model, torch.zeros_like(x), y)
    frozen = all(not p.requires_grad for p in model.parameters())
    return {"losses": losses, "cam": cam, "cam_label": cam_label, "predicted": predicted,
            "logits": logits, "activations": activations, "gradients": gradients,
            "grad_inputs": grad_inputs, "n_hooks": n_hooks, "param_grads": param_grads,
            "saliency": sal, "raw_grad": raw_grad, "smoothgrad": smooth, "ig": ig,
            "ig_sum": ig.sum(dim=(1, 2, 3)), "delta": delta, "frozen": frozen,
            "state": model.state_dict()}


if __name__ == "__main__":
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(4, 2, 8, 8))
    labels = rng.integers(0, 4, 64)
    imgs = templates[labels] + 0.5 * rng.normal(size=(64, 2, 8, 8))
    torch.manual_seed(0)
    model = build()
    rec = run(model, {"images": imgs, "labels": labels}, steps=40, ig_steps=64)
    print(rec["losses"][0], rec["losses"][-1], rec["ig_sum"], rec["delta"], rec["cam"].shape)
