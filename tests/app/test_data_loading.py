"""Loading the project's data in the background, through the real window: a large CSV opens
without freezing the window, the network is sized and Train allowed once the data is there,
training starts on the data already loaded, a file that cannot be read says why, and a newer
load supersedes an older one.  During a run the data panel's views stay browsable."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

from engine import spec as spec_check
from nnstudio.document import examples, project_file
from nnstudio.document.model import DataSource
from nnstudio.editor.commands import SetData, SetTraining
from nnstudio.panels import data_loader
from tests.app.window_helpers import set_epochs

LOAD_TIMEOUT = 120_000
TRAIN_TIMEOUT = 60_000
N_ROWS, N_FEATURES = 300_000, 20


class Ticks:
    """A QTimer ticking every 10 ms; ``max_gap`` is the longest time between two ticks, i.e.
    how long the event loop was kept from running."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.max_gap = 0.0
        self.count = 0

    def _tick(self):
        now = time.monotonic()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.count += 1

    def start(self):
        self.last = time.monotonic()
        self.timer.start()

    def stop(self):
        self.timer.stop()
        self._tick()  # the wait up to now counts too


def write_csv(path, n_rows: int, n_features: int = N_FEATURES, seed: int = 0) -> None:
    """Numeric features and a three-class label that depends on the first three."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    label = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1)
    header = ",".join([f"f{i}" for i in range(n_features)] + ["label"])
    np.savetxt(path, np.column_stack([x, label]), fmt=["%.3f"] * n_features + ["%d"],
               delimiter=",", header=header, comments="")


def csv_source(name: str) -> DataSource:
    return DataSource("csv", {"path": name, "target": "label", "task": "classification"})


def project_on(tmp_path, csv_name: str) -> str:
    """A saved spirals-classifier project whose data is ``csv_name`` next to it."""
    project = examples.spirals_classifier()
    project.data = csv_source(csv_name)
    path = tmp_path / "big.nnproj"
    project_file.save(project, path)
    return str(path)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "big.csv"
    write_csv(path, N_ROWS)
    return path


def errors(window) -> list:
    return spec_check.errors(window.problems)


def settle(qtbot, window) -> None:
    """Wait for the window's start-up to end: it builds its plot views (importing
    pyqtgraph) once it is first painted, which holds the event loop for a moment."""
    qtbot.waitUntil(lambda: not any(isinstance(getattr(window, dock).widget(), QLabel)
                                    for dock in window.LAZY_VIEWS), timeout=30_000)
    qtbot.wait(100)


def wait_loaded(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.loading(), timeout=LOAD_TIMEOUT)


def test_a_large_csv_opens_without_freezing_and_training_uses_the_loaded_data(
        window, qtbot, tmp_path, big_csv):
    (tmp_path / "big.csv").symlink_to(big_csv)
    path = project_on(tmp_path, "big.csv")
    panel = window.data_panel
    train = window.actions_by_name["train"]
    settle(qtbot, window)
    ticks = Ticks()
    ticks.start()
    assert window.open_path(path, ask=False)

    # while it loads: the panel says so, sizes are pending, Train waits and says why
    assert panel.loading()
    assert panel.summary.text() == "Loading…"
    assert panel.load_progress.isVisibleTo(panel)
    assert not panel.details.isVisibleTo(panel)
    assert window.dataset() is None
    assert window.scene.n_features is None and window.scene.units.get("input") is None
    assert errors(window) == []   # no false errors about sizes not known yet
    assert not train.isEnabled()
    assert train.toolTip() == "Waiting for the data to load"
    # the progress bar follows the reader
    qtbot.waitUntil(lambda: panel.load_progress.value() > 0 or not panel.loading(),
                    timeout=LOAD_TIMEOUT)

    wait_loaded(qtbot, panel)
    qtbot.wait(200)   # showing the data (the plot draws a subset) counts too
    ticks.stop()
    # the event loop kept running all along: loading on the window's thread would hold
    # it for the whole read (about a second here)
    assert ticks.max_gap < 0.5, f"the window froze for {ticks.max_gap:.2f} s"
    assert ticks.count > 10

    assert panel.summary.text() == (f"{N_ROWS} rows · {N_FEATURES} features after encoding · "
                                    "classification with 3 classes")
    assert not panel.load_progress.isVisibleTo(panel)
    assert panel.details.isVisibleTo(panel)
    assert panel.split_label.text() == "train 240000 · validation 60000 · test 0"
    assert panel.preview.item(0, 0) is not None
    assert window.dataset().n_features == N_FEATURES
    assert window.scene.units["input"] == N_FEATURES and window.scene.units["output"] == 3
    assert errors(window) == []
    assert train.isEnabled() and train.toolTip() == "Start training (F5)"

    # the split decides the rows preprocessing is fitted on: a new split loads again,
    # in the background too
    window.session.push(SetTraining(window.session.project, validation_split=0.1))
    assert panel.loading() and not train.isEnabled()
    wait_loaded(qtbot, panel)
    assert panel.split_label.text() == "train 270000 · validation 30000 · test 0"
    assert train.isEnabled()

    # training starts on the data already loaded: the file is not needed (nor read) again
    (tmp_path / "big.csv").unlink()
    loaded = panel.current().dataset
    set_epochs(window, qtbot, 1000)
    train.trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=TRAIN_TIMEOUT)
    job = window._job_running
    assert job.dataset is loaded
    assert job.n_features == N_FEATURES and job.n_outputs == 3
    assert len(job.x) == N_ROWS
    assert window.person.errors == []
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()


def test_an_unreadable_large_file_says_why_and_the_window_stays_usable(window, qtbot,
                                                                       tmp_path):
    csv = tmp_path / "broken.csv"
    write_csv(csv, 40_000)
    with open(csv, "a") as f:
        f.write("1.0,2.0\n")   # a short row at the end: found only by reading it all
    assert csv.stat().st_size > data_loader.SYNC_BYTES   # loads in the background
    path = project_on(tmp_path, "broken.csv")
    panel = window.data_panel
    assert window.open_path(path, ask=False)
    assert panel.loading()
    wait_loaded(qtbot, panel)

    text = panel.summary.text()
    assert text.startswith("Cannot load this dataset: ") and "broken.csv" in text
    assert "row 40002" in text
    assert not panel.details.isVisibleTo(panel)
    assert not panel.load_progress.isVisibleTo(panel)
    assert window.dataset() is None and window.person.errors == []

    # the window goes on: a person picks another dataset and trains on it
    combo = panel.dataset
    combo.setCurrentIndex(combo.findData("builtin:iris"))
    assert panel.summary.text().startswith("150 rows · 4 features")
    assert window.scene.units["input"] == 4 and window.scene.units["output"] == 3
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT) as done:
        window.actions_by_name["train"].trigger()
    assert done.args[0]["status"] == "completed"
    assert window.person.errors == []


def test_a_newer_load_supersedes_an_older_one(panel, qtbot, tmp_path):
    session = panel.session
    finished = []
    panel.loadFinished.connect(lambda: finished.append(panel.summary.text()))
    csv = tmp_path / "newer.csv"
    write_csv(csv, 40_000, n_features=5)
    assert csv.stat().st_size > data_loader.SYNC_BYTES
    # first a large synthetic set (its generation cannot be cancelled: it runs to the end
    # and its result arrives after the newer one's) ...
    session.push(SetData(session.project, DataSource(
        "synthetic", {"name": "spirals", "n_samples": 1_000_000, "noise": 0.2, "seed": 0})))
    assert panel.loading()
    older = panel._worker
    # ... then, before it is done, a CSV of 5 features
    session.push(SetData(session.project, csv_source(str(csv))))
    assert panel.loading()
    qtbot.waitUntil(lambda: not older.isRunning() and not panel.loading(),
                    timeout=LOAD_TIMEOUT)
    qtbot.wait(50)   # let a late result of the older load arrive, if it would
    assert panel.summary.text().startswith("40000 rows · 5 features")
    assert panel.load().n_features == 5
    assert finished == [panel.summary.text()]   # the older load's end went unannounced


def test_a_large_synthetic_set_loads_in_the_background_and_load_waits_for_it(panel):
    session = panel.session
    config = {"name": "spirals", "n_samples": 300_000, "noise": 0.2, "seed": 0}
    session.push(SetData(session.project, DataSource("synthetic", config)))
    assert panel.loading() and panel.summary.text() == "Loading…"
    assert panel.current() is None and panel.loaded_data() is None
    # load() is for callers that need the data now: it waits
    assert panel.load().n_samples == 300_000
    assert not panel.loading()
    assert panel.summary.text().startswith("300000 rows · 2 features")
    dataset, preprocessor = panel.loaded_data()
    assert dataset.n_samples == 300_000 and preprocessor is None
    # back to the small set: at once, no thread
    session.undo_stack.undo()
    assert not panel.loading() and panel.summary.text().startswith("600 rows")


def test_during_a_run_only_the_controls_that_change_the_data_wait(window, qtbot):
    window.session.open_example("spirals-classifier")
    panel = window.data_panel
    set_epochs(window, qtbot, 100_000)
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=TRAIN_TIMEOUT)

    for control in panel.data_controls():
        assert not control.isEnabled(), control.objectName()
    assert panel.isEnabled()
    # the views can be browsed: switch tabs, pick the plot's features, read the tables
    tabs = panel.tabs
    assert tabs.isEnabled() and tabs.tabBar().isEnabled()
    tab_bar = tabs.tabBar()
    preview_tab = tabs.indexOf(panel.preview)
    qtbot.mouseClick(tab_bar, Qt.MouseButton.LeftButton,
                     pos=tab_bar.tabRect(preview_tab).center())
    assert tabs.currentWidget() is panel.preview
    assert panel.preview.isEnabled() and panel.preview.rowCount() > 0
    tabs.setCurrentWidget(panel.plot_holder)
    qtbot.waitUntil(lambda: panel._scatter is not None, timeout=10_000)
    scatter = panel.scatter
    assert scatter.isEnabled() and scatter.y_feature.isEnabled()
    ds = panel.current().dataset
    scatter.y_feature.setFocus()
    qtbot.keyClick(scatter.y_feature, Qt.Key.Key_Up)   # a person picks the other feature
    assert scatter.y_feature.currentIndex() == 0
    np.testing.assert_allclose(scatter.points.getData()[1], ds.x[:, 0])
    assert panel.columns.isEnabled() and panel.summary.isEnabled()

    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    for control in panel.data_controls():
        assert control.isEnabled(), control.objectName()
