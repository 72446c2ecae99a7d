"""The lessons, as jupytext percent-format files (``lesson_NN_topic.py``): the reviewable
source of the notebooks that ``chainrule learn open N`` writes and that CI executes. They are
not imported by the library."""
