"""A training run as a library object: what ``chainrule train`` does, usable from a notebook.

    from chainrule.training import Run

    run = Run.new(model="lenet", dataset="fashion-mnist", epochs=5, out="runs/first")
    run.train()                      # checkpoints after every epoch, metrics.csv/json
    run.report()                     # test metrics, per-class report and plots

    run = Run.resume("runs/first", epochs=8)    # after a kill, or to train further
    run.train(); run.report()

    run = Run.open("runs/first", checkpoint="best")   # the trained model, for evaluation
    run.evaluate()["accuracy"], run.predict(["shoe.png"])

    run = Run.new(model="lstm", dataset="imdb", epochs=2)      # a text run: the IMDB reviews
    run.train(); run.report()        # … and misclassified.md, the misclassified reviews
    run.predict(["A dull, lifeless film."])

The command line is a thin shell over this class: ``chainrule train`` is ``Run.new`` (or
``Run.resume``), ``train()`` and ``report()``; ``evaluate`` and ``predict`` are ``Run.open`` and
its methods. The run folder's layout is in :mod:`.folder`.
"""
from __future__ import annotations

from pathlib import Path

from . import folder as F
from .data import load_data, loader
from .options import (
    DEFAULTS,
    build_model,
    check_options,
    compile_model,
    model_setup,
    validate_names,
)


class Run:
    """A run folder with its config, data and (once trained or opened) its model.

    Make one with :meth:`new`, :meth:`resume` or :meth:`open`. ``log`` receives every message
    (``print`` by default); ``progress`` is ``fit``'s verbosity (1: a progress bar, 0: none).
    """

    def __init__(self, run_dir, config: dict, *, data=None, resume: bool = False, log=print,
                 progress=1, distributed: bool = False):
        self.dir = Path(run_dir)
        self.distributed = distributed    # train on every rank of an MPI job (rank 0 writes)
        if _rank(distributed) != 0:       # only rank 0 speaks and shows progress
            self.log, self.progress = (lambda *args, **kwargs: None), 0
        self.config = config
        self.log = log
        self.progress = progress
        self.model = None                 # set by train() and open()
        self.checkpoint = None            # the document of the checkpoint the model holds
        self.checkpoint_name = "last"
        self._data = data
        self._resume = resume

    def __repr__(self) -> str:
        return f"Run({F.relative(self.dir)!r}, model={self.config.get('model')!r})"

    # ------------------------------------------------------------------------------- making
    @classmethod
    def new(cls, config: dict | None = None, out=None, *, data=None,
            explicit_dataset: bool = True, log=print, progress=1, distributed: bool = False,
            **options) -> Run:
        """Start a run: check the options (``config`` and keyword ``options`` over
        :data:`DEFAULTS`), read the data, and create the folder ``out`` (default
        ``runs/<model>-<dataset>-<date>-<time>``) holding ``config.json``.

        ``explicit_dataset=False``: Fashion-MNIST/MNIST missing from the machine falls back to
        scikit-learn's digits (with a message) instead of raising. ``data``: a RunData already
        loaded for this config (a sweep reads it once). ``distributed``: this process is one
        rank of an MPI job; rank 0 makes the folder and tells the others its name."""
        given = {**(config or {}), **options}
        unknown = sorted(set(given) - set(DEFAULTS))
        if unknown:
            raise F.RunError(f"unknown run option(s) {', '.join(unknown)}; the options are "
                             f"{', '.join(DEFAULTS)}")
        config = {**DEFAULTS, **given}
        check_options(config)
        validate_names(config)
        rank = _rank(distributed)
        if out is not None and rank == 0:
            _check_new_folder(Path(out))
        if data is None:
            data = load_data(config, explicit_dataset, log)
        model_setup(config, data)
        if rank != 0:                     # rank 0 makes the folder; the others take its name
            run_dir, config = _from_rank_zero(None)
            return cls(run_dir, config, data=data, log=log, progress=progress,
                       distributed=True)
        run_dir = Path(out) if out is not None else F.default_run_dir(
            config["model"], Path(str(config["dataset"])).name or "data")
        from ... import __version__

        config["created"] = F.now_iso()
        config["chainrule_version"] = __version__
        files = {}
        if data.kind == "text":
            from .text import VOCAB, vocab_bytes

            files[VOCAB] = vocab_bytes(data.vocab)
        F.create(run_dir, config, files)
        if distributed:
            _from_rank_zero((str(run_dir), config))
        return cls(run_dir, config, data=data, log=log, progress=progress,
                   distributed=distributed)

    @classmethod
    def resume(cls, run_dir, epochs: int | None = None, *, log=print, progress=1,
               distributed: bool = False) -> Run:
        """Continue the run in ``run_dir`` from its last checkpoint (or from the beginning, when
        it was stopped before its first one), to ``epochs`` if given."""
        from ..checkpoint import CheckpointError, read_checkpoint

        run_dir = Path(run_dir)
        config = F.read_config(run_dir)
        last = F.checkpoint_path(run_dir, "last")
        resume = last.is_file()
        if resume:
            try:
                doc, _ = read_checkpoint(last)
            except CheckpointError as e:
                best = F.checkpoint_path(run_dir, "best")
                hint = (f"; {F.relative(best)} may be intact: copy it over the damaged file to "
                        "resume from the best epoch instead" if best.is_file() else "")
                raise F.RunError(f"cannot resume: the last checkpoint is damaged: {e}{hint}"
                                 ) from None
            log(f"Resuming {F.relative(run_dir)} from the end of epoch {doc.get('epoch')} "
                f"(step {doc.get('step')})")
        else:
            log(f"{F.relative(run_dir)} has no checkpoint yet (stopped during its first epoch): "
                "starting it again from the beginning")
        if epochs is not None:
            if not isinstance(epochs, int) or epochs < 1:
                raise ValueError(f"--epochs must be an integer ≥ 1, got {epochs}")
            config["epochs"] = epochs
            if _rank(distributed) == 0:
                F.write_json(run_dir / F.CONFIG, config)
        data = load_data(config, explicit_dataset=True, log=log,
                         run_dir=run_dir if config.get("text") else None)
        if data.kind == "text":
            if len(data.vocab) != config["model_kwargs"].get("vocab_size"):
                raise F.RunError(f"the run's vocabulary has {len(data.vocab)} tokens, but its "
                                 f"model was built for {config['model_kwargs'].get('vocab_size')}")
        elif list(data.image_shape) != list(config["image_shape"]):
            raise F.RunError(f"the {config['dataset']} images are now {data.image_shape}, but "
                             f"the run was trained on {tuple(config['image_shape'])}")
        return cls(run_dir, config, data=data, resume=resume, log=log, progress=progress,
                   distributed=distributed)

    @classmethod
    def open(cls, run_dir, checkpoint: str = "last", *, data=None, compile: bool = True,
             log=print) -> Run:
        """A finished (or stopped) run with its model loaded from ``checkpoint`` ('last',
        'best' or a checkpoint file), in evaluation mode."""
        run = cls(run_dir, F.read_config(run_dir), data=data, log=log)
        run.load(checkpoint, compile=compile)
        return run

    def load(self, checkpoint: str = "last", compile: bool = True):
        """Rebuild the model from the config and load ``checkpoint`` into it; returns it."""
        from ..checkpoint import load_checkpoint

        path = (F.checkpoint_path(self.dir, checkpoint) if checkpoint in ("last", "best")
                else Path(checkpoint))
        if not path.is_file():
            raise F.RunError(f"{self.dir} has no checkpoint {path} yet (a run writes one at the "
                             "end of each epoch)")
        model = build_model(self.config)
        if compile:
            compile_model(model, self.config)
        self.checkpoint = load_checkpoint(path, model, restore_rng=False)
        self.checkpoint_name = checkpoint
        model.eval()
        self.model = model
        return model

    @property
    def data(self):
        """The run's RunData (train, validation and test arrays), read on first use."""
        if self._data is None:
            self._data = load_data(self.config, explicit_dataset=True, log=self.log,
                                   run_dir=self.dir if self.config.get("text") else None)
        return self._data

    # ------------------------------------------------------------------------------- training
    def train(self) -> dict:
        """Train to the configured epochs, from the last checkpoint when resuming, writing the
        metrics files after every epoch and the checkpoints ``best`` (best val_accuracy) and
        ``last``. The test set is not read. Returns ``{"run_dir", "config", "epoch", "history",
        "rows"}``. Raises NonFiniteLossError (with ``run_note`` saying which checkpoint is
        intact) when the loss turns NaN."""
        import chainrule as cr

        from ...models import num_parameters
        from ..callbacks import ModelCheckpoint
        from ..checkpoint import CheckpointError, load_checkpoint, read_checkpoint
        from ..nan_guard import NonFiniteLossError

        config, data, log = self.config, self.data, self.log
        cr.manual_seed(int(config["seed"]))
        model = build_model(config)
        compile_model(model, config, self.distributed)
        self.model = model
        train_loader = loader(config, data.x_train, data.y_train, train=True)
        val_loader = loader(config, data.x_val, data.y_val)
        last = F.checkpoint_path(self.dir, "last")
        best = F.checkpoint_path(self.dir, "best")
        rows: list[dict] = []
        initial_epoch = 0
        best_value = None
        if self._resume:
            doc = load_checkpoint(last, model, model.optimizer, data_loader=train_loader)
            initial_epoch = int(doc.get("epoch") or 0)
            rows = [r for r in F.read_metrics(self.dir) if r.get("epoch", 0) <= initial_epoch]
            if best.is_file():
                try:
                    best_value = read_checkpoint(best)[0].get("monitor", {}).get("best")
                except CheckpointError as e:
                    log(f"warning: {e}; it will be replaced by the next best epoch")
        epochs = int(config["epochs"])
        log(f"Training {config['model']} ({num_parameters(model):,} parameters) on "
            f"{data.name}: {len(data.y_train)} training and {len(data.y_test)} test {data.unit}, "
            f"validation on {data.validation}.")
        log(f"{type(model.optimizer).__name__} lr={config['lr']:g}, weight decay "
            f"{config['weight_decay']:g}, batch size {config['batch_size']}, {epochs} "
            f"epoch{'s' if epochs != 1 else ''}, seed {config['seed']} → "
            f"{F.relative(self.dir)}")
        # best before last: a kill between the two writes then leaves last one epoch behind, and
        # resuming redoes that epoch exactly (and finds best already holding it). In the other
        # order, a kill there would leave best on an older epoch for good.
        callbacks = [
            F.RunLogger(self.dir, rows),
            ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True,
                            initial_value_threshold=best_value, metadata={"config": config}),
            ModelCheckpoint(last, metadata={"config": config}),
        ]
        if initial_epoch < epochs:
            try:
                model.fit(train_loader, epochs=epochs, initial_epoch=initial_epoch,
                          validation_data=val_loader, callbacks=callbacks,
                          verbose=self.progress, distributed=self.distributed)
            except NonFiniteLossError as e:
                e.run_note = self._intact_note(last)
                raise
            finally:                      # the trained run's worker process ends now, not
                trainer = model.__dict__.get("_trainer")     # when the Run is collected
                if trainer is not None:
                    trainer.release_compiled()
        else:
            log(f"The run already reached epoch {initial_epoch} of {epochs}.")
        if self.distributed:              # rank 0's last checkpoint is written: read it
            from ... import distributed as dist

            dist.barrier()
        self._resume = True               # a second train() continues from here
        self.checkpoint, self.checkpoint_name = read_checkpoint(last)[0], "last"
        model.eval()
        rows = F.read_metrics(self.dir)
        return {"run_dir": str(self.dir), "config": config, "epoch": self.checkpoint.get("epoch"),
                "history": F.history_of(rows), "rows": rows}

    @staticmethod
    def _intact_note(last: Path) -> str:
        from ..checkpoint import read_checkpoint

        if not last.is_file():
            return "No checkpoint had been written yet (the first epoch did not end)."
        epoch = read_checkpoint(last)[0].get("epoch")
        return f"The last good checkpoint, {F.relative(last)} (end of epoch {epoch}), is intact."

    # ------------------------------------------------------------------------------- judging
    def evaluate(self, x=None, y=None) -> dict:
        """Loss, accuracy, predictions, probabilities and confusion matrix of the model on
        ``(x, y)`` (stored pixels and labels; default: the run's test set)."""
        from .results import evaluate_arrays

        if self.model is None:
            self.load("last")
        if x is None:
            x, y = self.data.x_test, self.data.y_test
        return evaluate_arrays(self.model, self.config, x, y)

    def report(self) -> dict:
        """Evaluate the model (as trained, or as opened) on the test set and write
        test_metrics.json and the plots; returns the test metrics."""
        from .results import write_reports

        result = self.evaluate()
        metrics = write_reports(self.dir, self.config, self.data, result, self.checkpoint,
                                self.checkpoint_name, self.log)
        done = self.checkpoint.get("epoch")
        self.log(f"Test accuracy {100 * metrics['test_accuracy']:.2f}%, test loss "
                 f"{metrics['test_loss']:.4f} after {done} epoch{'s' if done != 1 else ''}.")
        written = [F.CONFIG, F.METRICS_CSV, F.METRICS_JSON, F.TEST_METRICS]
        written += [f"{F.CHECKPOINTS}/{w}.safetensors" for w in ("last", "best")
                    if F.checkpoint_path(self.dir, w).is_file()]
        written += [name for name in (*F.PLOTS.values(), "vocab.json", "misclassified.md")
                    if (self.dir / name).is_file()]
        self.log(f"Run folder {F.relative(self.dir)}: {', '.join(written)}")
        return metrics

    def predict(self, images, top: int = 1, invert: bool = False) -> list:
        """``[(name, [(class, probability), …top]), …]`` for image files (PNG/JPEG/.npy, see
        :mod:`.images`), prepared as in training. For a text run, ``images`` are texts (str;
        a ``pathlib.Path`` is read as a UTF-8 text file), encoded with the run's vocabulary,
        and each name is the text's first 60 characters (or the path)."""
        import numpy

        from .data import transform
        from .folder import EVAL_BATCH
        from .images import read_images
        from .results import softmax

        if top < 1:
            raise ValueError(f"--top must be ≥ 1, got {top}")
        if self.model is None:
            self.load("last", compile=False)
        if self.config.get("text"):
            return self._predict_texts(images, top)
        names, batches = [], []
        for path in images:
            batch = read_images(path, self.config)
            names += [str(path)] if len(batch) == 1 else [f"{path}[{i}]"
                                                         for i in range(len(batch))]
            batches.append(batch)
        x01 = numpy.concatenate(batches)
        if invert:
            x01 = 1.0 - x01
        pixels = (x01 * self.config["normalize"]["max_value"]).astype(numpy.float32)
        logits = self.model.predict(transform(self.config)(pixels), batch_size=EVAL_BATCH)
        classes = list(self.config["classes"])
        out = []
        for name, p in zip(names, softmax(logits)):
            order = numpy.argsort(-p)[:top]
            out.append((name, [(classes[int(k)], float(p[k])) for k in order]))
        return out


    def _predict_texts(self, items, top: int) -> list:
        from .folder import EVAL_BATCH
        from .results import softmax
        from .text import encode, read_vocab, tokens_of

        if isinstance(items, str):
            raise TypeError("Run.predict: expected a list of texts, got one str; wrap it in a "
                            "list")
        names, texts = [], []
        for item in items:
            if isinstance(item, Path):
                names.append(str(item))
                texts.append(item.read_text(encoding="utf-8"))
            elif isinstance(item, str):
                flat = " ".join(item.split())
                names.append(flat if len(flat) <= 60 else flat[:59] + "…")
                texts.append(item)
            else:
                raise TypeError(f"Run.predict: a text run takes texts (str) or text files "
                                f"(pathlib.Path), got {type(item).__name__}")
        vocab = self._data.vocab if self._data is not None else read_vocab(self.dir, self.config)
        logits = self.model.predict(encode(vocab, tokens_of(texts)), batch_size=EVAL_BATCH)
        classes = list(self.config["classes"])
        out = []
        for name, p in zip(names, softmax(logits)):
            order = (-p).argsort(kind="stable")[:top]
            out.append((name, [(classes[int(k)], float(p[k])) for k in order]))
        return out


def _rank(distributed: bool) -> int:
    if not distributed:
        return 0
    from ... import distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="mpi")
    return dist.get_rank()


def _from_rank_zero(value):
    """Rank 0's ``value`` on every rank (the run folder's name and config)."""
    from ... import distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _check_new_folder(path: Path) -> None:
    if (path / F.CONFIG).exists():
        raise F.RunError(f"{path} already holds a run; continue it with `chainrule train "
                         f"--resume {path}` (Run.resume), or choose another --out")
    if path.exists() and not path.is_dir():
        raise F.RunError(f"--out {path} is a file, not a folder")
