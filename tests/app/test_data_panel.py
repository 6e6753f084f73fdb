"""The data panel: choosing datasets, what it shows about them (summary, class balance and
weights, splits, preview, column summary, scatter plot, sample images), undo, training."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from engine import training as engine_training
from nnstudio.document.model import DataSource
from nnstudio.editor.commands import SetData, SetTraining
from nnstudio.panels.data_panel import DataPanel
from nnstudio.session import Session
from nnstudio.training import snapshot


def choose(panel, kind, name):
    index = panel.dataset.findData(f"{kind}:{name}")
    assert index >= 0, name
    panel.dataset.setCurrentIndex(index)


def test_the_chooser_lists_synthetic_and_real_datasets(panel):
    items = [panel.dataset.itemData(i) for i in range(panel.dataset.count())]
    for name in ("iris", "wine", "breast_cancer", "digits", "diabetes", "penguins"):
        assert f"builtin:{name}" in items
    assert "synthetic:spirals" in items and "synthetic:xor" in items


def test_choosing_iris_is_one_undo_step_and_trains(panel, qtbot):
    session = panel.session
    assert panel.samples.isVisibleTo(panel)
    choose(panel, "builtin", "iris")
    assert session.project.data.kind == "builtin"
    assert session.project.data.config == {"name": "iris"}
    assert session.undo_stack.count() == 1
    assert not panel.samples.isVisibleTo(panel) and not panel.noise.isVisibleTo(panel)
    text = panel.summary.text()
    assert "150 rows" in text and "4 features" in text and "3 classes" in text
    assert panel.name_label.text().startswith("iris")
    assert [panel.balance.names, panel.balance.counts] == [
        ["setosa", "versicolor", "virginica"], [50, 50, 50]]
    assert not panel.balance_warning.isVisibleTo(panel)

    job = snapshot.prepare(session.project)
    assert (job.n_features, job.n_outputs) == (4, 3)
    assert job.x.dtype == np.float32
    kwargs = {**job.fit_kwargs, "epochs": 5}
    engine_training.fit(job.network, job.x, job.y, **kwargs)
    assert job.network.predict(job.x[:3]).shape == (3, 3)

    session.undo_stack.undo()
    assert session.project.data.kind == "synthetic"
    assert panel.samples.isVisibleTo(panel)
    assert panel.dataset.currentData() == "synthetic:spirals"


def test_back_to_synthetic_and_regression_summary(panel):
    choose(panel, "builtin", "diabetes")
    assert "regression" in panel.summary.text()
    choose(panel, "synthetic", "xor")
    data = panel.session.project.data
    assert data.kind == "synthetic" and data.config["name"] == "xor"
    assert panel.samples.isVisibleTo(panel)
    assert panel.session.undo_stack.count() == 2


IMBALANCED_CSV = ("\n".join(["x,label"] + [
    f"{i % 7 * 0.5},{'rare' if i < 3 else 'common'}" for i in range(100)]) + "\n").encode()


def use_csv(session, blob, name="imb.csv"):
    session.push(SetData(session.project, DataSource("csv", {"file": name}), {name: blob}))


def test_an_imbalanced_dataset_is_warned_about(panel):
    session = panel.session
    use_csv(session, IMBALANCED_CSV)
    assert panel.balance_warning.isVisibleTo(panel)
    assert "imbalanced" in panel.balance_warning.text()
    assert "smallest 3, largest 97" in panel.balance_warning.text()
    assert panel.dataset.currentText().endswith("imb.csv")
    assert panel.balance.counts == [97, 3] and panel.balance.names == ["common", "rare"]
    session.undo_stack.undo()
    assert not panel.dataset.currentText().startswith("CSV")
    assert not panel.balance_warning.isVisibleTo(panel)


def test_balanced_class_weights_are_one_undo_step_and_reach_the_loss(panel):
    session = panel.session
    use_csv(session, IMBALANCED_CSV)
    assert panel.class_weights.isVisibleTo(panel)
    assert panel.class_weights.currentData() is None and panel.balance.weights is None
    steps = session.undo_stack.count()
    panel.class_weights.setCurrentIndex(panel.class_weights.findData("balanced"))
    assert session.undo_stack.count() == steps + 1
    assert session.project.training.loss == {"name": "sparse_categorical_crossentropy",
                                            "weight": "balanced"}
    # the bars show the weights training will use: n / (k n_c) over the training rows
    job = snapshot.prepare(session.project)
    assert panel.balance.weights == pytest.approx(job.fit_kwargs["loss"]["weight"])
    assert panel.balance.weights[1] > 10 * panel.balance.weights[0]
    assert "weight" in panel.balance.accessibleDescription()
    engine_training.fit(job.network, job.x, job.y, **{**job.fit_kwargs, "epochs": 2})

    session.undo_stack.undo()
    assert "weight" not in session.project.training.loss
    assert panel.class_weights.currentData() is None and panel.balance.weights is None
    # a regression dataset has no classes to weigh
    choose(panel, "builtin", "diabetes")
    assert not panel.class_weights.isVisibleTo(panel)
    assert not panel.balance.isVisibleTo(panel)


def test_split_sizes_follow_the_training_settings(panel):
    choose(panel, "builtin", "iris")
    assert panel.split_label.text() == "train 120 · validation 30 · test 0"
    session = panel.session
    session.push(SetTraining(session.project, test_split=0.2))
    # 30 test rows, 10 per class; 24 of the other 120 for validation
    assert panel.split_label.text() == "train 96 · validation 24 · test 30"
    job = snapshot.prepare(session.project)
    assert len(job.x_test) == 30 and np.bincount(job.y_test).tolist() == [10, 10, 10]


def test_preview_and_column_summary_of_a_table_with_missing_values(panel):
    choose(panel, "builtin", "penguins")
    preview = panel.preview
    header = [preview.horizontalHeaderItem(c).text() for c in range(preview.columnCount())]
    assert header[:3] == ["species", "island", "bill_length_mm"]
    assert preview.rowCount() >= 10 and preview.item(0, 0).text() == "Adelie"
    rows = {panel.columns.item(r, 0).text(): panel.columns.item(r, 1).text()
            for r in range(panel.columns.rowCount())}
    assert rows["sex"].startswith("categorical · 11 missing")
    assert "2 categories: female, male" in rows["sex"]
    assert rows["species"].startswith("categorical · target")
    assert "numeric · 2 missing" in rows["bill_length_mm"]
    assert "32.1 … 59.6, mean 43.92" in rows["bill_length_mm"]
    assert panel.summary.text().startswith("333 rows · 10 features after encoding")
    # the rows with a missing value, dropped by default, are said to be left out
    assert "11 of the file's 344 rows left out" in panel.summary.text()


def test_the_scatter_plot_draws_the_chosen_features_coloured_by_class(panel, qtbot):
    choose(panel, "builtin", "iris")
    panel.tabs.setCurrentWidget(panel.plot_holder)
    qtbot.waitUntil(lambda: panel._scatter is not None, timeout=10_000)
    view = panel.scatter
    ds = panel.load()
    xs, ys = view.points.getData()
    assert len(xs) == 150
    np.testing.assert_allclose(xs, ds.x[:, 0])
    np.testing.assert_allclose(ys, ds.x[:, 1])
    view.y_feature.setCurrentIndex(3)
    xs, ys = view.points.getData()
    np.testing.assert_allclose(ys, ds.x[:, 3])
    assert view.plot.getPlotItem().getAxis("left").labelText == ds.feature_names[3]
    # one colour per class, the same for every point of a class
    colours = [p.brush().color().name() for p in view.points.points()]
    by_class = {k: {c for c, y in zip(colours, ds.y) if y == k} for k in range(3)}
    assert all(len(c) == 1 for c in by_class.values())
    assert len(set.union(*by_class.values())) == 3
    assert "setosa" in view.legend.text()
    # another dataset keeps the plot, with its own features
    choose(panel, "builtin", "wine")
    assert view.x_feature.count() == 13 and len(view.points.getData()[0]) == 178


def test_regression_points_are_coloured_by_their_value(panel, qtbot):
    choose(panel, "builtin", "diabetes")
    view = panel.scatter
    ds = panel.load()
    colours = [p.brush().color() for p in view.points.points()]
    lowest, highest = int(np.argmin(ds.y[:, 0])), int(np.argmax(ds.y[:, 0]))
    # the map runs from blue (low) to red (high)
    assert colours[lowest].blue() > colours[lowest].red()
    assert colours[highest].red() > colours[highest].blue()
    assert "target value" in view.legend.text()


def test_digits_show_sample_images_and_other_data_does_not(panel):
    images_tab = panel.tabs.indexOf(panel.images)
    assert not panel.tabs.isTabVisible(images_tab)
    choose(panel, "builtin", "digits")
    assert panel.tabs.isTabVisible(images_tab)
    assert len(panel.images.images) == 20
    assert panel.images.labels[:10] == [str(d) for d in range(10)]
    assert panel.images.images[0].size().toTuple() == (8, 8)
    panel.tabs.setCurrentIndex(images_tab)
    picture = panel.images.grab().toImage()
    # ink on white: dark and light pixels both drawn
    shades = {picture.pixelColor(x, y).lightness() for x in range(0, 36, 3)
              for y in range(0, 36, 3)}
    assert min(shades) < 80 and max(shades) > 200
    choose(panel, "builtin", "iris")
    assert not panel.tabs.isTabVisible(images_tab)


def test_a_source_that_cannot_load_says_why_and_hides_the_details(panel):
    session = panel.session
    session.push(SetData(session.project, DataSource("csv", {"file": "gone.csv"}), {}))
    assert "Cannot load this dataset" in panel.summary.text()
    assert "gone.csv" in panel.summary.text()
    assert not panel.details.isVisibleTo(panel)
    session.undo_stack.undo()
    assert panel.details.isVisibleTo(panel)


def test_the_panel_does_not_import_pyqtgraph_until_the_plot_is_needed(tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from nnstudio.session import Session\n"
        "from nnstudio.panels.data_panel import DataPanel\n"
        "panel = DataPanel(Session())\n"
        "print('pyqtgraph' in sys.modules)\n"
        "panel.scatter\n"
        "print('pyqtgraph' in sys.modules)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_import_csv_opens_the_dialog_with_a_path(panel, qtbot, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(50)))
    dialog = panel.import_csv(str(path))
    qtbot.addWidget(dialog)
    assert dialog.preview.rowCount() > 0
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.importing(), timeout=30_000)
    assert panel.session.project.data.kind == "csv"
    assert panel.dataset.currentText() == "CSV: d.csv"
