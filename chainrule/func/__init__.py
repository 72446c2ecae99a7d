"""Function transforms, as PyTorch's ``torch.func``: vmap, grad, vjp, jvp, jacrev, jacfwd,
hessian, functional_call and stack_module_state.

Design
------
The derivative transforms (transforms.py) run on chainrule's reverse-mode engine: ``vjp`` makes
fresh leaves for the primals, calls the function once and seeds one backward pass; ``grad`` is
the vjp of a 0-d output; ``jvp`` differentiates a VJP (uᵀJ is linear in u); ``jacrev`` and
``jacfwd`` are vmaps of vjp and jvp over an identity; ``hessian`` is jacrev of jacrev. They nest
(``grad(grad(f))``) because a backward keeps a graph whenever an outer transform runs.

vmap (vmap.py, batched.py, batching_rules.py, rules_*.py) is vectorised: each mapped input becomes a
``BatchedTensor``, a Tensor with a hidden leading batch dimension whose shape, ndim, len and
size are the per-example ones. Every primitive goes through ``Function.apply``, which hands
batched arguments to vmap's dispatcher: it applies the primitive's *batching rule* to the
underlying arrays (one call of the primitive on the whole batch) and wraps the result. Nested
vmaps nest the wrappers (one level each). A primitive without a rule runs as a Python loop over
the batch, with a :class:`VmapFallbackWarning` naming it and a count in :func:`fallbacks`.

Primitives with batching rules: elementwise (erf sigmoid relu leaky_relu elu gelu silu softplus
negative exp log sqrt abs sin cos tanh astype copy tan asin acos atan sinh cosh asinh acosh atanh
exp2 expm1 log2 log10 log1p rsqrt reciprocal sinc erfc erfinv floor ceil trunc round sign logit
nan_to_num hardtanh hardsigmoid hardswish mish logsigmoid lgamma digamma polygamma i0 i0e i1 i1e
ndtr ndtri log_ndtr erfcx entr), broadcasting (add subtract multiply divide power maximum minimum
clip where atan2 hypot xlogy lerp logaddexp logaddexp2 copysign div_rounded remainder fmod igamma
igammac xlog1py ldexp nextafter zeta comparisons huber_loss binary_cross_entropy
binary_cross_entropy_with_logits kl_div soft_margin), axis-taking (sum nansum mean var std max min
prod logsumexp vector_norm softmax log_softmax cumsum cumprod logcumsumexp), shape (reshape
transpose broadcast_to squeeze expand_dims concatenate stack pad getitem scatter_add), products
(matmul linear einsum), layers (conv conv_transpose max_pool avg_pool layer_norm
softmax_cross_entropy nll_loss; embedding has a rule, but F.embedding reads batched indices'
array and raises), rules_layers.py (batch_norm in training — the batch folded into the channels,
per-example running statistics updated in place — and evaluation; scaled_dot_product_attention;
rnn/gru/lstm, folded into the recurrence's N, or with per-example weights composed of batched
primitives in rules_recurrent.py), rules_linalg.py (det logabsdet inv solve cholesky eigh qr svd
pinv lu_factor lu_solve householder_product ormqr; linalg functions that read values — slogdet,
logdet, matrix_exp, lu_factor, matrix_rank — run once on the plain tensors, the batch leading),
rules_spatial.py (group_norm, conv_transpose and conv_weight_grad with per-example weights as
groups, adaptive_mean, im2col, col2im, max_unpool, grid_sample, affine_grid: the batch folded
into N), rules_indexing.py (index_put — index_copy, index_fill, put, masked_fill —, strided
views — diagonal, Tensor.unfold —, embedding with per-example tables), rules_losses.py
(cross_entropy and nll_loss with class weights under 'mean', multi_margin, multilabel_margin,
ctc_loss). Composites that read their inputs' values (gather, take_along_dim, sort, argsort,
topk, argmax/argmin, max/min over a dim, F.embedding's indices, max pooling with indices,
adaptive max pooling, max_unpool) call composite.py under vmap: they run once on the plain
tensors, the batch dimensions in front (or folded into N). What still loops or raises is the
list KNOWN_GAPS in tests/func/test_vmap_round35b.py (as_strided, complex values, frexp, …).

Random draws follow ``randomness=`` as torch.func does (randomness.py): 'error' raises, 'same'
draws once for the batch, 'different' draws the physical batch at once — PyTorch's numbers for
the same seed (rand, randn, randint, their _like forms, dropout masks, attention dropout).

Limits (differences from PyTorch)
---------------------------------
- Inside vmap, code that reads a batched tensor's values (``.item()``, ``.numpy()``,
  ``bool(x)``, ``if x.sum() > 0``) or functions that are not primitives and read the array
  (argmax, ``x[batched_index]``, in-place updates of a batched tensor) raise a clear error.
- ``randomness='different'`` covers rand, randn, randint, rand_like, randn_like, the dropout
  masks and attention dropout; other random operations (bernoulli of batched probabilities,
  normal, multinomial, randperm, distributions' samplers) raise under it.
- batch_norm with running statistics batched at two nested vmaps raises (PyTorch updates them).
- vmap over nn.RNN/GRU/LSTM works here; PyTorch 2.13 has no batching rule for them and raises.
- jvp and jacfwd use two backward passes (there is no forward-mode engine): they need every
  primitive on the way to be twice differentiable.
- grad/vjp inside vmap broadcast unbatched primals over the batch, so their gradients come
  back per example (what PyTorch computes too); a vjp_fn is meant to be called inside the
  vmaps that were running when vjp was called, or in vmaps opened inside them.
- functional_call does not reach parametrized modules (nn.utils.parametrize).
- ``argmax(keepdim=True)`` without a dim gives each example's eager shape (1, …, 1); torch.func
  gives (1,) there (its batching rule differs from its eager function).
- interpolate (nearest, linear, bicubic …), lp_pool, cosine_similarity, one_hot, scatter and
  scatter_reduce by a batched index, masked_scatter, masked_fill by a batched mask, index_select
  by a batched index, embedding_bag by batched indices, kthvalue, median, cummax, searchsorted,
  clamp by tensors, prelu, local_response_norm, and the integer-target checks of
  multi_margin/multilabel_margin/ctc_loss with *batched* targets read values and raise a clear
  error under vmap (batched inputs over shared targets work).
"""
from .functional_call import functional_call, replace_all_batch_norm_modules_, stack_module_state
from .transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from .vmap import VmapFallbackWarning, clear_fallbacks, fallbacks, vmap

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call", "stack_module_state", "replace_all_batch_norm_modules_",
           "VmapFallbackWarning", "fallbacks", "clear_fallbacks"]
