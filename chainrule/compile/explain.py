"""A compiled function made visible: ``plan()`` as text, ``graph()`` as a drawing."""
from __future__ import annotations

from ..explain.graph import _STYLE, Graph
from .graph import (
    BackwardStep,
    CallStep,
    CounterStep,
    FusedStep,
    PrimStep,
    Program,
    RandomStep,
)
from .passes import _shape


def _size(nbytes: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


def _slot_name(program: Program, s: int) -> str:
    slot = program.slots[s]
    if slot.kind == "ref":
        return f"ref{s}{_shape(slot.shape)}"
    if slot.kind == "const":
        if slot.shape is None:
            return repr(slot.payload)
        return f"const{s}{_shape(slot.shape)}"
    return (slot.label or f"v{s}") + ("" if slot.kind != "arg" else _shape(slot.shape))


def _step_line(program: Program, i: int, step) -> str:
    if isinstance(step, PrimStep):
        args = ", ".join(_slot_name(program, s) for s in step.inputs)
        params = [f"{k}={v!r}" for k, v in step.params.items()
                  if not isinstance(v, (list, tuple)) or len(v) < 6]
        params += [f"{k}={_slot_name(program, s)}" for k, s in step.param_slots]
        out = program.slots[step.out]
        mark = "  [kept for backward]" if step.records else ""
        inner = ", ".join([args] + params) if args else ", ".join(params)
        return (f"{i:4d}  {out.label} = {step.fn.name}({inner})"
                f"  → {_shape(out.shape)} {out.dtype}{mark}")
    if isinstance(step, FusedStep):
        names = [u.__name__ for u, _ in step.ops]
        out = program.slots[step.out]
        return (f"{i:4d}  {out.label} = fused[{' → '.join(names)}] into one buffer  → "
                f"{_shape(out.shape)} {out.dtype}")
    if isinstance(step, RandomStep):
        return (f"{i:4d}  {program.slots[step.out].label} = dropout mask {_shape(step.shape)}, "
                f"p={step.p} (drawn fresh each call)")
    if isinstance(step, BackwardStep):
        vjps = sum(1 for e in step.schedule if e.step is not None)
        leaves = sum(1 for e in step.schedule if e.step is None)
        return (f"{i:4d}  backward of {_slot_name(program, step.root)}: {vjps} vjp calls in "
                f"reverse topological order, .grad stored into {leaves} leaves")
    if isinstance(step, CallStep):
        return f"{i:4d}  {type(step.obj).__name__}.{step.method}() (replayed as it is)"
    if isinstance(step, CounterStep):
        return f"{i:4d}  {step.label} += {step.delta}"
    return f"{i:4d}  {step!r}"


def program_text(program: Program) -> list[str]:
    lines = ["  inputs: " + (", ".join(_slot_name(program, s) + f" {program.slots[s].dtype}"
                                       for s in program.arg_positions) or "none")]
    refs = [s for s in program.slots if s.kind == "ref"]
    lines.append(f"  captured tensors (read by reference at each call): {len(refs)}, "
                 f"{_size(sum(s.nbytes for s in refs))}")
    lines.append("  steps:")
    lines += ["  " + _step_line(program, i, step) for i, step in enumerate(program.steps)]
    for g in program.graphs.values():
        vjps = sum(1 for e in g.schedule if e.step is not None)
        inputs = sum(1 for e in g.schedule if e.step is None)
        lines.append(f"  output {_slot_name(program, g.root)} joins the caller's graph as one node "
                     f"(CompiledGraph): its backward is {vjps} vjp calls in reverse topological "
                     f"order, giving the gradients of {inputs} inputs")
    lines.append("  buffers (intermediates: size, made at step, last read at step, freed after):")
    total, live, peak = 0, 0, 0
    freed_at = {s: i for i, ss in program.releases.items() for s in ss}
    events: dict[int, int] = {}
    for slot in program.slots:
        if slot.kind not in ("node", "random") or slot.produced_by is None:
            continue
        total += slot.nbytes
        end = freed_at.get(slot.index)
        events[slot.produced_by] = events.get(slot.produced_by, 0) + slot.nbytes
        if end is not None:
            events[end + 1] = events.get(end + 1, 0) - slot.nbytes
        last = program.last_use.get(slot.index, "—")
        lines.append(f"      {slot.label:>8} {_size(slot.nbytes):>10}  made {slot.produced_by:>4}"
                     f"  last read {last!s:>4}  "
                     f"{'freed after ' + str(end) if end is not None else 'kept (output)'}")
    for i in sorted(events):
        live += events[i]
        peak = max(peak, live)
    lines.append(f"  all intermediates together: {_size(total)}; live at once at most "
                 f"{_size(peak)} (arrays the backward saved come on top)")
    for title, items in (("folded (computed once at trace time)", program.folded),
                         ("removed (dead code)", program.removed),
                         ("fused", program.fused)):
        lines.append(f"  {title}: " + ("none" if not items else str(len(items))))
        lines += [f"      {item}" for item in items]
    if not program.fused:
        lines.append("      (only chains of elementwise steps that no backward needs are fused; "
                     "every other step writes a new array)")
    lines.append("  " + _split_line(program))
    return lines


def _split_line(program: Program) -> str:
    from .shard import parts_of

    plan = program.shard
    if plan is None:
        return f"split over the batch: no ({program.unsplit_reason})"
    parts = parts_of(program)
    now = (f"now in {parts} parts, one per thread" if parts > 1 else
           "now unsplit (one thread, too little work per part, or no way to hold BLAS at one "
           "thread)")
    shared = (f"; the parts meet at its {len(plan.shared)} BatchNorm(s) to combine the whole "
              f"batch's statistics and gradient sums" if plan.shared else "")
    return (f"split over the batch: yes, each part of the {plan.batch} samples runs every step "
            f"on its own thread and the parts' gradients are summed{shared} — {now}")


def plan_text(compiled) -> str:
    from .api import _Eager

    lines = [f"chainrule.compile({compiled.__name__}): {len(compiled.cache)} of "
             f"{compiled.cache_size_limit} cache entries (most recently used last)"]
    for n, (key, entry) in enumerate(compiled.cache.items()):
        tensors = [k for k in key[1] if k[0] == "T"]
        sig = ", ".join(f"{_shape(k[1])} {k[2]}" + (" requires_grad" if k[3] else "")
                        for k in tensors)
        lines.append(f"[{n}] signature: {sig or 'no tensors'}; grad mode "
                     f"{'on' if key[2] else 'off'}; training flags {key[4]}")
        if isinstance(entry, _Eager):
            lines.append(f"  runs eagerly: {entry.reason}")
        else:
            lines += program_text(entry)
    return "\n".join(lines)


def static_graph(compiled, program: Program) -> Graph:
    """The static graph as DOT: values as boxes, primitives as rounded boxes."""
    out = ["digraph compiled {", '  rankdir="TB";', '  node [fontname="Helvetica"];']
    edges = 0
    drawn = set()

    def value(s):
        if s in drawn:
            return
        drawn.add(s)
        slot = program.slots[s]
        style = {"arg": _STYLE["input"], "ref": _STYLE["param"], "const": _STYLE["leaf"],
                 "random": _STYLE["input"]}.get(slot.kind)
        if style is not None:
            out.append(f'  s{s} [label="{_slot_name(program, s)}", {style}];')

    nodes = 0
    for i, step in enumerate(program.steps):
        if isinstance(step, PrimStep):
            nodes += 1
            shape = _shape(program.slots[step.out].shape)
            out.append(f'  s{step.out} [label="{step.fn.name}\\n{shape}", {_STYLE["op"]}];')
            drawn.add(step.out)
            for s in list(step.inputs) + [s for _, s in step.param_slots]:
                if program.slots[s].kind == "const" and program.slots[s].shape is None:
                    continue
                value(s)
                out.append(f"  s{s} -> s{step.out};")
                edges += 1
        elif isinstance(step, FusedStep):
            nodes += 1
            names = "→".join(u.__name__ for u, _ in step.ops)
            out.append(f'  s{step.out} [label="fused {names}", {_STYLE["op"]}];')
            drawn.add(step.out)
            for s in {s for _, ops in step.ops for s in ops if s >= 0}:
                if program.slots[s].kind == "const" and program.slots[s].shape is None:
                    continue
                value(s)
                out.append(f"  s{s} -> s{step.out};")
                edges += 1
        elif isinstance(step, RandomStep):
            value(step.out)
        elif isinstance(step, (BackwardStep, CallStep)):
            nodes += 1
            label = ("backward" if isinstance(step, BackwardStep)
                     else f"{type(step.obj).__name__}.{step.method}()")
            out.append(f'  k{i} [label="{label}", {_STYLE["root"]}];')
            if isinstance(step, BackwardStep):
                out.append(f"  s{step.root} -> k{i};")
                edges += 1
    out.append("}")
    return Graph("\n".join(out), nodes + len(drawn), edges)
