import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import copy
# ruff: noqa  (kept in the style of the PyTorch tutorial it follows)

# The PyTorch tutorial "Neural Transfer Using PyTorch" (advanced/neural_style_tutorial.py), with a
# tiny random CNN in place of VGG-19's features and tiny images handed in by the caller: a
# Normalization module, ContentLoss and StyleLoss modules that record their loss and pass their
# input through (their targets detach()ed), Gram matrices through view and torch.bmm, the loss
# modules inserted after chosen conv layers of a copy of the CNN (model.add_module, isinstance
# checks, slicing the Sequential after the last loss), and the input image optimised with
# optim.LBFGS and a closure that clamps the image to [0, 1] under torch.no_grad(); the network is
# frozen with requires_grad_(False) and the image made a leaf with requires_grad_(True).


def image_loader(array):
    """H×W×3 floats in [0, 1] (NumPy) → a 1×3×H×W tensor, as the tutorial's loader gives."""
    image = torch.from_numpy(array).to(torch.get_default_dtype())
    return image.permute(2, 0, 1).unsqueeze(0).contiguous()


class ContentLoss(nn.Module):

    def __init__(self, target,):
        super(ContentLoss, self).__init__()
        # we 'detach' the target content from the tree used
        # to dynamically compute the gradient: this is a stated value,
        # not a variable. Otherwise the forward method of the criterion
        # will throw an error.
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()  # a=batch size(=1)
    # b=number of feature maps
    # (c,d)=dimensions of a f. map (N=c*d)

    features = input.view(a, b, c * d)  # resize F_XL into \hat F_XL

    G = torch.bmm(features, features.transpose(1, 2))  # compute the gram product

    # we 'normalize' the values of the gram matrix
    # by dividing by the number of element in each feature maps.
    return G.div(b * c * d)


class StyleLoss(nn.Module):

    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        # .view the mean and std to make them [C x 1 x 1] so that they can
        # directly work with image Tensor of shape [B x C x H x W].
        # B is batch size. C is number of channels. H is height and W is width.
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        # normalize ``img``
        return (img - self.mean) / self.std


cnn_normalization_mean = [0.485, 0.456, 0.406]
cnn_normalization_std = [0.229, 0.224, 0.225]

# desired depth layers to compute style/content losses :
content_layers_default = ['conv_3']
style_layers_default = ['conv_1', 'conv_2', 'conv_3', 'conv_4']


def get_style_model_and_losses(cnn, normalization_mean, normalization_std,
                               style_img, content_img,
                               content_layers=content_layers_default,
                               style_layers=style_layers_default):
    cnn = copy.deepcopy(cnn)

    # normalization module
    normalization = Normalization(normalization_mean, normalization_std)

    # just in order to have an iterable access to or list of content/style
    # losses
    content_losses = []
    style_losses = []

    # assuming that ``cnn`` is a ``nn.Sequential``, so we make a new ``nn.Sequential``
    # to put in modules that are supposed to be activated sequentially
    model = nn.Sequential(normalization)

    i = 0  # increment every time we see a conv
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = 'conv_{}'.format(i)
        elif isinstance(layer, nn.ReLU):
            name = 'relu_{}'.format(i)
            # The in-place version doesn't play very nicely with the ``ContentLoss``
            # and ``StyleLoss`` we insert below. So we replace with out-of-place
            # ones here.
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = 'pool_{}'.format(i)
        elif isinstance(layer, nn.AvgPool2d):
            name = 'avgpool_{}'.format(i)
        elif isinstance(layer, nn.BatchNorm2d):
            name = 'bn_{}'.format(i)
        else:
            raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))

        model.add_module(name, layer)

        if name in content_layers:
            # add content loss:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)

        if name in style_layers:
            # add style loss:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)

    # now we trim off the layers after the last content and style losses
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break

    model = model[:(i + 1)]

    return model, style_losses, content_losses


def get_input_optimizer(input_img, line_search_fn=None):
    # this line to show that input is a parameter that requires a gradient
    optimizer = optim.LBFGS([input_img], line_search_fn=line_search_fn)
    return optimizer


def run_style_transfer(cnn, normalization_mean, normalization_std,
                       content_img, style_img, input_img, num_steps=300,
                       style_weight=1000000, content_weight=1, line_search_fn=None, log=None):
    """Run the style transfer."""
    model, style_losses, content_losses = get_style_model_and_losses(cnn,
        normalization_mean, normalization_std, style_img, content_img)

    # We want to optimize the input and not the model parameters so we
    # update all the requires_grad fields accordingly
    input_img.requires_grad_(True)
    # We also put the model in evaluation mode, so that specific layers
    # such as dropout or batch normalization layers behave correctly.
    model.eval()
    model.requires_grad_(False)

    optimizer = get_input_optimizer(input_img, line_search_fn)

    run = [0]
    while run[0] <= num_steps:

        def closure():
            # correct the values of updated input image
            with torch.no_grad():
                input_img.clamp_(0, 1)

            optimizer.zero_grad()
            model(input_img)
            style_score = 0
            content_score = 0

            for sl in style_losses:
                style_score += sl.loss
            for cl in content_losses:
                content_score += cl.loss

            style_score *= style_weight
            content_score *= content_weight

            loss = style_score + content_score
            loss.backward()

            run[0] += 1
            if log is not None:
                log["losses"].append(loss.item())
                log["style"].append(style_score.item())
                log["content"].append(content_score.item())

            return style_score + content_score

        optimizer.step(closure)

    # a last correction...
    with torch.no_grad():
        input_img.clamp_(0, 1)

    return input_img


def build(channels=(6, 8), pool='max'):
    """A tiny VGG-like feature extractor (conv-BN-ReLU, pooling), as vgg19().features is."""
    c1, c2 = channels
    pool_layer = nn.MaxPool2d(2, 2) if pool == 'max' else nn.AvgPool2d(2, 2)
    cnn = nn.Sequential(
        nn.Conv2d(3, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(inplace=True),
        nn.Conv2d(c1, c1, 3, padding=1), nn.ReLU(inplace=True),
        pool_layer,
        nn.Conv2d(c1, c2, 3, padding=1), nn.BatchNorm2d(c2), nn.ReLU(inplace=True),
        nn.Conv2d(c2, c2, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c2, c2, 3, padding=1), nn.ReLU(inplace=True),
    )
    # give the batch-norm layers running statistics of their own (eval mode uses them)
    with torch.no_grad():
        for m in cnn.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return cnn.eval()


def run(cnn, data, num_steps=10, style_weight=100, content_weight=1, start='content',
        line_search_fn=None):
    content_img = image_loader(data["content"])
    style_img = image_loader(data["style"])
    assert style_img.size() == content_img.size(), \
        "we need to import style and content images of the same size"
    if start == 'content':
        input_img = content_img.clone()
    else:
        # the tutorial's white noise, handed in by the caller
        input_img = torch.tensor(data["noise"], dtype=torch.get_default_dtype())
        input_img = input_img.permute(2, 0, 1).unsqueeze(0).contiguous()

    log = {"losses": [], "style": [], "content": []}
    output = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std,
                                content_img, style_img, input_img, num_steps=num_steps,
                                style_weight=style_weight, content_weight=content_weight,
                                line_search_fn=line_search_fn, log=log)
    log["output"] = output.detach()
    log["is_input"] = output is input_img
    log["requires_grad"] = output.requires_grad
    log["min"], log["max"] = output.min().item(), output.max().item()
    model, style_losses, content_losses = get_style_model_and_losses(
        cnn, cnn_normalization_mean, cnn_normalization_std, style_img, content_img)
    log["layers"] = [name for name, _ in model.named_children()]
    log["gram_style"] = [sl.target for sl in style_losses]
    log["cnn_grads"] = [p.grad is None for p in cnn.parameters()]
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    content = np.stack([xx, yy, 0.5 * (xx + yy)], -1)
    style = np.clip(0.5 + 0.5 * np.sin(6 * np.stack([xx + yy, xx - yy, xx * yy], -1)), 0, 1)
    torch.manual_seed(0)
    record = run(build(), {"content": content, "style": style, "noise": rng.random((16, 16, 3))})
    print(len(record["losses"]), record["losses"][::5], record["layers"])
