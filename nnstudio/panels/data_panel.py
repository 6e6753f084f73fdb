"""The data panel: choose a dataset (synthetic, built-in real data, an imported CSV) and see
what it holds.

Changing the dataset is one undo step (``SetDataForTask``); the input and output layers take
their sizes from it (the window revalidates after every change of the undo stack).  A dataset
of another task (classification <-> regression) also sets the loss, the metrics and the output
activation to that task's defaults, in the same step.

Below the chooser: name, rows, features after encoding, task and split sizes; the class
balance (with a warning for strong imbalance and the choice of balanced class weights in the
loss, one ``SetTraining`` step); and tabs with a preview of the first rows, a per-column
summary, a scatter plot of two features (pyqtgraph, built when first shown: importing
pyqtgraph is the largest part of start-up) and, for image data such as digits, sample images.

A large source (a big CSV, a synthetic set of many samples) loads in a background thread
(``data_loader``): the panel says "Loading…" with a progress bar, ``loading()`` is true and
``loadFinished`` is emitted once the data is there (or has failed), so that the window sizes
the network and allows training only then.  A newer load supersedes an older one; the older
one's result is dropped.  ``set_running`` locks the controls that change the data while a run
trains; the tabs, plot and tables stay browsable.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout,
                               QWidget)

from engine import losses
from engine.data import builtin, synthetic
from nnstudio.document.model import DataSource
from nnstudio.editor.commands import SetDataForTask, SetTraining
from nnstudio.panels import data_facts, data_loader
from nnstudio.panels.base import DocumentPanel
from nnstudio.panels.data_facts import IMBALANCE
from nnstudio.panels.data_widgets import ClassBars, SampleImages, name_table_parts
from nnstudio.widgets import named

WARNING_STYLE = "color: #b00020"


class _PlotHolder(QWidget):
    """Stands where the scatter plot goes until it is first painted; then the panel builds
    the plot (after the window's first frame, so start-up does not wait for pyqtgraph)."""

    def __init__(self, build, parent=None):
        super().__init__(parent)
        self._build = build
        self._asked = False
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.setMinimumHeight(260)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._asked:
            self._asked = True
            QTimer.singleShot(0, self, self._build)  # not after the panel is gone


class DataPanel(DocumentPanel):
    KINDS = ("data", "training")
    loadFinished = Signal()  # a background load of the current data ended (either way)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self._facts_key = None
        self._facts: data_facts.DataFacts | None = None
        self._error: Exception | None = None
        self._worker: data_loader.LoadWorker | None = None  # loading the current data
        self._shown_facts = None      # the facts the widgets were last filled from
        self._scatter = None          # the DataScatter, once built
        outer = QVBoxLayout(self)
        form = self.form = QFormLayout()
        outer.addLayout(form)
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
        self.load_progress = named(QProgressBar(), "datasetLoadProgress",
                                   self.tr("Dataset loading progress"))
        self.load_progress.setRange(0, 1000)
        self.load_progress.setVisible(False)
        form.addRow(self.tr("Dataset"), self.dataset)
        form.addRow(self.tr("Samples"), self.samples)
        form.addRow(self.tr("Noise"), self.noise)
        form.addRow(self.tr("Seed"), self.seed)
        form.addRow(self.import_button)
        form.addRow(self.summary)
        form.addRow(self.load_progress)

        # -- what the dataset holds
        self.details = QWidget()
        self.details.setObjectName("datasetDetails")
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        facts = self.facts_form = QFormLayout()
        self.name_label = self._fact("datasetName", self.tr("Name"))
        self.split_label = self._fact("datasetSplit", self.tr("Split sizes"))
        self.split_label.setToolTip(self.tr("Training, validation and test samples under the "
                                            "training settings (stratified by class)"))
        facts.addRow(self.tr("Name"), self.name_label)
        facts.addRow(self.tr("Split"), self.split_label)
        details.addLayout(facts)

        self.balance_title = QLabel(self.tr("Class balance"))
        bold = QFont(self.balance_title.font())
        bold.setBold(True)
        self.balance_title.setFont(bold)
        self.balance = ClassBars()
        self.balance.warn_below = IMBALANCE
        self.balance_warning = named(QLabel(), "classBalanceWarning",
                                     self.tr("Class imbalance warning"))
        self.balance_warning.setWordWrap(True)
        self.balance_warning.setStyleSheet(WARNING_STYLE)
        self.class_weights = named(QComboBox(), "classWeightsCombo",
                                   self.tr("Class weights in the loss"),
                                   self.tr("Balanced: every class weighs as much in the loss, "
                                           "w_c = n / (k n_c) from the training rows"))
        self.class_weights.addItem(self.tr("none"), None)
        self.class_weights.addItem(self.tr("balanced"), losses.BALANCED)
        weights_form = self.weights_form = QFormLayout()
        weights_form.addRow(self.tr("Class weights"), self.class_weights)
        details.addWidget(self.balance_title)
        details.addWidget(self.balance)
        details.addWidget(self.balance_warning)
        details.addLayout(weights_form)

        self.tabs = named(QTabWidget(), "datasetTabs", self.tr("Dataset views"))
        self.tabs.setDocumentMode(True)
        self.preview = self._table("datasetPreview", self.tr("First rows"))
        self.columns = self._table("datasetColumns", self.tr("Column summary"))
        self.columns.setColumnCount(2)
        self.columns.setHorizontalHeaderLabels([self.tr("Column"), self.tr("Summary")])
        self.columns.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.columns.setWordWrap(True)
        self.plot_holder = _PlotHolder(lambda: self.scatter)
        self.images = SampleImages()
        self.tabs.addTab(self.plot_holder, self.tr("Plot"))
        self.tabs.addTab(self.preview, self.tr("Preview"))
        self.tabs.addTab(self.columns, self.tr("Columns"))
        self.tabs.addTab(self.images, self.tr("Images"))
        self.tabs.currentChanged.connect(lambda _i: self._tab_shown())
        details.addWidget(self.tabs, 1)
        outer.addWidget(self.details, 1)

        self.dataset.currentIndexChanged.connect(lambda _i: self._push())
        for box in (self.samples, self.noise, self.seed):
            box.editingFinished.connect(self._push)
        self.class_weights.currentIndexChanged.connect(lambda _i: self._set_class_weights())
        self.import_button.clicked.connect(lambda: self.import_csv())
        self.dialog = None
        self.refresh()

    def _fact(self, object_name: str, accessible: str) -> QLabel:
        label = named(QLabel(), object_name, accessible)
        label.setWordWrap(True)
        return label

    def _table(self, object_name: str, accessible: str) -> QTableWidget:
        table = named(QTableWidget(), object_name, accessible)
        name_table_parts(table, object_name, accessible)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.setAlternatingRowColors(True)
        table.setMinimumHeight(200)
        return table

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
            self._request()
            self._show()
        finally:
            self._updating = False

    def _show(self) -> None:
        """Show the state of the current data: loading, loaded or refused."""
        self.summary.setText(self.describe())
        loading = self._worker is not None
        self.load_progress.setVisible(loading)
        if loading:
            self.details.setVisible(False)
            return
        updating, self._updating = self._updating, True
        try:
            self._show_facts()
        finally:
            self._updating = updating

    def _base_dir(self) -> str | None:
        return os.path.dirname(self.session.path) if self.session.path else None

    # -- loading ------------------------------------------------------------------------------
    def _key(self, data: DataSource, embedded: dict) -> tuple:
        """What the facts depend on: the source, its files, the split settings, the folder."""
        t = self.session.project.training
        # a re-imported file of the same name is a new bytes object: key on its identity
        files = tuple(sorted((k, id(v), len(v)) for k, v in embedded.items()))
        return (repr(data.to_dict()), files, t.validation_split, t.test_split, t.seed,
                self._base_dir())

    def _request(self) -> bool:
        """Make sure the current data is loaded or loading: at once when it is small, else
        in a worker thread (superseding one that loads older data).  True when the data
        changed since the last call."""
        project = self.session.project
        key = self._key(project.data, project.embedded)
        if key == self._facts_key:
            return False
        self._facts_key = key
        self._facts, self._error = None, None
        self._drop_worker()
        base_dir = self._base_dir()
        if not data_loader.in_background(project.data, project.embedded, base_dir):
            try:
                self._facts = data_facts.gather(project.data, project.embedded,
                                                project.training, base_dir)
            except Exception as exc:  # noqa: BLE001 -- kept, shown, raised by load()
                self._error = exc
            return True
        worker = data_loader.LoadWorker(project.data, project.embedded, project.training,
                                        base_dir)
        worker.progressed.connect(self._progressed)
        worker.done.connect(self._worker_done)
        self._worker = worker
        self.load_progress.setRange(0, 0)  # busy until the reader reports
        self.load_progress.setFormat(self.tr("Loading…"))
        worker.start()
        return True

    def _drop_worker(self) -> None:
        if self._worker is not None:
            self._worker.cancel()  # its result, if any, is ignored: it is no longer ours
            self._worker = None

    def cancel_loading(self) -> None:
        """Stop a load under way (the window closes): the data counts as not loaded."""
        if self._worker is not None:
            self._drop_worker()
            self._facts_key = None

    def _progressed(self, fraction: float, rows: int) -> None:
        if self.sender() is not self._worker:
            return
        self.load_progress.setRange(0, 1000)
        self.load_progress.setValue(int(fraction * 1000))
        if fraction >= 1:
            self.load_progress.setFormat(self.tr("Encoding {0} rows…").format(rows))
        else:
            self.load_progress.setFormat(self.tr("{0} rows read").format(rows))

    def _worker_done(self, worker) -> None:
        if worker is not self._worker:
            return  # superseded: a newer load is under way or done
        self._take(worker)
        self._show()
        self.loadFinished.emit()

    def _take(self, worker) -> None:
        """Keep what the current worker loaded."""
        self._worker = None
        self._facts, self._error = worker.facts, worker.error

    def _follow(self) -> None:
        """Load what the panel has not seen yet (a change no refresh announced, such as a
        project saved to another folder), and show it."""
        if self._request():
            self._show()

    def loading(self) -> bool:
        """The current data is being loaded in the background."""
        self._follow()
        return self._worker is not None

    def current(self) -> data_facts.DataFacts | None:
        """The facts of the current data if they are there (None while loading or when the
        data cannot be loaded); never waits."""
        self._follow()
        return self._facts

    def loaded_data(self):
        """``(dataset, preprocessor)`` of the current data, as ``snapshot.prepare`` takes
        them (None while loading or when the data cannot be loaded)."""
        facts = self.current()
        return None if facts is None else (facts.dataset, facts.preprocessor)

    def facts(self) -> data_facts.DataFacts:
        """What the panel shows, waiting for a load under way (raises what loading
        raises).  The window uses the non-waiting ``current()``."""
        self._follow()
        worker = self._worker
        if worker is not None:
            worker.wait()
            self._take(worker)
            self._show()
            self.loadFinished.emit()
        if self._facts is None:
            raise self._error if self._error is not None else ValueError(
                self.tr("the data could not be loaded"))
        return self._facts

    def adopt(self, source: DataSource, embedded: dict, facts) -> None:
        """Keep ``facts`` that another thread gathered for ``source`` (the import dialog's
        worker), so that showing them does not read the file again."""
        self._drop_worker()
        self._facts_key = self._key(source, embedded)
        self._facts, self._error = facts, None

    def load(self):
        """The project's dataset as training will see it (raises ValueError); waits for a
        load under way."""
        return self.facts().dataset

    def describe(self) -> str:
        """The summary line: rows, features and task, "Loading…", or why it cannot load."""
        self._request()
        facts = self._facts
        if self._worker is not None:
            return self.tr("Loading…")
        if facts is None:
            return self.tr("Cannot load this dataset: {0}").format(self._error)
        ds = facts.dataset
        if ds.task == "classification":
            task = self.tr("classification with {0} classes").format(ds.n_classes)
        else:
            task = self.tr("regression with {0} target(s)").format(ds.n_outputs)
        text = self.tr("{0} rows · {1} features after encoding · {2}").format(
            ds.n_samples, ds.n_features, task)
        dropped = (facts.file_rows or 0) - ds.n_samples
        if dropped > 0:  # say so: a person should know when rows are left out
            text += " " + self.tr("({0} of the file's {1} rows left out: no target, or a "
                                  "missing value where missing values drop the row)").format(
                dropped, facts.file_rows)
        return text

    def imbalance_text(self, counts, weighted: bool = False) -> str:
        text = self.tr("Warning: the classes are strongly imbalanced (smallest {0}, largest "
                       "{1}).").format(min(counts), max(counts))
        if weighted:
            return text + " " + self.tr("Balanced class weights even them out in the loss.")
        return text + " " + self.tr("Consider balanced class weights.")

    def _show_facts(self) -> None:
        facts = self._facts
        if facts is None:  # describe() has put the message in the summary
            self.details.setVisible(False)
            self._shown_facts = None
            return
        self.details.setVisible(True)
        self._show_class_weights(facts)
        if facts is self._shown_facts:
            return
        self._shown_facts = facts
        ds = facts.dataset
        classification = ds.task == "classification"
        self.name_label.setText(ds.name + (f" — {ds.description}" if ds.description else ""))
        train, val, test = facts.splits
        self.split_label.setText(self.tr("train {0} · validation {1} · test {2}").format(
            train, val, test))
        for widget in (self.balance_title, self.balance, self.balance_warning):
            widget.setVisible(classification)
        self.balance_warning.setVisible(classification and facts.imbalanced)
        self._fill_preview(facts)
        self._fill_columns(facts)
        self.tabs.setTabVisible(self.tabs.indexOf(self.images), facts.images is not None)
        self.images.set_images(facts.images, facts.image_labels)
        if self._scatter is not None:
            self._scatter_data()

    def _show_class_weights(self, facts) -> None:
        """The class-weight choice, for a classification dataset under a loss that takes
        class weights; the bars show the weights that balanced gives."""
        ds = facts.dataset
        loss = self.session.project.training.loss
        takes = "weight" in losses.LOSSES.parameters(loss.get("name", "")) \
            if loss.get("name") in losses.LOSSES else False
        classification = ds.task == "classification"
        self.weights_form.setRowVisible(self.class_weights, classification and takes)
        balanced = loss.get("weight") == losses.BALANCED
        self.class_weights.setCurrentIndex(1 if balanced else 0)
        if classification:
            weights = None
            if balanced and takes and facts.train_counts and sum(facts.train_counts):
                weights = losses.balanced_class_weights(facts.train_counts).tolist()
            self.balance.set_counts(ds.class_names, facts.class_counts, weights)
            if facts.imbalanced:
                self.balance_warning.setText(self.imbalance_text(facts.class_counts,
                                                                 balanced and takes))

    def _fill_preview(self, facts) -> None:
        header, rows = facts.preview
        self.preview.clear()
        self.preview.setColumnCount(len(header))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(header)
        for r, values in enumerate(rows):
            for c, value in enumerate(values[:len(header)]):
                self.preview.setItem(r, c, QTableWidgetItem(value))
        self.preview.resizeColumnsToContents()

    def _fill_columns(self, facts) -> None:
        """Two columns that read in a narrow dock: the name, and a summary in two lines
        (type, role and missing count; range and mean, or the categories)."""
        table = self.columns
        table.setRowCount(len(facts.columns))
        for r, col in enumerate(facts.columns):
            head = [col["kind"]]
            if col["role"] != "feature":
                head.append(col["role"])
            head.append(self.tr("{0} missing").format(col["missing"]))
            if "min" in col:
                values = self.tr("{0} … {1}, mean {2}").format(
                    f"{col['min']:.4g}", f"{col['max']:.4g}", f"{col['mean']:.4g}")
            elif col.get("categories") is not None:
                cats = col["categories"]
                values = self.tr("{0} categories: {1}").format(
                    len(cats), ", ".join(map(str, cats[:6])) + (" …" if len(cats) > 6 else ""))
            else:
                values = self.tr("not used (text or identifier)")
            name = QTableWidgetItem(col["name"])
            summary = QTableWidgetItem(" · ".join(head) + "\n" + values)
            name.setToolTip(col["name"])
            summary.setToolTip(", ".join(map(str, col.get("categories") or [])) or values)
            if col["role"] != "feature":
                font = name.font()
                font.setBold(col["role"] == "target")
                font.setItalic(col["role"] == "ignore")
                name.setFont(font)
            table.setItem(r, 0, name)
            table.setItem(r, 1, summary)
        table.resizeColumnToContents(0)
        table.setColumnWidth(0, min(table.columnWidth(0), 130))
        table.resizeRowsToContents()

    # -- the scatter plot (pyqtgraph, built when first needed) ----------------------------
    @property
    def scatter(self):
        """The scatter plot view (built, importing pyqtgraph, on first use)."""
        if self._scatter is None:
            from nnstudio.views.data_scatter import DataScatter

            self._scatter = DataScatter()
            self.plot_holder.layout_.addWidget(self._scatter)
            self._scatter_data()
        return self._scatter

    def _scatter_data(self) -> None:
        facts = self._shown_facts
        if facts is None:
            return
        ds = facts.dataset
        y = ds.y if ds.task == "classification" else ds.y[:, 0]
        self._scatter.set_data(ds.x, ds.feature_names, y,
                               ds.class_names if ds.task == "classification" else None)

    def _tab_shown(self) -> None:
        if self.tabs.currentWidget() is self.plot_holder:
            _ = self.scatter

    # -- editing --------------------------------------------------------------------------
    def data_controls(self) -> tuple[QWidget, ...]:
        """The controls that change the data or how the loss weighs it."""
        return (self.dataset, self.samples, self.noise, self.seed, self.import_button,
                self.class_weights)

    def set_running(self, running: bool) -> None:
        """A run trains a snapshot: changes of the data would not reach it, so the controls
        that make them wait; the tabs, plot, preview and summary stay browsable."""
        for widget in self.data_controls():
            widget.setEnabled(not running)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setEnabled(not running)

    def _push(self) -> None:
        if self._updating:
            return
        kind, _, name = (self.dataset.currentData() or "").partition(":")
        current = self.session.project.data
        if kind == "builtin":
            if current.kind == "builtin" and current.config.get("name") == name:
                return
            self.session.push(SetDataForTask(
                self.session.project, DataSource("builtin", {"name": name}),
                builtin.BUILTIN_DATASETS.cls(name).task,
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
        self.session.push(SetDataForTask(self.session.project, DataSource("synthetic", config),
                                         synthetic.DATASETS.cls(name).task,
                                         text=self.tr("Use dataset {0}").format(name)))

    def _set_class_weights(self) -> None:
        if self._updating:
            return
        loss = dict(self.session.project.training.loss)
        want = self.class_weights.currentData()
        if loss.get("weight") == want or (want is None and loss.get("weight") is None):
            return
        if want is None:
            loss.pop("weight", None)
            loss.pop("pos_weight", None)
        else:
            loss["weight"] = want
        self.session.push(SetTraining(self.session.project, loss=loss))

    def import_csv(self, path: str | None = None):
        """Open the CSV import dialog (with ``path`` already chosen, if given); returns it."""
        from nnstudio.panels.csv_dialog import CsvImportDialog

        self.dialog = CsvImportDialog(self.session, self, on_loaded=self.adopt)
        if path is not None:
            self.dialog.set_path(path)
        self.dialog.show()
        return self.dialog
