"""The data panel: choose a dataset (synthetic, built-in real data, an imported CSV) and see
what it holds.

Changing the dataset is one undo step (``SetData``); the input and output layers take their
sizes from it (the window revalidates after every change of the undo stack).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QPushButton,
                               QSpinBox)

from engine.data import builtin, synthetic
from nnstudio.document.model import DataSource
from nnstudio.editor.commands import SetData
from nnstudio.panels.base import DocumentPanel
from nnstudio.training import snapshot
from nnstudio.widgets import named

IMBALANCE = 0.1  # smallest / largest class below this: a warning


class DataPanel(DocumentPanel):
    KINDS = ("data", "training")

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        form = self.form = QFormLayout(self)
        self.dataset = named(QComboBox(), "datasetCombo", self.tr("Dataset"),
                             self.tr("The dataset to train on: synthetic, real or imported"))
        for name in synthetic.names():
            self.dataset.addItem(name, f"synthetic:{name}")
        self.dataset.insertSeparator(self.dataset.count())
        for name in builtin.builtin_names():
            self.dataset.addItem(name, f"builtin:{name}")
        self.samples = named(QSpinBox(), "datasetSamples", self.tr("Samples"))
        self.samples.setRange(10, 1_000_000)
        self.samples.setSingleStep(50)
        self.noise = named(QDoubleSpinBox(), "datasetNoise", self.tr("Noise"),
                           self.tr("How much the points scatter (0 = clean)"))
        self.noise.setRange(0.0, 5.0)
        self.noise.setSingleStep(0.05)
        self.seed = named(QSpinBox(), "datasetSeed", self.tr("Data seed"))
        self.seed.setRange(0, 2**31 - 1)
        self.import_button = named(QPushButton(self.tr("Import CSV…")), "importCsvButton",
                                   self.tr("Import CSV"), self.tr("Train on a CSV file"))
        self.summary = named(QLabel(), "datasetSummary", self.tr("Dataset summary"))
        self.summary.setWordWrap(True)
        form.addRow(self.tr("Dataset"), self.dataset)
        form.addRow(self.tr("Samples"), self.samples)
        form.addRow(self.tr("Noise"), self.noise)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.import_button)
        form.addRow(self.summary)
        self.dataset.currentIndexChanged.connect(lambda _i: self._push())
        for box in (self.samples, self.noise, self.seed):
            box.editingFinished.connect(self._push)
        self.import_button.clicked.connect(lambda: self.import_csv())
        self.dialog = None
        self.refresh()

    # -- showing --------------------------------------------------------------------------
    def _csv_item(self, name: str | None) -> None:
        """The combo's last entry stands for the project's CSV (only while it has one)."""
        last = self.dataset.count() - 1
        has = self.dataset.itemData(last) == "csv:"
        if name is None and has:
            self.dataset.removeItem(last)
        elif name is not None:
            if not has:
                self.dataset.addItem("", "csv:")
                last += 1
            self.dataset.setItemText(last, self.tr("CSV: {0}").format(name))

    def refresh(self) -> None:
        data = self.session.project.data
        self._updating = True
        try:
            synthetic_kind = data.kind == "synthetic"
            if data.kind == "csv":
                name = data.config.get("file") or data.config.get("path") or "?"
                self._csv_item(str(name))
                self.dataset.setCurrentIndex(self.dataset.count() - 1)
            else:
                self._csv_item(None)
                index = self.dataset.findData(f"{data.kind}:{data.config.get('name')}")
                if index >= 0:
                    self.dataset.setCurrentIndex(index)
            if synthetic_kind:
                cfg = data.config
                defaults = synthetic.DATASETS.get(cfg["name"]).config()
                self.samples.setValue(int(cfg.get("n_samples", defaults["n_samples"])))
                self.noise.setValue(float(cfg.get("noise", defaults["noise"])))
                self.seed.setValue(int(cfg.get("seed", defaults["seed"])))
            for box in (self.samples, self.noise, self.seed):
                self.form.setRowVisible(box, synthetic_kind)
        finally:
            self._updating = False
        self.summary.setText(self.describe())

    def load(self):
        """The project's dataset as training will see it (raises ValueError)."""
        project = self.session.project
        base = None
        if self.session.path:
            import os
            base = os.path.dirname(self.session.path)
        return snapshot.load_data(project.data, project.embedded, training=project.training,
                                  base_dir=base)

    def describe(self) -> str:
        try:
            ds = self.load()
        except Exception as exc:  # noqa: BLE001 -- a panel shows any refusal, never crashes
            return self.tr("Cannot load this dataset: {0}").format(exc)
        if ds.task == "classification":
            counts = [int((ds.y == k).sum()) for k in range(ds.n_classes)]
            names = ds.class_names or [str(k) for k in range(ds.n_classes)]
            per = ", ".join(f"{n}: {c}" for n, c in zip(names, counts))
            text = self.tr("{0} rows, {1} features, classification with {2} classes "
                           "({3})").format(ds.n_samples, ds.n_features, ds.n_classes, per)
            if counts and max(counts) and min(counts) / max(counts) < IMBALANCE:
                text += "\n" + self.tr("Warning: the classes are strongly imbalanced "
                                       "(smallest {0}, largest {1}).").format(min(counts),
                                                                              max(counts))
            return text
        return self.tr("{0} rows, {1} features, regression with {2} target(s)").format(
            ds.n_samples, ds.n_features, ds.n_outputs)

    # -- editing --------------------------------------------------------------------------
    def _push(self) -> None:
        if self._updating:
            return
        kind, _, name = (self.dataset.currentData() or "").partition(":")
        current = self.session.project.data
        if kind == "builtin":
            if current.kind == "builtin" and current.config.get("name") == name:
                return
            self.session.push(SetData(self.session.project, DataSource("builtin", {"name": name}),
                                      text=self.tr("Use dataset {0}").format(name)))
            return
        if kind != "synthetic":
            return  # the CSV entry: already the project's data
        if current.kind != "synthetic" and not self.samples.isVisibleTo(self):
            # coming from another kind: the synthetic set's own defaults
            config = dict(synthetic.DATASETS.get(name).config())
            config = {"name": name, "n_samples": config["n_samples"],
                      "noise": config["noise"], "seed": config["seed"]}
        else:
            config = {"name": name, "n_samples": self.samples.value(),
                      "noise": round(self.noise.value(), 4), "seed": self.seed.value()}
        if current.kind == "synthetic" and current.config == config:
            return
        if current.kind == "synthetic" and name != current.config.get("name"):
            # a new dataset starts from its own defaults, keeping the sample count and seed
            config["noise"] = synthetic.DATASETS.get(name).config()["noise"]
        self.session.push(SetData(self.session.project, DataSource("synthetic", config),
                                  text=self.tr("Use dataset {0}").format(name)))

    def import_csv(self, path: str | None = None):
        """Open the CSV import dialog (with ``path`` already chosen, if given); returns it."""
        from nnstudio.panels.csv_dialog import CsvImportDialog

        self.dialog = CsvImportDialog(self.session, self)
        if path is not None:
            self.dialog.set_path(path)
        self.dialog.show()
        return self.dialog
