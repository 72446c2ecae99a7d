"""Differences from PyTorch found in round 35 by the lead, each compared with PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda L, x: x.permute(2, 0, 1), lambda L, x: x.permute((2, 0, 1)),
    lambda L, x: x.permute([2, 0, 1]), lambda L, x: x.permute(dims=(2, 0, 1)),
    lambda L, x: L.permute(x, (1, 0, 2)), lambda L, x: L.permute(x, dims=(1, 0, 2)),
    lambda L, x: x.permute(L.Size([2, 1, 0])), lambda L, x: x.sum().permute(()),
])
def test_permute_spellings(call):
    values = torch.arange(24.0, dtype=torch.float64).reshape(2, 3, 4)
    ours = call(cr, cr.tensor(values.numpy()))
    theirs = call(torch, values)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.numpy().tolist() == theirs.numpy().tolist()


@pytest.mark.parametrize("shape", [(), (2, 3)])
def test_permute_without_dims_raises_as_pytorch(shape):
    for L in (torch, cr):
        with pytest.raises(TypeError, match="missing 1 required positional argument"):
            L.ones(shape).permute()


def _retained_graph(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    w = L.tensor([3.0, 4.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    u = w * 3
    u.retain_grad()
    fired = []
    u.register_hook(lambda g: fired.append("u"))
    y.register_hook(lambda g: fired.append("y"))
    z = (y * y).sum() + (u * y).sum()
    return (x, w, y, u), z, fired


@pytest.mark.parametrize("how,names", [("grad", "x"), ("grad", "y"), ("grad", "yx"),
                                       ("grad create_graph", "x"), ("backward", "x"),
                                       ("backward", "y"), ("backward", "")])
def test_retain_grad_and_hooks_on_the_paths_to_the_inputs(how, names):
    """As PyTorch's engine: asked for given inputs, it runs only the nodes between the output
    and those inputs; a retained tensor on the way gets its .grad, hooks off the way stay
    silent, and a retained input of backward(inputs=…) is accumulated once."""
    seen = {}
    for L in (torch, cr):
        (x, w, y, u), z, fired = _retained_graph(L)
        wanted = [{"x": x, "y": y}[n] for n in names]
        if how.startswith("grad"):
            L.autograd.grad(z, wanted, create_graph=how.endswith("create_graph"))
        else:
            z.backward(inputs=wanted or None)
        seen[L.__name__] = ([None if t.grad is None else t.grad.detach().numpy().tolist()
                             for t in (x, w, y, u)], sorted(fired))
    assert seen["chainrule"] == seen["torch"]


@pytest.mark.parametrize("make", [
    lambda L: L.tensor([1 + 2j]), lambda L: L.tensor(1j), lambda L: L.tensor([1.0, 2j]),
    lambda L: L.as_tensor([1j]), lambda L: L.full((2,), 1j), lambda L: L.tensor(np.complex64(1j)),
    lambda L: L.tensor([np.complex128(1j), 1]), lambda L: L.tensor([np.float64(1.0), 1j]),
    lambda L: L.tensor([1j], dtype=L.complex128), lambda L: L.ones(2) * 1j,
])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_complex_numbers_make_the_default_complex_dtype(make, default):
    """Python complex numbers give the default float's complex dtype (complex64 by default)."""
    dtypes = []
    for L in (torch, cr):
        before = L.get_default_dtype()
        L.set_default_dtype(getattr(L, default))
        try:
            t = make(L)
        finally:
            L.set_default_dtype(before)
        dtypes.append(str(t.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(t.numpy(), make(torch).numpy().astype(t.numpy().dtype))
    assert dtypes[0] == dtypes[1]


@pytest.mark.parametrize("make,error", [
    (lambda L: L.tensor([1j], dtype=L.float32), TypeError),
    (lambda L: L.full((2,), 1j, dtype=L.float32), RuntimeError),
    (lambda L: L.full((2,), 1 + 1j, dtype=L.int64), RuntimeError),
    (lambda L: L.zeros(2).fill_(1j), RuntimeError),
])
def test_complex_numbers_into_real_dtypes_raise(make, error):
    for L in (torch, cr):
        with pytest.raises(error):
            make(L)


_FP32_UNDER_AUTOCAST = [
    lambda L, x: L.linalg.inv(x), lambda L, x: L.linalg.solve(x, x[:, :1]),
    lambda L, x: L.linalg.inv_ex(x).inverse, lambda L, x: L.linalg.cholesky(x @ x.mT),
    lambda L, x: L.linalg.eigvalsh(x + x.mT), lambda L, x: L.linalg.eigh(x + x.mT)[0],
    lambda L, x: L.linalg.svdvals(x), lambda L, x: L.linalg.svd(x)[1],
    lambda L, x: L.linalg.eigvals(x), lambda L, x: L.linalg.cond(x),
    lambda L, x: L.linalg.tensorinv(x, ind=1), lambda L, x: L.linalg.cholesky_ex(x @ x.mT).L,
    lambda L, x: L.linalg.matrix_rank(x), lambda L, x: L.linalg.lstsq(x, x[:, :1]).solution,
    lambda L, x: L.linalg.qr(x).R, lambda L, x: L.inverse(x), lambda L, x: L.pinverse(x),
    lambda L, x: L.cholesky(x @ x.mT), lambda L, x: L.quantile(x, 0.5),
    lambda L, x: L.nanquantile(x, 0.5), lambda L, x: L.fft.fft(x), lambda L, x: L.fft.rfft(x),
    lambda L, x: L.fft.irfft(x), lambda L, x: L.fft.fft2(x), lambda L, x: L.fft.rfftn(x),
    lambda L, x: L.fft.hfft(x), lambda L, x: L.fft.ihfft(x),
    lambda L, x: L.polar(x.abs(), x), lambda L, x: L.view_as_complex(x[:, :2].contiguous()),
]


@pytest.mark.parametrize("call", _FP32_UNDER_AUTOCAST)
def test_autocast_runs_pytorchs_float32_list_in_float32(call):
    """float16 inputs of the linear-algebra, FFT and quantile ops on PyTorch's float32 list are
    cast up under CPU autocast, so the results have PyTorch's dtypes."""
    values = np.random.default_rng(0).standard_normal((4, 4)) + 4 * np.eye(4)
    dtypes = []
    for L in (torch, cr):
        x = L.tensor(values.astype(np.float16))
        with L.autocast("cpu", dtype=L.float16):
            dtypes.append(str(call(L, x).dtype).replace("torch.", ""))
    assert dtypes[0] == dtypes[1]


_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
           "complex64", "complex128"]


def _complex32(dtype_text: str) -> bool:
    return dtype_text == "complex32"    # PyTorch's complex half: NumPy has none (docs/pytorch.md)


@pytest.mark.parametrize("first", _DTYPES)
@pytest.mark.parametrize("second", _DTYPES)
def test_promote_types_as_pytorch(first, second):
    theirs = str(torch.promote_types(getattr(torch, first), getattr(torch, second)))
    ours = str(cr.promote_types(getattr(cr, first), getattr(cr, second)))
    if _complex32(theirs.replace("torch.", "")):
        assert ours == "complex64"
    else:
        assert ours == theirs.replace("torch.", "")


@pytest.mark.parametrize("first", _DTYPES)
@pytest.mark.parametrize("second", _DTYPES)
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())])
def test_binary_result_dtype_across_priority_classes(first, second, shapes):
    """Dimensioned tensors outrank 0-d ones; a 0-d operand of a higher category lifts the
    category only (a float32 tensor times a complex128 0-d tensor is complex64)."""
    results = {}
    for L in (torch, cr):
        a = L.ones(shapes[0], dtype=getattr(L, first))
        b = L.ones(shapes[1], dtype=getattr(L, second))
        texts = [str(L.result_type(a, b))]
        if first != "bool" and second != "bool":
            texts.append(str((a + b).dtype))
        results[L.__name__] = [t.replace("torch.", "") for t in texts]
    expected = ["complex64" if _complex32(t) else t for t in results["torch"]]
    assert results["chainrule"] == expected


@pytest.mark.parametrize("register,words", [
    ("register_forward_hook", "forward hooks"),
    ("register_forward_pre_hook", "forward pre-hooks"),
    ("register_full_backward_hook", None),
])
def test_compile_refuses_a_module_with_hooks_naming_them(register, words):
    from chainrule.compile import UntraceableError

    m = cr.nn.Linear(3, 2)
    getattr(m, register)(lambda *a: None)
    f = cr.compile(lambda x: m(x).sum(), fullgraph=True)
    with pytest.raises(UntraceableError) as caught:
        f(cr.randn(4, 3))
    if words is not None:
        assert f"Linear has {words}" in str(caught.value)


@pytest.mark.parametrize("call", [
    lambda L, x: L.max(x, 1), lambda L, x: x.sort(descending=True), lambda L, x: L.topk(x, 2),
    lambda L, x: L.aminmax(x), lambda L, x: x.median(0), lambda L, x: L.linalg.slogdet(x[:, :2]),
])
def test_return_types_print_as_pytorchs(call):
    """A named tuple of results prints its full type name and one field per line."""
    values = np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]])
    theirs = repr(call(torch, torch.tensor(values))).replace("dtype=torch.", "dtype=")
    theirs = theirs.replace("torch.", "chainrule.")
    assert repr(call(cr, cr.tensor(values))) == theirs
    assert str(call(cr, cr.tensor(values))) == theirs


@pytest.mark.parametrize("call", [
    lambda L, x: L.sum(x, 0, dtype=L.int32), lambda L, x: x.sum(dtype=L.int32),
    lambda L, x: L.sum(x, dtype=L.int16), lambda L, x: L.prod(x, 0, dtype=L.int32),
    lambda L, x: L.cumsum(x, 0, dtype=L.int32), lambda L, x: L.cumprod(x, 1, dtype=L.int8),
    lambda L, x: L.nansum(x, dtype=L.int32), lambda L, x: L.sum(x.to(L.int8)),
    lambda L, x: L.sum(x.to(L.int8) * 50, dtype=L.int8),
    lambda L, x: L.cumsum(x.to(L.uint8) * 100, 0, dtype=L.uint8),
])
def test_integer_reductions_keep_the_dtype_asked_for(call):
    """sum/prod/cumsum/cumprod/nansum with dtype=int32 (int16, int8 …) give that dtype, wrapping
    on overflow as PyTorch (NumPy would widen to int64); integer inputs without dtype= give
    int64."""
    values = np.array([[1.5, 2.5, 3.0], [3.0, 4.0, 5.0]])
    theirs = call(torch, torch.tensor(values))
    ours = call(cr, cr.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()


def _like_draws(L):
    L.manual_seed(0)
    transposed = L.ones(5, 6).t()
    channels_last = L.ones(2, 3, 4, 5).contiguous(memory_format=L.channels_last)
    rows = []
    for x in (transposed, channels_last, L.ones(2, 3, 4, 5), L.ones(4, 8, dtype=L.float64)[:, ::2]):
        for fmt in (None, "preserve_format", "contiguous_format", "channels_last"):
            if fmt == "channels_last" and x.ndim != 4:
                continue
            kw = {} if fmt is None else {"memory_format": getattr(L, fmt)}
            for make in (L.randn_like, L.rand_like, L.zeros_like, L.empty_like,
                         lambda t, **k: L.full_like(t, 2.0, **k)):
                r = make(x, **kw)
                values = None if make is L.empty_like else r.flatten().tolist()
                rows.append((tuple(r.stride()), values))
    rows.append(("after", L.randn(3).tolist()))
    with pytest.raises(RuntimeError, match="rank 4"):
        L.zeros_like(L.ones(2, 3), memory_format=L.channels_last)
    with pytest.raises(TypeError):
        L.zeros((2, 3), memory_format=L.contiguous_format)
    rows.append(tuple(L.empty((2, 3, 4, 5), memory_format=L.channels_last).stride()))
    return rows


def test_like_functions_take_memory_format_and_draw_as_pytorch():
    """*_like honour memory_format= (PyTorch's layouts), and a result that is not row-major is
    filled element by element in memory order, as PyTorch's normal_ fills it (its 16-block fill
    is for contiguous tensors only): the same numbers and the generator left in the same place."""
    assert _like_draws(cr) == _like_draws(torch)


def _out_rows(L):
    rng = np.random.default_rng(0)
    x = L.tensor(rng.random(5).astype(np.float32))
    q = L.tensor(np.array([0.2, 0.8], np.float32))
    b, c = (L.tensor(rng.random(s).astype(np.float32)) for s in ((2, 3, 4), (2, 4, 5)))
    m = L.tensor(rng.random((3, 5)).astype(np.float32))
    cases = [lambda o: L.quantile(x, q, out=o), lambda o: L.nanquantile(x, q, out=o),
             lambda o: L.addbmm(m, b, c, out=o), lambda o: L.bucketize(x, q, out=o),
             lambda o: L.bucketize(x, q, out_int32=True, out=o),
             lambda o: L.searchsorted(q, x, out=o)]
    rows = []
    for call in cases:
        for dtype in ("float32", "float64", "int64", "int32"):
            o = L.empty(0, dtype=getattr(L, dtype))
            try:
                r = call(o)
                rows.append((r is o, str(r.dtype).replace("torch.", ""),
                             np.round(r.numpy().astype(float), 5).tolist()))
            except RuntimeError as e:
                rows.append(str(e))
    return rows


def test_out_on_quantile_addbmm_searchsorted_bucketize():
    """out= on these as PyTorch's: out itself returned; its dtype must be the result's, with
    each kernel's message."""
    assert _out_rows(cr) == _out_rows(torch)
