"""The loss plot: curves per epoch, best epoch, log scale, exports, and a real run."""

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from nnstudio.document import examples
from nnstudio.training.controller import TrainingController
from nnstudio.training.snapshot import prepare
from nnstudio.views.loss_plot import LossPlot


def epoch(i, loss, val_loss=None, acc=None, val_acc=None, improved=None):
    e = {"epoch": i, "train": {"loss": loss}, "validation": None}
    if acc is not None:
        e["train"]["accuracy"] = acc
    if val_loss is not None:
        e["validation"] = {"val_loss": val_loss}
        if val_acc is not None:
            e["validation"]["val_accuracy"] = val_acc
    if improved is not None:
        e["improved"] = improved
    return e


@pytest.fixture
def plot(qtbot):
    widget = LossPlot()
    widget.resize(640, 480)
    qtbot.addWidget(widget)
    return widget


def test_starts_empty(plot):
    assert plot.n_epochs == 0 and plot.best_epoch is None
    assert len(plot.train_curve.getData()[0] or []) == 0
    assert not plot.train_curve.isVisible()


def test_add_epochs_updates_the_curves_created_once(plot):
    curves = (plot.train_curve, plot.val_curve, plot.metric_curve, plot.val_metric_curve)
    plot.add_epochs([epoch(0, 1.0, 1.1, 0.5, 0.4, True), epoch(1, 0.5, 0.7, 0.7, 0.6, True)])
    plot.add_epochs([epoch(2, 0.3, 0.8, 0.8, 0.6, False)])
    assert (plot.train_curve, plot.val_curve, plot.metric_curve,
            plot.val_metric_curve) == curves
    assert len(plot.loss_plot.getPlotItem().listDataItems()) == 2
    x, y = plot.train_curve.getData()
    np.testing.assert_array_equal(x, [1, 2, 3])  # shown from epoch 1
    np.testing.assert_allclose(y, [1.0, 0.5, 0.3])
    np.testing.assert_allclose(plot.val_curve.getData()[1], [1.1, 0.7, 0.8])
    np.testing.assert_allclose(plot.metric_curve.getData()[1], [0.5, 0.7, 0.8])
    np.testing.assert_allclose(plot.val_metric_curve.getData()[1], [0.4, 0.6, 0.6])
    assert plot.metric_name == "accuracy" and plot.n_epochs == 3
    assert plot.best_epoch == 1  # the last epoch the engine called an improvement
    assert all(line.isVisible() and line.value() == 2 for line in plot._best_lines)
    assert "3" in plot.summary.text()


def test_without_validation_the_validation_curves_hide(plot):
    plot.add_epochs([epoch(0, 1.0), epoch(1, 0.4), epoch(2, 0.6)])
    assert plot.train_curve.isVisible() and not plot.val_curve.isVisible()
    assert plot.best_epoch == 1  # no "improved" flags: the lowest loss


def test_set_history_shows_a_saved_run_and_clear_empties_it(plot):
    history = {"train": {"loss": [0.9, 0.5, 0.4, 0.35], "mae": [0.8, 0.6, 0.5, 0.45]},
               "validation": {"val_loss": [1.0, 0.6, 0.65, 0.7],
                              "val_mae": [0.9, 0.7, 0.7, 0.8]},
               "lr": [0.01] * 4, "grad_norms": [{}] * 4, "seconds": [0.1] * 4}
    plot.set_history(history)
    assert plot.n_epochs == 4 and plot.metric_name == "mae"
    assert plot.best_epoch == 1  # lowest validation loss
    plot.set_history(history, best_epoch=3)
    assert plot.best_epoch == 3 and plot._best_lines[0].value() == 4
    plot.set_best_epoch(None)
    assert not plot._best_lines[0].isVisible()
    plot.clear()
    assert plot.n_epochs == 0 and plot.best_epoch is None and plot.series() == {}
    assert not plot.train_curve.isVisible()


def test_log_scale_toggle(plot):
    plot.add_epochs([epoch(i, 10.0 ** -i, 2 * 10.0 ** -i) for i in range(5)])
    item = plot.loss_plot.getPlotItem()
    assert not item.getAxis("left").logMode
    plot.log_scale.setChecked(True)
    assert item.getAxis("left").logMode
    assert not plot.metric_plot.getPlotItem().getAxis("left").logMode
    plot.log_scale.setChecked(False)
    assert not item.getAxis("left").logMode


def test_export_csv(plot, tmp_path):
    plot.add_epochs([epoch(0, 1.0, 1.1, 0.5, 0.4), epoch(1, 0.5, 0.7, 0.75, 0.6)])
    path = tmp_path / "curves.csv"
    plot.export_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == ["epoch", "loss", "val_loss", "accuracy", "val_accuracy"]
    assert [float(v) for v in rows[2]] == [2, 0.5, 0.7, 0.75, 0.6]
    assert len(rows) == 3


def test_export_csv_leaves_missing_values_empty(plot, tmp_path):
    plot.add_epochs([epoch(0, 1.0), epoch(1, 0.5, 0.7)])
    path = tmp_path / "curves.csv"
    plot.export_csv(path)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows == [["epoch", "loss", "val_loss"], ["1", "1.0", ""], ["2", "0.5", "0.7"]]


def test_export_png(plot, tmp_path):
    plot.add_epochs([epoch(i, 1 / (i + 1), 1.2 / (i + 1), 0.5 + i / 20) for i in range(8)])
    path = tmp_path / "curves.png"
    assert plot.export_png(path)
    image = QImage(str(path))
    assert not image.isNull() and image.width() >= 300 and image.height() >= 200


def test_every_widget_has_an_object_name_and_an_accessible_name(plot):
    own = [plot, plot.loss_plot, plot.metric_plot, plot.log_scale, plot.summary]
    for widget in own:
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()
    direct = [w for w in plot.findChildren(QWidget) if w.parentWidget() is plot]
    assert direct and set(map(id, direct)) <= set(map(id, own))


def test_a_real_run_fills_the_plot(qtbot, plot):
    controller = TrainingController()
    controller.epochsEnded.connect(plot.add_epochs)
    project = examples.spirals_classifier()
    project.set_training(epochs=25)
    try:
        with qtbot.waitSignal(controller.finished, timeout=30_000) as blocker:
            controller.start(prepare(project))
    finally:
        assert controller.shutdown(10_000)
    result = blocker.args[0]
    assert result["status"] == "completed"
    assert plot.n_epochs == 25 == len(plot.val_curve.getData()[0])
    np.testing.assert_allclose(plot.train_curve.getData()[1],
                               result["history"]["train"]["loss"])
    assert plot.best_epoch == result["best_epoch"]
    assert all(math.isfinite(v) for v in plot.series()["val_accuracy"])
    assert not plot.grab().isNull()


def legend_labels(plot):
    return [label.text for _, label in plot.legend.items]


def test_the_empty_plot_shows_a_hint_and_no_legend(plot):
    # before: a legend of two black "hidden curve" boxes without lines
    assert legend_labels(plot) == [] and not plot.legend.isVisible()
    assert plot.hint.isVisible() and "Train" in plot.hint.textItem.toPlainText()
    x_range = plot.loss_plot.getPlotItem().viewRange()[0]
    assert x_range == pytest.approx([1, 10])  # epochs, not 0.1 ... 0.9
    plot.add_epochs([epoch(0, 1.0), epoch(1, 0.5)])
    assert legend_labels(plot) == ["training"] and plot.legend.isVisible()
    assert not plot.hint.isVisible()
    plot.add_epochs([epoch(2, 0.4, 0.6)])
    assert legend_labels(plot) == ["training", "validation"]
    plot.clear()
    assert legend_labels(plot) == [] and not plot.legend.isVisible() and plot.hint.isVisible()


def history(losses, val_losses, accuracy=None):
    h = {"train": {"loss": list(losses)}, "validation": {"val_loss": list(val_losses)},
         "lr": [0.01] * len(losses)}
    if accuracy is not None:
        h["train"]["accuracy"] = list(accuracy)
    return h


def test_earlier_runs_are_overlaid_muted_and_named_in_the_legend(plot):
    plot.add_epochs([epoch(i, 1 / (i + 1), 1.1 / (i + 1), 0.5 + i / 10) for i in range(3)])
    a = history([0.9, 0.6, 0.4, 0.3, 0.25], [1.0, 0.7, 0.5, 0.45, 0.44], [0.5, 0.6, 0.7,
                                                                          0.75, 0.8])
    b = history([2.0, 1.5], [2.1, 1.7])
    plot.set_overlays([("run1", "Run 1", a), ("run2", "Run 2", b)])
    assert plot.overlay_names == ["Run 1", "Run 2"]
    assert legend_labels(plot) == ["training", "validation", "Run 1", "Run 2"]
    loss, val_loss, metric, val_metric = plot.overlay_curves("run1")
    np.testing.assert_array_equal(loss.getData()[0], [1, 2, 3, 4, 5])
    np.testing.assert_allclose(loss.getData()[1], a["train"]["loss"])
    np.testing.assert_allclose(val_loss.getData()[1], a["validation"]["val_loss"])
    np.testing.assert_allclose(metric.getData()[1], a["train"]["accuracy"])
    assert not val_metric.isVisible()  # Run 1 has no validation accuracy
    assert not plot.overlay_curves("run2")[2].isVisible()  # nor any accuracy at all
    # muted and thin: never the colours or the width of the run shown
    for curve in (loss, val_loss):
        pen = curve.opts["pen"]
        assert pen.color().alpha() < 255 and pen.widthF() < 2
        assert pen.color().rgb() not in (plot.train_curve.opts["pen"].color().rgb(),
                                         plot.val_curve.opts["pen"].color().rgb())
    assert val_loss.opts["pen"].style() == Qt.PenStyle.DashLine
    # a run that stays keeps its curves; one that goes takes them along
    before = len(plot.loss_plot.getPlotItem().listDataItems())
    plot.set_overlays([("run1", "baseline", a)])
    assert plot.overlay_curves("run1")[0] is loss
    assert len(plot.loss_plot.getPlotItem().listDataItems()) == before - 2
    assert legend_labels(plot) == ["training", "validation", "baseline"]
    # the data export carries them, as long as the longest run
    header, rows = plot.export_table()
    assert header == ["epoch", "loss", "val_loss", "accuracy", "baseline: loss",
                      "baseline: val_loss"]
    assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[3][1] == "" and float(rows[3][-2]) == 0.3
    # overlays alone: no hint, the runs' curves and their legend
    plot.clear()
    assert not plot.hint.isVisible() and legend_labels(plot) == ["baseline"]
    plot.set_overlays([])
    assert plot.hint.isVisible() and legend_labels(plot) == []
