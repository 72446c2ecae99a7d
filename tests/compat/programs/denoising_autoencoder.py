import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (written the way the many "denoising autoencoder in PyTorch" tutorials write it)

# A convolutional denoising autoencoder. The encoder is two strided Conv2d layers (16×16 -> 4×4);
# the decoder brings the code back to 16×16 one of four ways: ConvTranspose2d with stride 2 and
# output_padding=1, nn.Upsample(mode='nearest') + Conv2d, nn.Upsample(mode='bilinear') + Conv2d
# (align_corners True or False), or sub-pixel convolution (Conv2d + nn.PixelShuffle); a Sigmoid
# keeps the output in [0, 1]. Training corrupts each clean batch with Gaussian noise from
# torch.randn_like (under torch.manual_seed), clamps it back into [0, 1] and asks the network for
# the clean image under BCELoss or MSELoss; Adam(amsgrad=True) with a StepLR schedule; the
# DataLoader shuffles with its own seeded torch.Generator. Evaluation reports PSNR (from the
# per-image MSE) and an SSIM computed with F.avg_pool2d windows over a reflection-padded image,
# for the noisy input and for the reconstruction.
# The caller hands in the clean images (N×16×16 floats in [0, 1]).


class Encoder(nn.Module):
    def __init__(self, channels=(8, 16)):
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1),    # 16 -> 8
            nn.ReLU(True),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),   # 8 -> 4
            nn.ReLU(True),
        )

    def forward(self, x):
        return self.net(x)


def up_block(c_in, c_out, decoder, align_corners=None):
    if decoder == "transpose":
        return nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)
    if decoder == "nearest":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                             nn.Conv2d(c_in, c_out, 3, padding=1))
    if decoder == "bilinear":
        return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear",
                                         align_corners=align_corners),
                             nn.Conv2d(c_in, c_out, 3, padding=1))
    if decoder == "pixelshuffle":
        return nn.Sequential(nn.Conv2d(c_in, c_out * 4, 3, padding=1), nn.PixelShuffle(2))
    raise ValueError(decoder)


class Decoder(nn.Module):
    def __init__(self, channels=(16, 8), decoder="transpose", align_corners=None):
        super().__init__()
        c2, c1 = channels
        self.net = nn.Sequential(
            up_block(c2, c1, decoder, align_corners),    # 4 -> 8
            nn.ReLU(True),
            up_block(c1, 1, decoder, align_corners),     # 8 -> 16
            nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(z)


class DenoisingAutoencoder(nn.Module):
    def __init__(self, decoder="transpose", align_corners=None):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder(decoder=decoder, align_corners=align_corners)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def add_noise(x, noise_factor):
    noisy = x + noise_factor * torch.randn_like(x)
    return torch.clamp(noisy, 0., 1.)


def psnr(pred, target, max_val=1.0):
    mse = F.mse_loss(pred, target, reduction="none").mean(dim=(1, 2, 3))
    return 10 * torch.log10(max_val ** 2 / mse)


def ssim(img1, img2, C1=0.01 ** 2, C2=0.03 ** 2):
    pad = nn.ReflectionPad2d(1)
    x, y = pad(img1), pad(img2)
    mu_x = F.avg_pool2d(x, 3, 1)
    mu_y = F.avg_pool2d(y, 3, 1)
    sigma_x = F.avg_pool2d(x ** 2, 3, 1) - mu_x ** 2
    sigma_y = F.avg_pool2d(y ** 2, 3, 1) - mu_y ** 2
    sigma_xy = F.avg_pool2d(x * y, 3, 1) - mu_x * mu_y
    num = (2 * mu_x * mu_y + C1) * (2 * sigma_xy + C2)
    den = (mu_x ** 2 + mu_y ** 2 + C1) * (sigma_x + sigma_y + C2)
    return (num / den).mean(dim=(1, 2, 3))


def build(decoder="transpose", align_corners=None):
    return DenoisingAutoencoder(decoder, align_corners)


def run(model, data, epochs=3, batch_size=8, lr=5e-3, loss="bce", noise_factor=0.3, seed=0,
        step_size=2, gamma=0.5):
    torch.manual_seed(seed)
    dtype = torch.get_default_dtype()
    images = torch.from_numpy(data["images"]).to(dtype).unsqueeze(1)
    n_train = data["n_train"]
    train, test = images[:n_train], images[n_train:]
    loader = DataLoader(TensorDataset(train), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    criterion = nn.BCELoss() if loss == "bce" else nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, amsgrad=True)
    scheduler = StepLR(optimizer, step_size=step_size, gamma=gamma)

    losses, lrs, psnrs, ssims = [], [], [], []
    for epoch in range(epochs):
        model.train()
        for (clean,) in loader:
            noisy = add_noise(clean, noise_factor)
            output = model(noisy)
            l = criterion(output, clean)
            optimizer.zero_grad()
            l.backward()
            optimizer.step()
            losses.append(l.item())
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])

        model.eval()
        with torch.no_grad():
            noisy = add_noise(test, noise_factor)
            recon = model(noisy)
            psnrs.append(psnr(recon, test).mean().item())
            ssims.append(ssim(recon, test).mean().item())

    with torch.no_grad():
        noisy = add_noise(test, noise_factor)
        recon = model(noisy)
        record = {
            "noisy_psnr": psnr(noisy, test),
            "recon_psnr": psnr(recon, test),
            "noisy_ssim": ssim(noisy, test),
            "recon_ssim": ssim(recon, test),
            "recon": recon[:4],
            "code": model.encoder(noisy[:2]),
        }
    record.update(losses=losses, lrs=lrs, psnrs=psnrs, ssims=ssims, state=model.state_dict())
    return record


if __name__ == "__main__":
    import numpy as np
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:16, 0:16]
    cx, cy, r = rng.uniform(4, 12, (3, 200, 1, 1))
    imgs = ((xx - cx) ** 2 + (yy - cy) ** 2 < (r / 2 + 2) ** 2).astype(np.float64)
    torch.manual_seed(0)
    model = build()
    rec = run(model, {"images": imgs, "n_train": 160}, epochs=10)
    print(rec["losses"][0], rec["losses"][-1], rec["psnrs"], rec["ssims"])
