import torch
import torch.nn as nn
import torch.nn.functional as F
import math
# ruff: noqa  (kept in the style of nanoGPT and minGPT, which this program follows)

# A tiny GPT written by hand, after nanoGPT's model.py: token + learned position embeddings, a
# stack of pre-norm blocks whose causal self-attention either calls
# F.scaled_dot_product_attention(is_causal=True) ("flash") or spells attention out (q·kᵀ/√d,
# masked_fill of a torch.tril buffer with float('-inf'), softmax, dropout, ·v), GELU MLPs, a final
# LayerNorm and an output head whose weight is tied to the token embedding. Training: AdamW with
# nanoGPT's two parameter groups, gradient accumulation over micro-batches (the loss divided by
# the number of steps), clip_grad_norm_. Generation: a key/value cache (each step attends over the
# cached keys and values, grown with torch.cat; the prompt's own step masked with torch.triu), the
# logits scaled by a temperature, cut to the top k (torch.topk) and/or to the nucleus of
# probability top_p (sort, cumsum, the mask scattered back to vocabulary order), and
# torch.multinomial drawing from a seeded torch.Generator, under torch.no_grad() or
# torch.inference_mode(). The cached and the uncached greedy decodings are compared, and so are
# the two attention paths on one batch.
# The token stream (a 1-D int64 NumPy array) is handed in by the caller.


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout, flash):
        super().__init__()
        assert n_embd % n_head == 0
        # key, query, value projections for all heads, in a batch (no bias: nanoGPT's bias=False)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.n_head = n_head
        self.n_embd = n_embd
        self.dropout = dropout
        self.flash = flash
        self.register_buffer("bias", torch.tril(torch.ones(block_size, block_size))
                             .view(1, 1, block_size, block_size))

    def forward(self, x, kv_cache=None):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)   # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if kv_cache is not None:
            if kv_cache[0] is not None:
                k = torch.cat([kv_cache[0], k], dim=2)
                v = torch.cat([kv_cache[1], v], dim=2)
            new_cache = (k, v)
            S = k.size(2)
            # query i (at position S - T + i) sees keys 0 .. S - T + i
            mask = torch.triu(torch.ones(T, S, dtype=torch.bool), diagonal=S - T + 1)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(mask, float('-inf'))
            att = F.softmax(att, dim=-1)
            y = att @ v
        else:
            new_cache = None
            if self.flash:
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                                   dropout_p=self.dropout if self.training else 0,
                                                   is_causal=True)
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
                att = F.softmax(att, dim=-1)
                att = self.attn_dropout(att)
                y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        y = self.resid_dropout(self.c_proj(y))
        return y, new_cache


class MLP(nn.Module):
    def __init__(self, n_embd, dropout):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout, flash):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size, dropout, flash)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x, kv_cache=None):
        a, new_cache = self.attn(self.ln_1(x), kv_cache)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, new_cache


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.0,
                 flash=True):
        super().__init__()
        self.block_size = block_size
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab_size, n_embd),
            wpe=nn.Embedding(block_size, n_embd),
            drop=nn.Dropout(dropout),
            h=nn.ModuleList([Block(n_embd, n_head, block_size, dropout, flash)
                             for _ in range(n_layer)]),
            ln_f=nn.LayerNorm(n_embd),
        ))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight   # weight tying
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None, kv_caches=None, pos_offset=0):
        b, t = idx.size()
        assert pos_offset + t <= self.block_size
        pos = torch.arange(pos_offset, pos_offset + t, dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        new_caches = []
        for i, block in enumerate(self.transformer.h):
            x, cache = block(x, None if kv_caches is None else kv_caches[i])
            new_caches.append(cache)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        else:
            logits = self.lm_head(x[:, [-1], :])   # only the last position
            loss = None
        return logits, loss, new_caches

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {'params': decay_params, 'weight_decay': weight_decay},
            {'params': nodecay_params, 'weight_decay': 0.0},
        ]
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, top_p=None,
                 use_cache=True, greedy=False, generator=None):
        caches = [(None, None)] * len(self.transformer.h) if use_cache else None
        pos = 0
        step_input = idx
        for _ in range(max_new_tokens):
            if use_cache:
                logits, _, caches = self(step_input, kv_caches=caches, pos_offset=pos)
                pos += step_input.size(1)
            else:
                logits, _, _ = self(idx)
            logits = logits[:, -1, :] / temperature
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float('Inf')
            if top_p is not None:
                sorted_logits, sorted_indices = torch.sort(logits, descending=True)
                cumulative_probs = torch.cumsum(F.softmax(sorted_logits, dim=-1), dim=-1)
                # drop the tokens once the probability mass before them exceeds top_p
                sorted_to_remove = cumulative_probs > top_p
                sorted_to_remove[..., 1:] = sorted_to_remove[..., :-1].clone()
                sorted_to_remove[..., 0] = False
                to_remove = sorted_to_remove.scatter(1, sorted_indices, sorted_to_remove)
                logits = logits.masked_fill(to_remove, float('-inf'))
            probs = F.softmax(logits, dim=-1)
            if greedy:
                idx_next = torch.argmax(probs, dim=-1, keepdim=True)
            else:
                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)
            idx = torch.cat((idx, idx_next), dim=1)
            step_input = idx_next
        return idx


def get_batch(data, block_size, batch_size, generator):
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return x, y


def build(vocab_size=20, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=0.0,
          flash=True):
    return GPT(vocab_size, block_size, n_layer, n_head, n_embd, dropout, flash)


def run(model, data, max_iters=6, batch_size=4, grad_accum=2, learning_rate=3e-3,
        weight_decay=0.1, grad_clip=1.0, seed=1337, max_new_tokens=8, temperature=0.8,
        top_k=None, top_p=None, use_inference_mode=False):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    train_data = torch.from_numpy(data["train"])
    val_data = torch.from_numpy(data["valid"])
    block_size = model.block_size
    optimizer = model.configure_optimizers(weight_decay, learning_rate, (0.9, 0.95))

    losses, grad_norms = [], []
    model.train()
    for it in range(max_iters):
        total = 0.0
        for micro_step in range(grad_accum):
            xb, yb = get_batch(train_data, block_size, batch_size, g)
            _, loss, _ = model(xb, yb)
            loss = loss / grad_accum
            loss.backward()
            total += loss.item()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(total)
        grad_norms.append(norm.item())

    model.eval()
    # the two attention paths agree on the same weights
    x = val_data[:block_size].view(1, -1)
    with torch.no_grad():
        outs = []
        for flash in (True, False):
            for block in model.transformer.h:
                block.attn.flash = flash
            logits, val_loss, _ = model(x, x.roll(-1, 1))
            outs.append(val_loss)
    for block in model.transformer.h:
        block.attn.flash = True

    prompt = val_data[:4].view(1, -1)
    context = torch.inference_mode() if use_inference_mode else torch.no_grad()
    with context:
        greedy_cached = model.generate(prompt, max_new_tokens, greedy=True)
        greedy_plain = model.generate(prompt, max_new_tokens, greedy=True, use_cache=False)
        sampled = model.generate(prompt.repeat(3, 1), max_new_tokens, temperature=temperature,
                                 top_k=top_k, top_p=top_p,
                                 generator=torch.Generator().manual_seed(seed))
        sampled_plain = model.generate(prompt.repeat(3, 1), max_new_tokens,
                                       temperature=temperature, top_k=top_k, top_p=top_p,
                                       use_cache=False,
                                       generator=torch.Generator().manual_seed(seed))
        sampled_global = model.generate(prompt, max_new_tokens, temperature=temperature,
                                        top_k=top_k, top_p=top_p)
        last_logits, _, _ = model(prompt)
    return {"losses": losses, "grad_norms": grad_norms, "val_loss_flash": outs[0],
            "val_loss_manual": outs[1], "greedy_cached": greedy_cached,
            "greedy_plain": greedy_plain, "sampled": sampled, "sampled_plain": sampled_plain,
            "sampled_global": sampled_global, "last_logits": last_logits,
            "state": model.state_dict(),
            "tied": model.lm_head.weight is model.transformer.wte.weight}


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    ids = ((np.arange(3000) * 3 + rng.integers(0, 2, 3000)) % 20).astype(np.int64)
    torch.manual_seed(0)
    model = build()
    record = run(model, {"train": ids[:2500], "valid": ids[2500:]}, max_iters=100, top_p=0.9)
    print(record["losses"][0], record["losses"][-1], record["greedy_cached"],
          record["greedy_plain"], record["sampled"])
