"""Progress display for ``fit`` and ``evaluate``: a live bar, or one line per epoch.

``verbose``: 0 prints nothing; 1 (and 'auto') shows a tqdm bar per epoch — batches done, ETA, the
running loss and metrics, throughput in samples/s — when the output is a terminal (or a Jupyter
kernel) and tqdm is installed (``pip install tqdm``, or ``chainrule[progress]``); otherwise, and
with 2, it prints one line per epoch::

    Epoch 2/5 - 469/469 - 3.1s - 19354 samples/s - loss: 0.4127 - accuracy: 0.8512 - val_loss: …
"""
from __future__ import annotations

import os
import sys
import time

from .callbacks import Callback, _scalar

_SKIP = ("batch", "size")


MIN_COLUMNS = 40     # narrower than this, a bar cannot show its numbers: print lines instead


def _columns(stream) -> int | None:
    """The width of the terminal behind ``stream`` (None when it cannot be told)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None


def _in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython's ZMQ shell is running): there a bar
    shows whatever ``isatty`` says. Having imported ipykernel (a test of notebooks does) is not
    enough."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _tqdm_class(stream):
    """tqdm's class for ``stream``, or None when there should be no bar: not a terminal, a
    terminal too narrow to show one (a width of 0 used to make the output vanish), or no tqdm."""
    try:
        kernel = _in_notebook()
        interactive = kernel or bool(getattr(stream, "isatty", lambda: False)())
        if not interactive:
            return None
        columns = None if kernel else _columns(stream)
        if columns is not None and columns < MIN_COLUMNS:
            return None
        if kernel:
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def format_value(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.3e}"


def format_logs(logs: dict, sep: str = " - ") -> str:
    parts = []
    for key, value in logs.items():
        if key in _SKIP:
            continue
        scalar = _scalar(value)
        if scalar is not None:
            parts.append(f"{key}: {format_value(scalar)}")
    return sep.join(parts)


class ProgbarLogger(Callback):
    """The progress display as a callback (``fit`` adds one first in its list, as Keras does).

    ``stream`` is where it writes (sys.stdout at the time of the call by default).
    """

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.stream = stream
        self._bar = None
        self._in_fit = False

    # ----------------------------------------------------------------- helpers
    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def _open(self, total, desc: str) -> None:
        self._t0 = time.perf_counter()
        self._seen = 0
        self._count = 0
        self._bar = None
        if self.verbose == 1:
            tqdm = _tqdm_class(self._out())
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=desc, unit="batch", file=self._out(),
                                 dynamic_ncols=True, leave=True, mininterval=0.1)

    def _rate(self) -> float:
        elapsed = time.perf_counter() - self._t0
        return self._seen / elapsed if elapsed > 0 else 0.0

    def _batch_end(self, logs) -> None:
        logs = logs or {}
        self._seen += int(logs.get("size", 0))
        self._count += 1
        if self._bar is not None:
            text = format_logs(logs, ", ").replace(": ", "=")
            self._bar.set_postfix_str(f"{text}, {self._rate():.0f} samples/s", refresh=False)
            self._bar.update(1)

    def _close(self, prefix: str, logs) -> None:
        elapsed = time.perf_counter() - self._t0
        summary = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(f"{summary.replace(': ', '=').replace(' - ', ', ')}, "
                                      f"{self._rate():.0f} samples/s", refresh=False)
            self._bar.close()
            self._bar = None
        elif self.verbose > 0:
            total = self.params.get("steps")
            count = f"{self._count}/{total}" if total else f"{self._count}"
            parts = [prefix, count, f"{elapsed:.1f}s", f"{self._rate():.0f} samples/s"]
            if summary:
                parts.append(summary)
            print(" - ".join(parts), file=self._out(), flush=True)

    # ----------------------------------------------------------------- fit
    def on_train_begin(self, logs=None):
        self._in_fit = True

    def close(self) -> None:
        """Close a bar still open (training ended by an error)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_train_end(self, logs=None):
        self._in_fit = False
        self.close()

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            self._open(self.params.get("steps"), f"Epoch {epoch + 1}/{self.params['epochs']}")

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose:
            self._batch_end(logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose:
            self._close(f"Epoch {epoch + 1}/{self.params['epochs']}", logs)

    # ----------------------------------------------------------------- evaluate
    def on_test_begin(self, logs=None):
        if self.verbose and not self._in_fit:
            self._open(self.params.get("steps"), "Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if self.verbose and not self._in_fit:
            self._batch_end(logs)

    def on_test_end(self, logs=None):
        if self.verbose and not self._in_fit:
            self._close("Evaluate", logs)

    # ----------------------------------------------------------------- predict
    def on_predict_begin(self, logs=None):
        if self.verbose:
            self._open(self.params.get("steps"), "Predict")

    def on_predict_batch_end(self, batch, logs=None):
        if self.verbose:
            self._batch_end(logs)

    def on_predict_end(self, logs=None):
        if self.verbose:
            self._close("Predict", logs)


__all__ = ["ProgbarLogger", "format_logs", "format_value"]
