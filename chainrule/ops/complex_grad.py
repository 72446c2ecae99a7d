r"""The primitives between real and complex tensors, with PyTorch's complex gradients.

chainrule's convention is PyTorch's (chainrule/autograd/complex.py): for a real loss L and
s = u + iv, the gradient g of s is ∂L/∂u + i·∂L/∂v, and an input z = x + iy receives
∂L/∂x + i·∂L/∂y = g·conj(∂s/∂z) + conj(g)·∂s/∂z̄.

- ``conj(z)`` = x − iy:            grad_z = conj(g)
- ``real(z)`` = x:                 grad_z = g            (a real g: imaginary part 0)
- ``imag(z)`` = y:                 grad_z = i·g
- ``complex(a, b)`` = a + ib:      grad_a = Re g, grad_b = Im g
- ``view_as_real(z)`` = [x, y]:    grad_z = g[…, 0] + i·g[…, 1]
- ``view_as_complex(p)``:          grad_p = [Re g, Im g]
- ``angle(z)`` = atan2(y, x):      grad_z = g·z/|z|²·i, 0 at z = 0
- ``sgn(z)`` = z/|z|:              grad_z = (g − sgn(z)²·conj(g)) / (2|z|), 0 at z = 0

Each rule is written with operators and ``namespace(g)``'s functions (or dispatches on Tensors to
these primitives), so that a backward with ``create_graph=True`` is differentiable too.
"""
from __future__ import annotations

import numpy as np

from .. import backend as B
from ..autograd.function import Function, primitive
from ..tensor import Tensor

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


def _host_view(data) -> bool:
    return type(data) is np.ndarray


def as_complex(g, dtype):
    """The real gradient ``g`` as a complex one of ``dtype`` (imaginary part 0)."""
    return B.astype(g, dtype)


def make_complex(re, im):
    """re + i·im of two real arrays (or Tensors: through the ``complex`` primitive)."""
    if isinstance(re, Tensor) or isinstance(im, Tensor):
        return Complex.apply(re, im)
    ns = B.namespace(re)
    if ns is np:
        out = np.empty(np.broadcast_shapes(re.shape, im.shape), dtype=_COMPLEX_OF[re.dtype])
        out.real, out.imag = re, im
        return out
    return re + 1j * im


def as_pairs(g):
    """The (…, 2) real array [Re g, Im g] of a complex array (or Tensor: ``view_as_real``)."""
    if isinstance(g, Tensor):
        return ViewAsReal.apply(g)
    ns = B.namespace(g)
    return ns.stack([ns.real(g), ns.imag(g)], axis=-1)


@primitive
class Conj(Function):
    """Complex conjugate.

    Forward:     s = z̄ = x − iy
    Derivative:  ∂s/∂z = 0,  ∂s/∂z̄ = 1  (not holomorphic)
    VJP:         grad_z = conj(g)
    Numerics:    exact; a copy (PyTorch's is a lazy view).
    """

    name = "conj"
    array_api = True
    complex_grad = "explicit"
    text = ("s = z̄ = x − iy", "∂s/∂z = 0,  ∂s/∂z̄ = 1;  grad_z = conj(g)")
    latex = (r"s = \bar z", r"\frac{\partial s}{\partial \bar z} = 1,\quad "
             r"\nabla_z L = \overline{g}")
    explanation = "Conjugation flips the sign of the imaginary part, and so of its gradient."
    reference = staticmethod(np.conj)

    @staticmethod
    def forward(ctx, z):
        return B.namespace(z).conj(z)

    @staticmethod
    def vjp(ctx, g):
        return B.namespace(g).conj(g)


@primitive
class Real(Function):
    """Real part.

    Forward:     u = Re z = x
    Derivative:  ∂u/∂x = 1,  ∂u/∂y = 0
    VJP:         grad_z = g + 0i
    Numerics:    a view of the real parts for NumPy arrays (as PyTorch's).
    """

    name = "real"
    array_api = True
    is_view = True
    complex_grad = "explicit"
    text = ("u = Re z = x", "∂u/∂x = 1,  ∂u/∂y = 0;  grad_z = g")
    latex = (r"u = \operatorname{Re} z", r"\nabla_z L = g")
    explanation = "The real part passes its gradient to the real part of z; the imaginary gets 0."
    reference = staticmethod(np.real)

    @staticmethod
    def forward(ctx, z):
        ctx.dtype = z.dtype
        return z.real if _host_view(z) else B.namespace(z).real(z)

    @staticmethod
    def vjp(ctx, g):
        return as_complex(g, ctx.dtype)


@primitive
class Imag(Function):
    """Imaginary part.

    Forward:     v = Im z = y
    Derivative:  ∂v/∂x = 0,  ∂v/∂y = 1
    VJP:         grad_z = i·g
    Numerics:    a view of the imaginary parts for NumPy arrays (as PyTorch's).
    """

    name = "imag"
    array_api = True
    is_view = True
    complex_grad = "explicit"
    text = ("v = Im z = y", "∂v/∂x = 0,  ∂v/∂y = 1;  grad_z = i·g")
    latex = (r"v = \operatorname{Im} z", r"\nabla_z L = i\,g")
    explanation = "The imaginary part's gradient goes to the imaginary part of z: i times g."
    reference = staticmethod(np.imag)

    @staticmethod
    def forward(ctx, z):
        ctx.dtype = z.dtype
        return z.imag if _host_view(z) else B.namespace(z).imag(z)

    @staticmethod
    def vjp(ctx, g):
        return make_complex(g * 0, g) if not isinstance(g, Tensor) else \
            as_complex(g, ctx.dtype) * 1j


@primitive
class Complex(Function):
    """A complex tensor from its real and imaginary parts.

    Forward:     z = a + ib
    Derivative:  ∂z/∂a = 1,  ∂z/∂b = i
    VJP:         grad_a = Re g,  grad_b = Im g
    Numerics:    exact.
    """

    name = "complex"
    array_api = True
    complex_grad = "explicit"
    text = ("z = a + ib", "∂z/∂a = 1,  ∂z/∂b = i;  grad_a = Re g,  grad_b = Im g")
    latex = (r"z = a + i b", r"\nabla_a L = \operatorname{Re} g,\quad "
             r"\nabla_b L = \operatorname{Im} g")
    explanation = "The parts of z's gradient are the gradients of its real and imaginary parts."
    reference = staticmethod(lambda a, b: a + 1j * b)

    @staticmethod
    def forward(ctx, a, b):
        return make_complex(a, b)

    @staticmethod
    def vjp(ctx, g):
        if isinstance(g, Tensor):
            return Real.apply(g), Imag.apply(g)
        ns = B.namespace(g)
        return ns.real(g), ns.imag(g)


@primitive
class ViewAsReal(Function):
    """The (…, 2) real view of a complex tensor.

    Forward:     p[…, 0] = Re z,  p[…, 1] = Im z
    Derivative:  a relabelling of the real numbers z is made of
    VJP:         grad_z = g[…, 0] + i·g[…, 1]
    Numerics:    a view sharing memory for NumPy arrays (as PyTorch's).
    """

    name = "view_as_real"
    array_api = True
    is_view = True
    complex_grad = "explicit"
    text = ("p = [Re z, Im z] along a new last axis", "grad_z = g[…, 0] + i·g[…, 1]")
    latex = (r"p_{\ldots,0} = \operatorname{Re} z,\ p_{\ldots,1} = \operatorname{Im} z",
             r"\nabla_z L = g_{\ldots,0} + i\,g_{\ldots,1}")
    explanation = "The real view only relabels numbers, so the gradient is relabelled back."
    reference = staticmethod(lambda z: np.stack([z.real, z.imag], -1))

    @staticmethod
    def forward(ctx, z):
        if _host_view(z):
            real = np.float32 if z.dtype == np.complex64 else np.float64
            return z[..., None].view(real)
        return as_pairs(z)

    @staticmethod
    def vjp(ctx, g):
        return make_complex(g[..., 0], g[..., 1])


@primitive
class ViewAsComplex(Function):
    """The complex view of a (…, 2) real tensor.

    Forward:     z = p[…, 0] + i·p[…, 1]
    Derivative:  a relabelling of real numbers as complex ones
    VJP:         grad_p = [Re g, Im g] along the last axis
    Numerics:    a view sharing memory for NumPy arrays (as PyTorch's).
    """

    name = "view_as_complex"
    array_api = True
    is_view = True
    complex_grad = "explicit"
    text = ("z = p[…, 0] + i·p[…, 1]", "grad_p = [Re g, Im g]")
    latex = (r"z = p_{\ldots,0} + i\,p_{\ldots,1}",
             r"\nabla_p L = [\operatorname{Re} g, \operatorname{Im} g]")
    explanation = "Reading pairs of reals as complex numbers relabels them: so does the gradient."
    reference = staticmethod(lambda p: p[..., 0] + 1j * p[..., 1])

    @staticmethod
    def forward(ctx, p):
        if _host_view(p):
            return p.view(_COMPLEX_OF[p.dtype])[..., 0]
        return make_complex(p[..., 0], p[..., 1])

    @staticmethod
    def vjp(ctx, g):
        return as_pairs(g)


@primitive
class Angle(Function):
    """Argument of a complex number.

    Forward:     θ = arg z = atan2(y, x) ∈ (−π, π]
    Derivative:  ∂θ/∂x = −y/|z|²,  ∂θ/∂y = x/|z|²
    VJP:         grad_z = g·z/|z|²·i   (PyTorch's order of operations)
    Kinks:       at z = 0 the gradient is 0, as PyTorch's.
    Numerics:    NumPy's angle (atan2).
    """

    name = "angle"
    array_api = True
    complex_grad = "explicit"
    text = ("θ = arg z = atan2(y, x)", "∂θ/∂x = −y/|z|²,  ∂θ/∂y = x/|z|²;  grad_z = g·i·z/|z|²")
    latex = (r"\theta = \arg z", r"\nabla_z L = g\,\frac{i z}{|z|^2}")
    explanation = "Moving z around the origin changes its angle at the rate 1/|z|."
    reference = staticmethod(np.angle)

    @staticmethod
    def forward(ctx, z):
        ctx.save(z)
        ns = B.namespace(z)
        return np.angle(z) if ns is np else ns.atan2(ns.imag(z), ns.real(z))

    @staticmethod
    def vjp(ctx, g):
        (z,) = ctx.saved
        ns = B.namespace(z)
        with B.errstate(B.namespace(g), divide="ignore", invalid="ignore"):
            rate = g * z / ns.abs(z) ** 2 * 1j
        return ns.where(z == 0, 0.0, rate)


@primitive
class Sgn(Function):
    """Complex sign z/|z|.

    Forward:     s = z/|z|  (0 at z = 0)
    Derivative:  ∂s/∂z = 1/(2|z|),  ∂s/∂z̄ = −s²/(2|z|)  (not holomorphic)
    VJP:         grad_z = (g − s²·conj(g)) / (2|z|)
    Kinks:       at z = 0 the gradient is 0, as PyTorch's.
    Numerics:    NumPy's sign of a complex array (z/|z|).
    """

    name = "sgn"
    array_api = True
    complex_grad = "explicit"
    text = ("s = z/|z|", "∂s/∂z = 1/(2|z|),  ∂s/∂z̄ = −s²/(2|z|)")
    latex = (r"s = \frac{z}{|z|}", r"\nabla_z L = \frac{g - s^2\,\bar g}{2|z|}")
    explanation = "The sign keeps only the direction of z: its gradient is the part of g "\
        "tangent to the unit circle, divided by |z|."
    reference = staticmethod(np.sign)

    @staticmethod
    def forward(ctx, z):
        s = B.namespace(z).sign(z)
        ctx.save(z, s)
        return s

    @staticmethod
    def vjp(ctx, g):
        z, s = ctx.saved
        ns = B.namespace(z)
        size = ns.abs(z)
        with B.errstate(B.namespace(g), divide="ignore", invalid="ignore"):
            rate = (g - (s * s) * ns.conj(g)) / (2.0 * size)
        return ns.where(size == 0, 0.0, rate)
