"""The Runs panel in the real window, after real short trainings: the runs side by side,
Restore (the views, predictions and exports follow), Delete, Rename in place, Compare on
the loss plot, and all of it undoable."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from window_helpers import set_epochs

from engine import metrics as metric_registry
from nnstudio.panels.runs_panel import CURRENT_MARK
from nnstudio.training import probes, runs, snapshot

TRAIN_TIMEOUT = 60_000  # ms


def type_lr(window, qtbot, value: float) -> None:
    box = window.training_panel.lr
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box, repr(value))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.project.training.optimizer["lr"] == pytest.approx(value)


def train(window, qtbot, epochs: int, lr: float):
    set_epochs(window, qtbot, epochs)
    type_lr(window, qtbot, lr)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle")
    return window.session.project.runs[-1]


@pytest.fixture
def three_runs(window, qtbot):
    """The spirals example trained three times: 4 epochs at lr 0.01, 6 at 0.05, 3 at
    0.001 (Run 1, Run 2, Run 3)."""
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    made = [train(window, qtbot, 4, 0.01), train(window, qtbot, 6, 0.05),
            train(window, qtbot, 3, 0.001)]
    window.runs_dock.show()
    window.runs_dock.raise_()
    return made


def names_in_table(panel):
    return [panel.table.item(r, panel.NAME).text() for r in range(panel.table.rowCount())]


def click_row(qtbot, panel, run_id, column=None):
    table = panel.table
    rect = table.visualItemRect(table.item(panel.row_of(run_id),
                                           panel.STATUS if column is None else column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def independent_confusion(run, project):
    """The confusion matrix of ``run``'s weights on its validation split, computed here
    from the run's own data and network, without the window."""
    job = snapshot.prepare(runs.run_project(run, project.embedded))
    val, _ = probes.validation_indices(len(job.x), job.training.validation_split,
                                       job.training.seed)
    predicted = runs.classes(runs.run_network(run).predict(job.x[val]))
    return metric_registry.confusion_matrix(probes.class_indices(job.y[val]), predicted, 3)


def test_the_runs_are_listed_side_by_side(window, three_runs):
    panel = window.runs_panel
    assert names_in_table(panel) == ["Run 1", "Run 2", "Run 3"]
    columns = panel.columns()
    assert columns[:6] == ["Current", "Compare", "Name", "Status", "Epochs", "Best epoch"]
    assert columns[-1] == "Created"
    assert panel.metric_keys() == ["loss", "val_loss", "accuracy", "val_accuracy"]
    for run, epochs in zip(three_runs, (4, 6, 3)):
        assert panel.cell(run.id, "Epochs") == str(epochs) == str(len(run.history["lr"]))
        assert panel.cell(run.id, "Status") == "completed"
        assert panel.cell(run.id, "Best epoch") == str(run.best_epoch + 1)
        for key in panel.metric_keys():
            assert float(panel.cell(run.id, key)) == pytest.approx(
                run.history["validation" if key.startswith("val_") else "train"][key][-1],
                rel=1e-3)
        assert panel.cell(run.id, "Created")[:4].isdigit()
    # the run just trained is the current one, marked in its row
    assert [panel.cell(r.id, "Current") for r in three_runs] == ["", "", CURRENT_MARK]
    assert panel.current_run() is three_runs[2]


def test_restore_makes_a_run_current_for_the_views_and_the_exports(window, qtbot,
                                                                   three_runs, tmp_path):
    panel, project = window.runs_panel, window.session.project
    run1, _, run3 = three_runs
    click_row(qtbot, panel, run1.id)
    assert panel.restore_button.isEnabled()
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)

    assert runs.last_trained_run(project) is run1 and panel.current_run() is run1
    assert panel.cell(run1.id, "Current") == CURRENT_MARK
    assert not panel.restore_button.isEnabled()  # it is current already
    # the loss plot shows Run 1's curves and best epoch
    np.testing.assert_allclose(window.loss_plot.train_curve.getData()[1],
                               run1.history["train"]["loss"])
    assert window.loss_plot.best_epoch == run1.best_epoch
    assert window.loss_plot.summary.text().startswith("Run\u00a01")
    assert window.gradient_view.n_epochs == 4
    # the confusion matrix and the decision boundary are Run 1's weights'
    np.testing.assert_array_equal(window.confusion_view.matrix,
                                  independent_confusion(run1, project))
    grid = window.boundary_view.grid
    job = snapshot.prepare(runs.run_project(run1, project.embedded))
    expected = probes.boundary(runs.run_network(run1), job.x, (0, 1), grid["resolution"],
                               job.x[probes.validation_indices(len(job.x), 0.2, 0)[1]]
                               .astype(np.float64).mean(axis=0))
    np.testing.assert_allclose(grid["values"], expected["values"], atol=1e-6)
    # axes picked while it is shown: Run 1's boundary over them (what the picker sends)
    window.boundary_view.featuresChanged.emit(1, 0)
    grid = window.boundary_view.grid
    assert tuple(grid["features"]) == (1, 0)
    hold = job.x[probes.validation_indices(len(job.x), 0.2, 0)[1]].astype(np.float64).mean(0)
    expected = probes.boundary(runs.run_network(run1), job.x, (1, 0), grid["resolution"],
                               hold)
    np.testing.assert_allclose(grid["values"], expected["values"], atol=1e-6)
    window.boundary_view.featuresChanged.emit(0, 1)
    # predictions exported now are Run 1's
    window.person.will("save_path", str(tmp_path / "pred.csv"))
    window.actions_by_name["export_predictions_csv"].trigger()
    assert window.person.errors == []
    with open(tmp_path / "pred.csv", newline="") as f:
        body = list(csv.reader(f))[1:]
    probabilities = np.array([[float(v) for v in row[-3:]] for row in body])
    np.testing.assert_allclose(probabilities, runs.run_network(run1).predict(job.dataset.x),
                               atol=1e-6)

    # one undo step puts Run 3 back as the current run, views included
    window.actions_by_name["undo"].trigger()
    assert panel.current_run() is run3
    assert names_in_table(panel) == ["Run 1", "Run 2", "Run 3"]
    np.testing.assert_allclose(window.loss_plot.train_curve.getData()[1],
                               run3.history["train"]["loss"])
    np.testing.assert_array_equal(window.confusion_view.matrix,
                                  independent_confusion(run3, project))
    window.actions_by_name["redo"].trigger()
    assert panel.current_run() is run1


def test_the_restored_run_stays_current_in_the_saved_file(window, qtbot, three_runs,
                                                          tmp_path):
    from nnstudio.document import project_file

    window.runs_panel.restore(three_runs[1].id)
    path = tmp_path / "runs.nnproj"
    window.person.will("save_path", str(path))
    window.actions_by_name["save"].trigger()
    reopened = project_file.load(path)
    current = runs.last_trained_run(reopened)
    assert current.id == three_runs[1].id and current == three_runs[1]


def test_delete_asks_nothing_and_undo_brings_the_run_back(window, qtbot, three_runs):
    panel, project = window.runs_panel, window.session.project
    run2 = three_runs[1]
    click_row(qtbot, panel, run2.id)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)  # the key, not the canvas' Delete
    assert [r.id for r in project.runs] == ["run1", "run3"]
    assert names_in_table(panel) == ["Run 1", "Run 3"]
    assert window.person.asked == [] and window.person.unexpected == []
    assert len(project.nodes) == 4  # the canvas kept its layers
    window.actions_by_name["undo"].trigger()
    assert [r.id for r in project.runs] == ["run1", "run2", "run3"]
    assert project.run("run2") is run2 and names_in_table(panel)[1] == "Run 2"


def test_deleting_the_current_run_shows_the_one_before(window, qtbot, three_runs):
    panel = window.runs_panel
    run2, run3 = three_runs[1], three_runs[2]
    click_row(qtbot, panel, run3.id)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert panel.current_run() is run2
    assert window.loss_plot.n_epochs == 6
    np.testing.assert_allclose(window.loss_plot.val_curve.getData()[1],
                               run2.history["validation"]["val_loss"])
    window.actions_by_name["undo"].trigger()
    assert panel.current_run() is run3 and window.loss_plot.n_epochs == 3


def test_rename_in_place_is_one_undo_step(window, qtbot, three_runs):
    panel, project = window.runs_panel, window.session.project
    run1 = three_runs[0]
    click_row(qtbot, panel, run1.id)
    qtbot.mouseClick(panel.rename_button, Qt.MouseButton.LeftButton)
    editor = panel.table.focusWidget()
    assert editor is not None and editor is not panel.table  # the cell's line edit
    editor.selectAll()
    qtbot.keyClicks(editor, "small lr")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits a moment later
    qtbot.waitUntil(lambda: run1.name == "small lr")
    assert panel.cell(run1.id, "Name") == "small lr"
    count = window.session.undo_stack.count()
    window.actions_by_name["undo"].trigger()
    assert run1.name == "Run 1" and panel.cell(run1.id, "Name") == "Run 1"
    assert window.session.undo_stack.index() == count - 1
    # a blank name changes nothing
    panel.start_rename(run1.id)
    editor = panel.table.focusWidget()
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.table.state() != panel.table.State.EditingState)
    assert run1.name == "Run 1" and panel.cell(run1.id, "Name") == "Run 1"
    assert window.session.undo_stack.index() == count - 1
    assert project.run(run1.id) is run1
    # the run the loss plot shows is renamed in its summary line too
    assert panel.rename("run3", "latest")
    assert window.loss_plot.summary.text().startswith("latest")


def test_compared_runs_are_overlaid_on_the_loss_plot(window, qtbot, three_runs):
    panel, plot = window.runs_panel, window.loss_plot
    run1, run2, run3 = three_runs
    assert plot.overlay_names == []
    for run in (run1, run2):
        rect = panel.table.visualItemRect(panel.table.item(panel.row_of(run.id),
                                                           panel.COMPARE))
        # a click on the tick box (at the left of its cell)
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(rect.left() + 10, rect.center().y()))
    assert panel.compared() == ["run1", "run2"]
    assert plot.overlay_names == ["Run 1", "Run 2"]
    loss, val_loss, metric, _ = plot.overlay_curves("run2")
    np.testing.assert_allclose(loss.getData()[1], run2.history["train"]["loss"])
    np.testing.assert_allclose(val_loss.getData()[1], run2.history["validation"]["val_loss"])
    np.testing.assert_allclose(metric.getData()[1], run2.history["train"]["accuracy"])
    legend = [label.text for _, label in plot.legend.items]
    assert legend == ["training", "validation", "Run 1", "Run 2"]
    # muted: not the colours of the run being shown
    assert loss.opts["pen"].color().alpha() < 255
    # the run shown is never overlaid on itself; a renamed run is renamed in the legend
    panel.set_compared(run3.id, True)
    assert plot.overlay_names == ["Run 1", "Run 2"]
    panel.rename(run1.id, "baseline")
    assert plot.overlay_names == ["baseline", "Run 2"]
    panel.set_compared(run2.id, False)
    assert plot.overlay_names == ["baseline"]
    header, rows = plot.export_table()
    assert header[-2:] == ["baseline: loss", "baseline: val_loss"]
    assert [float(r[-2]) for r in rows[:4]] == pytest.approx(run1.history["train"]["loss"])


def test_during_a_run_runs_can_be_compared_but_not_changed(window, qtbot, three_runs):
    panel = window.runs_panel
    set_epochs(window, qtbot, 100_000)
    click_row(qtbot, panel, "run1")
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "running", timeout=TRAIN_TIMEOUT)
    assert not panel.restore_button.isEnabled() and not panel.delete_button.isEnabled()
    assert not panel.rename_button.isEnabled()
    assert not panel.restore("run1") and not panel.delete("run1")
    panel.set_compared("run3", True)  # the run shown before: now compared with the live one
    assert window.loss_plot.overlay_names == ["Run 3"]
    qtbot.waitUntil(lambda: window.loss_plot.n_epochs >= 1, timeout=TRAIN_TIMEOUT)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4)
    assert panel.current_run().id == "run4"
    assert panel.cell("run4", "Status") == "stopped"
    click_row(qtbot, panel, "run1")
    assert panel.restore_button.isEnabled() and panel.delete_button.isEnabled()


def test_a_new_document_empties_the_table_and_the_comparison(window, qtbot, three_runs):
    panel = window.runs_panel
    panel.set_compared("run1", True)
    assert window.loss_plot.overlay_names == ["Run 1"]
    window.person.will("save_changes", "discard")
    window.findChild(QAction, "action_example_xor-playground").trigger()
    assert panel.table.rowCount() == 0 and panel.compared() == []
    assert window.loss_plot.overlay_names == []
    assert "No runs yet" in panel.hint.text()
