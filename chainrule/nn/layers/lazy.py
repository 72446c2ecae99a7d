"""Lazy modules: layers whose input size is read from their first input (PyTorch's
``LazyModuleMixin`` and the ``nn.Lazy*`` layers).

One mechanism serves every lazy layer, as in PyTorch. A lazy layer is its ordinary layer built
with 0 inputs, whose shape-dependent parameters (and buffers) are then replaced by
:class:`~chainrule.nn.parameter.UninitializedParameter` (``UninitializedBuffer``) placeholders.
:class:`LazyModuleMixin` registers a forward pre-hook that, at the first call, runs the layer's
``initialize_parameters(input)``: it reads the size, ``materialize``\\ s the placeholders (the same
objects, so an optimizer built before holds them) and initialises them with the layer's own
``reset_parameters`` (the same draws, in the same order, as the ordinary layer's constructor).
The hook then removes itself and the module becomes ``cls_to_become`` (``type(m)`` changes from
``LazyConv2d`` to ``Conv2d``). ``load_state_dict`` materializes a placeholder from the
checkpoint's shape instead (:meth:`LazyModuleMixin._lazy_load_hook`); the module stays lazy until
its first call, with its size attribute (``in_channels``, ``num_features``) still 0, exactly as in
PyTorch. Until then, using a placeholder's values raises ValueError.
"""
from __future__ import annotations

import itertools

from ...backend import int64, xp
from ...tensor import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from .linear import Linear
from .normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    _BatchNorm,
    _InstanceNorm,
)


class LazyModuleMixin:
    """The lazy-module machinery (PyTorch's ``torch.nn.modules.lazy.LazyModuleMixin``).

    A subclass lists the mixin first (``class LazyLinear(LazyModuleMixin, Linear)``), holds
    UninitializedParameter/UninitializedBuffer placeholders, and defines
    ``initialize_parameters(*inputs)`` (materialize them from the input and initialise them) and
    ``cls_to_become`` (the class the module becomes once initialised, or None to stay).
    """

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialize and initialise the placeholders from the first input."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module is still a placeholder."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The forward pre-hook: initialise from the inputs, remove the hook, change class."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        del module._initialize_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _lazy_load_hook(self, state_dict, prefix: str) -> None:
        """Before load_state_dict copies values: a placeholder whose key the checkpoint holds
        (initialized) takes the checkpoint's shape, so a module saved before or after its first
        call loads into one in either state."""
        for name, value in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if value is not None and key in state_dict and is_lazy(value):
                given = state_dict[key]
                if not is_lazy(given):
                    value.materialize(tuple(given.shape))


# ------------------------------------------------------------------------------ Linear
class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is read from ``input.shape[-1]`` at its first call
    (PyTorch's ``nn.LazyLinear``); it then becomes a ``Linear``. Initialised as Linear:
    W, b ~ U(−1/√in, 1/√in)."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False, dtype=dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        if self.in_features == 0:      # the parameters came from load_state_dict
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is "
                                     f"not equal to in_features from self.weight: "
                                     f"{self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


# ------------------------------------------------------------------------------ convolutions
class _LazyConvXdMixin(LazyModuleMixin):
    """in_channels from the first input: ``input.shape[1]`` (batched) or ``input.shape[0]``
    (unbatched)."""

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if not isinstance(self.weight, UninitializedParameter):
                raise AssertionError("self.weight must be an UninitializedParameter")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                if not isinstance(self.bias, UninitializedParameter):
                    raise AssertionError("self.bias must be an UninitializedParameter")
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input) -> int:
        unbatched = self._nd + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) "
                               f"input to {type(self).__name__}, but got input of size: "
                               f"{input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def _lazy_placeholders(self, out_channels: int, bias: bool, device, dtype) -> None:
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        # bias=False: no bias tensor is made only to be replaced
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, dtype=dtype)
        self._lazy_placeholders(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, dtype=dtype)
        self._lazy_placeholders(out_channels, bias, device, dtype)


_CONV_DOC = ("A :class:`{base}` whose ``in_channels`` is read from its first input "
             "(``input.shape[1]``, or ``input.shape[0]`` unbatched) (PyTorch's ``nn.Lazy{base}``); "
             "it then becomes a ``{base}``, initialised as one.")


class LazyConv1d(_LazyConv, Conv1d):
    __doc__ = _CONV_DOC.format(base="Conv1d")
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    __doc__ = _CONV_DOC.format(base="Conv2d")
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    __doc__ = _CONV_DOC.format(base="Conv3d")
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose1d")
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose2d")
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    __doc__ = _CONV_DOC.format(base="ConvTranspose3d")
    cls_to_become = ConvTranspose3d


# ------------------------------------------------------------------------------ normalization
class _LazyNormBase(LazyModuleMixin):
    """num_features from ``input.shape[1]`` at the first call (for an unbatched instance-norm
    input too, as PyTorch). Defaults ``affine=True, track_running_stats=True`` for the lazy
    instance norms as well (PyTorch's, unlike InstanceNorm's)."""

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *,
                 bias: bool = True):
        # affine, bias and running statistics off: no tensors are made only to be replaced
        super().__init__(0, eps, momentum, False, False, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            count = xp.zeros((), dtype=int64)
            if device is not None:
                from ...device import check, move

                count = move(count, check(device, type(self).__name__))
            self.num_batches_tracked = Tensor._make(count)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                if not isinstance(self.weight, UninitializedParameter):
                    raise AssertionError("self.weight must be an UninitializedParameter")
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    if not isinstance(self.bias, UninitializedParameter):
                        raise AssertionError("self.bias must be an UninitializedParameter")
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


_NORM_DOC = ("A :class:`{base}` whose ``num_features`` is read from its first input's "
             "``shape[1]`` (PyTorch's ``nn.Lazy{base}``); it then becomes a ``{base}``.")


# As PyTorch, a LazyBatchNorm1d is a _BatchNorm but not a BatchNorm1d (a LazyInstanceNorm1d an
# _InstanceNorm): it takes the input checks of the class it becomes.
class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    __doc__ = _NORM_DOC.format(base="BatchNorm1d")
    cls_to_become = BatchNorm1d
    _expected = BatchNorm1d._expected
    _check_input_dim = BatchNorm1d._check_input_dim
    _spatial = BatchNorm1d._spatial


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    __doc__ = _NORM_DOC.format(base="BatchNorm2d")
    cls_to_become = BatchNorm2d
    _expected = BatchNorm2d._expected
    _check_input_dim = BatchNorm2d._check_input_dim
    _spatial = BatchNorm2d._spatial


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    __doc__ = _NORM_DOC.format(base="BatchNorm3d")
    cls_to_become = BatchNorm3d
    _expected = BatchNorm3d._expected
    _check_input_dim = BatchNorm3d._check_input_dim
    _spatial = BatchNorm3d._spatial


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    __doc__ = _NORM_DOC.format(base="InstanceNorm1d")
    cls_to_become = InstanceNorm1d
    _no_batch_dim = InstanceNorm1d._no_batch_dim


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    __doc__ = _NORM_DOC.format(base="InstanceNorm2d")
    cls_to_become = InstanceNorm2d
    _no_batch_dim = InstanceNorm2d._no_batch_dim


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    __doc__ = _NORM_DOC.format(base="InstanceNorm3d")
    cls_to_become = InstanceNorm3d
    _no_batch_dim = InstanceNorm3d._no_batch_dim
