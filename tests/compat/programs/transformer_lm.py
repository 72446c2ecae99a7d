import torch
import torch.nn as nn
from torch.nn import functional as F
import math
# ruff: noqa  (kept in the style of nanoGPT / the PyTorch language-modelling tutorials, which
# this program follows)

# A small decoder-only (GPT-style) Transformer language model: token and learned positional
# embeddings, a stack of nn.TransformerEncoderLayer (pre-norm, GELU) run with the causal mask of
# nn.Transformer.generate_square_subsequent_mask (is_causal=True), a final LayerNorm and an
# output projection tied to the token embedding (lm_head.weight = tok_emb.weight); trained on
# random windows of a token stream (get_batch with torch.randint from a seeded torch.Generator)
# with AdamW (decay only on matrices, nanoGPT's two parameter groups), a linear warmup + linear
# decay LambdaLR, gradient clipping (clip_grad_norm_) and dropout in train mode; evaluated by
# perplexity, math.exp of the mean validation loss under torch.no_grad(); and generate(): greedy
# decoding and top-k sampling with temperature and torch.multinomial drawing from a generator.
#
# The token stream (a 1-D int64 NumPy array) is handed in by the caller.


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size=16, n_embd=16, n_head=2, n_layer=2, dropout=0.1,
                 norm_first=True):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(n_embd, n_head, dim_feedforward=4 * n_embd,
                                           dropout=dropout, activation="gelu", batch_first=True,
                                           norm_first=norm_first)
        self.blocks = nn.TransformerEncoder(layer, num_layers=n_layer,
                                            enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight       # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        assert T <= self.block_size, f"Cannot forward sequence of length {T}"
        pos = torch.arange(0, T, dtype=torch.long)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        x = self.blocks(x, mask=mask, is_causal=True)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, greedy=False,
                 generator=None):
        for _ in range(max_new_tokens):
            idx_cond = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :] / temperature
            if greedy:
                idx_next = torch.argmax(logits, dim=-1, keepdim=True)
            else:
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float('Inf')
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


def configure_optimizers(model, weight_decay, learning_rate, betas):
    param_dict = {pn: p for pn, p in model.named_parameters() if p.requires_grad}
    decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
    nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
    optim_groups = [
        {'params': decay_params, 'weight_decay': weight_decay},
        {'params': nodecay_params, 'weight_decay': 0.0},
    ]
    return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)


def get_batch(data, block_size, batch_size, generator):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss(model, data, block_size):
    model.eval()
    n = (len(data) - 1) // block_size
    x = data[:n * block_size].view(n, block_size)
    y = data[1:n * block_size + 1].view(n, block_size)
    _, loss = model(x, y)
    model.train()
    return loss.item()


def build(vocab_size=20, block_size=12, n_embd=16, n_head=2, n_layer=2, dropout=0.1,
          norm_first=True):
    return GPT(vocab_size, block_size, n_embd, n_head, n_layer, dropout, norm_first)


def run(model, data, max_iters=12, batch_size=4, learning_rate=3e-3, weight_decay=0.1,
        warmup_iters=3, grad_clip=1.0, eval_interval=4, seed=1337, max_new_tokens=6, top_k=5,
        temperature=0.8):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    train_data = torch.from_numpy(data["train"])
    val_data = torch.from_numpy(data["valid"])
    block_size = model.block_size
    optimizer = configure_optimizers(model, weight_decay, learning_rate, (0.9, 0.95))

    def lr_lambda(it):
        if it < warmup_iters:
            return (it + 1) / warmup_iters
        return max(0.0, (max_iters - it) / (max_iters - warmup_iters))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    losses, grad_norms, lrs, val_losses, perplexities = [], [], [], [], []
    model.train()
    for it in range(max_iters):
        xb, yb = get_batch(train_data, block_size, batch_size, g)
        logits, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        grad_norms.append(norm.item())
        lrs.append(optimizer.param_groups[0]['lr'])
        if (it + 1) % eval_interval == 0:
            val_loss = estimate_loss(model, val_data, block_size)
            val_losses.append(val_loss)
            perplexities.append(math.exp(val_loss))
    model.eval()
    context = val_data[:4].view(1, -1)
    greedy = model.generate(context, max_new_tokens, greedy=True)
    sampled = model.generate(context.repeat(3, 1), max_new_tokens, temperature=temperature,
                             top_k=top_k, generator=torch.Generator().manual_seed(seed))
    sampled_global = model.generate(context, max_new_tokens)     # global generator
    with torch.no_grad():
        logits, _ = model(context)
    return {"losses": losses, "grad_norms": grad_norms, "lrs": lrs, "val_losses": val_losses,
            "perplexities": perplexities, "greedy": greedy, "sampled": sampled,
            "sampled_global": sampled_global, "logits": logits, "state": model.state_dict(),
            "tied": model.lm_head.weight is model.tok_emb.weight}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    ids = ((np.arange(3000) * 3 + rng.integers(0, 2, 3000)) % 20).astype(np.int64)
    torch.manual_seed(0)
    model = build()
    record = run(model, {"train": ids[:2500], "valid": ids[2500:]}, max_iters=200,
                 eval_interval=50)
    print(record["losses"][0], record["losses"][-1], record["perplexities"], record["greedy"],
          record["sampled"])
