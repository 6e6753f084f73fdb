"""The confusion view: a real spirals run, checked against an independent computation."""

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QWidget

from engine import metrics
from nnstudio.document import examples
from nnstudio.training.snapshot import prepare
from nnstudio.views.confusion import ConfusionView

TIMEOUT = 30_000


@pytest.fixture
def view(qtbot):
    widget = ConfusionView()
    widget.resize(820, 620)
    qtbot.addWidget(widget)
    return widget


def run_spirals(qtbot, controller, view, epochs=25):
    project = examples.spirals_classifier()
    project.set_training(epochs=epochs, validation_split=0.2)
    job = prepare(project)
    view.set_class_names(job.dataset.class_names, job.dataset.feature_names)
    controller.epochsEnded.connect(view.add_epochs)
    controller.evaluationReady.connect(view.set_evaluation)
    epochs_seen, evaluations = [], []
    controller.epochsEnded.connect(epochs_seen.extend)
    controller.evaluationReady.connect(evaluations.append)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job)
    assert blocker.args[0]["status"] == "completed"
    return job, epochs_seen, evaluations


def test_matrix_equals_an_independent_computation_after_a_real_run(qtbot, view, controller):
    job, epochs_seen, evaluations = run_spirals(qtbot, controller, view)

    # independently: fit's split (rng [seed, 1]), the trained network's predictions
    n = len(job.x)
    n_val = int(round(n * 0.2))
    perm = np.random.default_rng([job.fit_kwargs["seed"], 1]).permutation(n)
    xv, yv = job.x[perm[:n_val]], job.y[perm[:n_val]]
    expected = metrics.confusion_matrix(yv, job.network.predict(xv).argmax(axis=1), 3)

    np.testing.assert_array_equal(view.matrix, expected)
    # the last epoch's matrix (the engine's) agrees, since no weights were restored
    np.testing.assert_array_equal(np.asarray(epochs_seen[-1]["confusion"]), expected)
    assert view.matrix.sum() == n_val
    # the image shows the same numbers
    np.testing.assert_array_equal(view.image.image, expected.astype(float))
    report = metrics.report_from_confusion(expected, job.dataset.class_names)
    assert view.report == report
    assert view.class_names == list(job.dataset.class_names)
    # the report table: per class, then accuracy, macro avg, weighted avg
    table = view.report_table
    assert table.rowCount() == 3 + 3
    assert table.item(0, 0).text() == f"{report['per_class']['precision'][0]:.3f}"
    assert table.item(3, 2).text() == f"{report['accuracy']:.3f}"
    assert table.item(4, 2).text() == f"{report['macro']['f1']:.3f}"
    assert table.item(5, 1).text() == f"{report['weighted']['recall']:.3f}"
    assert table.item(1, 3).text() == str(int(expected[1].sum()))
    assert len(evaluations) == 1 and evaluations[0]["split"] == "validation"


def test_row_normalized_toggle_and_cell_texts(qtbot, view):
    view.set_class_names(["a", "b"])
    view.set_matrix([[8, 2], [1, 9]])
    assert view.cell_text(0, 1) == "2" and view.cell_text(1, 1) == "9"
    view.normalized.setChecked(True)
    np.testing.assert_allclose(view.shown_values(), [[0.8, 0.2], [0.1, 0.9]])
    assert view.cell_text(1, 1) == "0.90"
    assert view.color_bar.levels() == (0, 1.0)
    view.set_matrix([[5, 5], [0, 10]])
    assert [view.cell_text(0, j) for j in (0, 1)] == ["0.50", "0.50"]
    view.normalized.setChecked(False)
    assert view.cell_text(1, 1) == "10" and view.cell_text(1, 0) == "0"
    np.testing.assert_array_equal(view.image.image, [[5, 5], [0, 10]])


def test_a_click_on_a_cell_lists_its_misclassified_rows(qtbot, view, controller):
    job, _, evaluations = run_spirals(qtbot, controller, view, epochs=3)
    ev = evaluations[0]
    m = view.matrix
    off = [(i, j) for i in range(3) for j in range(3) if i != j and m[i, j]]
    assert off, "three epochs of spirals leave some mistakes"
    true, pred = off[0]

    # a real mouse click in the middle of the cell
    vb = view.plot.getPlotItem().getViewBox()
    view.show()
    qtbot.waitExposed(view)
    scene_point = vb.mapViewToScene(QPointF(pred + 0.5, true + 0.5))
    viewport_point = view.plot.mapFromScene(scene_point)
    with qtbot.waitSignal(view.cellSelected, timeout=2000) as blocker:
        qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=viewport_point)
    assert blocker.args == [true, pred]

    table = view.samples_table
    assert table.rowCount() == m[true, pred]
    rows = np.flatnonzero((ev["y_true"] == true) & (ev["y_pred"] == pred))
    # the listed rows are rows of job.x, with their inputs and probabilities
    for r, pos in enumerate(rows):
        index = int(table.item(r, 0).text())
        assert index == ev["indices"][pos]
        assert float(table.item(r, 1).text()) == pytest.approx(float(job.x[index, 0]), rel=1e-3)
        assert job.y[index] == true
        probs = job.network.predict(job.x[index:index + 1])[0]
        assert probs.argmax() == pred
        assert float(table.item(r, 5 + pred).text()) == pytest.approx(probs[pred], abs=1e-3)
    assert "misclassified" in view.samples_label.text()
    assert table.horizontalHeaderItem(1).text() == job.dataset.feature_names[0]


def test_export_csv_and_png(tmp_path, view):
    view.set_class_names(["cat", "dog", "owl"])
    matrix = np.array([[5, 1, 0], [2, 6, 1], [0, 0, 7]])
    view.set_matrix(matrix)
    view.export_csv(tmp_path / "c.csv")
    with open(tmp_path / "c.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["true \\ predicted", "cat", "dog", "owl"]
    assert [[int(v) for v in r[1:]] for r in rows[1:4]] == matrix.tolist()
    report = metrics.report_from_confusion(matrix)
    assert rows[5] == ["class", "precision", "recall", "f1", "support"]
    assert float(rows[7][3]) == report["per_class"]["f1"][1]
    assert rows[9][0] == "accuracy" and float(rows[9][3]) == report["accuracy"]
    assert rows[10][0] == "macro avg" and float(rows[10][3]) == report["macro"]["f1"]
    assert view.export_png(tmp_path / "c.png") and (tmp_path / "c.png").stat().st_size > 1000


def test_every_widget_has_an_object_name_and_an_accessible_name(view):
    for widget in [view, *view.findChildren(QWidget)]:
        if widget.parent() is not None and widget.parent().objectName().startswith("qt_"):
            continue
        if not widget.objectName() or widget.objectName().startswith("qt_"):
            continue  # Qt's own internals (scroll bars, viewports)
        assert widget.accessibleName(), widget.objectName()
    for name in ("confusionPlot", "confusionNormalized", "confusionReport",
                 "confusionSamples", "confusionSummary", "confusionSamplesLabel"):
        assert view.findChild(QWidget, name) is not None
