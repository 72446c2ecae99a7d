"""The exercise stubs that ``chainrule learn start`` copies into a learner's workspace, one file
per lesson. Each function states its task in its docstring and raises NotImplementedError until
the learner writes it. (The reference solutions are in ``chainrule.learn.solutions``; the hidden
checks in ``chainrule.learn.checks``.)"""
