"""The data panel: choosing synthetic and built-in datasets, summaries, undo, training."""

from __future__ import annotations

import numpy as np
import pytest

from engine import training as engine_training
from nnstudio.document import examples
from nnstudio.panels.data_panel import DataPanel
from nnstudio.session import Session
from nnstudio.training import snapshot


@pytest.fixture
def panel(qtbot):
    session = Session()
    session.new(examples.spirals_classifier())
    widget = DataPanel(session)
    qtbot.addWidget(widget)
    widget.show()
    return widget


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


def test_an_imbalanced_dataset_is_warned_about(panel):
    from nnstudio.document.model import DataSource
    from nnstudio.editor.commands import SetData
    rows = ["x,label"] + [f"{i % 7 * 0.5},{'rare' if i < 3 else 'common'}" for i in range(100)]
    blob = ("\n".join(rows) + "\n").encode()
    session = panel.session
    session.push(SetData(session.project, DataSource("csv", {"file": "imb.csv"}),
                         {"imb.csv": blob}))
    assert "imbalanced" in panel.summary.text()
    assert panel.dataset.currentText().endswith("imb.csv")
    session.undo_stack.undo()
    assert not panel.dataset.currentText().startswith("CSV")


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
