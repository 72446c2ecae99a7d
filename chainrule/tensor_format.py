"""How a tensor prints: PyTorch's text, character for character.

``repr(x)``, ``str(x)`` and ``print(x)`` give the text ``torch`` gives for the same values, so that
a learner can follow a PyTorch tutorial by comparing what is printed. The rules (those of
PyTorch's ``torch/_tensor_str.py``, restated here):

- **Options** (:func:`set_printoptions`): ``precision`` digits after the point (4), ``threshold``
  elements beyond which the tensor is summarised (1000), ``edgeitems`` rows/elements kept at each
  end of a summarised dimension (3), ``linewidth`` (80), ``sci_mode`` (None: chosen from the
  values). Profiles ``'default'``, ``'short'`` (precision 2, edgeitems 2) and ``'full'`` (no
  summarising) set the first four; every call sets ``sci_mode`` (None unless given).
- **Which elements are shown.** A tensor of more than ``threshold`` elements shows, along each
  dimension longer than ``2 * edgeitems``, its first and last ``edgeitems`` entries with ``...``
  between them. Only those entries are read (and, for an array on a device, copied to the host).
- **One format for all elements**, chosen from the shown ones. Integers and bools print as Python
  prints them. For floating point, from the finite nonzero values: *integer mode* when all are
  whole numbers (``3.``, no digits), *scientific mode* (``1.0000e+05``) when the largest magnitude
  exceeds 1000 times the smallest, or 1e8, or the smallest is below 1e-4 (or ``sci_mode`` says
  so), else fixed (``3.1416``). With no finite nonzero value (zeros, nan, inf) it is integer mode.
  Every element is padded on the left to the width of the widest finite nonzero one.
  Complex numbers format their real and imaginary parts each with their own format:
  ``1.5000+2.0000j``.
- **Layout.** A row of a vector fills lines of ``linewidth`` (less its indent) with as many
  elements as fit (at least one); continuation lines are indented past the bracket. Blocks of
  higher dimensions are separated by a comma and ``ndim - 1`` newlines. An empty tensor prints
  ``[]`` (with ``size=`` unless it is 1-D).
- **Suffixes**, in order: ``device='…'`` off the CPU; ``size=(…)`` for an empty tensor that is not
  1-D or when ``edgeitems`` is 0; ``dtype=…`` unless the dtype is the default float dtype, its
  complex counterpart, int64 or bool (an empty tensor: unless it is the default float dtype);
  ``grad_fn=<…>`` or ``requires_grad=True``. A suffix that would carry the last line past
  ``linewidth`` starts a new line, indented as ``tensor(``.

Where the text differs from PyTorch's: the dtype prints as ``str(x.dtype)`` does in each library
(``dtype=float64``: chainrule's dtypes are NumPy's, whose text has no library prefix, where
PyTorch prints ``dtype=torch.float64``; it counts as long as PyTorch's text where lines are
broken, so that lines break where PyTorch's do), and ``grad_fn`` names chainrule's primitive
(``grad_fn=<multiply>`` where PyTorch has ``grad_fn=<MulBackward0>``; the line-breaking rule
applies to chainrule's name).
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy

from . import backend

PRINT_OPTIONS: dict = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                       "sci_mode": None}
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """How tensors print (PyTorch's ``torch.set_printoptions``).

    ``precision``: digits after the point (default 4); ``threshold``: the element count beyond
    which a tensor is summarised (1000); ``edgeitems``: entries kept at each end of a summarised
    dimension (3); ``linewidth``: characters per line (80); ``profile``: ``'default'``,
    ``'short'`` (precision 2, edgeitems 2) or ``'full'`` (never summarise) sets those four first
    (another name is ignored, as PyTorch ignores it); ``sci_mode``: True/False forces or forbids
    scientific notation, None (what every call without it sets) chooses from the values.

    >>> chainrule.set_printoptions(precision=2)
    >>> chainrule.tensor([1.12345])
    tensor([1.12])
    >>> chainrule.set_printoptions(profile="default")
    """
    if profile is not None:
        PRINT_OPTIONS.update(_PROFILES.get(profile, {}))
    for key, value in (("precision", precision), ("threshold", threshold),
                       ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTIONS[key] = value
    PRINT_OPTIONS["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current print options, as keyword arguments :func:`set_printoptions` accepts."""
    return dict(PRINT_OPTIONS)


@contextlib.contextmanager
def printoptions(**options) -> Iterator[None]:
    """Print with ``options`` (those of :func:`set_printoptions`) inside a ``with`` block."""
    saved = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ------------------------------------------------------------------------------ one format
class _Format:
    """The one format of a tensor's elements (or of their real or imaginary parts), chosen from
    the shown ``values`` (a NumPy array): its ``width`` and ``text(value)`` for a Python value."""

    def __init__(self, values: numpy.ndarray, precision: int, sci_mode: bool | None):
        self.floating = values.dtype.kind == "f"
        self.precision = precision
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:           # integers and bools: as Python prints them
            texts = [str(v) for v in values.reshape(-1).tolist()]
            self.width = max([1, *map(len, texts)])
            return
        flat = values.reshape(-1).astype(numpy.float64)
        shown = flat[numpy.isfinite(flat) & (flat != 0)]
        if shown.size == 0:             # zeros, nan, inf only: integer mode, width 1
            return
        size = numpy.abs(shown)
        low, high = float(size.min()), float(size.max())
        self.int_mode = bool((shown == numpy.ceil(shown)).all())
        if sci_mode is None:
            with numpy.errstate(over="ignore"):
                sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        self.sci_mode = bool(sci_mode)
        if self.sci_mode:
            texts = [f"{v:.{precision}e}" for v in shown.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in shown.tolist()]
        else:
            texts = [f"{v:.{precision}f}" for v in shown.tolist()]
        self.width = max([1, *map(len, texts)])

    def text(self, value) -> str:
        if not self.floating:
            out = str(value)
        elif self.sci_mode:
            out = f"{value:.{self.precision}e}"
        elif self.int_mode:
            out = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            out = f"{value:.{self.precision}f}"
        return out.rjust(self.width)


def _complex_text(value: complex, real: _Format, imag: _Format) -> str:
    """``a+bj`` with each part in its own format (a sign of the imaginary part stays its own)."""
    re_text = real.text(value.real)
    im_text = (imag.text(value.imag) + "j").lstrip()
    return re_text + (im_text if im_text[0] in "+-" else "+" + im_text)


# ------------------------------------------------------------------------------ what is shown
def _shown(array, edgeitems: int, summarize: bool) -> tuple[numpy.ndarray, tuple]:
    """The elements shown (a NumPy array) and, for each dimension, whether it is cut
    (summarised: only its first and last ``edgeitems`` entries kept). Only those entries are
    read from ``array``, which may be another library's (a device's) array."""
    cut = tuple(summarize and n > 2 * edgeitems for n in array.shape)
    if any(cut):
        ns = backend.namespace(array)
        join = getattr(ns, "concat", None) or ns.concatenate
        for axis, is_cut in enumerate(cut):
            if is_cut:
                n = array.shape[axis]
                lead = (slice(None),) * axis
                array = join([array[(*lead, slice(0, edgeitems), ...)],
                              array[(*lead, slice(n - edgeitems, n), ...)]], axis=axis)
    return backend.to_numpy(array), cut


def _vector(texts: list, cut: bool, indent: int, width: int, options: dict) -> str:
    edge = options["edgeitems"]
    if cut:
        texts = ["..."] if not edge else texts[:edge] + [" ..."] + texts[edge:]
    per_line = max(1, math.floor((options["linewidth"] - indent) / (width + 2)))
    lines = [", ".join(texts[i:i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block(texts: numpy.ndarray, cut: tuple, indent: int, width: int, options: dict) -> str:
    """The bracketed text of a block of element ``texts`` (an object array, one per shown
    element), nested as the tensor's dimensions; ``width``: one element's width."""
    if texts.ndim == 1:
        return _vector(list(texts), cut[0], indent, width, options)
    parts = [_block(sub, cut[1:], indent + 1, width, options) for sub in texts]
    if cut[0]:
        edge = options["edgeitems"]
        parts = parts[:edge] + ["..."] + parts[edge:]
    gap = "," + "\n" * (texts.ndim - 1) + " " * (indent + 1)
    return "[" + gap.join(parts) + "]"


def values_text(array, indent: int = 7) -> str:
    """The bracketed values of ``array`` (any backend array) as PyTorch prints them, for a text
    that starts ``indent`` columns in (``tensor(`` is 7)."""
    options = PRINT_OPTIONS
    if array.size == 0:
        return "[]"
    summarize = array.size > options["threshold"]
    shown, cut = _shown(array, options["edgeitems"], summarize)
    precision, sci_mode = options["precision"], options["sci_mode"]
    if shown.dtype.kind == "c":
        real = _Format(shown.real, precision, sci_mode)
        imag = _Format(shown.imag, precision, sci_mode)
        width = real.width + imag.width + 1
        texts = [_complex_text(v, real, imag) for v in shown.reshape(-1).tolist()]
    else:
        fmt = _Format(shown, precision, sci_mode)
        width = fmt.width
        texts = [fmt.text(v) for v in shown.reshape(-1).tolist()]
    if shown.ndim == 0:
        return texts[0]
    grid = numpy.empty(len(texts), dtype=object)
    grid[:] = texts
    return _block(grid.reshape(shown.shape), cut, indent, width, options)


# ------------------------------------------------------------------------------ the whole text
def with_suffixes(text: str, suffixes: list[str], indent: int,
                  lengths: list[int] | None = None) -> str:
    """``text`` (``tensor([...``) closed with its ``suffixes``: each after ``, `` on the last
    line, or on a new line indented ``indent`` where it would carry the line past the width.
    ``lengths``: the length each suffix counts for (default: its own), so that a line breaks
    where PyTorch's breaks although the text differs from PyTorch's."""
    width = PRINT_OPTIONS["linewidth"]
    out = [text]
    line = len(text) - text.rfind("\n") + 1     # (PyTorch's count: two more than the line)
    for suffix, length in zip(suffixes, lengths or [len(s) for s in suffixes]):
        if line + length + 2 > width:
            out.append(",\n" + " " * indent + suffix)
            line = indent + length
        else:
            out.append(", " + suffix)
            line += length + 2
    return "".join(out) + ")"


# ``dtype=float64`` counts as long as PyTorch's ``dtype=torch.float64`` where lines are broken
_TORCH = len("torch.")


def tensor_repr(tensor) -> str:
    """``repr(tensor)`` as PyTorch writes it (see the module's docstring for the rules)."""
    from .nn.parameter import Buffer, Parameter
    from .tensor import Tensor

    plain = type(tensor) in (Tensor, Parameter, Buffer)
    prefix = "tensor(" if plain else type(tensor).__name__ + "("
    array = tensor._data
    dtype = backend.numpy_dtype(array.dtype)
    default = backend.get_default_dtype()
    suffixes: list[str] = []
    lengths: list[int] = []

    def add(suffix: str, extra: int = 0) -> None:
        suffixes.append(suffix)
        lengths.append(len(suffix) + extra)

    device = tensor.device
    if device.type != "cpu":
        add(f"device='{device}'")
    if array.size == 0:
        if array.ndim != 1:
            add(f"size={tuple(array.shape)}")
        if dtype != default:
            add(f"dtype={dtype}", _TORCH)
    else:
        if not PRINT_OPTIONS["edgeitems"]:
            add(f"size={tuple(array.shape)}")
        complex_default = numpy.dtype(numpy.complex128 if default == numpy.float64
                                      else numpy.complex64)
        if dtype not in (default, complex_default, numpy.dtype(numpy.int64), numpy.dtype(bool)):
            add(f"dtype={dtype}", _TORCH)
    if tensor._node is not None:
        add(f"grad_fn=<{tensor._node.fn.name}>")
    elif tensor.requires_grad:
        add("requires_grad=True")
    text = with_suffixes(prefix + values_text(array, len(prefix)), suffixes, len(prefix),
                        lengths)
    if isinstance(tensor, Parameter) and not plain:
        text = f"Parameter({text})"
    return text
