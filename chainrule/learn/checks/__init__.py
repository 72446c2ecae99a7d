"""The hidden checks of the exercises, one file per lesson (``EXERCISES`` in each). A learner
does not see them: the grader runs them on the learner's functions and reports the first case
that fails, with expected and received values and a hint about the mathematics."""
