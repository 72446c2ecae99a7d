"""Training runs as library objects: :class:`Run` (what ``chainrule train``, ``evaluate`` and
``predict`` do) and :func:`sweep` (``chainrule sweep``), writing and reading run folders.

- :mod:`.folder`: the run folder's files (written atomically) and their readers;
- :mod:`.options`: the options of a run, their defaults and checks, and the model they build;
- :mod:`.data`: the dataset of a run, split and prepared;
- :mod:`.run`: :class:`Run`: new, resume, open; train, report, evaluate, predict;
- :mod:`.results`: test metrics, per-class report and plots;
- :mod:`.images`: image files as a run's model takes them;
- :mod:`.text`: text runs (IMDB reviews): tokens, the saved vocabulary, misclassified.md;
- :mod:`.search`: hyperparameter sweeps (grid or random search) chosen on validation data.
"""
from .folder import RunError, read_config, read_metrics
from .options import DEFAULTS
from .run import Run
from .search import sweep

__all__ = ["Run", "sweep", "RunError", "DEFAULTS", "read_config", "read_metrics"]
