"""The CSV import dialog, driven offscreen on real files."""

from __future__ import annotations

import numpy as np
import pytest

from engine import training as engine_training
from nnstudio.document import examples, project_file
from nnstudio.panels.csv_dialog import CsvImportDialog
from nnstudio.session import Session
from nnstudio.training import snapshot


@pytest.fixture
def session():
    s = Session()
    s.new(examples.spirals_classifier())
    return s


@pytest.fixture
def dialog(qtbot, session):
    d = CsvImportDialog(session)
    qtbot.addWidget(d)
    d.show()
    return d


def write_semicolon_latin1(path, n=120):
    rng = np.random.default_rng(0)
    lines = ["taille;couleur;région;classe"]
    colours = ["rouge", "vert", "bleu"]
    regions = ["Île", "Côte", "Forêt"]
    for i in range(n):
        c = i % 3
        lines.append(f"{1.5 * c + rng.normal(0, 0.3):.3f};{colours[c]};{regions[(i // 3) % 3]};"
                     f"{['épée', 'arc', 'lance'][c]}")
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def wait_import(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.importing(), timeout=60_000)


def test_semicolon_latin1_file_imports_trains_and_round_trips(dialog, session, qtbot,
                                                               tmp_path):
    path = write_semicolon_latin1(tmp_path / "armes.csv")
    assert dialog.set_path(path), dialog.error
    assert dialog.encoding.currentText() == "latin-1"
    assert dialog.delimiter.currentData() == ";"
    assert dialog.header.isChecked()
    assert dialog.preview.rowCount() > 5 and dialog.preview.columnCount() == 4
    assert dialog.preview.item(0, 1).text() == "rouge"
    assert dialog.type_box("couleur").currentText() == "categorical"
    assert dialog.target.currentData() == "classe"
    # a setting changed by hand re-reads the preview
    dialog.header.setChecked(False)
    assert dialog.preview.rowCount() > 5 and dialog.preview.item(0, 0).text() == "taille"
    dialog.header.setChecked(True)
    dialog.role_box("région").setCurrentText("ignore")

    before = session.undo_stack.count()
    dialog.ok_button.click()
    wait_import(qtbot, dialog)
    assert dialog.error == ""
    assert session.undo_stack.count() == before + 1
    data = session.project.data
    assert data.kind == "csv" and data.config["file"] == "armes.csv"
    assert session.project.embedded["armes.csv"] == path.read_bytes()
    assert data.config["roles"]["région"] == "ignore"

    job = snapshot.prepare(session.project)
    assert job.x.dtype == np.float32
    assert job.n_features == 4  # taille + 3 colours
    assert job.n_outputs == 3
    engine_training.fit(job.network, job.x, job.y, **{**job.fit_kwargs, "epochs": 3})

    saved = tmp_path / "armes.nnproj"
    session.save(str(saved))
    reopened = project_file.load(saved)
    assert reopened == session.project

    session.undo_stack.undo()
    assert session.project.data.kind == "synthetic" and session.project.embedded == {}


def test_a_bad_file_shows_its_message_and_changes_nothing(dialog, session, qtbot, tmp_path):
    before = session.project.to_dict()
    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n", encoding="utf-8")
    assert not dialog.set_path(bad)
    assert "ragged.csv" in dialog.error and "row 3" in dialog.error
    assert not dialog.ok_button.isEnabled()

    assert not dialog.set_path(tmp_path / "missing.csv")
    assert "missing.csv" in dialog.error

    # a problem past the preview's lines shows up when the whole file is read
    late = tmp_path / "late.csv"
    rows = ["x,y,label"] + [f"{i},{i % 7},{i % 2}" for i in range(40000)] + ["1,2"]
    late.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert dialog.set_path(late), dialog.error
    dialog.ok_button.click()
    wait_import(qtbot, dialog)
    assert "late.csv" in dialog.error and "row 40002" in dialog.error
    assert session.project.to_dict() == before and session.undo_stack.count() == 0


def test_cancel_during_a_large_import_changes_nothing(dialog, session, qtbot, tmp_path):
    big = tmp_path / "big.csv"
    rng = np.random.default_rng(1)
    values = rng.normal(size=(200_000, 5))
    labels = rng.integers(0, 3, size=200_000)
    with open(big, "w", encoding="utf-8") as f:
        f.write("a,b,c,d,e,label\n")
        np.savetxt(f, np.column_stack([values, labels]), delimiter=",",
                   fmt=["%.5f"] * 5 + ["%d"])
    before = session.project.to_dict()
    assert dialog.set_path(big), dialog.error
    dialog.chunk_bytes = 64 * 1024
    dialog.ok_button.click()
    assert dialog.importing() and dialog.progress.isVisible()
    dialog.cancel_button.click()   # Cancel stops the import, the dialog stays
    wait_import(qtbot, dialog)
    assert "cancelled" in dialog.error.lower()
    assert dialog.isVisible()
    assert session.project.to_dict() == before and session.undo_stack.count() == 0
    assert dialog.ok_button.isEnabled()


# --------------------------------------------------------------------------- preprocessing


def write_with_missing(path):
    """a: numeric with a gap, b: numeric, c: categorical, note: free text, y: 3 classes."""
    lines = ["a,b,c,note,y"]
    for i in range(90):
        a = "" if i == 4 else f"{(i * 7) % 23 + 0.5}"
        lines.append(f"{a},{i % 9 - 4},{['x', 'y', 'z'][i % 3]},row {i} says hi,{i % 3}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scaling_and_missing_values_per_column_reach_the_preprocessing(dialog, session, qtbot,
                                                                       tmp_path):
    path = write_with_missing(tmp_path / "gaps.csv")
    assert dialog.set_path(path), dialog.error
    # the choices fit each column's type and role
    scales = [dialog.scale_box("a").itemData(i) for i in range(dialog.scale_box("a").count())]
    assert scales == ["default", "standardize", "minmax", "none"]
    assert [dialog.missing_box("c").itemData(i)
            for i in range(dialog.missing_box("c").count())] == ["default", "drop",
                                                                 "most_frequent"]
    assert not dialog.scale_box("c").isEnabled() and dialog.scale_box("c").currentText() \
        == "one-hot"
    assert not dialog.scale_box("note").isEnabled()      # text: ignored
    assert not dialog.missing_box("y").isEnabled()       # the target is not encoded

    dialog.default_missing.setCurrentIndex(dialog.default_missing.findData("median"))
    dialog.scale_box("a").setCurrentIndex(dialog.scale_box("a").findData("minmax"))
    dialog.missing_box("a").setCurrentIndex(dialog.missing_box("a").findData("mean"))
    dialog.scale_box("b").setCurrentIndex(dialog.scale_box("b").findData("none"))
    dialog.missing_box("c").setCurrentIndex(dialog.missing_box("c").findData("most_frequent"))
    assert dialog.preprocessing() == {"*": {"missing": "median"},
                                      "a": {"scale": "minmax", "missing": "mean"},
                                      "b": {"scale": "none"},
                                      "c": {"missing": "most_frequent"}}
    # a column made "ignore" takes no settings (fit would refuse them)
    dialog.role_box("b").setCurrentText("ignore")
    assert not dialog.scale_box("b").isEnabled() and "b" not in dialog.preprocessing()
    dialog.role_box("b").setCurrentText("feature")
    assert dialog.scale_box("b").isEnabled()

    dialog.scale_box("b").setCurrentIndex(dialog.scale_box("b").findData("none"))
    dialog.ok_button.click()
    wait_import(qtbot, dialog)
    assert dialog.error == ""
    data = session.project.data
    assert data.preprocessing == {"*": {"missing": "median"},
                                  "a": {"scale": "minmax", "missing": "mean"},
                                  "b": {"scale": "none"}, "c": {"missing": "most_frequent"}}

    # by hand: min-max and the mean of the training rows; row 4 (a missing) is kept
    job = snapshot.prepare(session.project)
    ds = job.dataset
    assert ds.n_samples == 90 and ds.feature_names == ["a", "b", "c=x", "c=y", "c=z"]
    rows = snapshot._training_rows(90, session.project.training, ds.y)
    a = np.array([(i * 7) % 23 + 0.5 for i in range(90)], dtype=np.float64)
    train = a[[r for r in rows if r != 4]]
    lo, hi, mean = train.min(), train.max(), train.mean()
    assert ds.x[4, 0] == pytest.approx((mean - lo) / (hi - lo), rel=1e-5)
    assert ds.x[10, 0] == pytest.approx((a[10] - lo) / (hi - lo), rel=1e-5)
    assert ds.x[10, 1] == pytest.approx(10 % 9 - 4)            # b: left alone
    engine_training.fit(job.network, job.x, job.y, **{**job.fit_kwargs, "epochs": 1})


def test_the_task_can_be_overridden(dialog, session, qtbot, tmp_path):
    path = tmp_path / "grades.csv"
    rows = ["hours,grade"] + [f"{i % 10},{i % 5}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert dialog.set_path(path), dialog.error
    assert "classification" in dialog.info.text()   # five whole numbers: classes
    dialog.task.setCurrentIndex(dialog.task.findData("regression"))
    dialog.ok_button.click()
    wait_import(qtbot, dialog)
    assert session.project.data.config["task"] == "regression"
    assert snapshot.load_data(session.project.data, session.project.embedded).task \
        == "regression"
    # the spirals example's classification setup follows the new task, in the same step
    assert session.project.training.loss == {"name": "mse"}
    assert session.project.training.metrics == ["mae"]
    assert session.project.nodes["output"].config["activation"] == "linear"
    session.undo_stack.undo()
    assert session.project.training.loss == {"name": "sparse_categorical_crossentropy"}
    assert session.project.nodes["output"].config["activation"] == "softmax"


# --------------------------------------------------------------------------- a large file


def write_large(path, n_rows=1_000_000, block=10_000):
    """n_rows x 20 columns: 18 numeric, one categorical, a 3-class label; blocks of rows
    generated once and written again (the importer reads every row all the same)."""
    rng = np.random.default_rng(0)
    values = rng.normal(size=(block, 18))
    colours = np.array(["red", "green", "blue", "grey"])[rng.integers(0, 4, block)]
    labels = rng.integers(0, 3, block)
    lines = [",".join(f"{v:.2f}" for v in row) + f",{c},{k}"
             for row, c, k in zip(values, colours, labels)]
    text = ("\n".join(lines) + "\n").encode()
    with open(path, "wb") as f:
        f.write((",".join([f"f{j}" for j in range(18)] + ["colour", "label"]) + "\n").encode())
        for _ in range(n_rows // block):
            f.write(text)
    return path


class Ticks:
    """A QTimer ticking every 20 ms; ``max_gap`` is the longest wait between two ticks,
    i.e. how long the event loop was kept from running."""

    def __init__(self):
        import time

        from PySide6.QtCore import QTimer

        self.clock = time.monotonic
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.max_gap = 0.0
        self.count = 0

    def _tick(self):
        now = self.clock()
        if self.last is not None:
            self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.count += 1

    def start(self):
        self.last = self.clock()
        self.timer.start()

    def stop(self):
        self.timer.stop()


@pytest.mark.slow
def test_a_million_row_file_imports_in_the_background_and_can_be_cancelled(qtbot, tmp_path):
    from nnstudio.panels.data_panel import DataPanel

    path = write_large(tmp_path / "big.csv")
    session = Session()
    session.new(examples.spirals_classifier())
    panel = DataPanel(session)
    qtbot.addWidget(panel)
    panel.show()
    dialog = panel.import_csv(str(path))
    qtbot.addWidget(dialog)
    assert dialog.head is not None, dialog.error
    assert dialog.preview.columnCount() == 20
    before = session.project.to_dict()

    # cancel part-way
    ticks = Ticks()
    ticks.start()
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=60_000)
    dialog.cancel_button.click()
    wait_import(qtbot, dialog)
    assert "cancelled" in dialog.error.lower()
    assert session.project.to_dict() == before and session.undo_stack.count() == 0
    assert dialog.isVisible() and dialog.ok_button.isEnabled()

    # the whole file, to the end
    dialog.ok_button.click()
    wait_import(qtbot, dialog)
    ticks.stop()
    assert dialog.error == ""
    assert session.project.data.kind == "csv" and session.undo_stack.count() == 1
    ds = panel.load()
    assert ds.n_samples == 1_000_000 and ds.n_features == 22   # 18 + four colours
    assert panel.split_label.text() == "train 800000 · validation 200000 · test 0"
    # the event loop kept running all along: a freeze would hold it for the whole import
    assert ticks.count > 50
    assert ticks.max_gap < 1.0, f"the window froze for {ticks.max_gap:.2f} s"
