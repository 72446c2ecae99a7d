"""chainrule: deep learning from the mathematics up.

NumPy arrays underneath, reverse-mode automatic differentiation on top, and the formula of every
operation and of its derivative kept beside its code::

    >>> import chainrule as cr
    >>> x = cr.tensor([0.5, -1.0], requires_grad=True)
    >>> y = cr.sigmoid(x).sum()
    >>> y.backward()
    >>> print(cr.formula("sigmoid"))
"""
import math as _math
import sys as _sys

from . import backend, random  # random: torch.random
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.functional import grad_of as grad
from .autograd.functional import hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .autograd.gradcheck import GradcheckError, gradcheck
from .backend import (
    are_deterministic_algorithms_enabled,
    get_default_dtype,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    manual_seed,
    set_default_dtype,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .mathematics import Equation, Formula
from .ops import *  # noqa: F403  (the NumPy-named functions are the public API)
from .ops import __all__ as _ops_all
from .parallel import get_num_threads, set_num_threads
from .primitives import formula, primitives
from .primitives import formula_table as primitives_table
from .random import (  # torch.Generator, torch.default_generator, torch.seed, ...
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    seed,
    set_rng_state,
)

float32 = backend.xp.dtype("float32")
float64 = backend.xp.dtype("float64")
float16 = backend.xp.dtype("float16")
int32 = backend.xp.dtype("int32")
int64 = backend.xp.dtype("int64")
bool_ = backend.xp.dtype("bool")
long = int64
double = float64
# PyTorch's dtype names. They are NumPy dtype objects (chainrule's arrays are NumPy's), so
# `x.dtype == chainrule.float32` and `isinstance(chainrule.float32, chainrule.dtype)` hold.
float = float32  # noqa: A001
half = float16
int = int32  # noqa: A001
int8 = backend.xp.dtype("int8")
int16 = backend.xp.dtype("int16")
short = int16
uint8 = backend.xp.dtype("uint8")
bool = bool_  # noqa: A001
complex64 = backend.xp.dtype("complex64")
complex128 = backend.xp.dtype("complex128")
cfloat = complex64
cdouble = complex128
dtype = backend.xp.dtype

from . import accelerator, cuda, return_types  # noqa: E402
from .amp.autocast_mode import (  # noqa: E402  (torch.autocast and its state functions)
    autocast,
    autocast_decrement_nesting,
    autocast_increment_nesting,
    clear_autocast_cache,
    get_autocast_cpu_dtype,
    get_autocast_dtype,
    get_autocast_gpu_dtype,
    is_autocast_cache_enabled,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_cpu_dtype,
    set_autocast_cpu_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
    set_autocast_gpu_dtype,
)
from .autograd import (  # noqa: E402
    inference_mode,
    is_inference_mode_enabled,
)
from .autograd.versions import version as _version  # noqa: E402, F401
from .device import device  # noqa: E402
from .layouts import (  # noqa: E402  (torch.memory_format, torch.channels_last, torch.strided)
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from .tensor import LEGACY_TYPES as _LEGACY_TYPES
from .tensor import Size, Tensor, set_printoptions

globals().update(_LEGACY_TYPES)   # FloatTensor, LongTensor, … (PyTorch's typed constructors)
amp = __import__(__name__ + ".amp", fromlist=["GradScaler"])  # torch.amp (chainrule/amp/)
# PyTorch's constants: torch.pi, torch.e, torch.inf, torch.nan, torch.newaxis
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None


def is_tensor(obj) -> bool:  # noqa: A001
    """True for a chainrule Tensor (PyTorch's ``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:  # noqa: A002
    return input.is_floating_point()


def numel(input) -> int:  # noqa: A002
    return input.numel()


def set_default_device(device) -> None:  # noqa: A002
    """Accepted for the CPU (and None, the default); any other device raises."""
    from .device import check

    if device is not None:
        check(device, "set_default_device")


def get_default_device():
    """The device new tensors are made on: the CPU."""
    return device("cpu")

# chainrule.tensor and chainrule.ops import each other; link them now that both are loaded.
# (The attribute `chainrule.tensor` is the creation function, so the module is taken from
# sys.modules.)
_sys.modules[__name__ + ".tensor"].ops = _sys.modules[__name__ + ".ops"]
Tensor._array_namespace = _sys.modules[__name__ + ".ops"]

# The layers, losses and optimizers register primitives of their own; importing them here makes
# the registry (and so chainrule.formula, the docs and the tests) complete after `import chainrule`.
from . import (  # noqa: E402
    nn,
    optim,
    utils,  # noqa: E402, F401, I001  (torch.utils.data: chainrule.utils.data)
)
from .explain import explain, graph  # noqa: E402  (the backprop tracer is explain.trace)

# torch.linalg's names (norm, vector_norm, matrix_norm); imported by full name because the
# star import above binds `linalg` to the ops module chainrule.ops.linalg
linalg = __import__(__name__ + ".linalg", fromlist=["norm"])  # noqa: E402
from .serialization import load, save  # noqa: E402  (torch.save/torch.load, no pickle)

special = __import__(__name__ + ".special", fromlist=["erf"])  # noqa: E402  (torch.special)
# complex values without derivatives: torch.angle, polar, complex, view_as_real/complex
from .ops.complex_values import angle, complex, polar, view_as_complex, view_as_real  # noqa: E402
from .ops.spectral import istft, stft  # noqa: E402

# torch.fft (the discrete Fourier transforms, differentiable; chainrule/fft/)
fft = __import__(__name__ + ".fft", fromlist=["fft"])  # noqa: E402
# torch.func (vmap, grad, jacrev, functional_call, ...) and torch.vmap
func = __import__(__name__ + ".func", fromlist=["vmap"])  # noqa: E402
vmap = func.vmap
# torch's top-level spellings of special functions (ops/special_*.py): torch.i0, torch.igamma, …
from .distributions._gamma_grads import _dirichlet_grad, _standard_gamma_grad  # noqa: E402,F401
from .ops.sampling import _sample_dirichlet, _standard_gamma  # noqa: E402,F401  (torch's)
from .ops.special_bessel import i0, i0_  # noqa: E402
from .ops.special_igamma import igamma, igammac, mvlgamma  # noqa: E402
from .ops.special_misc import frexp, ldexp, ldexp_, nextafter  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Tensor", "backend", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
           "grad", "value_and_grad", "jacobian", "hessian", "hvp", "jvp", "vjp", "gradcheck",
           "GradcheckError", "manual_seed", "get_default_dtype", "set_default_dtype", "formula",
           "primitives", "Formula", "Equation", "nn", "optim", "explain", "graph",
           "float32", "float64", "float16", "int32", "int64", "bool_", *_ops_all]
__all__ += ["save", "load"]
__all__ += ["func", "vmap", "fft"]
__all__ += ["angle", "complex", "polar", "view_as_complex", "view_as_real", "stft", "istft"]
__all__ += ["i0", "i0_", "igamma", "igammac", "mvlgamma", "frexp", "ldexp", "ldexp_",  # special_*
            "nextafter"]
__all__ += ["random", "Generator", "default_generator", "get_rng_state", "set_rng_state",
            "initial_seed", "seed"]
__all__ += ["device", "cuda", "accelerator", "return_types", "Size", "inference_mode",
            "is_inference_mode_enabled", "is_tensor", "is_floating_point", "numel",
            "set_default_device", "float", "half", "int", "int8", "int16", "short", "uint8",
            "bool", "complex64", "complex128", "cfloat", "cdouble", "dtype", "long", "double",
            "special", "set_num_threads", "get_num_threads", *_LEGACY_TYPES,
            "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
            "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
            "get_float32_matmul_precision", "get_default_device", "set_printoptions"]
__all__ += ["memory_format", "contiguous_format", "channels_last", "channels_last_3d",
            "preserve_format", "layout", "strided"]
__all__ += ["amp", "autocast", "is_autocast_enabled", "set_autocast_enabled",  # chainrule/amp/
            "get_autocast_dtype", "set_autocast_dtype", "is_autocast_cache_enabled",
            "set_autocast_cache_enabled", "clear_autocast_cache", "autocast_increment_nesting",
            "autocast_decrement_nesting", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled",
            "get_autocast_cpu_dtype", "set_autocast_cpu_dtype", "get_autocast_gpu_dtype",
            "set_autocast_gpu_dtype"]

# torch's top-level and Tensor-method spellings of torch.linalg (ops/linalg_aliases.py):
# torch.det, torch.inverse, x.cholesky(), the older torch.svd / torch.qr forms, …
from .ops import linalg_aliases as _linalg_aliases  # noqa: E402

globals().update({_n: getattr(_linalg_aliases, _n) for _n in _linalg_aliases.TOP_LEVEL})
__all__ += list(_linalg_aliases.TOP_LEVEL)
for _n in _linalg_aliases.TENSOR_METHODS:
    setattr(Tensor, _n, getattr(_linalg_aliases, _n))

# torch.lu, torch.lu_unpack, torch.lu_solve and Tensor.lu / Tensor.lu_solve (ops/linalg_lu.py)
from .ops import linalg_lu as _linalg_lu  # noqa: E402

globals().update(_linalg_lu.TOP_LEVEL)
__all__ += list(_linalg_lu.TOP_LEVEL)
for _n, _f in _linalg_lu.TENSOR_METHODS.items():
    setattr(Tensor, _n, _f)

# torch.geqrf, torch.orgqr, torch.ormqr and their Tensor methods (ops/linalg_householder.py)
from .ops import linalg_householder as _linalg_householder  # noqa: E402

globals().update(_linalg_householder.TOP_LEVEL)
__all__ += list(_linalg_householder.TOP_LEVEL)
for _n, _f in _linalg_householder.TENSOR_METHODS.items():
    setattr(Tensor, _n, _f)

# torch's top-level spellings of nn.functional operations: torch.conv2d, torch.max_pool2d, …
from .nn import top_level as _nn_top_level  # noqa: E402

globals().update({_n: getattr(_nn_top_level, _n) for _n in _nn_top_level.NAMES})
__all__ += list(_nn_top_level.NAMES)

# more top-level spellings: in-place functions (torch.exp_), *_copy views, ATen's losses (integer
# reduction), nn spellings (torch.batch_norm, torch.embedding), utilities (torch.gradient, ...)
from .nn import top_level_losses as _tl_losses  # noqa: E402
from .nn import top_level_more as _tl_nn_more  # noqa: E402
from .ops import toplevel_inplace as _tl_inplace  # noqa: E402
from .ops import utilities_more as _tl_utilities  # noqa: E402
from .ops import view_copies as _tl_view_copies  # noqa: E402

for _m in (_tl_inplace, _tl_view_copies, _tl_losses, _tl_nn_more, _tl_utilities):
    globals().update({_n: getattr(_m, _n) for _n in _m.NAMES})
    __all__ += list(_m.NAMES)

# torch's out= keyword on the top-level functions that take it (ops/out_argument.py)
from .ops import out_argument as _out_argument  # noqa: E402

globals().update(_out_argument.wrap(globals()))


# Submodules imported on first use (``chainrule.onnx`` as ``torch.onnx``,
# ``chainrule.distributions`` as ``torch.distributions``, ...): ``import chainrule`` need not pay.
_LAZY_SUBMODULES = frozenset({"onnx", "distributions", "distributed", "interpret", "adversarial",
                              "calibration", "compile",  # compile: callable, as torch.compile
                              "testing", "backends"})


def __getattr__(name: str):
    """Import a lazy submodule on first use."""
    if name in _LAZY_SUBMODULES:
        import importlib

        try:
            return importlib.import_module(__name__ + "." + name)
        except ModuleNotFoundError as exc:
            if exc.name != __name__ + "." + name:
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
