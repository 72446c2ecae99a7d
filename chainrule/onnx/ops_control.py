"""Control flow: If.

Both branches are imported when the model loads (their weights become parameters of the module,
like every other weight), and the condition chooses one at run time. A branch may read any value
of the enclosing graph; those values (its *captures*) are handed to the If step as extra inputs,
so the branch runs in an environment of its own. Only the chosen branch is recorded by autograd,
so the gradient reaches the weights of the branch that ran.
"""
from __future__ import annotations

from .registry import Node, op
from .values import array


@op("If", max_outputs=1 << 16)
def if_(node: Node):
    r"""If(cond) → the outputs of ``then_branch`` when cond is true, else of ``else_branch``.

    Derivative: that of the branch taken (the other one does not run).
    """
    from .module import run_steps

    then_branch, else_branch = node.attrs["then_branch"], node.attrs["else_branch"]
    if len(then_branch.outputs) != len(else_branch.outputs):
        raise node.refuse(f"the branches have {len(then_branch.outputs)} and "
                          f"{len(else_branch.outputs)} outputs")
    # the names the If step receives after cond, in the order module._compile appends them
    captured = tuple(sorted(set(then_branch.captures) | set(else_branch.captures)))

    def run(cond, *values):
        flag = array(cond)
        if flag.size != 1:
            raise ValueError(f"If: the condition must hold one value, got shape "
                             f"{list(flag.shape)}")
        branch = then_branch if bool(flag.reshape(-1)[0]) else else_branch
        env = dict(zip(captured, values))
        run_steps(branch.steps, env)
        outs = tuple(env[name] for name in branch.outputs)
        return outs[0] if len(outs) == 1 else outs

    return run

