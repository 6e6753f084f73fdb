"""Training settings: loss, metrics, optimizer and learning rate, epochs, batch size, split,
seed.

Every change is an undo step (``SetTraining``); the panel mirrors the document and never
echoes its own updates back.

The metrics list offers only the metrics made for the loss's task (``engine.metrics``: each
metric is for classification or for regression, and training refuses a mix); each tick is an
undo step of its own.  A loss of another task replaces the metrics that no longer fit by that
task's default (``commands.fitting_metrics``) in the loss's own undo step.

While a run trains (``set_running(True)``) only the settings the run can take on the fly
stay editable -- the learning rate, which the window forwards to the worker and which takes
effect at the next epoch; everything else waits for the run to end.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QListView,
                               QListWidget, QListWidgetItem, QSpinBox)

from engine import losses, metrics, optimizers
from nnstudio.editor.commands import (SetTraining, fitting_metrics, loss_task, metric_name,
                                      metric_task, metrics_for_task)
from nnstudio.panels.base import DocumentPanel
from nnstudio.widgets import named


class TrainingPanel(DocumentPanel):
    KINDS = ("training", "data")

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        form = QFormLayout(self)
        self.loss = named(QComboBox(), "lossCombo", self.tr("Loss function"),
                          self.tr("What the network minimizes while it learns"))
        self.loss.addItems(losses.names())
        self.metrics = named(QListWidget(), "metricsList", self.tr("Metrics"),
                             self.tr("What each epoch records besides the loss; only the "
                                     "metrics made for the loss's task are offered"))
        # a compact row of check boxes that wraps: there are at most four per task
        self.metrics.setFlow(QListView.Flow.LeftToRight)
        self.metrics.setWrapping(True)
        self.metrics.setResizeMode(QListView.ResizeMode.Adjust)
        self.metrics.setSpacing(2)
        self.metrics.setFixedHeight(self.metrics.fontMetrics().height() * 2 + 16)
        self.optimizer = named(QComboBox(), "optimizerCombo", self.tr("Optimizer"),
                               self.tr("How each step turns gradients into weight changes"))
        self.optimizer.addItems(optimizers.names())
        self.family = named(QLabel(), "optimizerFamily", self.tr("Optimizer family"))
        self.lr = named(QDoubleSpinBox(), "learningRate", self.tr("Learning rate"),
                        self.tr("Step size of each update: too large diverges, too small "
                                "learns slowly"))
        self.lr.setDecimals(6)
        self.lr.setRange(0.0, 10.0)
        self.lr.setSingleStep(0.001)
        self.epochs = named(QSpinBox(), "epochs", self.tr("Epochs"),
                            self.tr("One epoch is one pass over all training samples"))
        self.epochs.setRange(1, 100000)
        self.batch = named(QSpinBox(), "batchSize", self.tr("Batch size"),
                           self.tr("Samples per weight update (one iteration)"))
        self.batch.setRange(1, 1_000_000)
        self.iterations = named(QLabel(), "iterationsPerEpoch", self.tr("Iterations per epoch"))
        self.split = named(QDoubleSpinBox(), "validationSplit", self.tr("Validation split"),
                           self.tr("Share of the samples held out to check generalization"))
        self.split.setRange(0.0, 0.9)
        self.split.setSingleStep(0.05)
        self.seed = named(QSpinBox(), "seed", self.tr("Seed"),
                          self.tr("Same seed, same weights and shuffling: runs repeat exactly"))
        self.seed.setRange(0, 2**31 - 1)
        self.live_note = named(QLabel(), "liveSettingsNote", self.tr("Settings during a run"))
        self.live_note.setWordWrap(True)
        self.live_note.setText(self.tr("Training: a new learning rate takes effect at the "
                                       "next epoch; the other settings wait for the run."))
        self.live_note.setVisible(False)
        self._running = False
        for box in (self.lr, self.epochs, self.batch, self.split, self.seed):
            # typed numbers count when committed (Enter, focus out), not digit by digit
            box.setKeyboardTracking(False)
        self.family.setWordWrap(True)
        form.addRow(self.tr("Loss"), self.loss)
        form.addRow(self.tr("Metrics"), self.metrics)
        form.addRow(self.tr("Optimizer"), self.optimizer)
        form.addRow("", self.family)
        form.addRow(self.tr("Learning rate"), self.lr)
        form.addRow("", self.live_note)
        form.addRow(self.tr("Epochs"), self.epochs)
        form.addRow(self.tr("Batch size"), self.batch)
        form.addRow("", self.iterations)
        form.addRow(self.tr("Validation split"), self.split)
        form.addRow(self.tr("Seed"), self.seed)

        self.loss.currentTextChanged.connect(self._loss_changed)
        self.metrics.itemChanged.connect(self._metric_toggled)
        self.optimizer.currentTextChanged.connect(self._optimizer_changed)
        self.lr.valueChanged.connect(self._lr_changed)
        self.epochs.valueChanged.connect(lambda v: self._set(epochs=v))
        self.batch.valueChanged.connect(lambda v: self._set(batch_size=v))
        self.split.valueChanged.connect(lambda v: self._set(validation_split=round(v, 4)))
        self.seed.valueChanged.connect(lambda v: self._set(seed=v))
        self.refresh()

    def refresh(self) -> None:
        t = self.session.project.training
        self._updating = True
        try:
            self.loss.setCurrentText(t.loss.get("name", ""))
            self._show_metrics(t)
            self.optimizer.setCurrentText(t.optimizer.get("name", ""))
            lr = t.optimizer.get("lr")
            if lr is None:
                lr = optimizers.OPTIMIZERS.parameters(t.optimizer["name"])["lr"]
            self.lr.setValue(float(lr))
            self.family.setText(optimizers.OPTIMIZERS.cls(t.optimizer["name"]).family)
            self.epochs.setValue(int(t.epochs))
            self.batch.setValue(int(t.batch_size))
            self.split.setValue(float(t.validation_split))
            self.seed.setValue(int(t.seed))
        finally:
            self._updating = False
        n = self.training_samples()
        if n:
            iters = math.ceil(n / t.batch_size) if not optimizers.OPTIMIZERS.cls(
                t.optimizer["name"]).full_batch else 1
            self.iterations.setText(self.tr("{0} iterations per epoch ({1} training samples)")
                                    .format(iters, n))
        else:
            self.iterations.setText("")

    def live_widgets(self) -> list:
        """The settings a run in progress takes at its next epoch (what the engine's
        ``training.Control`` can change: the learning rate)."""
        return [self.lr]

    def set_running(self, running: bool) -> None:
        """Lock every setting but the live ones while a run trains."""
        self._running = bool(running)
        live = set(map(id, self.live_widgets()))
        for widget in (self.loss, self.metrics, self.optimizer, self.lr, self.epochs,
                       self.batch, self.split, self.seed):
            widget.setEnabled(not running or id(widget) in live)
        self.live_note.setVisible(self._running)

    @property
    def running(self) -> bool:
        return self._running

    def training_samples(self) -> int | None:
        project = self.session.project
        total = project.data.config.get("n_samples")
        if not isinstance(total, int):
            return None
        held_out = round(total * project.training.validation_split)
        return total - held_out

    def _set(self, **changes) -> None:
        if self._updating:
            return
        self.session.push(SetTraining(self.session.project, **changes))

    def _loss_changed(self, name: str) -> None:
        if self._updating:
            return
        # keep the settings the new loss takes too (class weights from one cross-entropy to
        # another); the rest takes the new loss's defaults
        training = self.session.project.training
        accepted = losses.LOSSES.parameters(name)
        config = {k: v for k, v in training.loss.items() if k != "name" and k in accepted}
        changes = {"loss": {"name": name, **config}}
        # metrics of the old loss's task would make training fail: the new task's default
        # takes their place in the same undo step
        kept = fitting_metrics(training.metrics, loss_task(changes["loss"]))
        if kept != training.metrics:
            changes["metrics"] = kept
        self._set(**changes)

    def _show_metrics(self, t) -> None:
        """List the metrics of the loss's task, ticked as the document has them."""
        chosen = {self._canonical(m) for m in t.metrics}
        self.metrics.clear()
        for name in metrics_for_task(loss_task(t.loss)):
            item = QListWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen
                               else Qt.CheckState.Unchecked)
            item.setToolTip(self.tr("Record {0} each epoch").format(name))
            self.metrics.addItem(item)

    @staticmethod
    def _canonical(metric) -> str:
        """The registered name of a metric given by name, alias or config."""
        try:
            return metrics.METRICS.cls(metric_name(metric)).name
        except Exception:  # noqa: BLE001 -- an unknown name is shown by no item
            return metric_name(metric)

    def checked_metrics(self) -> list[str]:
        """The metric names ticked in the list, in its order."""
        return [self.metrics.item(i).text() for i in range(self.metrics.count())
                if self.metrics.item(i).checkState() == Qt.CheckState.Checked]

    def _metric_toggled(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        training = self.session.project.training
        # a metric of another task (from an older file) would fail training: it goes too
        task = loss_task(training.loss)
        current = [m for m in training.metrics if task is None or metric_task(m) == task]
        name = item.text()
        if item.checkState() == Qt.CheckState.Checked:
            new = list(current) + [name]
        else:
            # a metric's own settings (f1's averaging) stay with the ones that stay
            new = [m for m in current if self._canonical(m) != name]
        # each tick is its own undo step, however quickly the next one follows
        self.session.push(SetTraining(self.session.project, merge=False, metrics=new))

    def _optimizer_changed(self, name: str) -> None:
        if self._updating:
            return
        # keep the learning rate the person chose; the rest takes the new optimizer's defaults
        lr = self.session.project.training.optimizer.get("lr")
        config = {"name": name} if lr is None else {"name": name, "lr": lr}
        self._set(optimizer=config)

    def _lr_changed(self, value: float) -> None:
        if self._updating:
            return
        config = dict(self.session.project.training.optimizer)
        config["lr"] = value
        self._set(optimizer=config)
