"""Training: ``fit`` validates everything, then returns a generator of typed events.

The GUI's worker thread, the command line and the tests all drive the same loop::

    for event in training.fit(net, x, y, loss="sparse_categorical_crossentropy",
                              optimizer={"name": "adam", "lr": 0.01}, epochs=20):
        if isinstance(event, training.EpochEnd):
            print(event.epoch, event.train["loss"], event.validation)

Glossary: an *epoch* is one pass over the training samples; they are cut into batches of
``batch_size`` (the last one smaller), so an epoch has ``ceil(N / batch_size)`` *iterations*,
each a forward pass, a backward pass and one optimizer step.  Shuffling permutes the sample
indices with a generator seeded by ``seed`` (the data is never reordered in place).

Reported numbers: an epoch's training loss and metrics are those of the predictions the
network made for each batch during the epoch, before that batch's update -- the running
average that a PyTorch loop prints (for RMSE: the root of the epoch's mean squared error).
Validation loss and metrics are computed after the epoch, in evaluation mode.  Per-layer
gradient norms are those of the epoch's last batch, before clipping.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import checks
from . import losses as loss_registry
from . import metrics as metric_registry
from . import optimizers as optimizer_registry
from . import schedules as schedule_registry
from . import spec as spec_module
from .network import Network


class TrainingError(ValueError):
    """A training setting or a data array that cannot be used; raised before training."""


# -- events ---------------------------------------------------------------------------------
@dataclass(slots=True)
class BatchEnd:
    """One iteration done.  ``epoch`` and ``batch`` count from 0; ``iteration`` counts every
    batch of the run from 1."""

    epoch: int
    batch: int
    iteration: int
    batch_size: int
    iterations_per_epoch: int


@dataclass
class EpochEnd:
    """One epoch done: its training and validation loss and metrics (``None`` without
    validation data), the learning rate it used, the per-layer gradient norms, timings, and
    the confusion matrix (validation if any, else training) for classification."""

    epoch: int
    iterations: int
    train: dict[str, float]
    validation: dict[str, float] | None
    lr: float
    grad_norms: dict[str, float]
    seconds: float
    samples_per_second: float
    confusion: list[list[int]] | None
    improved: bool


@dataclass
class Finished:
    """Training ran to its end (``reason`` "completed") or early stopping ended it
    ("early_stopping").  ``best_weights`` are those of ``best_epoch``; the network holds them
    when early stopping restored them (``restored_best``), else the last epoch's."""

    history: "History"
    reason: str
    best_epoch: int | None
    best_weights: dict[str, np.ndarray] | None
    restored_best: bool
    seconds: float


@dataclass
class Stopped:
    """The caller stopped training (between batches); finished epochs are in ``history``."""

    history: "History"
    epoch: int
    iteration: int


@dataclass
class Diverged:
    """A NaN or infinite loss, gradient or weight appeared.  ``layer`` names the first layer
    where it shows, ``quantity`` what ("weights", "output", "gradient" or "loss"); the network
    keeps the last finite weights."""

    history: "History"
    epoch: int
    iteration: int
    layer: str | None
    quantity: str
    message: str


@dataclass
class History:
    """Per-epoch record of a run: ``train[name]`` and ``validation[name]`` lists (loss
    first, then the metrics), ``lr``, ``grad_norms`` (one dict per epoch), ``seconds``."""

    train: dict[str, list[float]] = field(default_factory=dict)
    validation: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    grad_norms: list[dict[str, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.lr)

    def add(self, event: EpochEnd) -> None:
        for key, value in event.train.items():
            self.train.setdefault(key, []).append(value)
        for key, value in (event.validation or {}).items():
            self.validation.setdefault(key, []).append(value)
        self.lr.append(event.lr)
        self.grad_norms.append(event.grad_norms)
        self.seconds.append(event.seconds)

    def to_dict(self) -> dict:
        """JSON-able copy (for the project file)."""
        return {"train": self.train, "validation": self.validation, "lr": self.lr,
                "grad_norms": self.grad_norms, "seconds": self.seconds}


# -- control --------------------------------------------------------------------------------
class Control:
    """Stop, pause and resume a running ``fit`` from another thread; honoured between
    batches.  ``set_lr`` changes the learning rate from the next epoch on.

    ``stop``, ``pause``, ``resume`` and ``set_lr`` may be called from any thread at any time;
    ``fit`` reads the flags between batches, so a call takes effect before the next batch
    (``set_lr``: the next epoch).

    Attributes
    ----------
    stopped : bool
        :meth:`stop` was called (final).
    paused : bool
        :meth:`pause` was called and :meth:`resume` not yet.
    interrupt : bool
        ``stopped or paused``: the one flag the loop reads per batch.
    pending_lr : float or None
        A learning rate set by :meth:`set_lr` that the next epoch has not taken yet.
    """

    def __init__(self):
        self.interrupt = False  # read once per batch: one attribute instead of three
        self.stopped = False
        self.paused = False
        self.pending_lr: float | None = None
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        """End training before the next batch; ``fit`` then yields :class:`Stopped`.  Also
        ends a pause."""
        self.stopped = self.interrupt = True
        self._running.set()

    def pause(self) -> None:
        """Hold training before the next batch until :meth:`resume` or :meth:`stop`."""
        self.paused = self.interrupt = True
        self._running.clear()

    def resume(self) -> None:
        """Continue a paused run (does nothing to a stopped one)."""
        self.paused = False
        self.interrupt = self.stopped
        self._running.set()

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next epoch on; the schedule restarts from it.

        Parameters
        ----------
        lr : float >= 0

        Raises
        ------
        TrainingError
            If ``lr`` is not a finite number >= 0.
        """
        self.pending_lr = checks.number("learning rate", lr, 0, error=TrainingError)

    def wait_while_paused(self) -> None:
        """Block the calling thread (the training loop) while paused."""
        self._running.wait()


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` ("val_loss" when there is validation data, else "loss", or
    any reported metric such as "val_accuracy") has not improved by more than ``min_delta``
    for ``patience`` epochs; ``restore_best`` puts the best epoch's weights back."""

    patience: int = 10
    min_delta: float = 0.0
    monitor: str | None = None
    restore_best: bool = True

    def __post_init__(self):
        self.patience = checks.whole("patience", self.patience, 0, error=TrainingError)
        self.min_delta = checks.number("min_delta", self.min_delta, 0, error=TrainingError)


# -- fit ------------------------------------------------------------------------------------
def fit(network: Network, x, y, *, loss, optimizer="adam", epochs: int = 10,
        batch_size: int = 32, validation_data=None, validation_split: float = 0.0,
        shuffle: bool = True, seed: int = 0, metrics=None, schedule=None,
        clip_norm: float | None = None, clip_value: float | None = None,
        early_stopping: EarlyStopping | dict | None = None, control: Control | None = None,
        batch_events: bool = True) -> Iterator:
    """Check every setting and the data, then return the training loop as an iterator of
    events (:class:`BatchEnd`, :class:`EpochEnd`, then one of :class:`Finished`,
    :class:`Stopped`, :class:`Diverged`).

    Parameters
    ----------
    network : Network
        Trained in place.
    x : array (N, n_features)
    y : array
        Targets in the loss's form (class indices (N,) for sparse cross-entropy, one-hot
        (N, K) for categorical, 0/1 (N, K) for binary, values (N, K) for regression).
    loss, optimizer, schedule : name, config dict or instance
        From ``engine.losses`` / ``engine.optimizers`` / ``engine.schedules``.  The ``gd``
        optimizer trains on the full batch whatever ``batch_size`` says.
    epochs : int >= 1
    batch_size : int, 1 <= batch_size <= training samples
    validation_data : (x_val, y_val), optional
    validation_split : float in [0, 1)
        Without ``validation_data``, this fraction of the samples (a seeded random choice)
        is held out for validation.
    shuffle : bool
        Reshuffle the sample indices every epoch (seeded by ``seed``).
    seed : int
        Seeds shuffling and the validation split; weights are seeded when building.
    metrics : list of names or configs, optional
        Default: accuracy for classification losses, MAE for regression losses.
    clip_norm, clip_value : float, optional
        Scale the gradient to global L2 norm <= ``clip_norm`` (torch
        ``clip_grad_norm_``: ``g *= clip_norm / (norm + 1e-6)`` when smaller than 1) and/or
        clip each component to [-clip_value, clip_value] (``clip_grad_value_``).
    early_stopping : EarlyStopping or dict, optional
    control : Control, optional
        Stop / pause / resume / set_lr from another thread.
    batch_events : bool
        Yield a :class:`BatchEnd` after every batch (else only epoch and final events).

    Raises
    ------
    TrainingError, TargetError, InputError, UnknownNameError, ValueError
        Before anything is trained, naming the value and what is allowed.
    """
    run = _Run(network, x, y, loss, optimizer, epochs, batch_size, validation_data,
               validation_split, shuffle, seed, metrics, schedule, clip_norm, clip_value,
               early_stopping, control, batch_events)
    return run.events()


class _Evaluator:
    """Loss and metrics of a set of outputs, and class predictions for the confusion matrix."""

    def __init__(self, network: Network, loss, metrics):
        self.net, self.loss = network, loss
        self.fused = network.fused_with(loss)
        self.metrics = metrics
        self.classification = loss.task == "classification"
        self.binary = loss.independent_outputs
        self.n_classes = 2 if self.binary else network.n_outputs

    def classes(self, a):
        if a.shape[1] == 1:
            return (a[:, 0] >= 0.5).astype(np.int64)
        return a.argmax(axis=1)

    def true_classes(self, y):
        if y.ndim == 1:
            return y
        if y.shape[1] == 1:
            return (y[:, 0] >= 0.5).astype(np.int64)
        return y.argmax(axis=1)

    def evaluate(self, out, y, prefix=""):
        """``out`` holds pre-activations when the loss is fused, else the outputs."""
        if self.fused:
            value = self.loss.value_logits(out, y)
            a = self.net.layers[self.net.output_id].activation.forward(out)
        else:
            value = self.loss.value(out, y)
            a = out
        result = {prefix + "loss": value}
        confusion = None
        if self.classification:
            if self.binary:
                truth = (y.ravel() >= 0.5).astype(np.int64)
                pred = (a.ravel() >= 0.5).astype(np.int64)
            else:
                truth, pred = self.true_classes(y), self.classes(a)
            acc = metric_registry.ConfusionAccumulator(self.n_classes)
            acc.update(truth, pred)
            confusion = acc.matrix.tolist()
        else:
            acc = metric_registry.RegressionAccumulator(a.shape[1])
            acc.update(y, a)
        for m in self.metrics:
            result[prefix + m.name] = m.compute(acc)
        return result, confusion

    def outputs(self, x, chunk=8192):
        """Evaluation-mode outputs (pre-activations if fused) of ``x``, chunk by chunk."""
        parts = []
        out_layer = self.net.layers[self.net.output_id]
        for i in range(0, len(x), chunk):
            a = self.net._forward(x[i:i + chunk], False)
            parts.append((out_layer.z if self.fused else a).copy())
        return np.concatenate(parts) if len(parts) > 1 else parts[0]


class _Run:
    def __init__(self, net, x, y, loss, optimizer, epochs, batch_size, validation_data,
                 validation_split, shuffle, seed, metrics, schedule, clip_norm, clip_value,
                 early_stopping, control, batch_events):
        if not isinstance(net, Network):
            raise TrainingError(f"fit needs a Network, got {type(net).__name__}")
        self.net = net
        self.loss = loss_registry.get(loss)
        self.opt = optimizer_registry.get(optimizer)
        self.opt.reset()  # every fit is a new run: no moments carried over from another
        self.schedule = schedule_registry.get(schedule if schedule is not None else "constant")
        self.epochs = checks.whole("epochs", epochs, 1, error=TrainingError)
        self.seed = checks.whole("seed", seed, 0, error=TrainingError)
        self.shuffle = bool(shuffle)
        self.control = control
        self.batch_events = bool(batch_events)
        self.clip_norm, self.clip_value = (
            None if value is None
            else checks.number(name, value, 0, low_open=True, error=TrainingError)
            for name, value in (("clip_norm", clip_norm), ("clip_value", clip_value)))
        if isinstance(early_stopping, dict):
            try:
                early_stopping = EarlyStopping(**early_stopping)
            except TypeError:
                raise TrainingError(
                    f"early stopping takes patience, min_delta, monitor and restore_best; "
                    f"got {sorted(early_stopping)}") from None
        self.early = early_stopping

        x = net.check_inputs(x)
        if len(x) == 0:
            raise TrainingError("the dataset is empty: there are no samples to train on")
        y = self.loss.prepare_targets(y, net.n_outputs, net.dtype)
        if len(y) != len(x):
            raise TrainingError(f"x has {len(x)} samples but y has {len(y)}; they must match")
        self._check_fit_problems(y)
        if validation_data is not None:
            if validation_split:
                raise TrainingError("give validation_data or validation_split, not both")
            xv, yv = validation_data
            xv = net.check_inputs(xv)
            yv = self.loss.prepare_targets(yv, net.n_outputs, net.dtype)
            if len(xv) != len(yv) or len(xv) == 0:
                raise TrainingError(
                    f"validation x has {len(xv)} samples and y {len(yv)}; they must match and "
                    "not be empty")
        elif validation_split:
            checks.number("validation_split", validation_split, 0, 1, high_open=True,
                          error=TrainingError)
            n_val = int(round(len(x) * validation_split))
            if n_val == 0 or n_val == len(x):
                raise TrainingError(
                    f"validation_split {validation_split} of {len(x)} samples leaves "
                    f"{n_val} for validation and {len(x) - n_val} for training; both need "
                    "at least one")
            perm = np.random.default_rng([self.seed, 1]).permutation(len(x))
            xv, yv = x[perm[:n_val]], y[perm[:n_val]]
            x, y = x[perm[n_val:]], y[perm[n_val:]]
        else:
            xv = yv = None
        self.x, self.y, self.xv, self.yv = x, y, xv, yv
        n = len(x)
        if self.opt.full_batch:
            batch_size = n
        self.batch_size = checks.whole("batch_size", batch_size, 1, n, error=TrainingError)
        need = max(layer.min_batch for layer in net.layers.values())
        last = n % self.batch_size
        if self.batch_size < need or 0 < last < need:
            layers = [nid for nid, layer in net.layers.items() if layer.min_batch == need]
            raise TrainingError(
                f"{', '.join(layers)} need(s) at least {need} samples in every batch: with "
                f"{n} training samples and batch size {self.batch_size} "
                + (f"the last batch holds {last}" if self.batch_size >= need else
                   "every batch holds fewer") + "; choose another batch size")
        self.metrics = self._metrics(metrics)
        self.evaluator = _Evaluator(net, self.loss, self.metrics)
        if self.early is not None:
            self.monitor = self.early.monitor or ("val_loss" if xv is not None else "loss")
            known = ["loss"] + [m.name for m in self.metrics]
            known += ["val_" + k for k in known] if xv is not None else []
            if self.monitor not in known:
                raise TrainingError(
                    f"early stopping cannot watch {self.monitor!r}; it can watch: "
                    f"{', '.join(known)}")

    def _check_fit_problems(self, y):
        targets = loss_registry.describe_targets(y)
        for fit_problem in self.loss.check_fit(self.net.output_activation, self.net.n_outputs,
                                               targets):
            if fit_problem.severity == "error":
                raise spec_module.LossMismatchError(fit_problem.message, [self.net.output_id])

    def _metrics(self, metrics):
        if metrics is None:
            metrics = ["accuracy"] if self.loss.task == "classification" else ["mae"]
        built = [metric_registry.get(m) for m in metrics]
        for m in built:
            if m.task != self.loss.task:
                raise TrainingError(
                    f"metric {m.name!r} is for {m.task}, but the loss {self.loss.name!r} is "
                    f"for {self.loss.task}")
        return built

    # -- the loop ---------------------------------------------------------------------------
    def events(self):
        net, opt, loss, control = self.net, self.opt, self.loss, self.control
        x, y, n, bs = self.x, self.y, len(self.x), self.batch_size
        params, grads = net.params, net.grads
        iters = -(-n // bs)
        fused = net.fused_with(loss)
        out_layer = net.layers[net.output_id]
        rng = np.random.default_rng([self.seed, 2])
        history = History()
        epoch_out = np.empty((n, net.n_outputs), dtype=net.dtype)
        lr = self.schedule.start(opt.lr)
        net.seed_dropout(self.seed)
        prev = params.copy()  # the weights before the current step: the last finite ones
        monitor_best, best_epoch, best_weights, waited = None, None, None, 0
        iteration = 0
        start_all = time.perf_counter()
        for epoch in range(self.epochs):
            if control is not None and control.pending_lr is not None:
                lr, control.pending_lr = control.pending_lr, None
                self.schedule.start(lr, first_epoch=epoch)
            opt.lr = lr
            t0 = time.perf_counter()
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            norms: dict[str, float] = {}
            for b in range(iters):
                if control is not None and control.interrupt:
                    if control.paused and not control.stopped:
                        control.wait_while_paused()
                    if control.stopped:
                        yield Stopped(history, epoch, iteration)
                        return
                lo = b * bs
                idx = order[lo:lo + bs]
                # Overflow on the way to a divergence is reported by a Diverged event, not
                # by NumPy warnings on stderr.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    xb, yb = x.take(idx, axis=0), y.take(idx, axis=0)
                    a = net._forward(xb, True)
                    if fused:
                        z = out_layer.z
                        g = loss.grad_logits(z, a, yb)
                        epoch_out[lo:lo + len(idx)] = z
                    else:
                        g = loss.grad(a, yb)
                        epoch_out[lo:lo + len(idx)] = a
                    net.backward(g, fused)
                    if b == iters - 1:
                        norms = net.grad_norms()
                    if self.clip_norm is not None:
                        self._clip_norm(grads)
                    if self.clip_value is not None:
                        t = grads.dtype.type
                        np.clip(grads, t(-self.clip_value), t(self.clip_value), out=grads)
                    np.copyto(prev, params)
                    opt.step(params, grads)
                    iteration += 1
                    # One dot product per step finds any NaN or infinity that the forward
                    # pass, the backward pass or the step put into the weights (the squares
                    # of huge but finite weights can overflow too, hence the second test).
                    broken = not math.isfinite(float(np.dot(params, params))) and not (
                        np.isfinite(params).all())
                if broken:
                    yield self._diverged(history, epoch, iteration, prev)
                    return
                if self.batch_events:
                    yield BatchEnd(epoch, b, iteration, len(idx), iters)
            train, confusion = self.evaluator.evaluate(epoch_out, y.take(order, axis=0))
            if self.net.penalty():
                train["penalty"] = net.penalty()
            validation = None
            if self.xv is not None:
                validation, confusion = self.evaluator.evaluate(
                    self.evaluator.outputs(self.xv), self.yv, "val_")
            if not all(math.isfinite(v) for v in (*train.values(),
                                                   *(validation or {}).values())):
                yield self._diverged(history, epoch, iteration, prev, quantity="loss")
                return
            seconds = time.perf_counter() - t0
            monitored = (validation or {}).get("val_loss", train["loss"])
            improved = False
            key = self.monitor if self.early is not None else (
                "val_loss" if validation else "loss")
            value = {**train, **(validation or {})}[key]
            better = self._higher_is_better(key)
            if monitor_best is None or (value > monitor_best + self._delta() if better
                                        else value < monitor_best - self._delta()):
                monitor_best, best_epoch, waited, improved = value, epoch, 0, True
                best_weights = net.get_weights()
            else:
                waited += 1
            event = EpochEnd(epoch, iters, train, validation, lr, norms, seconds,
                             n / seconds if seconds > 0 else float("inf"), confusion, improved)
            history.add(event)
            yield event
            lr = self.schedule.after_epoch(epoch, monitored)
            if self.early is not None and waited >= self.early.patience:
                yield self._finish(history, "early_stopping", best_epoch, best_weights,
                                   start_all)
                return
        yield self._finish(history, "completed", best_epoch, best_weights, start_all)

    def _delta(self):
        return self.early.min_delta if self.early is not None else 0.0

    def _higher_is_better(self, key):
        name = key[4:] if key.startswith("val_") else key
        for m in self.metrics:
            if m.name == name:
                return m.higher_is_better
        return False

    def _finish(self, history, reason, best_epoch, best_weights, start):
        restored = False
        if self.early is not None and self.early.restore_best and best_weights is not None:
            self.net.set_weights(best_weights)
            restored = True
        return Finished(history, reason, best_epoch, best_weights, restored,
                        time.perf_counter() - start)

    def _clip_norm(self, grads):
        """torch's ``clip_grad_norm_``: scale to a global norm of at most ``clip_norm``."""
        sq = float(np.dot(grads, grads))
        if not math.isfinite(sq) and np.isfinite(grads).all():
            # the squares of large but finite float32 gradients overflow; float64 does not
            sq = float(np.dot(grads.astype(np.float64), grads.astype(np.float64)))
        coef = self.clip_norm / (math.sqrt(sq) + 1e-6)
        if coef < 1:
            grads *= grads.dtype.type(coef)

    def _diverged(self, history, epoch, iteration, prev, quantity=None):
        found = self.net.first_nonfinite()
        layer = found[0] if found else None
        what = quantity or (found[1] if found else "loss")
        self.net.params[...] = prev
        where = f" in layer {layer!r}" if layer else ""
        message = (
            f"Training diverged at epoch {epoch + 1}, iteration {iteration}: the {what}"
            f"{where} became NaN or infinite (an exploding gradient). The weights from before "
            "that step are kept. Try a lower learning rate, gradient clipping, or a different "
            "initializer.")
        return Diverged(history, epoch, iteration, layer, what, message)
