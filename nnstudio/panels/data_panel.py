"""The data panel: choose a built-in dataset and see what it holds.

Changing the dataset is an undo step (``SetData``); the input and output layers take their
sizes from it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox

from engine.data import synthetic
from nnstudio.document.model import DataSource
from nnstudio.editor.commands import SetData
from nnstudio.panels.base import DocumentPanel
from nnstudio.widgets import named


class DataPanel(DocumentPanel):
    KINDS = ("data",)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        form = QFormLayout(self)
        self.dataset = named(QComboBox(), "datasetCombo", self.tr("Dataset"),
                             self.tr("A built-in dataset to train on"))
        self.dataset.addItems(synthetic.names())
        self.samples = named(QSpinBox(), "datasetSamples", self.tr("Samples"))
        self.samples.setRange(10, 1_000_000)
        self.samples.setSingleStep(50)
        self.noise = named(QDoubleSpinBox(), "datasetNoise", self.tr("Noise"),
                           self.tr("How much the points scatter (0 = clean)"))
        self.noise.setRange(0.0, 5.0)
        self.noise.setSingleStep(0.05)
        self.seed = named(QSpinBox(), "datasetSeed", self.tr("Data seed"))
        self.seed.setRange(0, 2**31 - 1)
        self.summary = named(QLabel(), "datasetSummary", self.tr("Dataset summary"))
        self.summary.setWordWrap(True)
        form.addRow(self.tr("Dataset"), self.dataset)
        form.addRow(self.tr("Samples"), self.samples)
        form.addRow(self.tr("Noise"), self.noise)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.summary)
        self.dataset.currentTextChanged.connect(lambda _v: self._push())
        for box in (self.samples, self.noise, self.seed):
            box.editingFinished.connect(self._push)
        self.refresh()

    def refresh(self) -> None:
        data = self.session.project.data
        self._updating = True
        try:
            if data.kind == "synthetic":
                cfg = data.config
                self.dataset.setCurrentText(cfg.get("name", ""))
                defaults = synthetic.DATASETS.get(cfg["name"]).config()
                self.samples.setValue(int(cfg.get("n_samples", defaults["n_samples"])))
                self.noise.setValue(float(cfg.get("noise", defaults["noise"])))
                self.seed.setValue(int(cfg.get("seed", defaults["seed"])))
        finally:
            self._updating = False
        self.summary.setText(self.describe())

    def describe(self) -> str:
        data = self.session.project.data
        if data.kind != "synthetic":
            return self.tr("{0} data").format(data.kind)
        try:
            ds = synthetic.load(data.config)
        except ValueError as exc:
            return self.tr("Cannot load this dataset: {0}").format(exc)
        if ds.task == "classification":
            counts = ", ".join(str(int((ds.y == k).sum())) for k in range(ds.n_classes))
            return self.tr("{0} rows, {1} features, classification with {2} classes "
                           "({3} per class)").format(ds.n_samples, ds.n_features,
                                                     ds.n_classes, counts)
        return self.tr("{0} rows, {1} features, regression with {2} target(s)").format(
            ds.n_samples, ds.n_features, ds.n_outputs)

    def _push(self) -> None:
        if self._updating:
            return
        config = {"name": self.dataset.currentText(), "n_samples": self.samples.value(),
                  "noise": round(self.noise.value(), 4), "seed": self.seed.value()}
        if self.session.project.data.kind == "synthetic" and (
                self.session.project.data.config == config):
            return
        if self.dataset.currentText() != self.session.project.data.config.get("name"):
            # a new dataset starts from its own defaults, keeping the sample count and seed
            defaults = synthetic.DATASETS.get(config["name"]).config()
            config["noise"] = defaults["noise"]
        self.session.push(SetData(self.session.project, DataSource("synthetic", config),
                                  text=self.tr("Use dataset {0}").format(config["name"])))
