"""The Training panel as a person types into it."""

import pytest
from PySide6.QtCore import Qt

from nnstudio.document import examples
from nnstudio.editor.commands import SetTraining
from nnstudio.panels.training_panel import TrainingPanel
from nnstudio.session import Session


@pytest.fixture
def panel(qtbot):
    session = Session()
    session.new(examples.spirals_classifier())
    widget = TrainingPanel(session)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def type_into(qtbot, box, text):
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("text, value", [("0.05", 0.05), ("0.003", 0.003), ("1.5", 1.5)])
def test_a_typed_learning_rate_is_taken_whole(panel, qtbot, text, value):
    type_into(qtbot, panel.lr, text)
    assert panel.session.project.training.optimizer["lr"] == pytest.approx(value)
    assert panel.session.undo_stack.count() == 1  # one step, not one per digit


def test_a_typed_validation_split_is_taken_whole(panel, qtbot):
    type_into(qtbot, panel.split, "0.3")
    assert panel.session.project.training.validation_split == pytest.approx(0.3)


def test_separate_edits_of_one_setting_are_separate_undo_steps(panel, qtbot, monkeypatch):
    monkeypatch.setattr(SetTraining, "MERGE_SECONDS", 0.0)  # as if a person paused between
    type_into(qtbot, panel.epochs, "25")
    type_into(qtbot, panel.epochs, "30")
    stack = panel.session.undo_stack
    assert stack.count() == 2
    stack.undo()
    assert panel.session.project.training.epochs == 25
    assert panel.epochs.value() == 25


def test_arrow_steps_in_quick_succession_are_one_undo_step(panel, qtbot):
    panel.epochs.setFocus()
    for _ in range(5):
        qtbot.keyClick(panel.epochs, Qt.Key.Key_Up)
    assert panel.session.project.training.epochs == 65
    assert panel.session.undo_stack.count() == 1
    panel.session.undo_stack.undo()
    assert panel.session.project.training.epochs == 60
