"""Training settings: loss, optimizer and learning rate, epochs, batch size, split, seed.

Every change is an undo step (``SetTraining``); the panel mirrors the document and never
echoes its own updates back.

While a run trains (``set_running(True)``) only the settings the run can take on the fly
stay editable -- the learning rate, which the window forwards to the worker and which takes
effect at the next epoch; everything else waits for the run to end.
"""

from __future__ import annotations

import math

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox

from engine import losses, optimizers
from nnstudio.editor.commands import SetTraining
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
        for widget in (self.loss, self.optimizer, self.lr, self.epochs, self.batch,
                       self.split, self.seed):
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
        accepted = losses.LOSSES.parameters(name)
        config = {k: v for k, v in self.session.project.training.loss.items()
                  if k != "name" and k in accepted}
        self._set(loss={"name": name, **config})

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
