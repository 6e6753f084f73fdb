"""The project's training runs side by side: name, status, epochs, best epoch, final metrics
and when each was made.

A person restores a run (its weights become the current trained state: the one the views
show and that predictions and exports use), restores it to the canvas (its network, training
settings and, when still at hand, its data come back into the document, and it becomes
current), deletes one, renames one in place, or ticks "Compare" to overlay runs on the loss
plot.  Restore, restore to canvas, delete and rename are undo steps (``RestoreRun``,
``RestoreRunToCanvas``, ``RemoveRun``, ``RenameRun``); which runs are compared is a way of
looking, not part of the document, so it is not.

The current run is the project's last run with weights
(:func:`nnstudio.training.runs.last_trained_run`): a new run becomes current when it is
added, and ``RestoreRun`` makes an earlier one current by moving it last.
"""

from __future__ import annotations

import datetime
import math
import os

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from engine import optimizers
from nnstudio.document.model import DataSource, Node, Project
from nnstudio.editor.commands import RemoveRun, RenameRun, RestoreRun, RestoreRunToCanvas
from nnstudio.panels.base import DocumentPanel
from nnstudio.training.runs import last_trained_run
from nnstudio.widgets import named

CURRENT_MARK = "\u25cf"  # a filled circle
_FIRST_METRICS = ("loss", "val_loss")
RUN_ID_ROLE = Qt.ItemDataRole.UserRole


def metric_columns(runs) -> list[str]:
    """The final-metric columns of ``runs``: loss, val_loss, then each other metric
    beside its validation value, in the order the runs report them."""
    seen: list[str] = []
    for run in runs:
        for key in run.final_metrics or {}:
            if key not in seen:
                seen.append(key)
    keys = [k for k in _FIRST_METRICS if k in seen]
    for key in seen:
        if key in keys or key.startswith("val_"):
            continue
        keys.append(key)
        if "val_" + key in seen:
            keys.append("val_" + key)
    return keys + [k for k in seen if k not in keys]


def created_text(created: str) -> str:
    """An ISO time stamp as local date and time ("2026-11-29 18:20:53")."""
    try:
        moment = datetime.datetime.fromisoformat(created)
    except (TypeError, ValueError):
        return str(created or "")
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def run_job(run, embedded: dict | None = None, base_dir: str | None = None):
    """A ``TrainingJob`` of ``run``'s own network, data and settings whose network holds
    the run's weights (what the views measure when a run is restored)."""
    from nnstudio.training import runs, snapshot

    job = snapshot.prepare(runs.run_project(run, embedded), base_dir=base_dir)
    job.network.set_weights(run.weights)
    return job


def measure_run(run, job, features=(0, 1), only=None) -> dict:
    """What the views show of a finished run, measured on ``job`` (see :func:`run_job`)
    exactly as the training worker measures the final state of a run it trains:
    ``boundary`` (a grid over ``features``, None for one input feature), ``evaluation``
    (classification), ``regression`` and ``histograms`` (when the worker measures them);
    ``only`` names a subset."""
    from nnstudio.training.worker import Probes  # the training run's own measurements

    if job.n_features >= 2 and (max(features) >= job.n_features or features[0] == features[1]):
        features = (0, 1)
    probe = Probes(job, tuple(features) if job.n_features >= 2 else None)
    epochs = len((run.history or {}).get("lr") or [])
    last = max(0, epochs - 1)
    full_batch = optimizers.OPTIMIZERS.cls(job.training.optimizer["name"]).full_batch
    batch = job.training.batch_size
    per_epoch = 1 if full_batch or not batch else math.ceil(len(probe.train_idx) / batch)
    wanted = set(only or ("boundary", "evaluation", "regression", "histograms"))
    result = {}
    if "boundary" in wanted:
        result["boundary"] = (probe.boundary(last, epochs * per_epoch, final=True)
                              if probe.features is not None else None)
    if "evaluation" in wanted:
        result["evaluation"] = probe.evaluation()
    for name in ("regression", "histograms"):  # measured by the worker since issue 6
        func = getattr(probe, name, None)
        if name in wanted and callable(func):
            result[name] = func(last, final=True)
    return result


def data_problem(run, project, base_dir: str | None = None) -> str | None:
    """Why ``run``'s data source cannot be restored in ``project`` (None: it can): its
    embedded CSV is no longer carried by the project, its CSV file is gone, or its
    built-in or synthetic set is unknown here."""
    from engine.data import synthetic
    from engine.data.builtin import BUILTIN_DATASETS
    from nnstudio.training import snapshot

    try:
        source = DataSource(**run.settings["data"])
        if source.kind == "csv":
            name = source.config.get("file")
            if name is not None:
                return (None if name in project.embedded else
                        QCoreApplication.translate(
                            "runs", "its data file {0} is no longer in the project").format(
                            name))
            path = snapshot.csv_path(source, base_dir)
            return None if os.path.exists(path) else QCoreApplication.translate(
                "runs", "its data file {0} is not found").format(path)
        if source.kind == "builtin":
            BUILTIN_DATASETS.get(dict(source.config))
        elif source.kind == "synthetic":
            synthetic.DATASETS.get(source.config.get("name"))
        else:
            raise ValueError(source.kind)
    except Exception as exc:  # noqa: BLE001 - any refusal: the data cannot be restored
        return QCoreApplication.translate("runs", "its data cannot be used ({0})").format(exc)
    return None


def canvas_positions(project, spec: dict) -> dict:
    """Where each layer of ``spec`` goes on the canvas when it replaces ``project``'s
    network: a layer whose id is on the canvas stays where it is; a new one is placed as
    Arrange places it relative to a neighbour already placed (its input first), moved down
    a row while it would cover another layer; with no neighbour placed, where Arrange puts
    it."""
    from nnstudio.canvas.edit_ops import ARRANGE_DX, ARRANGE_DY, arrange_positions

    target = Project()
    for node in spec["nodes"]:
        target.add_node(Node(node["id"], node["type"], node.get("config", {})))
    target.edges = [tuple(e) for e in spec["edges"]]
    arranged = arrange_positions(target)
    placed = {i: project.nodes[i].position for i in target.nodes if i in project.nodes}
    pending = [i for i in target.nodes if i not in placed]

    def free(x: float, y: float) -> tuple[float, float]:
        while any(abs(x - px) < ARRANGE_DX / 2 and abs(y - py) < ARRANGE_DY / 2
                  for px, py in placed.values()):
            y += ARRANGE_DY
        return (x, y)

    def anchor(node_id: str, side: int) -> str | None:
        for edge in target.edges:
            if edge[1 - side] == node_id and edge[side] in placed:
                return edge[side]
        return None

    while pending:
        # a layer after one already placed first, then one before; else Arrange's place
        for side in (0, 1):
            found = [(i, a) for i in pending if (a := anchor(i, side)) is not None]
            if found:
                node_id, near = found[0]
                (ax, ay), (nx, ny) = arranged[near], arranged[node_id]
                px, py = placed[near]
                placed[node_id] = free(px + nx - ax, py + ny - ay)
                break
        else:
            node_id = pending[0]
            placed[node_id] = free(*arranged[node_id])
        pending.remove(node_id)
    return placed


class RunsPanel(DocumentPanel):
    """A table of the project's runs with Restore, Restore to Canvas, Rename and Delete,
    and a Compare tick per run.

    Signals
    -------
    compareChanged()
        The runs ticked for comparison changed (``compared()``).
    currentRunChanged()
        An edit of the runs (a restore, a delete, a new run, their undo) changed the
        current run (``current_run()``); not emitted when a whole document is replaced.
    statusMessage(str, int)
        A message for the window's status bar and how long to show it (ms).
    """

    KINDS = ("runs",)
    compareChanged = Signal()
    currentRunChanged = Signal()
    statusMessage = Signal(str, int)

    CURRENT, COMPARE, NAME, STATUS, EPOCHS, BEST = range(6)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self._compared: set[str] = set()
        self._running = False
        self._metrics: list[str] = []
        self._current = self.current_run()
        named(self, "runsPanel", self.tr("Training runs"))

        self.table = named(QTableWidget(0, 0), "runsTable", self.tr("Training runs"),
                           self.tr("Each training run of the project, side by side. "
                                   "Double-click a name to rename it."))
        named(self.table.horizontalHeader(), "runsColumns", self.tr("Run columns"))
        named(self.table.verticalHeader(), "runsRows", self.tr("Run rows"))
        self.table.verticalHeader().setVisible(False)
        self.table.setCornerButtonEnabled(False)
        for button in self.table.findChildren(QAbstractButton):  # Qt's corner button
            named(button, "runsSelectAll", self.tr("Select all runs"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.installEventFilter(self)

        self.restore_button = named(QPushButton(self.tr("&Restore")), "runsRestore",
                                    self.tr("Restore run"),
                                    self.tr("Make this run's weights the current trained "
                                            "state: the views show it, predictions and "
                                            "exports use it"))
        self.to_canvas_button = named(
            QPushButton(self.tr("Restore to &Canvas")), "runsRestoreToCanvas",
            self.tr("Restore run to the canvas"),
            self.tr("Put this run's network, training settings and data back on the canvas "
                    "and make it the current run (Undo gives back the network you have)"))
        self.rename_button = named(QPushButton(self.tr("Re&name")), "runsRename",
                                   self.tr("Rename run"), self.tr("Give the run a new name"))
        self.delete_button = named(QPushButton(self.tr("&Delete")), "runsDelete",
                                   self.tr("Delete run"),
                                   self.tr("Remove the run from the project (Undo brings it "
                                           "back)"))
        self.hint = named(QLabel(self.tr("Tick Compare to overlay a run on the loss plot.")),
                          "runsHint", self.tr("How to compare runs"))
        self.hint.setWordWrap(True)
        self.restore_button.clicked.connect(lambda: self.restore())
        self.to_canvas_button.clicked.connect(lambda: self.restore_to_canvas())
        self.rename_button.clicked.connect(lambda: self.start_rename())
        self.delete_button.clicked.connect(lambda: self.delete())

        # the same four in the table's context menu
        self.menu_actions = []
        for name, text, slot in (("restore", self.tr("Restore"), self.restore),
                                 ("restore_to_canvas", self.tr("Restore to Canvas"),
                                  self.restore_to_canvas),
                                 ("rename", self.tr("Rename"), self.start_rename),
                                 ("delete", self.tr("Delete"), self.delete)):
            action = QAction(text, self.table)
            action.setObjectName(f"runs_{name}")
            action.triggered.connect(lambda _c=False, f=slot: f())
            self.menu_actions.append(action)
        self.table.addActions(self.menu_actions)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.restore_button, self.to_canvas_button, self.rename_button,
                       self.delete_button):
            buttons.addWidget(button)
        buttons.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)

        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    # -- reading --------------------------------------------------------------------------
    def columns(self) -> list[str]:
        """The column titles, as shown."""
        return [self.table.horizontalHeaderItem(c).text()
                for c in range(self.table.columnCount())]

    def metric_keys(self) -> list[str]:
        """The final metrics shown, one column each after "Best epoch"."""
        return list(self._metrics)

    def row_of(self, run_id: str) -> int:
        for row in range(self.table.rowCount()):
            if self.table.item(row, self.NAME).data(RUN_ID_ROLE) == run_id:
                return row
        raise KeyError(run_id)

    def cell(self, run_id: str, column: str) -> str:
        """The text shown for ``run_id`` under the column titled ``column``."""
        return self.table.item(self.row_of(run_id), self.columns().index(column)).text()

    def selected_run_id(self) -> str | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        return self.table.item(rows.pop(), self.NAME).data(RUN_ID_ROLE)

    def select_run(self, run_id: str) -> None:
        self.table.selectRow(self.row_of(run_id))

    def compared(self) -> list[str]:
        """The ids of the runs ticked for comparison, in the project's order."""
        return [r.id for r in self.session.project.runs if r.id in self._compared]

    def set_compared(self, run_id: str, on: bool) -> None:
        """Tick (or untick) ``run_id``'s Compare box, as a click does."""
        item = self.table.item(self.row_of(run_id), self.COMPARE)
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def current_run(self):
        return last_trained_run(self.session.project)

    # -- mirroring the document -------------------------------------------------------------
    def _on_change(self, change) -> None:
        if change.kind == "reset":
            self._compared.clear()  # another document: its runs are others
            self._current = self.current_run()
        super()._on_change(change)
        if change.kind not in self.KINDS and change.kind != "reset":
            self._update_buttons()  # the network or settings now differ from a run's, or not
        if change.kind == "runs":
            current = self.current_run()
            if current is not self._current:
                self._current = current
                self.currentRunChanged.emit()

    def refresh(self) -> None:
        project = self.session.project
        runs = list(project.runs)
        selected = self.selected_run_id()
        ids = {r.id for r in runs}
        dropped = self._compared - ids
        self._compared &= ids
        current = self.current_run()
        self._metrics = metric_columns(runs)
        titles = [self.tr("Current"), self.tr("Compare"), self.tr("Name"), self.tr("Status"),
                  self.tr("Epochs"), self.tr("Best epoch"), *self._metrics,
                  self.tr("Created")]
        table = self.table
        self._updating = True
        table.blockSignals(True)
        try:
            table.clearContents()
            table.setColumnCount(len(titles))
            table.setHorizontalHeaderLabels(titles)
            table.setRowCount(len(runs))
            bold = QFont(table.font())
            bold.setBold(True)
            for row, run in enumerate(runs):
                is_current = run is current
                epochs = len((run.history or {}).get("lr") or [])
                best = "" if run.best_epoch is None else str(run.best_epoch + 1)
                cells = [CURRENT_MARK if is_current else "", "", run.name,
                         run.status.replace("_", " "), str(epochs), best]
                cells += [self._number(run.final_metrics.get(k)) for k in self._metrics]
                cells.append(created_text(run.created))
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    if col == self.NAME and not self._running:
                        flags |= Qt.ItemFlag.ItemIsEditable
                    if col == self.COMPARE:
                        flags |= Qt.ItemFlag.ItemIsUserCheckable
                        item.setCheckState(Qt.CheckState.Checked if run.id in self._compared
                                           else Qt.CheckState.Unchecked)
                        item.setToolTip(self.tr("Overlay {0} on the loss plot").format(
                            run.name))
                    item.setFlags(flags)
                    if col == self.NAME:
                        item.setData(RUN_ID_ROLE, run.id)
                        item.setToolTip(self.tr("{0} ({1}); double-click to rename").format(
                            run.name, run.id))
                    if col >= self.EPOCHS and col < len(cells) - 1:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                              | Qt.AlignmentFlag.AlignVCenter)
                    if col == self.CURRENT:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        if is_current:
                            item.setToolTip(self.tr("The current run: the views show it, "
                                                    "predictions and exports use it"))
                    if is_current:
                        item.setFont(bold)
                    table.setItem(row, col, item)
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.Interactive)
            header.setStretchLastSection(True)
            table.resizeColumnsToContents()
            table.setColumnWidth(self.NAME, max(120, table.columnWidth(self.NAME)))
            if selected in ids:
                table.selectRow(self.row_of(selected))
        finally:
            table.blockSignals(False)
            self._updating = False
        self.hint.setText(self.tr("Tick Compare to overlay a run on the loss plot.") if runs
                          else self.tr("No runs yet: every training run is kept here."))
        self._update_buttons()
        if dropped:
            self.compareChanged.emit()

    @staticmethod
    def _number(value) -> str:
        return f"{value:.4g}" if isinstance(value, (int, float)) else ""

    def set_running(self, running: bool) -> None:
        """While a run trains, runs can be compared but not restored, renamed or deleted
        (undo waits too)."""
        if bool(running) != self._running:
            self._running = bool(running)
            self.refresh()

    def _update_buttons(self) -> None:
        run_id = self.selected_run_id()
        run = self.session.project.run(run_id) if run_id else None
        idle = not self._running
        can_restore = (idle and run is not None and run.weights is not None
                       and run is not self.current_run())
        to_canvas = idle and run is not None and bool(self.canvas_changes(run))
        self.restore_button.setEnabled(can_restore)
        self.to_canvas_button.setEnabled(to_canvas)
        self.rename_button.setEnabled(idle and run is not None)
        self.delete_button.setEnabled(idle and run is not None)
        for action, enabled in zip(self.menu_actions, (can_restore, to_canvas,
                                                       idle and run is not None,
                                                       idle and run is not None)):
            action.setEnabled(enabled)

    def _base_dir(self) -> str | None:
        path = self.session.path
        return os.path.dirname(os.path.abspath(path)) if path else None

    def _restorable_data(self, run) -> DataSource | None:
        if data_problem(run, self.session.project, self._base_dir()) is not None:
            return None
        return DataSource(**run.settings["data"])

    def canvas_changes(self, run) -> list[str]:
        """What Restore to Canvas would change for ``run``: some of "network", "training"
        and "data" (data only when it can be restored)."""
        try:
            return RestoreRunToCanvas.changes(self.session.project, run,
                                              self._restorable_data(run))
        except (KeyError, TypeError, AttributeError):  # a run without a stored network
            return []

    # -- acting -----------------------------------------------------------------------------
    def _target(self, run_id: str | None) -> str | None:
        run_id = run_id or self.selected_run_id()
        if run_id is None or self._running:
            return None
        return run_id

    def restore(self, run_id: str | None = None) -> bool:
        """Make ``run_id`` (default: the selected run) the current run; one undo step."""
        run_id = self._target(run_id)
        if run_id is None:
            return False
        run = self.session.project.run(run_id)
        if run.weights is None or run is self.current_run():
            return False
        self.session.push(RestoreRun(self.session.project, run_id))
        self.select_run(run_id)
        return True

    def restore_to_canvas(self, run_id: str | None = None) -> bool:
        """Put ``run_id``'s (default: the selected run's) network, training settings and
        data back in the document and make it the current run; one undo step.  Data that
        cannot be restored (its embedded CSV is no longer in the project) is left as it is,
        and the status bar says so."""
        run_id = self._target(run_id)
        if run_id is None:
            return False
        project = self.session.project
        run = project.run(run_id)
        if not self.canvas_changes(run):
            return False
        problem = data_problem(run, project, self._base_dir())
        data = None if problem else DataSource(**run.settings["data"])
        positions = canvas_positions(project, run.settings["spec"])
        self.session.push(RestoreRunToCanvas(project, run_id, positions, data))
        self.select_run(run_id)
        if problem and DataSource(**run.settings["data"]).to_dict() != project.data.to_dict():
            self.statusMessage.emit(self.tr(
                "Restored {0}'s network and settings; the current data is kept: {1}").format(
                run.name, problem), 15000)
        else:
            self.statusMessage.emit(self.tr("Restored {0} to the canvas").format(run.name),
                                    5000)
        return True

    def delete(self, run_id: str | None = None) -> bool:
        """Remove ``run_id`` (default: the selected run) from the project; one undo step,
        no question asked."""
        run_id = self._target(run_id)
        if run_id is None:
            return False
        row = self.row_of(run_id)
        self.session.push(RemoveRun(self.session.project, run_id))
        if self.table.rowCount():  # the next run (or the previous one) gets selected
            self.table.selectRow(min(row, self.table.rowCount() - 1))
        return True

    def start_rename(self, run_id: str | None = None) -> None:
        """Edit the name of ``run_id`` (default: the selected run) in place."""
        run_id = self._target(run_id)
        if run_id is None:
            return
        item = self.table.item(self.row_of(run_id), self.NAME)
        self.table.setCurrentItem(item)
        self.table.editItem(item)

    def rename(self, run_id: str, name: str) -> bool:
        """Rename ``run_id``; one undo step.  A blank name or the same name changes
        nothing."""
        name = str(name).strip()
        if self._running or not name or name == self.session.project.run(run_id).name:
            return False
        self.session.push(RenameRun(self.session.project, run_id, name))
        return True

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating:
            return
        row = item.row()
        run_id = self.table.item(row, self.NAME).data(RUN_ID_ROLE)
        if item.column() == self.COMPARE:
            on = item.checkState() == Qt.CheckState.Checked
            if on != (run_id in self._compared):
                (self._compared.add if on else self._compared.discard)(run_id)
                self.compareChanged.emit()
        elif item.column() == self.NAME:
            # after the item view has finished committing: the rename rebuilds the rows
            text = item.text()
            QTimer.singleShot(0, self, lambda: self._commit_name(run_id, text))

    def _commit_name(self, run_id: str, text: str) -> None:
        if run_id not in {r.id for r in self.session.project.runs}:
            return
        if not self.rename(run_id, text):
            self.refresh()  # back to the name the document has

    def eventFilter(self, watched, event) -> bool:
        # Delete in the table deletes the run, not the canvas selection (the window's
        # Delete shortcut would take the key otherwise)
        if (watched is self.table and event.type() == QEvent.Type.ShortcutOverride
                and event.key() == Qt.Key.Key_Delete
                and self.table.state() != QAbstractItemView.State.EditingState):
            event.accept()
            return True
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and event.key() == Qt.Key.Key_Delete
                and self.table.state() != QAbstractItemView.State.EditingState):
            self.delete()
            return True
        return super().eventFilter(watched, event)
