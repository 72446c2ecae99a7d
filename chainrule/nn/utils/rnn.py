"""Variable-length batches for recurrent layers (PyTorch's ``torch.nn.utils.rnn``).

Two ways to give nn.RNN / nn.GRU / nn.LSTM sequences of different lengths:

- padded input and its lengths: ``lstm(x, lengths=lengths)``. The fast path: the fused
  recurrence stops each sequence at its length, so padding never reaches the final state, and
  the output holds zeros past each sequence's end (the output keeps all T steps);
- PyTorch's packed form, for code written for PyTorch: ``pack_padded_sequence`` →
  ``PackedSequence`` → the layer → ``PackedSequence`` → ``pad_packed_sequence``. The layer turns
  the packed data back into padded input and lengths and takes the path above.

A :class:`PackedSequence` holds what PyTorch's does: ``data``, the rows of all sequences that are
still running at each time step, step after step (time-major, the batch sorted by decreasing
length); ``batch_sizes``, how many sequences run at each step; and the permutation that sorted
the batch (``sorted_indices``) and its inverse (``unsorted_indices``), None when the batch was
already sorted. Packing and unpacking are indexing (getitem), so gradients flow through both.
"""
from __future__ import annotations

from typing import NamedTuple

from ... import ops
from ...backend import xp
from ...ops.rnn import check_lengths
from ...tensor import Tensor


class PackedSequence(NamedTuple):
    """Sequences of different lengths, packed time step by time step (see the module docstring).

    ``batch_sizes``, ``sorted_indices`` and ``unsorted_indices`` are int64 Tensors (None for
    the indices when the batch was already sorted), as in PyTorch.
    """

    data: Tensor
    batch_sizes: object
    sorted_indices: object = None
    unsorted_indices: object = None

    def lengths(self):
        """Each sequence's length, in the original batch order (int64 NumPy array)."""
        sizes = xp.asarray(self.batch_sizes)
        sorted_lengths = (sizes[None, :] > xp.arange(int(sizes[0]))[:, None]).sum(axis=1)
        if self.unsorted_indices is None:
            return sorted_lengths
        return sorted_lengths[xp.asarray(self.unsorted_indices)]


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(x)


def _pack(x: Tensor, lengths, sorted_indices) -> PackedSequence:
    """Pack time-major ``x`` (T, N, *) whose sequence b has ``lengths[b]`` steps."""
    if sorted_indices is not None:
        sorted_indices = xp.asarray(getattr(sorted_indices, "_data", sorted_indices))
    order = xp.arange(len(lengths)) if sorted_indices is None else sorted_indices
    ordered = lengths[order]
    steps = int(ordered[0])
    running = ordered[None, :] > xp.arange(steps)[:, None]          # (steps, N), sorted batch
    batch_sizes = running.sum(axis=1).astype(xp.int64)
    t_index, b_sorted = xp.nonzero(running)                           # time-major order
    data = ops.getitem(x, (t_index, order[b_sorted]))
    if sorted_indices is None:
        return PackedSequence(data, _index_tensor(batch_sizes))
    return PackedSequence(data, _index_tensor(batch_sizes), _index_tensor(sorted_indices),
                          _index_tensor(xp.argsort(sorted_indices)))


def _index_tensor(a) -> Tensor:
    return Tensor._from_op(xp.asarray(a, dtype=xp.int64), None)


def pack_padded_sequence(input, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, N, *) (or (N, T, *) with batch_first) of sequences of the given
    lengths. With ``enforce_sorted`` (the default, as PyTorch) lengths must be decreasing; with
    False the batch is sorted here and the permutation kept in the result."""
    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input must be at least 2-D (T, N, *), got shape "
                         f"{tuple(x.shape)}")
    if batch_first:
        x = ops.swapaxes(x, 0, 1)
    T, N = x.shape[0], x.shape[1]
    lengths = check_lengths(lengths, T, N, "pack_padded_sequence")
    if enforce_sorted:
        if N > 1 and (xp.diff(lengths) > 0).any():
            raise ValueError(f"pack_padded_sequence: lengths {lengths.tolist()} are not sorted in "
                             "decreasing order; sort the batch, or pass enforce_sorted=False")
        sorted_indices = None
    else:
        sorted_indices = xp.argsort(-lengths, kind="stable")
    return _pack(x, lengths, sorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Undo :func:`pack_padded_sequence`: (padded (T, N, *), lengths) in the original batch
    order, with T = the longest length, or ``total_length`` if given."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got "
                        f"{type(sequence).__name__}")
    sizes = xp.asarray(sequence.batch_sizes)
    steps, N = len(sizes), int(sizes[0])
    T = steps if total_length is None else int(total_length)
    if T < steps:
        raise ValueError(f"pad_packed_sequence: total_length {T} is shorter than the longest "
                         f"sequence ({steps} steps)")
    data = _as_tensor(sequence.data)
    rows = data.shape[0]
    starts = xp.concatenate([[0], xp.cumsum(sizes)[:-1]])
    index = xp.full((T, N), rows, dtype=xp.int64)                  # `rows`: the padding row
    for t in range(steps):
        index[t, :sizes[t]] = starts[t] + xp.arange(sizes[t])
    if sequence.unsorted_indices is not None:
        index = index[:, xp.asarray(sequence.unsorted_indices)]
    pad_row = Tensor._make(xp.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype))
    padded = ops.getitem(ops.concatenate([data, pad_row], axis=0), index)
    if batch_first:
        padded = ops.swapaxes(padded, 0, 1)
    return padded, Tensor._make(sequence.lengths())


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes (Lᵢ, *) into (max Lᵢ, N, *) (or (N, max Lᵢ, *)), padding each."""
    sequences = [_as_tensor(s) for s in sequences]
    if not sequences:
        raise ValueError("pad_sequence: needs at least one sequence")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got "
                         f"{padding_side!r}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [(0, extra) if padding_side == "right" else (extra, 0)] + [(0, 0)] * (s.ndim - 1)
        padded.append(ops.pad(s, widths, constant_values=padding_value) if extra else s)
    return ops.stack(padded, axis=0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors (Lᵢ, *) of decreasing length (or any order, enforce_sorted=False)."""
    sequences = list(sequences)
    lengths = xp.asarray([s.shape[0] for s in sequences], dtype=xp.int64)
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence"]
