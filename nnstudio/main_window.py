"""The main window: menus, toolbar, docks around the canvas, status bar.

The window asks the person (file names, save / discard / cancel, recovery) through small
``ask_*`` methods so that tests can answer them, and shows every error in a message box; the
document lives in the session and only changes through undo commands.
"""

from __future__ import annotations

import importlib
import os
import re

from PySide6.QtCore import (QByteArray, QCoreApplication, QEvent, QMimeData, QSettings,
                            QSize, Qt, QTimer, Slot)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QFrame, QLabel,
                               QMainWindow, QMessageBox, QScrollArea, QTabBar, QToolButton,
                               QVBoxLayout, QWidget)

from engine import spec as spec_check
from nnstudio import __version__, autosave, export_actions, help_texts
from nnstudio.canvas import edit_ops
from nnstudio.canvas.scene import NetworkScene
from nnstudio.canvas.view import CanvasView
from nnstudio.document import examples
from nnstudio.document.errors import ProjectFileError
from nnstudio.editor.commands import AddRun, loss_task
from nnstudio.icons import app_icon, icon
from nnstudio.panels.data_panel import DataPanel
from nnstudio.panels.inspector import Inspector
from nnstudio.panels.palette import Palette
from nnstudio.panels.problems import ProblemsPanel
from nnstudio.panels.run_banner import RunBanner
from nnstudio.panels.runs_panel import RunsPanel, measure_run, run_job
from nnstudio.panels.summary import SummaryPanel
from nnstudio.panels.training_panel import TrainingPanel
from nnstudio.panels.training_progress import TrainingProgress
from nnstudio.session import Session
from nnstudio.training import snapshot
from nnstudio.training.controller import TrainingController
from nnstudio.views.deferred import DeferredUpdates
from nnstudio.views.neuron_view import NeuronPanel
from nnstudio.views.view_export import ViewExports
from nnstudio.widgets import name_parts, named, set_clipboard

FILE_FILTER = "NN Studio projects (*.nnproj)"
MAX_RECENT = 10
EXPORT_RUN_ACTIONS = ("export_onnx", "export_torch", "export_predictions_csv")
SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


# Where a platform has no binding for a standard key (Quit has none outside KDE and GNOME).
_FALLBACK_KEYS = {QKeySequence.StandardKey.Quit: "Ctrl+Q"}


def _key_sequences(shortcut) -> list[QKeySequence]:
    """Every binding of a standard key on this platform (Redo is Ctrl+Y *and* Ctrl+Shift+Z
    on Linux; ``QKeySequence(StandardKey)`` keeps only the first), or the one sequence."""
    if isinstance(shortcut, QKeySequence.StandardKey):
        bindings = QKeySequence.keyBindings(shortcut)
        if bindings:
            return list(bindings)
        shortcut = _FALLBACK_KEYS.get(shortcut)
        return [QKeySequence(shortcut)] if shortcut else []
    return [QKeySequence(shortcut)]


class MainWindow(QMainWindow):
    AUTOSAVE_MS = 3 * 60 * 1000

    def __init__(self, settings: QSettings | None = None, parent=None):
        super().__init__(parent)
        self.settings = settings if settings is not None else QSettings()
        self.session = Session(self)
        self._icon_names: list[tuple[QAction, str]] = []  # re-tinted on a palette change
        self._job_running = None  # the job whose result becomes a Run of this document
        self._shown_run = None  # the run the views show (None: none, or a run training)
        self._closing = False
        self.autosaver = autosave.Autosaver()
        self.controller = TrainingController(self)
        self._deferred = DeferredUpdates(self)  # view updates wait while their dock is hidden
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)

        self.scene = NetworkScene(self.session.project, self)
        self.scene.push = self.session.push  # every canvas gesture: one undo step
        self.scene.ask_reconnect = self._reconnect_wanted
        self.view = named(CanvasView(self.scene), "canvas", self.tr("Network canvas"))
        self.run_banner = RunBanner()  # over the canvas: how the last run went wrong
        self.run_banner.lowerRate.connect(self._lower_learning_rate)
        central = named(QWidget(), "centralArea", self.tr("Canvas"))
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.run_banner)
        central_layout.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        # the inspector (form and activation plot) gets most of the right column by default
        self.resizeDocks([self.inspector_dock, self.data_dock], [560, 240],
                         Qt.Orientation.Vertical)
        self.resizeDocks([self.plots_dock], [260], Qt.Orientation.Vertical)
        self._default_state = self.saveState()
        # before the first show, the bottom docks' tab bar would ask for the width of all its
        # tabs side by side: an activated layout asks for its real minimum, so that a small
        # default or restored size is kept
        self.layout().activate()
        self.resize(self._default_size())
        self._restore_layout()
        self._connect()

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setObjectName("autosaveTimer")
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start(self.AUTOSAVE_MS)
        self.validate()
        self._update_title()
        self._update_training_actions()
        self._fill_recent_menu()
        name_parts(self)

    @staticmethod
    def _default_size() -> QSize:
        """1280 x 800, or less on a screen that has less room."""
        size = QSize(1280, 800)
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            room = screen.availableGeometry().size()
            size = size.boundedTo(QSize(int(room.width() * 0.95), int(room.height() * 0.95)))
        return size

    # -- construction -----------------------------------------------------------------------
    def _dock(self, object_name: str, title: str, widget, area, icon_name: str,
              scroll: bool = False) -> QDockWidget:
        """A dock holding ``widget``, added to ``area`` (None: placed by _tab_group)."""
        dock = QDockWidget(title, self)
        named(dock, object_name, title)
        if scroll:
            # a form taller than its dock scrolls instead of squeezing its rows together
            area_widget = named(QScrollArea(), f"{object_name}Scroll", title)
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.Shape.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        dock.setWidget(widget)
        self._set_icon(dock.toggleViewAction(), icon_name)
        dock.toggleViewAction().setObjectName(f"view_{object_name}")
        if area is not None:
            self.addDockWidget(area, dock)
        return dock

    def _tab_group(self, area, docks: list[QDockWidget]) -> None:
        """``docks`` as one tab group in ``area``, in this order, the first one on top.

        Qt makes a tab bar for a new tab group by laying the window out first when another
        group already has one; if the layout is pending then (a dock just added, or moved out
        of its own place by tabifyDockWidget), that layout asks the half-made group for its tab
        bar and it is made twice.  The spare copy, with the first two tabs, is only
        deleteLater()'d: until an event loop runs it stays drawn over the bottom docks.  So
        the other docks are never added on their own (tabifyDockWidget adds them) and the
        layout is settled before the group is made.
        """
        self.addDockWidget(area, docks[0])
        self.layout().activate()
        for dock in docks[1:]:
            self.tabifyDockWidget(docks[0], dock)
        docks[0].raise_()

    def restoreState(self, state, version: int = 0) -> bool:
        """QMainWindow.restoreState, with the tab bars it replaces gone at once.

        Qt gives every restored tab group a new tab bar and deleteLater()s the old ones
        without hiding them when it lays the window out (at once if it is shown, else when it
        is): until an event loop ran, they would stay drawn over the docks.
        """
        before = [bar for bar in self.findChildren(QTabBar) if bar.parentWidget() is self]
        restored = super().restoreState(state, version)
        self.layout().activate()  # a hidden window too: the old bars are let go of now
        for bar in before:  # only the deletions Qt has asked for; other bars are untouched
            QCoreApplication.sendPostedEvents(bar, QEvent.Type.DeferredDelete)
        return restored

    def _build_docks(self) -> None:
        self.palette_widget = Palette(icon)
        self.inspector = Inspector(self.session)
        self.data_panel = DataPanel(self.session)
        self.training_panel = TrainingPanel(self.session)
        self._first_paint_done = False
        self.installEventFilter(self)  # the first paint builds the lazy views
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.palette_dock = self._dock("paletteDock", self.tr("Layers"), self.palette_widget,
                                       left, "panel-layers")
        self.inspector_dock = self._dock("inspectorDock", self.tr("Inspector"), self.inspector,
                                         right, "panel-inspector", scroll=True)
        self.data_dock = self._dock("dataDock", self.tr("Data"), self.data_panel, None,
                                    "panel-data", scroll=True)
        self.training_dock = self._dock("trainingDock", self.tr("Training"),
                                        self.training_panel, None, "panel-training", scroll=True)
        self._tab_group(right, [self.data_dock, self.training_dock])
        self.plots_dock = self._lazy_dock("plotsDock", self.tr("Plots"), "panel-plots")
        self.confusion_dock = self._lazy_dock("confusionDock", self.tr("Confusion matrix"),
                                              "panel-plots")
        self.boundary_dock = self._lazy_dock("boundaryDock", self.tr("Decision boundary"),
                                             "panel-plots")
        self.gradient_dock = self._lazy_dock("gradientDock", self.tr("Gradient flow"),
                                             "panel-plots")
        self.regression_dock = self._lazy_dock("regressionDock", self.tr("Regression"),
                                               "panel-plots")
        self.histograms_dock = self._lazy_dock(
            "histogramsDock", self.tr("Weights and activations"), "panel-plots")
        self.step_dock = self._lazy_dock("stepDock", self.tr("Step"), "panel-plots")
        self.neuron_panel = NeuronPanel(self.session, data_shape=self._data_shape)
        self.neuron_dock = self._dock("neuronDock", self.tr("Neurons"), self.neuron_panel,
                                      None, "layer-dense")
        self.problems_panel = ProblemsPanel()
        self.problems_dock = self._dock("problemsDock", self.tr("Problems"),
                                        self.problems_panel, None, "panel-inspector")
        self.summary_panel = SummaryPanel()
        self.summary_dock = self._dock("summaryDock", self.tr("Summary"), self.summary_panel,
                                       None, "panel-layers")
        self.runs_panel = RunsPanel(self.session)
        self.runs_dock = self._dock("runsDock", self.tr("Runs"), self.runs_panel, None, "train")
        self._tab_group(Qt.DockWidgetArea.BottomDockWidgetArea, [
            self.plots_dock, self.runs_dock,  # the runs beside the loss plot
            self.confusion_dock, self.boundary_dock, self.gradient_dock, self.regression_dock,
            self.histograms_dock, self.step_dock, self.neuron_dock, self.problems_dock,
            self.summary_dock])
        # every view: "Export image… / Export data…" in its context menu (view_export.py)
        self.view_exports = ViewExports(self)
        for dock_attr in self.LAZY_VIEWS:
            self.view_exports.register(getattr(self, dock_attr),
                                       lambda a=dock_attr: self._view(a))
        self.view_exports.register(self.neuron_dock, lambda: self.neuron_panel)

    # The pyqtgraph views are built after the first paint (or when first used): importing
    # pyqtgraph is the largest part of the application's start-up.
    LAZY_VIEWS = {
        "plots_dock": ("nnstudio.views.loss_plot", "LossPlot"),
        "confusion_dock": ("nnstudio.views.confusion", "ConfusionView"),
        "boundary_dock": ("nnstudio.views.decision_boundary", "DecisionBoundaryView"),
        "gradient_dock": ("nnstudio.views.gradient_flow", "GradientFlowView"),
        "regression_dock": ("nnstudio.views.regression", "RegressionView"),
        "histograms_dock": ("nnstudio.views.histograms", "HistogramsView"),
        "step_dock": ("nnstudio.views.step_view", "StepView"),
    }

    def _lazy_dock(self, object_name: str, title: str, icon_name: str) -> QDockWidget:
        placeholder = named(QLabel(title), f"{object_name}Placeholder", title)
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setMinimumHeight(200)  # the plots' height: the layout does not jump
        return self._dock(object_name, title, placeholder, None, icon_name)

    def _view(self, dock_attr: str):
        dock = getattr(self, dock_attr)
        widget = dock.widget()
        if isinstance(widget, QLabel):
            module, name = self.LAZY_VIEWS[dock_attr]
            widget = getattr(importlib.import_module(module), name)()
            dock.setWidget(widget)
            self.view_exports.attach_plots(dock)
            self._view_created(dock_attr, widget)
        return widget

    def _view_created(self, dock_attr: str, widget) -> None:
        name_parts(widget)  # its tables' headers and its combo boxes' popup lists
        if dock_attr == "plots_dock" and self.runs_panel.current_run() is not None:
            run = self.runs_panel.current_run()
            widget.set_history(run.history, run.best_epoch, run.name)
        elif dock_attr == "boundary_dock":
            widget.featuresChanged.connect(self.controller.set_boundary_features)
            widget.featuresChanged.connect(self._restored_run_features)

    @property
    def loss_plot(self):
        return self._view("plots_dock")

    @property
    def confusion_view(self):
        return self._view("confusion_dock")

    @property
    def boundary_view(self):
        return self._view("boundary_dock")

    @property
    def gradient_view(self):
        return self._view("gradient_dock")

    @property
    def regression_view(self):
        return self._view("regression_dock")

    @property
    def histograms_view(self):
        return self._view("histograms_dock")

    @property
    def step_view(self):
        return self._view("step_dock")

    def _built_views(self) -> list:
        return [getattr(self, d).widget() for d in self.LAZY_VIEWS
                if not isinstance(getattr(self, d).widget(), QLabel)]

    def _build_views(self) -> None:
        for dock_attr in self.LAZY_VIEWS:
            self._view(dock_attr)

    def eventFilter(self, watched, event) -> bool:
        if watched is self and event.type() == QEvent.Type.Paint and \
                not self._first_paint_done:
            self._first_paint_done = True
            self.removeEventFilter(self)
            QTimer.singleShot(0, self._build_views)
        return False

    def docks(self) -> tuple[QDockWidget, ...]:
        return (self.palette_dock, self.inspector_dock, self.data_dock, self.training_dock,
                self.plots_dock, self.confusion_dock, self.boundary_dock, self.gradient_dock,
                self.regression_dock, self.histograms_dock, self.step_dock,
                self.neuron_dock, self.problems_dock, self.summary_dock, self.runs_dock)

    def _data_shape(self):
        """Input features and output units the data gives (for the neuron view)."""
        ds = self.dataset()
        if ds is None:
            return None, None
        return ds.n_features, snapshot.output_units(ds, self.session.project.training.loss["name"])

    def _action(self, name: str, text: str, slot=None, shortcut=None, icon_name=None,
                tip: str | None = None) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"action_{name}")
        if icon_name:
            self._set_icon(action, icon_name)
        if shortcut is not None:
            action.setShortcuts(_key_sequences(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        self.actions_by_name = {}
        specs = [
            ("new", self.tr("&New"), self.new_document, K.New, "new"),
            ("open", self.tr("&Open…"), self.open_document, K.Open, "open"),
            ("save", self.tr("&Save"), self.save_document, K.Save, "save"),
            ("save_as", self.tr("Save &As…"), self.save_document_as, K.SaveAs, "save-as"),
            ("revert", self.tr("&Revert"), self.revert_document, None, "revert"),
            ("import_csv", self.tr("&Import CSV…"), self.import_csv, "Ctrl+I", "open"),
            ("quit", self.tr("&Quit"), self.close, K.Quit, "quit"),
            ("cut", self.tr("Cu&t"), self.cut, K.Cut, "cut"),
            ("copy", self.tr("&Copy"), self.copy, K.Copy, "copy"),
            ("paste", self.tr("&Paste"), self.paste, K.Paste, "paste"),
            ("delete", self.tr("&Delete"), self.delete_selection, K.Delete, "delete"),
            ("select_all", self.tr("Select &All"), self.select_all, K.SelectAll, "select-all"),
            ("zoom_in", self.tr("Zoom &In"), self.view.zoom_in, K.ZoomIn, "zoom-in"),
            ("zoom_out", self.tr("Zoom &Out"), self.view.zoom_out, K.ZoomOut, "zoom-out"),
            ("zoom_fit", self.tr("&Fit to Window"), self.view.fit, "Ctrl+0", "zoom-fit"),
            ("arrange", self.tr("A&rrange Layers"), self.arrange, "Ctrl+L", "arrange"),
            ("reset_layout", self.tr("Reset &Layout"), self.reset_layout, None, "reset-layout"),
            ("train", self.tr("&Start Training"), self.start_training, "F5", "train"),
            ("pause", self.tr("&Pause"), self.toggle_pause, "F6", "pause"),
            ("stop", self.tr("S&top"), self.stop_training, "Shift+F5", "stop"),
            ("step", self.tr("Step One &Batch"), self.step_training, "F10", "step"),
            ("reset_weights", self.tr("&Reset Weights"), self.reset_weights, None,
             "reset-weights"),
            ("glossary", self.tr("&Glossary"), self.show_glossary, K.HelpContents, "glossary"),
            ("shortcuts", self.tr("&Keyboard Shortcuts"), self.show_shortcuts, None,
             "shortcuts"),
            ("about", self.tr("&About NN Studio"), self.show_about, None, "about"),
            ("export_plot_png", self.tr("Loss Plot as &Image…"), self.export_plot_png, None,
             "export"),
            ("export_view_image", self.tr("Image of the Current &View…"),
             self.export_view_image, None, "export"),
            ("export_view_data", self.tr("&Data of the Current View…"),
             self.export_view_data, None, "export"),
            ("export_history_csv", self.tr("Training History as &CSV…"),
             self.export_history_csv, None, "export"),
            ("export_onnx", self.tr("&ONNX Model…"), self.export_onnx, None, "export"),
            ("export_torch", self.tr("&PyTorch Script…"), self.export_torch, None, "export"),
            ("export_predictions_csv", self.tr("P&redictions as CSV…"),
             self.export_predictions_csv, None, "export"),
        ]
        for name, text, slot, shortcut, icon_name in specs:
            self.actions_by_name[name] = a(name, text, slot, shortcut, icon_name)
        self.undo_action = self.session.undo_stack.createUndoAction(self, self.tr("&Undo"))
        self.undo_action.setShortcuts(_key_sequences(K.Undo))
        self._set_icon(self.undo_action, "undo")
        self.undo_action.setObjectName("action_undo")
        self.redo_action = self.session.undo_stack.createRedoAction(self, self.tr("&Redo"))
        self.redo_action.setShortcuts(_key_sequences(K.Redo))
        self._set_icon(self.redo_action, "redo")
        self.redo_action.setObjectName("action_redo")
        self.actions_by_name["undo"] = self.undo_action
        self.actions_by_name["redo"] = self.redo_action
        self.actions_by_name["pause"].setCheckable(True)

    def _build_menus(self) -> None:
        act = self.actions_by_name
        bar = self.menuBar()
        bar.setObjectName("menuBar")
        bar.setAccessibleName(self.tr("Menu bar"))
        file_menu = self._menu(bar, "file", self.tr("&File"))
        file_menu.addActions([act["new"], act["open"]])
        self.recent_menu = self._menu(file_menu, "recent", self.tr("Open &Recent"),
                                      "open-recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.example_menu = self._menu(file_menu, "examples", self.tr("Open E&xample"),
                                       "example")
        for name, factory in examples.EXAMPLES.items():
            action = self.example_menu.addAction(name.replace("-", " ").capitalize())
            action.setObjectName(f"action_example_{name}")
            action.setToolTip((factory.__doc__ or "").strip())
            action.triggered.connect(lambda _c=False, n=name: self.open_example(n))
        file_menu.addAction(act["import_csv"])
        file_menu.addSeparator()
        file_menu.addActions([act["save"], act["save_as"], act["revert"]])
        export_menu = self._menu(file_menu, "export", self.tr("&Export"), "export")
        export_menu.addActions([act["export_onnx"], act["export_torch"],
                                act["export_predictions_csv"]])
        export_menu.addSeparator()
        export_menu.addActions([act["export_plot_png"], act["export_view_image"],
                                act["export_history_csv"], act["export_view_data"]])
        file_menu.addSeparator()
        file_menu.addAction(act["quit"])

        edit = self._menu(bar, "edit", self.tr("&Edit"))
        edit.addActions([act["undo"], act["redo"]])
        edit.addSeparator()
        edit.addActions([act["cut"], act["copy"], act["paste"], act["delete"]])
        edit.addSeparator()
        edit.addAction(act["select_all"])

        view = self._menu(bar, "view", self.tr("&View"))
        for dock in self.docks():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addActions([act["zoom_in"], act["zoom_out"], act["zoom_fit"], act["arrange"]])
        view.addSeparator()
        view.addAction(act["reset_layout"])

        train = self._menu(bar, "train", self.tr("&Train"))
        train.addActions([act["train"], act["pause"], act["stop"], act["step"]])
        train.addSeparator()
        train.addAction(act["reset_weights"])

        help_menu = self._menu(bar, "help", self.tr("&Help"))
        help_menu.addActions([act["glossary"], act["shortcuts"]])
        help_menu.addSeparator()
        help_menu.addAction(act["about"])

    def _menu(self, parent, name: str, title: str, icon_name: str | None = None):
        """A menu (in the menu bar or a submenu) whose own action is named too."""
        menu = parent.addMenu(title)
        menu.setObjectName(f"menu_{name}")
        menu.menuAction().setObjectName(f"menuAction_{name}")
        if icon_name:
            self._set_icon(menu.menuAction(), icon_name)
        return menu

    def _build_toolbar(self) -> None:
        bar = self.addToolBar(self.tr("Main"))
        named(bar, "mainToolBar", self.tr("Main toolbar"))
        act = self.actions_by_name
        for name in ("new", "open", "save", None, "undo", "redo", None, "zoom_fit", "arrange",
                     None, "train", "pause", "stop", "step"):
            if name is None:
                bar.addSeparator()
                continue
            bar.addAction(act[name])
            # the buttons Qt makes for the actions: named for screen readers and harnesses
            button = bar.widgetForAction(act[name])
            if button is not None:
                named(button, f"toolButton_{name}", act[name].iconText())
        for owner, accessible in ((bar, self.tr("More tools")),
                                  (self.menuBar(), self.tr("More menus"))):
            for button in owner.findChildren(QToolButton):
                if button.objectName() in ("qt_toolbar_ext_button", "qt_menubar_ext_button"):
                    button.setAccessibleName(accessible)

    # -- icons ------------------------------------------------------------------------------------
    def _set_icon(self, action: QAction, name: str) -> None:
        """Give ``action`` the icon ``name``, tinted for the palette (and again whenever the
        palette changes)."""
        self._icon_names.append((action, name))
        action.setIcon(icon(name))

    def _refresh_icons(self) -> None:
        for action, name in self._icon_names:
            action.setIcon(icon(name))

    # No ``event`` or ``paintEvent`` override here: the whole window is painted from the
    # window's own event handler, and a Python override would hold the GIL through all of
    # that C++ painting, while the training thread waits for it (see the first paint's event
    # filter above, and this change handler, which runs only for change events).
    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            # the icons carry the colours of the palette they were made with
            self._refresh_icons()
        super().changeEvent(event)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.doc_label = named(QLabel(), "statusDocument", self.tr("Document state"))
        self.selection_label = named(QLabel(), "statusSelection", self.tr("Selection"))
        self.training_label = named(QLabel(), "statusTraining", self.tr("Training state"))
        self.problem_label = named(QLabel(), "statusProblem", self.tr("Network problems"))
        self.problem_label.setStyleSheet("color: #d13438")
        status.addWidget(self.doc_label)
        status.addWidget(self.selection_label)
        status.addWidget(self.problem_label, 1)
        self.training_progress = TrainingProgress(self.controller)
        status.addPermanentWidget(self.training_progress)
        status.addPermanentWidget(self.training_label)

    def _connect(self) -> None:
        self.session.stateChanged.connect(self._update_title)
        self.session.undo_stack.canUndoChanged.connect(self._guard_undo)
        self.session.undo_stack.canRedoChanged.connect(self._guard_undo)
        self.session.documentReplaced.connect(self._document_replaced)
        # bound methods, not lambdas: Qt drops these connections when the window goes, so
        # that no child (the undo stack clearing itself) calls into a half-destroyed window
        self.session.undo_stack.indexChanged.connect(self._undo_index_changed)
        self.scene.connectionHint.connect(self._connection_hint)
        self.scene.statusMessage.connect(self._canvas_message)
        self.scene.nodeActivated.connect(self._node_activated)
        self.problems_panel.nodesActivated.connect(self.view.show_nodes)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.palette_widget.layerActivated.connect(self.append_layer)
        self.controller.stateChanged.connect(self._training_state_changed)
        self.controller.epochsEnded.connect(self._epochs_ended)
        self.controller.boundaryUpdated.connect(self._boundary_updated)
        self.controller.evaluationReady.connect(self._evaluation_ready)
        self.controller.regressionUpdated.connect(self._regression_updated)
        self.controller.histogramsUpdated.connect(self._histograms_updated)
        self.controller.stepped.connect(self._stepped)
        self.controller.finished.connect(self._training_finished)
        self.runs_panel.currentRunChanged.connect(self._current_run_changed)
        self.runs_panel.compareChanged.connect(self._update_overlays)
        self.runs_panel.statusMessage.connect(self.statusBar().showMessage)
        self.controller.failed.connect(self._training_failed)
        self.data_panel.loadFinished.connect(self.validate)  # sizes known, Train allowed
        # the document's own notification, not the undo stack's index: a setting typed
        # again within a second merges into the previous undo step without a new index
        self.session.project.subscribe(self._document_changed)

    def _document_changed(self, change) -> None:
        if change.kind == "training":
            self._forward_live_settings()

    @Slot(int)
    def _undo_index_changed(self, _index: int) -> None:
        self.validate()

    def _forward_live_settings(self) -> None:
        """A learning rate set while a run trains goes to the worker (next epoch)."""
        if self.controller.state not in ("running", "paused"):
            return
        job = self._job_running
        lr = self.session.project.training.optimizer.get("lr")
        if job is None or lr is None:
            return
        last_job, last_lr = getattr(self, "_live_lr", (None, None))
        if last_job is not job:  # the first change during this run
            last_lr = job.training.optimizer.get("lr")
        if lr != last_lr:
            self.controller.set_lr(float(lr))
        self._live_lr = (job, lr)

    @Slot(str)
    def _connection_hint(self, text: str) -> None:
        if text:
            self.statusBar().showMessage(self.tr("Cannot connect: {0}").format(text))
        else:
            self.statusBar().clearMessage()

    @Slot(str)
    def _canvas_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    @Slot(str)
    def _node_activated(self, _node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()

    def _reconnect_wanted(self, bridges) -> bool:
        return self.ask_reconnect(bridges)  # looked up now: tests replace ask_reconnect

    @Slot(str)
    def _training_state_changed(self, _state: str) -> None:
        self._update_training_actions()

    def _epochs_ended(self, epochs: list) -> None:
        if self._job_running is not None:  # not the epochs of a run being dropped
            send = self._to_view
            send(self.plots_dock, self.loss_plot.add_epochs, epochs, accumulate=True)
            send(self.confusion_dock, self.confusion_view.add_epochs, epochs, accumulate=True)
            send(self.gradient_dock, self.gradient_view.add_epochs, epochs, accumulate=True)

    def _training_failed(self, message: str) -> None:
        if not self._closing:
            self.show_error(self.tr("Training failed"), message)

    # -- layout and settings ------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def _save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def reset_layout(self) -> None:
        for dock in self.docks():
            dock.setFloating(False)
            dock.show()
        self.restoreState(self._default_state)

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)]

    def _set_recent(self, paths: list[str]) -> None:
        self.settings.setValue("recentFiles", list(paths[:MAX_RECENT]))
        self.settings.sync()
        self._fill_recent_menu()

    def _remember(self, path: str) -> None:
        self._set_recent([path] + [p for p in self.recent_files() if p != path])

    def _forget(self, path: str) -> None:
        self._set_recent([p for p in self.recent_files() if p != path])

    def _fill_recent_menu(self) -> None:
        # filled when the list changes (so that it is right for assistive technology, which
        # reads menus without opening them) and when it opens (another window may have
        # changed the shared list)
        self.recent_menu.clear()
        recent = self.recent_files()
        if not recent:
            empty = self.recent_menu.addAction(self.tr("(no recent files)"))
            empty.setObjectName("action_recent_none")
            empty.setEnabled(False)
            return
        for i, path in enumerate(recent):
            action = self.recent_menu.addAction(f"&{i + 1} {os.path.basename(path)}")
            action.setObjectName(f"action_recent_{i}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_recent(p))

    # -- asking the person (tests replace these) ----------------------------------------------
    def ask_save_changes(self) -> str:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Unsaved changes"),
                          self.tr("{0} has unsaved changes. Save them?").format(
                              self.session.display_name()),
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("unsavedChangesDialog")
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: SAVE,
                QMessageBox.StandardButton.Discard: DISCARD}.get(
            QMessageBox.StandardButton(answer), CANCEL)

    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open project"), "", FILE_FILTER)
        return path or None

    def ask_save_path(self, title: str | None = None, file_filter: str = FILE_FILTER,
                      suggested: str = "") -> str | None:
        dialog = QFileDialog(self, title or self.tr("Save project"), suggested, file_filter)
        dialog.setObjectName("saveDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        # the dialog adds the suffix itself, so its overwrite question sees the real name
        found = re.search(r"\*\.(\w+)", file_filter)
        if found:
            dialog.setDefaultSuffix(found.group(1))
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return dialog.selectedFiles()[0]

    def ask_recover(self, item: autosave.Recoverable) -> bool:
        name = os.path.basename(item.original_path) if item.original_path else self.tr(
            "an untitled document")
        answer = QMessageBox.question(
            self, self.tr("Recover unsaved work"),
            self.tr("NN Studio did not close properly last time. Recover the unsaved "
                    "changes to {0}?").format(name))
        return answer == QMessageBox.StandardButton.Yes

    def ask_reconnect(self, bridges: list[tuple[str, str]]) -> bool:
        pairs = ", ".join(f"{s} → {t}" for s, t in bridges)
        answer = QMessageBox.question(
            self, self.tr("Reconnect layers"),
            self.tr("Connect the neighbours of the deleted layers ({0})?").format(pairs),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.critical(self, title, message)

    # -- documents ----------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if not self.session.modified:
            return True
        answer = self.ask_save_changes()
        if answer == SAVE:
            return self.save_document()
        return answer == DISCARD

    def new_document(self) -> None:
        if self.maybe_save():
            self.session.new()

    def open_example(self, name: str) -> None:
        if self.maybe_save():
            self.session.open_example(name)
            self.view.fit()

    def open_document(self) -> None:
        if not self.maybe_save():
            return
        path = self.ask_open_path()
        if path:
            self.open_path(path, ask=False)

    def open_recent(self, path: str) -> bool:
        """Open an entry of File > Open Recent; one that is gone leaves the list."""
        if not os.path.isfile(path):
            # checked before asking about unsaved changes: there is nothing to open
            self.show_error(self.tr("Cannot open project"), self.tr(
                "{0}: the file no longer exists; it was moved, renamed or deleted. It has "
                "been removed from the recent files.").format(path))
            self._forget(path)
            return False
        return self.open_path(path)

    def open_path(self, path: str, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        try:
            self.session.open(path)
        except ProjectFileError as exc:
            self.show_error(self.tr("Cannot open project"), str(exc))
            return False
        self._remember(self.session.path)
        self.view.fit()
        return True

    def save_document(self) -> bool:
        if not self.session.path:
            return self.save_document_as()
        return self._save_to(self.session.path)

    def save_document_as(self) -> bool:
        path = self.ask_save_path(suggested=self.session.display_name())
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.session.save(path)
        except ProjectFileError as exc:
            self.show_error(self.tr("Cannot save project"), str(exc))
            return False
        self._remember(self.session.path)
        self.autosaver.clear()
        return True

    def revert_document(self) -> None:
        if not self.session.path:
            return
        try:
            self.session.revert()
        except ProjectFileError as exc:
            self.show_error(self.tr("Cannot revert"), str(exc))

    def autosave_now(self) -> None:
        if not self.session.modified:
            self.autosaver.clear()  # back to the saved state: a copy would be stale
            return
        try:
            self.autosaver.save(self.session.project, self.session.path)
        except (ProjectFileError, OSError) as exc:
            self.statusBar().showMessage(self.tr("Autosave failed: {0}").format(exc), 10000)

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosaved document; True when one was recovered."""
        for item in autosave.leftovers():
            if self.ask_recover(item):
                try:
                    project = item.load()
                except ProjectFileError as exc:
                    self.show_error(self.tr("Cannot recover"), str(exc))
                    item.discard()
                    continue
                self.session.recover(project, item.original_path)
                item.discard()
                self.autosave_now()
                self.view.fit()
                return True
            item.discard()
        return False

    def closeEvent(self, event) -> None:
        if not self.maybe_save():  # first: Cancel leaves everything running
            event.ignore()
            return
        self._closing = True
        self._job_running = None  # a run ended by the close is not added to the document
        self.controller.shutdown(5000)
        self.data_panel.cancel_loading()
        self._autosave_timer.stop()
        self.autosaver.clear()
        self._save_layout()
        self.scene.detach()
        event.accept()

    # -- titles, status, validation -------------------------------------------------------------
    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.session.display_name()}[*] — NN Studio")
        self.setWindowModified(self.session.modified)
        self.actions_by_name["revert"].setEnabled(bool(self.session.path)
                                                  and self.session.modified)
        state = self.tr("Modified") if self.session.modified else (
            self.tr("Saved") if self.session.path else self.tr("Not saved yet"))
        self.doc_label.setText(state)

    def _document_replaced(self) -> None:
        # The session keeps one Project object and replaces its content, so the scene and
        # the panels stay subscribed (its "reset" notification rebuilt them already).
        self._deferred.clear()
        self.run_banner.hide()
        if not self.controller.is_running():
            self.training_progress.setVisible(False)  # of the previous document's run
        if self.controller.is_running():
            # a run of the previous document must not become a run of this one
            self._job_running = None
            self.controller.stop()
        for view in self._built_views():  # views not built yet show the document when built
            view.clear()
        self._shown_job = None
        if not isinstance(self.boundary_dock.widget(), QLabel):
            self.boundary_view.reset()  # the points belonged to the previous document
        self._shown_run = self.runs_panel.current_run()
        if self._shown_run is not None and self._built_views():
            self._show_history(self._shown_run)
        self._update_overlays()
        self.validate()

    def _selection_changed(self) -> None:
        ids = self.scene.selected_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)
        self.selection_label.setText(", ".join(ids) if ids else "")
        self._update_edit_actions()

    def _update_edit_actions(self) -> None:
        """Edit commands are available when they have something to act on."""
        act = self.actions_by_name
        editable = self.controller.state == "idle"
        layers = bool(self.scene.selected_ids())
        act["copy"].setEnabled(layers)
        act["cut"].setEnabled(layers and editable)
        act["delete"].setEnabled(editable and (layers or bool(self.scene.selected_edges())))
        act["paste"].setEnabled(editable)
        act["arrange"].setEnabled(editable)

    def _project_dir(self) -> str | None:
        """Where a CSV referenced by a relative path is looked up."""
        return os.path.dirname(self.session.path) if self.session.path else None

    def dataset(self):
        """The project's dataset as training sees it, or None while it loads in the
        background or when it cannot be loaded (the data panel says which; it loads and
        caches it, per data source and the settings that decide the split that
        preprocessing is fitted on, and emits loadFinished when a background load ends)."""
        facts = self.data_panel.current()
        return None if facts is None else facts.dataset

    def validate(self) -> list:
        """Check the network against the data and the loss; mark problems on the canvas."""
        project = self.session.project
        ds = self.dataset()
        loss = project.training.loss
        n_outputs = snapshot.output_units(ds, loss["name"]) if ds is not None else None
        targets = None if ds is None else ds.y
        if ds is not None and ds.task == "regression" and loss_task(loss) == "regression":
            # values to predict, known to be so: whole numbers among them (diabetes) are
            # not class labels, which is all the targets' check could warn about here
            targets = None
        try:
            graph = spec_check.analyse(project.spec(), ds.n_features if ds else None,
                                       n_outputs, loss, targets)
        except Exception as exc:  # a malformed loss config must not break the window
            self.problems = [spec_check.SpecError(str(exc))]
            graph = None
        else:
            self.problems = graph.problems
        n_features = ds.n_features if ds is not None else None
        self.scene.set_units(graph.units if graph else {}, self.problems,
                             ds.task if ds is not None else None, n_features, n_outputs)
        self.problems_panel.set_problems(self.problems)
        self.summary_panel.show_network(project.spec(), n_features, n_outputs,
                                        project.training.dtype)
        errors = spec_check.errors(self.problems)
        train = self.actions_by_name["train"]
        if errors:
            more = len(errors) - 1
            text = errors[0].message + (self.tr(" (and {0} more)").format(more) if more else "")
            train.setToolTip(self.tr("Cannot train: {0}").format(text))
            self.problem_label.setText(text)
            self.problem_label.setToolTip("\n".join(e.message for e in errors))
        else:
            train.setToolTip(self.tr("Waiting for the data to load")
                             if self.data_panel.loading() else self.tr("Start training (F5)"))
            self.problem_label.setText("")
            self.problem_label.setToolTip("")
        self._update_training_actions()
        return self.problems

    # -- canvas edits ---------------------------------------------------------------------------
    def append_layer(self, layer_type: str) -> None:
        ids = self.scene.selected_ids()
        after = ids[-1] if ids else None
        if layer_type == "input" and any(n.type == "input"
                                         for n in self.session.project.nodes.values()):
            self.statusBar().showMessage(self.tr("The network already has an input layer"), 5000)
            return
        if after is None and self.session.project.nodes:
            sinks = [n for n in self.session.project.nodes
                     if not any(s == n for s, _ in self.session.project.edges)]
            after = sinks[-1] if sinks else None
        self.session.push(edit_ops.append_command(self.session.project, layer_type, after))

    def import_csv(self) -> None:
        """Use a CSV file as the data (the import dialog, one undo step)."""
        if self.controller.state == "idle":
            self.data_dock.show()
            self.data_dock.raise_()
            self.data_panel.import_csv()

    def delete_selection(self) -> None:
        self.scene.delete_selection()

    def copy(self) -> None:
        ids = self.scene.selected_ids()
        if not ids:
            return
        mime = QMimeData()
        payload = edit_ops.copy_payload(self.session.project, ids)
        mime.setData(edit_ops.CLIPBOARD_MIME, payload)
        mime.setText(payload.decode())
        set_clipboard(mime)

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(edit_ops.CLIPBOARD_MIME):
            return
        self.scene.paste(bytes(mime.data(edit_ops.CLIPBOARD_MIME)))

    def select_all(self) -> None:
        self.scene.select_all()

    def arrange(self) -> None:
        command = edit_ops.arrange_command(self.session.project)
        if command is not None:
            self.session.push(command)
            self.view.fit()

    # -- training -------------------------------------------------------------------------------
    def _guard_undo(self, *_args) -> None:
        """Undo and redo wait while a run trains, as every other edit does (the stack
        re-enables its actions whenever it could undo; this runs after it)."""
        running = self.controller.state != "idle"
        stack = self.session.undo_stack
        self.undo_action.setEnabled(stack.canUndo() and not running)
        self.redo_action.setEnabled(stack.canRedo() and not running)

    def _update_training_actions(self) -> None:
        state = self.controller.state
        act = self.actions_by_name
        # errors, or data still loading (its sizes are not checked yet)
        has_errors = bool(spec_check.errors(getattr(self, "problems", []))) \
            or self.data_panel.loading()
        running = state in ("running", "paused", "stopping")
        self._guard_undo()
        # F5 continues a run paused after a single step, as debuggers do
        act["train"].setEnabled((state == "paused") or (not running and not has_errors))
        act["step"].setEnabled((state == "paused") or (not running and not has_errors))
        act["pause"].setEnabled(state in ("running", "paused"))
        act["pause"].setChecked(state == "paused")
        act["pause"].setText(self.tr("&Resume") if state == "paused" else self.tr("&Pause"))
        act["stop"].setEnabled(running)
        act["reset_weights"].setEnabled(not running)
        for name in EXPORT_RUN_ACTIONS:  # they export the last run's weights
            act[name].setEnabled(not running)
        # the run trains a snapshot: edits during it would not reach it, so they wait
        # (all but the learning rate, which reaches the worker: _forward_live_settings)
        for widget in (self.palette_widget, self.inspector):
            widget.setEnabled(not running)
        self.data_panel.set_running(running)  # its views stay browsable
        self.training_panel.set_running(running)
        self.runs_panel.set_running(running)
        self._update_overlays()  # a run starts: the run shown so far may be compared
        self.view.setInteractive(not running)
        self.view.setAcceptDrops(not running)
        self._update_edit_actions()
        labels = {"idle": self.tr("Ready"), "running": self.tr("Training…"),
                  "paused": self.tr("Paused"), "stopping": self.tr("Stopping…")}
        self.training_label.setText(labels.get(state, state))

    def _job(self):
        if self.data_panel.loading():  # Train waits for it: reading it here would freeze
            self.statusBar().showMessage(self.tr("The data is still loading"), 5000)
            return None
        try:
            return snapshot.prepare(self.session.project, base_dir=self._project_dir(),
                                    loaded=self.data_panel.loaded_data())  # not read again
        except (ValueError, TypeError) as exc:
            self.show_error(self.tr("Cannot train"), str(exc))
            return None

    def start_training(self) -> None:
        if self.controller.state == "paused":
            self.controller.resume()
            return
        if self.controller.state != "idle":
            return
        job = self._job()
        if job is not None:
            self._prepare_views(job)
            self._job_running = job
            self.controller.start(job)

    def _lower_learning_rate(self) -> None:
        """The banner's remedy: a ten times lower learning rate, as an undoable edit."""
        lr = self.session.project.training.optimizer.get("lr")
        if lr:
            self.training_panel.lr.setValue(lr / 10)
            self.statusBar().showMessage(
                self.tr("Learning rate lowered to {0:g}: train again to try it").format(
                    self.session.project.training.optimizer.get("lr")), 8000)
        self.run_banner.hide()

    def step_training(self) -> None:
        if self.controller.state == "idle":
            job = self._job()
            if job is None:
                return
            self._prepare_views(job)
            self._job_running = job
        self.controller.step(getattr(self, "_job_running", None))

    def toggle_pause(self) -> None:
        if self.controller.state == "paused":
            self.controller.resume()
        elif self.controller.state == "running":
            self.controller.pause()

    def stop_training(self) -> None:
        self.controller.stop()

    def _prepare_views(self, job) -> None:
        self._deferred.clear()
        self.run_banner.hide()  # a new run: the last one's trouble is history
        for view in (self.loss_plot, self.confusion_view, self.gradient_view,
                     self.histograms_view, self.step_view):
            view.clear()
        self.regression_view.set_job(job)
        self.confusion_view.set_class_names(job.dataset.class_names or [],
                                            job.dataset.feature_names)
        self.boundary_view.set_job(job)
        self._shown_job = job

    def _boundary_updated(self, grid: dict) -> None:
        # during a run, or after it when the person picks other axes for the finished run
        shown = getattr(self, "_shown_job", None)
        if self._job_running is not None or (
                self.controller.state == "idle" and shown is not None
                and shown is self.controller.job):
            self._to_view(self.boundary_dock, self.boundary_view.set_grid, grid)

    def _to_view(self, dock, method, value, accumulate: bool = False) -> None:
        """``method(value)``: now when idle or when the dock shows; while a run trains and
        the dock is hidden, when it shows or the run ends (see ``views/deferred.py``)."""
        if self.controller.is_running():
            self._deferred.send(dock, method, value, accumulate)
        else:
            method(value)

    def _regression_updated(self, result: dict) -> None:
        if self._job_running is not None:  # not the predictions of a run being dropped
            self._to_view(self.regression_dock, self.regression_view.set_result, result)

    def _histograms_updated(self, histograms: dict) -> None:
        if self._job_running is not None:
            self._to_view(self.histograms_dock, self.histograms_view.set_histograms,
                                histograms)

    def _stepped(self, step: dict) -> None:
        if self._job_running is not None:
            first = self.step_view.step is None
            self.step_view.set_step(step)
            if first:  # the run's first step brings the view forward, once: later steps
                self.step_dock.raise_()  # leave the person on the tab they chose

    def _evaluation_ready(self, evaluation: dict) -> None:
        if self._job_running is not None:
            self.confusion_view.set_evaluation(evaluation)

    def reset_weights(self) -> None:
        self._deferred.clear()
        for view in self._built_views():
            view.clear()
        self._job_running = None
        self.statusBar().showMessage(
            self.tr("Weights reset: the next run starts from freshly initialized weights"), 5000)

    def _training_finished(self, result: dict) -> None:
        job, self._job_running = self._job_running, None
        status = result.get("status")
        if job is None:  # dropped: the window closes or shows another document
            self._deferred.clear()
            self._update_training_actions()
            return
        # every view shows the run's final state, hidden or not; a view that cannot draw
        # it (say, a diverged run's NaN) is logged and never costs the run
        self._deferred.flush()
        if status == "diverged" and result.get("message"):
            self.run_banner.show_diverged(result["message"],
                                          self.session.project.training.optimizer.get("lr"))
        if status == "error" or not (result.get("history") or {}).get("lr"):
            self._update_training_actions()
            return
        run = snapshot.make_run(job, result, self.session.project.new_run_id())
        self._shown_run = run  # the views show it already: nothing to measure again
        self.session.push(AddRun(self.session.project, run))
        self._update_training_actions()
        self.statusBar().showMessage(self.run_summary(run), 15000)

    # -- runs: the current one, restored ones, compared ones ------------------------------------
    def _show_history(self, run) -> None:
        self.loss_plot.set_history(run.history, run.best_epoch, run.name)
        self.gradient_view.set_history(run.history)

    def _current_run_changed(self) -> None:
        """A restore, a delete or their undo made another run current: the views show it
        (its curves from its history; the boundary, confusion matrix and the other
        measurements computed from its weights, as the worker measures a run's end)."""
        run = self.runs_panel.current_run()
        if run is self._shown_run or self.controller.state != "idle":
            return
        self._shown_run = run
        self.training_progress.setVisible(False)  # its figures were of the last training
        if run is None:
            for view in self._built_views():
                view.clear()
            self._shown_job = None
            self._update_overlays()
            return
        try:
            job = run_job(run, self.session.project.embedded, self._project_dir())
            self._prepare_views(job)
            measured = measure_run(run, job, self.controller.boundary_features)
        except Exception as exc:  # noqa: BLE001 - e.g. its CSV is gone: show what we have
            self._shown_job = None
            measured = {}
            self.statusBar().showMessage(self.tr(
                "{0}: only its curves can be shown ({1})").format(run.name, exc), 10000)
        else:
            self.statusBar().showMessage(self.tr("Showing {0}").format(run.name), 5000)
        self._show_history(run)
        self._show_measured(measured)
        self._update_overlays()

    def _show_measured(self, measured: dict) -> None:
        shows = {"boundary": lambda v: self.boundary_view.set_grid(v),
                 "evaluation": lambda v: self.confusion_view.set_evaluation(v),
                 "regression": lambda v: self.regression_view.set_result(v),
                 "histograms": lambda v: self.histograms_view.set_histograms(v)}
        for key, value in measured.items():
            if value is not None and key in shows:
                shows[key](value)

    def _restored_run_features(self, i: int, j: int) -> None:
        """Other axes picked while a restored run is shown: its boundary over them (the
        controller draws those of the run it trained last)."""
        job, run = getattr(self, "_shown_job", None), self._shown_run
        if (job is None or run is None or job is self.controller.job
                or self.controller.state != "idle"):
            return
        try:
            grid = measure_run(run, job, (i, j), only=("boundary",))["boundary"]
        except Exception:  # noqa: BLE001 - the previous grid stays
            return
        if grid is not None:
            self.boundary_view.set_grid(grid)

    def _update_overlays(self) -> None:
        """The runs ticked in the Runs panel, overlaid on the loss plot (all but the run the
        plot shows)."""
        if not self._built_views() and not self.runs_panel.compared():
            return
        project = self.session.project
        shown = None if self._job_running is not None else self._shown_run
        overlays = [(r.id, r.name, r.history) for r in project.runs
                    if r.id in self.runs_panel.compared() and r is not shown]
        self.loss_plot.set_overlays(overlays)
        if shown is not None:
            self.loss_plot.set_run_name(shown.name)  # renamed, perhaps

    def run_summary(self, run) -> str:
        """One line for the status bar: how the run ended and its final figures."""
        epochs = len((run.history or {}).get("lr", []))
        figures = ", ".join(f"{k} {v:.4g}" for k, v in run.final_metrics.items()
                            if isinstance(v, (int, float)))
        best = "" if run.best_epoch is None else self.tr("; best epoch {0}").format(
            run.best_epoch + 1)
        return self.tr("{0} {1} after {2} epochs: {3}{4}").format(
            run.name, run.status.replace("_", " "), epochs, figures, best)

    # -- help and export --------------------------------------------------------------------------
    def show_glossary(self) -> None:
        dialog = getattr(self, "_glossary", None)
        if dialog is None:  # one glossary window, brought forward again on F1
            dialog = self._glossary = help_texts.show_glossary(self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def show_shortcuts(self) -> None:
        help_texts.show_shortcuts(self, self.actions_by_name.values())

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About NN Studio"), self.tr(
            "<h3>NN Studio {0}</h3><p>Build, train and understand neural networks.</p>"
            "<p>Every formula matches PyTorch's.</p>").format(__version__))

    def export_plot_png(self) -> None:
        self.view_exports.export_image(self.plots_dock)  # PNG or SVG

    def export_history_csv(self) -> None:
        path = self.ask_save_path(self.tr("Export training history"), "CSV files (*.csv)",
                                  "history.csv")
        if not path:
            return
        try:
            self.loss_plot.export_csv(path)
        except OSError as exc:
            self.show_error(self.tr("Cannot export"), str(exc))

    def export_view_image(self) -> None:
        self.view_exports.export_image()

    def export_view_data(self) -> None:
        self.view_exports.export_data()

    def export_onnx(self) -> None:
        export_actions.export_onnx(self)

    def export_torch(self) -> None:
        export_actions.export_torch(self)

    def export_predictions_csv(self) -> None:
        export_actions.export_predictions_csv(self)


def app_instance() -> QApplication:
    return QApplication.instance()
