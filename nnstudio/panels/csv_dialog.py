"""Import a CSV file as the project's data: detected dialect, preview, column roles and types.

``CsvImportDialog.set_path(path)`` chooses the file (the Browse button asks for one).  The
encoding, delimiter and header are detected by ``engine.data.sniff`` and can be overridden; the
preview table shows the first rows and is read again whenever a setting changes.  Each column
has a role (feature, target, ignore) and a type (numeric, categorical, boolean, text), and
each feature its scaling (standardize, min-max, none) and its handling of missing values (drop
the row, or fill with the mean, median or most frequent value), with defaults for every
column; the target and the task can be chosen.  Scaling and missing values become the source's
``preprocessing`` settings, exactly as ``engine.data.preprocessing.fit`` takes them
(``{"*": defaults, column: {"scale": ..., "missing": ...}}``, only what differs from its
defaults); the task override is a ``read_csv`` option in the source's config.

OK reads the whole file in a background thread (progress bar, Cancel), encodes it there as
training will (which also checks the settings) and then pushes one ``SetDataForTask`` with a ``csv``
source whose file travels in the project (``Project.embedded``).  A file the importer refuses
shows its message (file, row, column) and changes nothing.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QFileDialog)

from engine.data.csv_import import (DELIMITERS, ENCODINGS, KINDS, ROLES, CSVError,
                                    ImportCancelled, read_csv, sniff)
from engine.data.preprocessing import MISSING, SCALES
from nnstudio.document.model import DataSource
from nnstudio.document.validation import fixed_name
from nnstudio.editor.commands import SetDataForTask
from nnstudio.panels import data_facts
from nnstudio.panels.data_widgets import name_table_parts
from nnstudio.widgets import named

HEAD_BYTES = 256 * 1024   # the preview reads this much of the file
HEAD_LINES = 1000
PREVIEW_ROWS = 20
DELIMITER_NAMES = {",": "comma ,", ";": "semicolon ;", "\t": "tab", "|": "bar |"}
AUTO = "auto"
DEFAULT = "default"        # a column follows the defaults for every column
# engine.data.preprocessing.fit's own defaults: settings equal to them are left out
FIT_DEFAULTS = {"scale": "standardize", "missing": "drop"}
COLUMN, ROLE, TYPE, SCALE, MISSING_COLUMN = range(5)


def csv_source(path: str, table, blob: bytes, *, embed: bool, preprocessing: dict,
               base_dir: str | None):
    """The ``csv`` DataSource (and embedded files) for a fully read ``table`` of ``path``
    (Qt-free: the import worker calls it)."""
    config = dict(table.dialect.config())
    config.update(target=table.target, task=table.task, types=table.kinds(),
                  roles={c.name: c.role for c in table.columns})
    embedded = {}
    if embed:
        name = os.path.basename(path)
        if not fixed_name(name):
            name = "data.csv"
        config = {"file": name, **config}
        embedded = {name: blob}
    else:
        path = os.path.abspath(path)
        config = {"path": os.path.relpath(path, base_dir) if base_dir else path, **config}
    return DataSource("csv", config, copy.deepcopy(preprocessing)), embedded


class ImportWorker(QThread):
    """Reads the whole file with ``read_csv`` and encodes it as training will
    (``data_facts.gather``, which also checks the preprocessing settings), all in this
    thread; cancel() makes its progress callback say no.

    ``plan``: ``embed``, ``preprocessing``, ``base_dir`` and ``training`` (a copy of the
    project's training settings), read from the dialog before the thread starts.
    ``succeeded`` carries ``(source, embedded, facts)``.
    """

    progressed = Signal(float, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, path: str, options: dict, chunk_bytes: int, plan: dict, parent=None):
        super().__init__(parent)
        self.path, self.options, self.chunk_bytes = path, options, chunk_bytes
        self.plan = plan
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def _progress(self, fraction: float, rows: int):
        if self._cancel:
            return False
        self.progressed.emit(fraction, rows)
        return True

    def run(self) -> None:
        try:
            if self._cancel:
                raise ImportCancelled("cancelled before reading")
            table = read_csv(self.path, progress=self._progress, chunk_bytes=self.chunk_bytes,
                             **self.options)
            if self._cancel:
                raise ImportCancelled("cancelled")
            with open(self.path, "rb") as f:
                blob = f.read()
            plan = self.plan
            source, embedded = csv_source(self.path, table, blob, embed=plan["embed"],
                                          preprocessing=plan["preprocessing"],
                                          base_dir=plan["base_dir"])
            facts = data_facts.gather(source, embedded, plan["training"], plan["base_dir"],
                                      table=table)
            if self._cancel:
                raise ImportCancelled("cancelled")
        except ImportCancelled:
            self.cancelled.emit()
        except (CSVError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
        else:
            self.succeeded.emit((source, embedded, facts))


class CsvImportDialog(QDialog):
    """See the module docstring.  ``error`` shows the last problem ("" when none)."""

    def __init__(self, session, parent=None, on_loaded=None):
        super().__init__(parent)
        self.setObjectName("csvImportDialog")
        # on_loaded(source, embedded, facts): called with what the worker loaded, before the
        # SetDataForTask push (the data panel keeps the facts rather than reading the file again)
        self.on_loaded = on_loaded
        self.setWindowTitle(self.tr("Import CSV"))
        self.session = session
        self.path: str | None = None
        self.head = None          # Table of the file's first lines (detected settings)
        self.worker: ImportWorker | None = None
        self.chunk_bytes = 1 << 20
        self._updating = False
        self._tmpdir = tempfile.mkdtemp(prefix="nnstudio-csv-")

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.file_edit = named(QLineEdit(), "csvFile", self.tr("File"))
        self.file_edit.setReadOnly(True)
        browse = named(QPushButton(self.tr("Browse…")), "csvBrowse", self.tr("Choose a file"))
        browse.clicked.connect(self.browse)
        row.addWidget(self.file_edit)
        row.addWidget(browse)
        layout.addLayout(row)

        form = QFormLayout()
        self.encoding = named(QComboBox(), "csvEncoding", self.tr("Encoding"))
        self.encoding.setEditable(True)
        self.encoding.addItems(list(ENCODINGS))
        self.delimiter = named(QComboBox(), "csvDelimiter", self.tr("Delimiter"))
        for d in DELIMITERS:
            self.delimiter.addItem(DELIMITER_NAMES[d], d)
        self.header = named(QCheckBox(self.tr("First row holds the column names")),
                            "csvHeader", self.tr("Header"))
        self.target = named(QComboBox(), "csvTarget", self.tr("Target column"))
        self.task = named(QComboBox(), "csvTask", self.tr("Task"))
        self.task.addItem(self.tr("detect"), None)
        self.task.addItem(self.tr("classification"), "classification")
        self.task.addItem(self.tr("regression"), "regression")
        self.embed = named(QCheckBox(self.tr("Carry the file in the project")), "csvEmbed",
                           self.tr("Embed"))
        self.embed.setChecked(True)
        form.addRow(self.tr("Encoding"), self.encoding)
        form.addRow(self.tr("Delimiter"), self.delimiter)
        form.addRow("", self.header)
        form.addRow(self.tr("Target"), self.target)
        form.addRow(self.tr("Task"), self.task)
        form.addRow("", self.embed)
        layout.addLayout(form)

        self.preview = named(QTableWidget(), "csvPreview", self.tr("Preview"))
        name_table_parts(self.preview, "csvPreview", self.tr("Preview"))
        layout.addWidget(QLabel(self.tr("First rows:")))
        layout.addWidget(self.preview, 1)
        self.columns = named(QTableWidget(0, 5), "csvColumns", self.tr("Columns"))
        name_table_parts(self.columns, "csvColumns", self.tr("Columns"))
        self.columns.setHorizontalHeaderLabels([self.tr("Column"), self.tr("Role"),
                                                self.tr("Type"), self.tr("Scaling"),
                                                self.tr("Missing values")])
        self.columns.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(QLabel(self.tr("Columns:")))
        defaults = QHBoxLayout()
        self.default_scale = named(QComboBox(), "csvDefaultScale",
                                   self.tr("Scaling of every numeric column"),
                                   self.tr("Standardize: (x - mean) / std; min-max: into [0, 1]; "
                                           "both fitted on the training rows"))
        for scale in SCALES["numeric"]:
            self.default_scale.addItem(self._scale_text(scale), scale)
        self.default_missing = named(QComboBox(), "csvDefaultMissing",
                                     self.tr("Missing values in every column"),
                                     self.tr("Drop the row, or fill in a value computed on the "
                                             "training rows (mean and median: numeric columns)"))
        for how in MISSING["numeric"]:
            self.default_missing.addItem(self._missing_text(how), how)
        scale_label = QLabel(self.tr("Defaults for every column: scaling"))
        scale_label.setBuddy(self.default_scale)
        missing_label = QLabel(self.tr("missing values"))
        missing_label.setBuddy(self.default_missing)
        defaults.addWidget(scale_label)
        defaults.addWidget(self.default_scale)
        defaults.addWidget(missing_label)
        defaults.addWidget(self.default_missing)
        defaults.addStretch(1)
        layout.addLayout(defaults)
        layout.addWidget(self.columns, 2)   # the column settings get the room
        self.info = named(QLabel(), "csvInfo", self.tr("What the import finds"))
        self.info.setWordWrap(True)
        self.error_label = named(QLabel(), "csvError", self.tr("Problem"))
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020")
        layout.addWidget(self.info)
        layout.addWidget(self.error_label)
        self.progress = named(QProgressBar(), "csvProgress", self.tr("Import progress"))
        self.progress.setRange(0, 1000)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.start_import)
        self.buttons.rejected.connect(self.cancel)
        layout.addWidget(self.buttons)

        self.encoding.currentTextChanged.connect(lambda _t: self._settings_changed())
        self.delimiter.currentIndexChanged.connect(lambda _i: self._settings_changed())
        self.header.toggled.connect(lambda _b: self._settings_changed())
        self.target.currentIndexChanged.connect(lambda _i: self._target_changed())
        self.resize(760, 720)

    @property
    def error(self) -> str:
        return self.error_label.text()

    # -- choosing and previewing ----------------------------------------------------------
    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import CSV"), "",
                                              self.tr("CSV files (*.csv *.txt *.tsv);;"
                                                      "All files (*)"))
        if path:
            self.set_path(path)

    def set_path(self, path) -> bool:
        """Choose ``path``: detect its dialect and show the preview; False if it cannot be
        read (the message is shown)."""
        self.path = os.fspath(path)
        self.file_edit.setText(self.path)
        self._clear()
        try:
            dialect = sniff(self.path)
        except CSVError as exc:
            self._fail(str(exc))
            return False
        self._updating = True
        try:
            self.encoding.setCurrentText(dialect.encoding)
            index = self.delimiter.findData(dialect.delimiter)
            if index < 0:
                self.delimiter.addItem(repr(dialect.delimiter), dialect.delimiter)
                index = self.delimiter.count() - 1
            self.delimiter.setCurrentIndex(index)
            self.header.setChecked(dialect.header)
        finally:
            self._updating = False
        return self.read_head()

    def _settings_changed(self) -> None:
        if not self._updating and self.path:
            self.read_head()

    def dialect_options(self) -> dict:
        return {"encoding": self.encoding.currentText().strip() or None,
                "delimiter": self.delimiter.currentData(),
                "header": self.header.isChecked()}

    def _head_file(self) -> str:
        """The file's first lines, in a file of the same name (the preview reads it)."""
        with open(self.path, "rb") as f:
            raw = f.read(HEAD_BYTES)
            complete = not f.read(1)
        if not complete:
            lines = raw.split(b"\n")[:-1][:HEAD_LINES]
            raw = b"\n".join(lines) + b"\n"
        head = os.path.join(self._tmpdir, os.path.basename(self.path) or "data.csv")
        with open(head, "wb") as f:
            f.write(raw)
        return head

    def read_head(self) -> bool:
        """Read the first lines with the current settings; fill the preview and columns."""
        self._clear()
        try:
            head = self._head_file()
            table = read_csv(head, **self.dialect_options())
        except OSError as exc:
            self._fail(f"{self.path}: {exc.strerror or exc}")
            return False
        except (CSVError, LookupError, ValueError) as exc:
            self._fail(str(exc).replace(head, self.path))
            return False
        self.head = table
        self._show_preview(table)
        self._show_columns(table)
        self._show_info(table)
        self.ok_button.setEnabled(True)
        return True

    def _clear(self) -> None:
        self.head = None
        self.error_label.setText("")
        self.ok_button.setEnabled(False)

    def _fail(self, message: str) -> None:
        self.error_label.setText(message)
        self.ok_button.setEnabled(False)

    def _show_preview(self, table) -> None:
        rows = table.preview[1:] if table.dialect.header else table.preview
        rows = rows[:PREVIEW_ROWS]
        self.preview.clear()
        self.preview.setColumnCount(len(table.names))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(table.names)
        for r, values in enumerate(rows):
            for c, value in enumerate(values[:len(table.names)]):
                self.preview.setItem(r, c, QTableWidgetItem(value))

    def _show_columns(self, table) -> None:
        self._updating = True
        try:
            self.columns.setRowCount(len(table.columns))
            self.target.clear()
            for r, col in enumerate(table.columns):
                item = QTableWidgetItem(col.name)
                self.columns.setItem(r, COLUMN, item)
                role = named(QComboBox(), f"csvRole:{col.name}",
                             self.tr("Role of {0}").format(col.name))
                role.addItems(list(ROLES))
                role.setCurrentText(col.role)
                role.currentTextChanged.connect(
                    lambda text, name=col.name: self._role_changed(name, text))
                kind = named(QComboBox(), f"csvType:{col.name}",
                             self.tr("Type of {0}").format(col.name))
                kind.addItems(list(KINDS))
                kind.setCurrentText(col.kind)
                kind.currentTextChanged.connect(
                    lambda _text, name=col.name: self._fill_encoding(name))
                scale = named(QComboBox(), f"csvScale:{col.name}",
                              self.tr("Scaling of {0}").format(col.name))
                missing = named(QComboBox(), f"csvMissing:{col.name}",
                                self.tr("Missing values of {0}").format(col.name))
                self.columns.setCellWidget(r, ROLE, role)
                self.columns.setCellWidget(r, TYPE, kind)
                self.columns.setCellWidget(r, SCALE, scale)
                self.columns.setCellWidget(r, MISSING_COLUMN, missing)
                self.target.addItem(col.name, col.name)
            for col in table.columns:
                self._fill_encoding(col.name)
            if table.target is not None:
                self.target.setCurrentIndex(self.target.findData(table.target))
        finally:
            self._updating = False

    def _scale_text(self, scale: str) -> str:
        return {"standardize": self.tr("standardize"), "minmax": self.tr("min-max"),
                "none": self.tr("none"), "onehot": self.tr("one-hot"),
                "binary": self.tr("0 / 1")}.get(scale, scale)

    def _missing_text(self, how: str) -> str:
        return {"drop": self.tr("drop the row"), "mean": self.tr("mean"),
                "median": self.tr("median"),
                "most_frequent": self.tr("most frequent")}.get(how, how)

    def _fill_encoding(self, name: str) -> None:
        """The scaling and missing-value choices that fit the column's type and role (a
        column that is not a feature is not encoded: its boxes are off)."""
        kind = self.type_box(name).currentText()
        feature = self.role_box(name).currentText() == "feature" and kind in SCALES
        for box, choices, text in ((self.scale_box(name), SCALES.get(kind, ()),
                                    self._scale_text),
                                   (self.missing_box(name), MISSING.get(kind, ()),
                                    self._missing_text)):
            keep = box.currentData()
            box.blockSignals(True)
            box.clear()
            if feature and len(choices) > 1:
                box.addItem(self.tr("default"), DEFAULT)
                for choice in choices:
                    box.addItem(text(choice), choice)
                index = box.findData(keep)
                box.setCurrentIndex(max(index, 0))
            elif feature:
                box.addItem(text(choices[0]), DEFAULT)   # the one encoding there is
            else:
                box.addItem("—", None)
            box.setEnabled(feature and len(choices) > 1)
            box.blockSignals(False)

    def scale_box(self, name: str) -> QComboBox:
        return self.columns.cellWidget(self.head.names.index(name), SCALE)

    def missing_box(self, name: str) -> QComboBox:
        return self.columns.cellWidget(self.head.names.index(name), MISSING_COLUMN)

    def preprocessing(self) -> dict:
        """The ``engine.data.preprocessing.fit`` settings the dialog's choices make: the
        defaults for every column under ``"*"`` and a column's own choices under its name,
        each only where it differs from ``fit``'s defaults (standardize, drop)."""
        settings: dict = {}
        every = {"scale": self.default_scale.currentData(),
                 "missing": self.default_missing.currentData()}
        every = {k: v for k, v in every.items() if v != FIT_DEFAULTS[k]}
        if every:
            settings["*"] = every
        if self.head is None:
            return settings
        for name in self.head.names:
            if (self.role_box(name).currentText() != "feature"
                    or self.type_box(name).currentText() not in SCALES):
                continue
            own = {key: box.currentData() for key, box in
                   (("scale", self.scale_box(name)), ("missing", self.missing_box(name)))
                   if box.currentData() not in (None, DEFAULT)}
            if own:
                settings[name] = own
        return settings

    def _show_info(self, table) -> None:
        text = self.tr("Detected: encoding {0}, delimiter {1}, {2}.").format(
            table.dialect.encoding, DELIMITER_NAMES.get(table.dialect.delimiter,
                                                        repr(table.dialect.delimiter)),
            self.tr("a header row") if table.dialect.header else self.tr("no header row"))
        if table.target is not None:
            text += " " + self.tr("Target {0}: {1}").format(table.target, table.task)
            if table.class_counts:
                text += " (" + ", ".join(f"{k}: {v}" for k, v in table.class_counts.items()) + ")"
        if table.warnings:
            text += "\n" + "\n".join(table.warnings)
        self.info.setText(text)

    def role_box(self, name: str) -> QComboBox:
        return self.columns.cellWidget(self.head.names.index(name), ROLE)

    def type_box(self, name: str) -> QComboBox:
        return self.columns.cellWidget(self.head.names.index(name), TYPE)

    def _role_changed(self, name: str, role: str) -> None:
        self._fill_encoding(name)
        if self._updating:
            return
        if role == "target":
            self.target.setCurrentIndex(self.target.findData(name))
        elif name == self.target.currentData():
            self._updating = True
            self.target.setCurrentIndex(-1)
            self._updating = False

    def _target_changed(self) -> None:
        if self._updating or self.head is None:
            return
        target = self.target.currentData()
        self._updating = True
        try:
            for name in self.head.names:
                box = self.role_box(name)
                if name == target:
                    box.setCurrentText("target")
                elif box.currentText() == "target":
                    box.setCurrentText("feature")
        finally:
            self._updating = False

    # -- importing ------------------------------------------------------------------------
    def read_options(self) -> dict:
        """``read_csv`` options from the dialog's settings."""
        options = self.dialect_options()
        options["target"] = self.target.currentData()
        options["task"] = self.task.currentData()
        if self.head is not None:
            options["roles"] = {n: self.role_box(n).currentText() for n in self.head.names}
            types = {n: self.type_box(n).currentText() for n in self.head.names}
            options["types"] = {n: k for n, k in types.items() if k != self.head[n].kind}
        return options

    def start_import(self) -> None:
        """Read the whole file in a background thread (OK)."""
        if self.path is None or self.head is None or self.worker is not None:
            return
        self.error_label.setText("")
        self.ok_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        plan = {"embed": self.embed.isChecked(), "preprocessing": self.preprocessing(),
                "base_dir": self._base_dir(),
                "training": copy.deepcopy(self.session.project.training)}
        self.worker = ImportWorker(self.path, self.read_options(), self.chunk_bytes, plan, self)
        self.worker.progressed.connect(self._progressed)
        self.worker.succeeded.connect(self._imported)
        self.worker.failed.connect(self._import_failed)
        self.worker.cancelled.connect(self._import_cancelled)
        self.worker.finished.connect(self._worker_finished)
        self.worker.start()

    def importing(self) -> bool:
        return self.worker is not None

    def cancel(self) -> None:
        """Cancel: stop a running import (the dialog stays open), else close."""
        if self.worker is not None:
            self.worker.cancel()
        else:
            self.reject()

    def _progressed(self, fraction: float, rows: int) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(self.tr("{0} rows").format(rows))

    def _import_failed(self, message: str) -> None:
        self._fail(message)

    def _import_cancelled(self) -> None:
        self.error_label.setText(self.tr("Import cancelled; nothing changed."))

    def _worker_finished(self) -> None:
        self.worker = None
        self.progress.hide()
        if self.head is not None and self.result() != QDialog.DialogCode.Accepted:
            self.ok_button.setEnabled(True)

    def _imported(self, result) -> None:
        source, embedded, facts = result
        if self.on_loaded is not None:
            self.on_loaded(source, embedded, facts)
        name = os.path.basename(self.path)
        # a file of the other task than the loss's brings that task's loss, metrics and
        # output activation along, in the same undo step
        self.session.push(SetDataForTask(self.session.project, source,
                                         source.config.get("task"), embedded,
                                         text=self.tr("Import {0}").format(name)))
        self.accept()

    def _base_dir(self) -> str | None:
        return os.path.dirname(self.session.path) if self.session.path else None

    def data_source(self, table, blob: bytes):
        """The ``csv`` DataSource (and embedded files) for a fully read ``table``."""
        return csv_source(self.path, table, blob, embed=self.embed.isChecked(),
                          preprocessing=self.preprocessing(), base_dir=self._base_dir())

    def done(self, code: int) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        super().done(code)
