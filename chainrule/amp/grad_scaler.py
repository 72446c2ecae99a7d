r"""Loss scaling for float16 training: PyTorch's ``torch.amp.GradScaler``.

float16 has 5 exponent bits: gradients smaller than 2⁻²⁴ ≈ 6e−8 round to zero ("underflow").
Multiplying the loss by a scale s multiplies every gradient by s (the chain rule is linear in
∂L), which lifts small gradients into float16's range; the float32 gradients of the master
weights are divided by s again before the optimizer uses them. s adapts: a step whose scaled
gradients overflowed to inf (or NaN) is skipped and s halves; after ``growth_interval`` good
steps in a row s doubles.

Forward:     L_s = s · L
Derivative:  ∇_θ L_s = s · ∇_θ L;   unscaled g = fp32(∇_θ L_s) · fp32(1/s)
Numerics:    a step is skipped when any unscaled gradient is inf or NaN; then
             s ← fp32(s · backoff_factor), else after growth_interval good steps
             s ← fp32(s · growth_factor) (kept unless that overflows float32). With the default
             powers of two the scaling and unscaling are exact.
"""
from __future__ import annotations

import warnings
from collections import abc, defaultdict
from enum import Enum

from ..backend import namespace, xp

__all__ = ["OptState", "GradScaler"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _full(value, dtype):
    from ..tensor import Tensor

    return Tensor._make(xp.full((), value, dtype=dtype))


class GradScaler:
    r"""Scale the loss, unscale the gradients, skip steps whose gradients overflowed, and adapt
    the scale (PyTorch's ``torch.amp.GradScaler``).

    Forward:     L_s = s · L                      (``scale(loss)``)
    Derivative:  g = fp32(∇L_s) · fp32(1/s) = ∇L  (``unscale_``/``step``)
    Numerics:    inf/NaN in any g: skip ``optimizer.step()``, s ← s · backoff_factor;
                 growth_interval clean steps in a row: s ← s · growth_factor.

    ``device`` defaults to ``'cuda'`` as in PyTorch, which without a GPU warns and disables the
    scaler (every method then passes through); use ``GradScaler('cpu')`` on the CPU.

    >>> scaler = chainrule.amp.GradScaler("cpu")
    >>> with chainrule.autocast("cpu", dtype=chainrule.float16):
    ...     loss = loss_fn(model(x), y)
    >>> scaler.scale(loss).backward()
    >>> scaler.step(optimizer)
    >>> scaler.update()
    """

    text = ("L_s = s · L", "g = fp32(∇_θ L_s) · fp32(1/s) = ∇_θ L",
            "skip the step if any gᵢ ∉ ℝ (inf or NaN)",
            "s ← s · β_backoff (overflow),  s ← s · γ_growth (after N clean steps)")
    latex = (r"L_s = s\,L",
             r"g = \mathrm{fp32}(\nabla_\theta L_s)\cdot \mathrm{fp32}(1/s) = \nabla_\theta L",
             r"\text{skip the step if } \exists i:\ g_i \notin \mathbb{R}",
             r"s \leftarrow s\,\beta_{\text{backoff}}\ \text{(overflow)},\quad "
             r"s \leftarrow s\,\gamma_{\text{growth}}\ \text{(after } N \text{ clean steps)}")
    labels = ("Scale", "Unscale", "Skip", "Update")
    explanation = ("Scaling the loss by s scales every gradient by s (the chain rule is linear), "
                   "keeping small float16 gradients above the underflow threshold 2⁻²⁴; the "
                   "float32 gradients are divided by s before the optimizer step, which is "
                   "skipped when the scaled gradients overflowed. s shrinks after an overflow "
                   "and grows after a run of clean steps, tracking the largest safe scale.")

    @classmethod
    def formula(cls):
        from ..mathematics import Formula

        return Formula.of("GradScaler", list(zip(cls.labels, cls.text)), list(cls.latex),
                          cls.explanation)

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled:
            from .. import cuda

            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available."
                              "  Disabling.", stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    # ----------------------------------------------------------------- scaling
    def _check_scale_growth_tracker(self, funcname: str):
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
               "in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self) -> None:
        self._scale = _full(self._init_scale, xp.float32)
        self._growth_tracker = _full(self._init_growth_tracker, xp.int32)

    def scale(self, outputs):
        """``outputs`` (a tensor, or an iterable of tensors) times the current scale s (a 0-d
        float32 tensor, so a float16 output stays float16). Disabled: ``outputs`` unchanged."""
        from ..tensor import Tensor

        if not self._enabled:
            return outputs
        if self._scale is None:
            if not isinstance(outputs, (Tensor, abc.Iterable)):
                raise ValueError("outputs must be a Tensor or an iterable of Tensors")
            self._lazy_init_scale_growth_tracker()

        def apply_scale(val):
            if isinstance(val, Tensor):
                return val * self._scale
            if isinstance(val, abc.Iterable):
                scaled = map(apply_scale, val)
                return type(val)(scaled) if isinstance(val, (list, tuple)) else scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale: float, allow_fp16: bool) -> dict:
        """g ← g · inv_scale in each gradient's own dtype, in place; found_inf = 1 when any
        element of any gradient is inf or NaN (whole-array NumPy per gradient)."""
        found = False
        for group in optimizer.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if not allow_fp16 and grad._data.dtype == xp.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                array = grad._data
                ns = namespace(array)
                if not found and not bool(ns.all(ns.isfinite(array))):
                    found = True
                if inv_scale != 1.0:
                    array *= array.dtype.type(inv_scale)
        return {"cpu": _full(1.0 if found else 0.0, xp.float32)}

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, in place, and note whether any is inf
        or NaN (call it before clipping gradients; :meth:`step` calls it when you have not)."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # PyTorch: the reciprocal in float64, then rounded to float32
        inv_scale = float(xp.float32(1.0 / float(self._scale._data)))
        optimizer_state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale,
                                                                       False)
        optimizer_state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``unscale_(optimizer)`` unless done already, then ``optimizer.step()`` unless a
        gradient was inf or NaN. Returns what ``optimizer.step`` returned (None if skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is "
                               "enabled.")
        self._check_scale_growth_tracker("step")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if optimizer_state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(optimizer_state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(float(v._data) for v in optimizer_state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Back off after an overflow, grow after ``growth_interval`` clean steps, or set
        ``new_scale`` (a float or a one-element tensor)."""
        from ..tensor import Tensor

        if not self._enabled:
            return
        scale, tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                reason = ("new_scale should be a float or a 1-element chainrule.FloatTensor with "
                          "requires_grad=False.")
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(reason)
                new_scale = new_scale.item()
            scale._data[...] = new_scale
        else:
            found_infs = [float(v._data) for state in self._per_optimizer_states.values()
                          for v in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._update_scale(sum(found_infs) != 0.0)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _update_scale(self, found_inf: bool) -> None:
        """ATen's _amp_update_scale_: the products in float64, stored as float32."""
        scale, tracker = self._scale._data, self._growth_tracker._data
        if found_inf:
            scale[...] = float(scale) * self._backoff_factor
            tracker[...] = 0
            return
        successful = int(tracker) + 1
        if successful == self._growth_interval:
            grown = xp.float32(float(scale) * self._growth_factor)
            if xp.isfinite(grown):
                scale[...] = grown
            tracker[...] = 0
        else:
            tracker[...] = successful

    # ----------------------------------------------------------------- queries and state
    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale._data)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker._data)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """PyTorch's five entries (an empty dict when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale._data[...] = state_dict["scale"]
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker._data[...] = state_dict["_growth_tracker"]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
