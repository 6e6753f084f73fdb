"""The Runs panel in the real window, after real short trainings: the runs side by side,
Restore (the views, predictions and exports follow), Restore to Canvas (the run's network,
settings and data come back), Delete, Rename in place, Compare on the loss plot, and all of
it undoable."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from window_helpers import set_epochs

from engine import metrics as metric_registry
from nnstudio.document import examples, project_file
from nnstudio.document.model import DataSource
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
    assert not panel.rename_button.isEnabled() and not panel.to_canvas_button.isEnabled()
    assert not panel.table.findChild(QAction, "runs_restore_to_canvas").isEnabled()
    spec = window.session.project.spec()
    assert not panel.restore("run1") and not panel.delete("run1")
    assert not panel.restore_to_canvas("run1") and window.session.project.spec() == spec
    panel.set_compared("run3", True)  # the run shown before: now compared with the live one
    assert window.loss_plot.overlay_names == ["Run 3"]
    # an epoch has finished (the loss plot's tab is behind the runs list, so the progress
    # bar says it: hidden views are updated when they show or the run ends)
    qtbot.waitUntil(lambda: window.training_progress.epochs.value() >= 1,
                    timeout=TRAIN_TIMEOUT)
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["stop"].trigger()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4)
    assert panel.current_run().id == "run4"
    assert panel.cell("run4", "Status") == "stopped"
    click_row(qtbot, panel, "run1")
    assert panel.restore_button.isEnabled() and panel.delete_button.isEnabled()
    assert panel.to_canvas_button.isEnabled()  # its learning rate is not the document's


def test_a_new_document_empties_the_table_and_the_comparison(window, qtbot, three_runs):
    panel = window.runs_panel
    panel.set_compared("run1", True)
    assert window.loss_plot.overlay_names == ["Run 1"]
    window.person.will("save_changes", "discard")
    window.findChild(QAction, "action_example_xor-playground").trigger()
    assert panel.table.rowCount() == 0 and panel.compared() == []
    assert window.loss_plot.overlay_names == []
    assert "No runs yet" in panel.hint.text()


# -- Restore to Canvas ------------------------------------------------------------------------
def double_click_palette(window, qtbot, layer_type: str) -> None:
    palette = window.palette_widget
    item = next(palette.item(i) for i in range(palette.count())
                if palette.item(i).data(Qt.ItemDataRole.UserRole) == layer_type)
    palette.scrollToItem(item)
    rect = palette.visualItemRect(item)
    qtbot.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def select_layer(window, node_id: str) -> None:
    window.scene.clearSelection()
    window.scene.node_items[node_id].setSelected(True)


def type_units(window, qtbot, node_id: str, units: int) -> None:
    select_layer(window, node_id)
    box = window.inspector.fields["units"]
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, str(units))
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.session.project.nodes[node_id].config["units"] == units


def canvas_state(project):
    """Everything of the network a person sees on the canvas, in the document's order."""
    return ([(n.id, n.type, n.config, tuple(n.position)) for n in project.nodes.values()],
            list(project.edges))


@pytest.fixture
def changed_network(window, qtbot):
    """Run 1: the spirals example, 3 epochs at lr 0.01.  Then a dense layer inserted after
    hidden2, hidden1 widened to 24 units, and Run 2: 4 epochs at lr 0.05."""
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    run1 = train(window, qtbot, 3, 0.01)
    select_layer(window, "hidden2")
    double_click_palette(window, qtbot, "dense")
    assert ("hidden2", "dense1") in window.session.project.edges
    type_units(window, qtbot, "hidden1", 24)
    run2 = train(window, qtbot, 4, 0.05)
    window.runs_dock.show()
    window.runs_dock.raise_()
    return run1, run2


def test_restore_to_canvas_brings_back_the_run_network_and_settings(window, qtbot,
                                                                    changed_network,
                                                                    tmp_path):
    panel, project = window.runs_panel, window.session.project
    run1, run2 = changed_network
    assert [n["id"] for n in run2.settings["spec"]["nodes"]] == [
        "input", "hidden1", "hidden2", "output", "dense1"]
    before = canvas_state(project)
    select_layer(window, "hidden1")  # the inspector shows hidden1: 24 units
    assert window.inspector.fields["units"].value() == 24
    # Run 2 is what the canvas holds: nothing to restore
    click_row(qtbot, panel, run2.id)
    assert not panel.to_canvas_button.isEnabled()
    menu_action = panel.table.findChild(QAction, "runs_restore_to_canvas")
    assert not menu_action.isEnabled() and menu_action in panel.table.actions()
    click_row(qtbot, panel, run1.id)
    assert panel.to_canvas_button.isEnabled() and menu_action.isEnabled()
    steps = window.session.undo_stack.count()
    qtbot.mouseClick(panel.to_canvas_button, Qt.MouseButton.LeftButton)

    # the document: Run 1's network, settings and data; Run 1 current
    assert window.session.undo_stack.count() == steps + 1
    assert project.spec() == run1.settings["spec"]
    assert project.training.to_dict() == run1.settings["training"]
    assert project.data.to_dict() == run1.settings["data"]
    assert panel.current_run() is run1 and panel.cell(run1.id, "Current") == CURRENT_MARK
    assert not panel.to_canvas_button.isEnabled() and not panel.restore_button.isEnabled()
    assert "Restored Run 1" in window.statusBar().currentMessage()
    # the canvas: Run 1's layers and connections; the layers that stayed did not move
    assert set(window.scene.node_items) == {"input", "hidden1", "hidden2", "output"}
    assert set(window.scene.edge_items) == {tuple(e) for e in run1.settings["spec"]["edges"]}
    kept = {nid: pos for nid, _, _, pos in before[0] if nid != "dense1"}
    assert {nid: tuple(n.position) for nid, n in project.nodes.items()} == kept
    for nid, pos in kept.items():
        item_pos = window.scene.node_items[nid].pos()
        assert (item_pos.x(), item_pos.y()) == pos
    # the inspector, the training panel and the summary show Run 1's
    assert window.inspector.node_id == "hidden1"
    assert window.inspector.fields["units"].value() == 16
    assert window.training_panel.lr.value() == pytest.approx(0.01)
    assert window.training_panel.epochs.value() == 3
    window.summary_panel.flush()
    assert [r[0] for r in window.summary_panel.rows()[:-1]] == [
        "input", "hidden1", "hidden2", "output"]
    assert window.summary_panel.total_params() == runs.run_network(run1).params.size
    assert window.problems == [] and window.actions_by_name["train"].isEnabled()
    # the current run's weights fit the document's network; the views show Run 1
    job = snapshot.prepare(project)
    job.network.set_weights(panel.current_run().weights)
    np.testing.assert_array_equal(job.network.predict(job.x),
                                  runs.run_network(run1).predict(job.x))
    np.testing.assert_allclose(window.loss_plot.train_curve.getData()[1],
                               run1.history["train"]["loss"])
    np.testing.assert_array_equal(window.confusion_view.matrix,
                                  independent_confusion(run1, project))

    # one undo step: Run 2's network (dense1 where it was), settings and current run
    window.actions_by_name["undo"].trigger()
    assert canvas_state(project) == before
    assert project.training.to_dict() == run2.settings["training"]
    assert panel.current_run() is run2
    assert set(window.scene.node_items) == {"input", "hidden1", "hidden2", "output", "dense1"}
    assert window.inspector.fields["units"].value() == 24
    assert window.training_panel.lr.value() == pytest.approx(0.05)
    np.testing.assert_allclose(window.loss_plot.train_curve.getData()[1],
                               run2.history["train"]["loss"])
    window.actions_by_name["redo"].trigger()
    assert project.spec() == run1.settings["spec"] and panel.current_run() is run1
    assert project.training.to_dict() == run1.settings["training"]

    # saved and reopened, the project keeps the restored state
    path = tmp_path / "restored.nnproj"
    window.person.will("save_path", str(path))
    window.actions_by_name["save"].trigger()
    assert window.open_path(str(path))
    reopened = window.session.project
    assert reopened.spec() == run1.settings["spec"]
    assert reopened.training.to_dict() == run1.settings["training"]
    assert window.runs_panel.current_run().id == run1.id
    assert [tuple(n.position) for n in reopened.nodes.values()] == list(kept.values())
    click_row(qtbot, panel, run1.id)
    assert not panel.to_canvas_button.isEnabled()

    # Train now trains Run 1's network with Run 1's settings
    with qtbot.waitSignal(window.controller.finished, timeout=TRAIN_TIMEOUT):
        window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "idle")
    run3 = reopened.runs[-1]
    assert run3.id == "run3" and panel.current_run() is run3
    assert run3.settings["spec"] == run1.settings["spec"]
    assert run3.settings["training"] == run1.settings["training"]
    assert len(run3.history["lr"]) == 3
    assert {k: v.shape for k, v in run3.weights.items()} == {
        k: v.shape for k, v in run1.weights.items()}


def test_restore_to_canvas_places_new_layers_as_arrange_does(window, qtbot, changed_network):
    """Back from Run 1 (arranged) to Run 2: dense1 comes back one Arrange column after
    hidden2, a row lower, since output stands in that column; the others stay."""
    from nnstudio.canvas.edit_ops import ARRANGE_DX, ARRANGE_DY

    panel, project = window.runs_panel, window.session.project
    run1, run2 = changed_network
    assert panel.restore_to_canvas(run1.id)
    window.actions_by_name["arrange"].trigger()
    positions = {nid: tuple(n.position) for nid, n in project.nodes.items()}
    assert positions["output"] == (positions["hidden2"][0] + ARRANGE_DX, 0.0)
    assert panel.restore_to_canvas(run2.id)
    assert project.spec() == run2.settings["spec"] and panel.current_run() is run2
    x, y = project.nodes["dense1"].position
    hx, hy = positions["hidden2"]
    assert (x, y) == (hx + ARRANGE_DX, hy + ARRANGE_DY)
    item = window.scene.node_items["dense1"]
    assert (item.pos().x(), item.pos().y()) == (x, y)
    assert {nid: tuple(project.nodes[nid].position) for nid in positions} == positions


def test_restore_to_canvas_brings_back_the_run_data(window, qtbot):
    panel, project = window.runs_panel, window.session.project
    window.findChild(QAction, "action_example_spirals-classifier").trigger()
    run1 = train(window, qtbot, 2, 0.01)
    combo = window.data_panel.dataset
    combo.setCurrentIndex(combo.findData("synthetic:circle"))
    assert project.data.config["name"] == "circle"
    window.runs_dock.show()
    click_row(qtbot, panel, run1.id)
    # the network and settings are Run 1's; the data is not
    assert panel.canvas_changes(run1) == ["data"] and panel.to_canvas_button.isEnabled()
    qtbot.mouseClick(panel.to_canvas_button, Qt.MouseButton.LeftButton)
    assert project.data.to_dict() == run1.settings["data"]
    assert window.data_panel.dataset.currentData() == "synthetic:spirals"
    window.actions_by_name["undo"].trigger()
    assert project.data.config["name"] == "circle"


SMALL_CSV = "a,b,label\n" + "".join(
    f"{(i * 37 % 101) / 50 - 1:.3f},{(i * 53 % 97) / 48 - 1:.3f},{'yes' if i % 3 else 'no'}\n"
    for i in range(90))


def test_data_no_longer_in_the_project_stays_as_it_is(window, qtbot, tmp_path):
    """A run trained on an embedded CSV, after the project changed to another dataset (the
    CSV left the project with it): the network and settings come back, the data stays,
    and the status bar says why."""
    project = examples.spirals_classifier()
    project.data = DataSource("csv", {"file": "small.csv", "target": "label"})
    project.embedded = {"small.csv": SMALL_CSV.encode()}
    path = tmp_path / "small.nnproj"
    project_file.save(project, path)
    assert window.open_path(str(path), ask=False)
    panel, project = window.runs_panel, window.session.project
    run1 = train(window, qtbot, 2, 0.01)
    combo = window.data_panel.dataset
    combo.setCurrentIndex(combo.findData("synthetic:spirals"))
    assert project.data.kind == "synthetic" and "small.csv" not in project.embedded
    type_lr(window, qtbot, 0.2)
    window.runs_dock.show()
    click_row(qtbot, panel, run1.id)
    assert panel.canvas_changes(run1) == ["training"]
    qtbot.mouseClick(panel.to_canvas_button, Qt.MouseButton.LeftButton)
    assert project.training.to_dict() == run1.settings["training"]
    assert project.spec() == run1.settings["spec"]
    assert project.data.kind == "synthetic"  # kept
    message = window.statusBar().currentMessage()
    assert "current data is kept" in message and "small.csv" in message
    assert window.person.errors == []
    window.actions_by_name["undo"].trigger()
    assert project.training.optimizer["lr"] == pytest.approx(0.2)


def test_replace_network_reaches_the_exact_order_and_back(qtbot):
    """Layers listed in another order, a layer whose type changed under the same id, and
    merge inputs in another order: the result is exactly the wanted network, and replacing
    back gives exactly the first one (what undo relies on)."""
    import copy

    from nnstudio.document.model import Node, Project
    from nnstudio.editor.commands import replace_network

    def network(nodes, edges):
        project = Project()
        for nid, kind, pos in nodes:
            project.add_node(Node(nid, kind, {"units": 4} if kind == "dense" else {}, pos))
        for edge in edges:
            project.connect(*edge)
        return project

    first = network([("input", "input", (0, 0)), ("a", "dense", (1, 0)),
                     ("b", "dense", (1, 1)), ("sum", "add", (2, 0))],
                    [("input", "a"), ("input", "b"), ("a", "sum"), ("b", "sum")])
    second = network([("input", "input", (5, 5)), ("b", "dense", (6, 6)),
                      ("a", "dense", (7, 7)), ("sum", "concatenate", (8, 8))],
                     [("input", "b"), ("input", "a"), ("b", "sum"), ("a", "sum")])
    project = copy.deepcopy(first)
    seen = []
    project.subscribe(lambda change: seen.append(change.kind))
    replace_network(project, list(second.nodes.values()), list(second.edges))
    assert canvas_state(project) == canvas_state(second)
    assert project.spec() == second.spec()
    replace_network(project, list(first.nodes.values()), list(first.edges))
    assert canvas_state(project) == canvas_state(first)
    seen.clear()
    replace_network(project, list(first.nodes.values()), list(first.edges))
    assert seen == []  # nothing differs: nothing is touched
