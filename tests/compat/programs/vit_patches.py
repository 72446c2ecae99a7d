import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR
from torch.utils.data import TensorDataset, DataLoader
import math
# ruff: noqa  (kept in the style of the small ViT tutorials (UvA DL course, timm's
# VisionTransformer, lucidrains/vit-pytorch), which this program follows)

# A tiny Vision Transformer (Dosovitskiy et al., 2020) on small images: the patch embedding a
# Conv2d with kernel = stride = patch size, then flatten(2).transpose(1, 2) to (N, L, D) — or
# (patch="unfold") F.unfold into (N, C·p·p, L) and a Linear, the "img_to_patch" of the UvA
# tutorial, or (patch="einops") the einops rearrange 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
# spelled with view / permute / contiguous / reshape —; a learnable class token (nn.Parameter,
# expand to the batch, torch.cat) and a learned positional embedding (trunc_normal_ init, as
# timm), dropout, nn.TransformerEncoder of pre-norm GELU layers (norm_first=True,
# activation='gelu', batch_first=True), a final LayerNorm and a Linear head on the class token.
# (blocks="timm" or "timm_explicit": timm's own Block — qkv Linear split by reshape / permute /
# unbind, F.scaled_dot_product_attention with dropout_p or the explicit softmax, DropPath
# stochastic depth by bernoulli_, GELU(approximate="tanh"), trunc_normal_ init by self.apply.)
# At the end the model runs at other resolutions — images resized by F.interpolate with
# antialias=True, the positional embedding resampled to the new patch grid as timm's
# resample_abs_pos_embed does (bicubic, antialiased) — and takes one fine-tuning step at 12×12.
# An auxiliary masked-autoencoder-style reconstruction head maps each patch token back to its
# pixels, and F.fold puts the patches back into an image for an MSE loss.
#
# Training: AdamW with two parameter groups (weight decay on weights only; biases, norms, the
# class token and the positional embedding excluded, as timm's param_groups_weight_decay),
# CosineAnnealingLR stepped per iteration, CrossEntropyLoss(label_smoothing=...), accuracy by
# torch.argmax; evaluation in model.eval() under torch.no_grad().


class PatchEmbed(nn.Module):
    def __init__(self, in_chans, patch_size, embed_dim, mode="conv"):
        super().__init__()
        self.patch_size, self.mode = patch_size, mode
        if mode == "conv":
            self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        else:
            self.proj = nn.Linear(in_chans * patch_size * patch_size, embed_dim)

    def forward(self, x):
        p = self.patch_size
        if self.mode == "conv":
            return self.proj(x).flatten(2).transpose(1, 2)          # B, L, D
        if self.mode == "unfold":
            patches = F.unfold(x, kernel_size=p, stride=p)           # B, C*p*p, L
            return self.proj(patches.transpose(1, 2))
        B, C, H, W = x.shape                                          # einops-style
        x = x.view(B, C, H // p, p, W // p, p)
        x = x.permute(0, 2, 4, 3, 5, 1).contiguous()                  # b h w p1 p2 c
        x = x.reshape(B, (H // p) * (W // p), p * p * C)
        return self.proj(x)


def drop_path(x, drop_prob=0., training=False):
    """Stochastic depth per sample (timm's drop_path)."""
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0:
        random_tensor.div_(keep_prob)
    return x * random_tensor


class DropPath(nn.Module):
    def __init__(self, drop_prob=0.):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x):
        return drop_path(x, self.drop_prob, self.training)


class Attention(nn.Module):
    """timm's Attention: one qkv Linear, heads split by reshape / permute / unbind, and
    F.scaled_dot_product_attention (or the explicit softmax(q k^T · scale) v)."""

    def __init__(self, dim, num_heads=2, attn_drop=0., proj_drop=0., fused=True):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.fused = fused
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused:
            x = F.scaled_dot_product_attention(
                q, k, v, dropout_p=self.attn_drop.p if self.training else 0.)
        else:
            q = q * self.scale
            attn = q @ k.transpose(-2, -1)
            attn = attn.softmax(dim=-1)
            attn = self.attn_drop(attn)
            x = attn @ v
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=2., drop=0., drop_path=0., fused=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, attn_drop=drop, proj_drop=drop, fused=fused)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(approximate='tanh'),
                                 nn.Dropout(drop), nn.Linear(hidden, dim), nn.Dropout(drop))

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


class VisionTransformer(nn.Module):
    def __init__(self, img_size=8, patch_size=4, in_chans=1, num_classes=4, embed_dim=16,
                 depth=2, num_heads=2, mlp_ratio=2.0, dropout=0.1, patch="conv",
                 blocks="torch", drop_path_rate=0.1):
        super().__init__()
        self.patch_size, self.in_chans, self.img_size = patch_size, in_chans, img_size
        self.patch_embed = PatchEmbed(in_chans, patch_size, embed_dim, patch)
        num_patches = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.pos_drop = nn.Dropout(p=dropout)
        if blocks == "torch":
            layer = nn.TransformerEncoderLayer(d_model=embed_dim, nhead=num_heads,
                                               dim_feedforward=int(embed_dim * mlp_ratio),
                                               dropout=dropout, activation='gelu',
                                               batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, num_layers=depth)
        else:   # timm's blocks, stochastic depth rising linearly with depth
            dpr = [v.item() for v in torch.linspace(0, drop_path_rate, depth)]
            self.encoder = nn.Sequential(*[
                Block(embed_dim, num_heads, mlp_ratio, dropout, dpr[i], blocks == "timm")
                for i in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)
        self.decoder = nn.Linear(embed_dim, in_chans * patch_size * patch_size)
        nn.init.trunc_normal_(self.pos_embed, std=.02)
        nn.init.trunc_normal_(self.cls_token, std=.02)
        if blocks != "torch":
            self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        B = x.shape[0]
        x = self.patch_embed(x)
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.encoder(x)
        x = self.norm(x)
        return self.head(x[:, 0]), x[:, 1:]

    def reconstruct(self, tokens):
        """Patch tokens (B, L, D) → pixels per patch → an image, with F.fold."""
        p = self.patch_size
        patches = self.decoder(tokens).transpose(1, 2)               # B, C*p*p, L
        return F.fold(patches, output_size=(self.img_size, self.img_size), kernel_size=p,
                      stride=p)


def param_groups_weight_decay(model, weight_decay=1e-5, no_weight_decay_list=()):
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim <= 1 or name.endswith(".bias") or name in no_weight_decay_list:
            no_decay.append(param)
        else:
            decay.append(param)
    return [{'params': no_decay, 'weight_decay': 0.},
            {'params': decay, 'weight_decay': weight_decay}]


def img_to_patch(x, patch_size):
    """The UvA tutorial's patch split with view / permute / flatten: B, L, C·p·p (c p1 p2)."""
    B, C, H, W = x.shape
    x = x.reshape(B, C, H // patch_size, patch_size, W // patch_size, patch_size)
    x = x.permute(0, 2, 4, 1, 3, 5)                                   # B, H', W', C, p, p
    x = x.flatten(1, 2)
    return x.flatten(2, 4)


def resample_abs_pos_embed(posemb, new_size, num_prefix_tokens=1, interpolation='bicubic',
                           antialias=True):
    """timm's resample_abs_pos_embed: the patch part of a learned positional embedding viewed as
    a (1, D, h, w) image and resized with F.interpolate (bicubic, antialiased), the class token's
    row kept; used to run a ViT at another resolution."""
    num_pos_tokens = posemb.shape[1]
    hw = int(math.sqrt(num_pos_tokens - num_prefix_tokens))
    posemb_prefix, posemb = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    embed_dim = posemb.shape[-1]
    posemb = posemb.reshape(1, hw, hw, -1).permute(0, 3, 1, 2)
    posemb = F.interpolate(posemb, size=new_size, mode=interpolation, antialias=antialias)
    posemb = posemb.permute(0, 2, 3, 1).reshape(1, -1, embed_dim)
    return torch.cat([posemb_prefix, posemb], dim=1)


def forward_at_resolution(model, x, new_grid, interpolation='bicubic'):
    """The model on images of another size: the positional embedding resampled to the new patch
    grid inside the graph (so a fine-tuning step reaches the original pos_embed)."""
    B = x.shape[0]
    tokens = model.patch_embed(x)
    pos = resample_abs_pos_embed(model.pos_embed, new_grid, interpolation=interpolation)
    tokens = torch.cat((model.cls_token.expand(B, -1, -1), tokens), dim=1)
    tokens = model.norm(model.encoder(model.pos_drop(tokens + pos)))
    return model.head(tokens[:, 0])


def build(img_size=8, patch_size=4, num_classes=4, embed_dim=16, depth=2, num_heads=2,
          dropout=0.1, patch="conv", blocks="torch", drop_path_rate=0.1):
    return VisionTransformer(img_size=img_size, patch_size=patch_size, num_classes=num_classes,
                             embed_dim=embed_dim, depth=depth, num_heads=num_heads,
                             dropout=dropout, patch=patch, blocks=blocks,
                             drop_path_rate=drop_path_rate)


def run(model, data, epochs=3, batch_size=8, lr=3e-3, weight_decay=0.05, label_smoothing=0.1,
        recon_weight=0.5, seed=0):
    torch.manual_seed(seed)
    dtype = torch.get_default_dtype()
    x = torch.tensor(data["images"], dtype=dtype).unsqueeze(1)        # N, 1, H, W
    y = torch.from_numpy(data["labels"])
    n_train = data.get("n_train", 32)
    loader = DataLoader(TensorDataset(x[:n_train], y[:n_train]), batch_size=batch_size,
                        shuffle=True)
    no_wd = ['cls_token', 'pos_embed']
    optimizer = torch.optim.AdamW(param_groups_weight_decay(model, weight_decay, no_wd), lr=lr)
    scheduler = CosineAnnealingLR(optimizer, T_max=epochs * len(loader), eta_min=lr / 100)
    criterion = nn.CrossEntropyLoss(label_smoothing=label_smoothing)

    losses, recon_losses, accs, lrs = [], [], [], []
    for epoch in range(epochs):
        model.train()
        for imgs, labels in loader:
            logits, tokens = model(imgs)
            loss = criterion(logits, labels)
            recon = F.mse_loss(model.reconstruct(tokens), imgs)
            total = loss + recon_weight * recon
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            recon_losses.append(recon.item())
            lrs.append(scheduler.get_last_lr()[0])
            accs.append((torch.argmax(logits, dim=-1) == labels).float().mean().item())

    model.eval()
    with torch.no_grad():
        logits, tokens = model(x[n_train:])
        preds = torch.argmax(logits, dim=1)
        test_acc = (preds == y[n_train:]).sum().item() / len(preds)
        probs = F.softmax(logits, dim=-1)
        recon = model.reconstruct(tokens)
    # another resolution: images resized with antialiasing (up to 12×12: a 3×3 patch grid; down
    # to 4×4: 1×1 with patch 4), the positional embedding resampled to match; one fine-tuning
    # step at 12×12 (gradients through the resampling into pos_embed)
    p = model.patch_size
    at_res = {}
    for size, interpolation in ((12, 'bicubic'), (4, 'bilinear')):
        grid = (size // p, size // p)
        imgs = F.interpolate(x[n_train:], size=(size, size), mode='bilinear', antialias=True)
        with torch.no_grad():
            at_res[size] = forward_at_resolution(model, imgs, grid, interpolation)
    model.train()
    big = F.interpolate(x[:n_train], size=(12, 12), mode='bicubic', antialias=True,
                        align_corners=False)
    optimizer.zero_grad()
    loss_big = criterion(forward_at_resolution(model, big, (3, 3)), y[:n_train])
    loss_big.backward()
    pos_grad = model.pos_embed.grad.clone()
    optimizer.step()
    model.eval()
    # the patch paths agree: unfold, the tutorial's img_to_patch and fold(unfold(x)) == x
    unfolded = F.unfold(x[:4], kernel_size=p, stride=p).transpose(1, 2)
    patches = img_to_patch(x[:4], p)
    refolded = F.fold(F.unfold(x[:4], kernel_size=p, stride=p), output_size=x.shape[-2:],
                      kernel_size=p, stride=p)
    # overlapping windows: fold sums the overlaps (fold(unfold(x)) = x · counts)
    ones = torch.ones_like(x[:1])
    counts = F.fold(F.unfold(ones, kernel_size=3, padding=1), output_size=x.shape[-2:],
                    kernel_size=3, padding=1)
    xg = x[:2].clone().requires_grad_(True)
    overlapped = F.fold(F.unfold(xg, kernel_size=3, stride=2, padding=1, dilation=1),
                        output_size=x.shape[-2:], kernel_size=3, stride=2, padding=1)
    (overlapped * torch.arange(overlapped.numel(), dtype=dtype).view_as(overlapped)).sum().backward()
    return {"losses": losses, "recon_losses": recon_losses, "accs": accs, "lrs": lrs,
            "test_acc": test_acc, "preds": preds, "probs": probs, "recon": recon,
            "unfold_matches": bool(torch.equal(unfolded, patches)),
            "fold_roundtrip": bool(torch.equal(refolded, x[:4])), "counts": counts,
            "overlapped": overlapped, "overlap_grad": xg.grad,
            "n_groups": [len(g['params']) for g in optimizer.param_groups],
            "logits_12": at_res[12], "logits_4": at_res[4], "loss_big": loss_big.item(),
            "pos_grad": pos_grad,
            "state": model.state_dict()}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(4, 8, 8))
    labels = rng.integers(0, 4, 200)
    data = {"images": templates[labels] + 0.5 * rng.normal(size=(200, 8, 8)), "labels": labels,
            "n_train": 160}
    record = run(build(), data, epochs=20)
    print(record["losses"][:3], record["losses"][-3:], record["test_acc"])
