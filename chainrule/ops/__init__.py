"""The primitives of chainrule and the NumPy-named functions built on them.

This module is also the array namespace of Tensors: ``backend.namespace(tensor)`` returns it, so
derivative rules written with ``ns.exp``, ``ns.where``, ``ns.broadcast_to``… record a graph when
they run on Tensors (``create_graph=True``).
"""
import builtins

from .activations import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus
from .arithmetic import add, divide, multiply, negative, power, subtract
from .creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .elementwise import (
    abs,
    clamp,
    clip,
    cos,
    exp,
    log,
    maximum,
    minimum,
    sin,
    sqrt,
    tanh,
    where,
)
from .indexing import (
    TwoStepIndex,
    gather,
    getitem,
    index_put,
    select,
    take_along_dim,
    torch_index,
)
from .linalg import matmul
from .linear import linear
from .movement import (
    astype,
    broadcast_to,
    cat,
    chunk,
    concatenate,
    copy,
    expand_dims,
    flatten,
    moveaxis,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    swapaxes,
    transpose,
    unsqueeze,
)
from .reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .softmax import log_softmax, softmax
from .special import erf

sub = subtract
mul = multiply
div = divide
neg = negative
pow = power

# -- appended: elementwise math, division, comparisons, bitwise, cumulative, products
from .binary import (  # noqa: E402
    absolute,
    arctan2,
    atan2,
    clamp_max,
    clamp_min,
    copysign,
    frac,
    hypot,
    lerp,
    logaddexp,
    logaddexp2,
    logit,
    nan_to_num,
    square,
    xlogy,
)
from .bitwise import (  # noqa: E402
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from .comparison import (  # noqa: E402
    allclose,
    eq,
    equal,
    fmax,
    fmin,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    le,
    less,
    less_equal,
    lt,
    ne,
    not_equal,
)
from .cumulative import cummax, cummin, cumprod, cumsum, logcumsumexp  # noqa: E402
from .division import floor_divide, fmod, remainder, true_divide  # noqa: E402
from .norms import norm  # noqa: E402
from .pointwise import (  # noqa: E402
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cosh,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    floor,
    log1p,
    log2,
    log10,
    reciprocal,
    round,
    rsqrt,
    sgn,
    sign,
    sinc,
    sinh,
    tan,
    trunc,
)
from .products import (  # noqa: E402
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    bmm,
    dot,
    einsum,
    ger,
    inner,
    kron,
    mm,
    mv,
    outer,
    tensordot,
    trace,
    vdot,
)
from .sampling import (  # noqa: E402
    bernoulli,
    binomial,
    empty_like,
    logspace,
    multinomial,
    normal,
    poisson,
    randint_like,
    randperm,
)

# -- appended: indexing, movement, selection, sorting, norms, sampling (PyTorch's signatures;
# these rebind where/squeeze/moveaxis/swapaxes/logsumexp to PyTorch-compatible wrappers)
from .selection import (  # noqa: E402
    argwhere,
    count_nonzero,
    index_add,
    index_copy,
    index_fill,
    index_reduce,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    where,  # noqa: F811  (PyTorch-compatible replacement)
)
from .shape import (  # noqa: E402
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    chunk,  # noqa: F811  (PyTorch-compatible replacement)
    clone,
    column_stack,
    concat,
    concatenate,  # noqa: F811  (PyTorch-compatible replacement)
    diag,
    diag_embed,
    diagonal,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    meshgrid,
    moveaxis,  # noqa: F811  (PyTorch-compatible replacement)
    movedim,
    narrow,
    numel,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    split,  # noqa: F811  (PyTorch-compatible replacement)
    squeeze,  # noqa: F811  (PyTorch-compatible replacement)
    swapaxes,  # noqa: F811  (PyTorch-compatible replacement)
    swapdims,
    t,
    tensor_split,
    tile,
    tril,
    triu,
    unbind,
    unflatten,
    vsplit,
    vstack,
)
from .sorting import (  # noqa: E402
    aminmax,
    argsort,
    bincount,
    bucketize,
    histc,
    histogram,
    kthvalue,
    logsumexp,  # noqa: F811  (PyTorch-compatible replacement)
    median,
    mode,
    msort,
    nanmedian,
    nanquantile,
    quantile,
    searchsorted,
    sort,
    std_mean,
    topk,
    unique,
    unique_consecutive,
    var_mean,
)

# isort: split
# -- appended: nn.functional breadth (activations, resampling, similarity)
from .activations_extra import (  # noqa: E402
    celu,
    celu_,
    hardshrink,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    threshold,
    threshold_,
)
from .as_strided import (  # noqa: E402  (views by geometry; storage-level resizing)
    as_strided,
    as_strided_,
    as_strided_scatter,
    empty_strided,
    resize_as_,
)
from .calculus import cumulative_trapezoid, diff, trapezoid, trapz  # noqa: E402
from .gamma import digamma, lgamma, polygamma  # noqa: E402  (the gamma-function family)
from .matrices import (  # noqa: E402  (structured matrices, index sets)
    block_diag,
    cartesian_prod,
    combinations,
    tril_indices,
    triu_indices,
)
from .promotion import can_cast, promote_types, result_type  # noqa: E402
from .resample import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402
from .scatter_views import (  # noqa: E402  (copies with a part replaced; view spellings)
    adjoint,
    conj,
    conj_physical,
    diagflat,
    diagonal_scatter,
    imag,
    is_conj,
    is_neg,
    narrow_copy,
    nonzero_static,
    real,
    resolve_conj,
    resolve_neg,
    select_scatter,
    slice_scatter,
    split_with_sizes,
)
from .similarity import (  # noqa: E402
    bilinear,
    cdist,
    cosine_similarity,
    dist,
    pairwise_distance,
    pdist,
    renorm,
)
from .statistics import corrcoef, cov  # noqa: E402
from .tensor_extras import (  # noqa: E402  (Tensor methods; top-level where PyTorch has them)
    addcdiv,
    addcmul,
    all,
    any,
    deg2rad,
    detach,
    float_power,
    gcd,
    heaviside,
    is_complex,
    is_nonzero,
    is_same_size,
    is_signed,
    isin,
    lcm,
    nanmean,
    nansum,
    positive,
    rad2deg,
    ravel,
    rsub,
    scalar_tensor,
    signbit,
    triangular_solve,
)
from .windows import (  # noqa: E402  (spectral windows)
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)


def _accepting_device(fn):
    """``fn`` with PyTorch's ``device=``, ``pin_memory=``, ``layout=``, ``memory_format=`` and
    ``generator=`` keywords accepted: the tensor is made on the CPU and moved to a device that a
    device backend serves (chainrule.device); a device that none serves raises."""
    import functools

    from .. import layouts
    from ..backend import xp
    from ..device import check, move
    from ..tensor import Tensor

    name = fn.__name__
    like = name.endswith("_like")

    @functools.wraps(fn)
    def wrapper(*args, device=None, pin_memory=False, layout=None, memory_format=None, **kwargs):
        target = None if device is None else check(device, name)
        if memory_format is not None and not (like or name == "empty"):
            raise TypeError(f"{name}() got an unexpected keyword argument 'memory_format' (as "
                            "in PyTorch: only empty and the *_like functions take it)")
        fmt = None if memory_format is None else layouts._check(memory_format)
        if like and fmt is not None and fmt is not layouts.preserve_format and args and \
                isinstance(args[0], Tensor) and type(args[0]._data) is xp.ndarray:
            # the result laid out (and random values drawn in memory order) as an empty tensor
            # of that format, where preserve_format follows the input's own layout
            x = args[0]
            stand_in = Tensor._from_op(layouts.laid_out(xp.empty(x._data.shape, x._data.dtype),
                                                        fmt), None)
            args = (stand_in,) + tuple(args[1:])
        out = fn(*args, **kwargs)
        if name == "empty" and fmt is not None:
            out._data = layouts.laid_out(out._data, fmt)
        if target is not None and target.type != "cpu":
            out._data = move(out._data, target)
        return out

    return wrapper


for _name in ("tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange", "linspace", "eye",
              "rand", "randn", "randint", "zeros_like", "ones_like", "full_like", "rand_like",
              "randn_like", "normal", "randperm", "randint_like", "empty_like", "logspace",
              "hann_window", "hamming_window", "blackman_window", "bartlett_window",
              "kaiser_window"):
    if _name in globals():
        globals()[_name] = _accepting_device(globals()[_name])

# the public functions only: not the submodules that the imports above bind as names
__all__ = [name for name, value in dict(globals()).items()
           if not name.startswith("_") and not isinstance(value, type(builtins))]
