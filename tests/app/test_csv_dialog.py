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
