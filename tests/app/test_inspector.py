"""The inspector, used as a person would: type, step, pick, tick; every change one undo step
that the document records and undo restores; the activation plot; the glossary tooltips."""

import html
import inspect

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from engine import activations, initializers
from engine import layers as layer_registry
from nnstudio import glossary
from nnstudio.document import examples
from nnstudio.document.model import Node
from nnstudio.editor.commands import AddNode
from nnstudio.panels.activation_plot import Z_RANGE, activation_curves
from nnstudio.panels.inspector import Inspector
from nnstudio.session import Session


@pytest.fixture
def session(qtbot):
    project = examples.xor_playground()  # input -> hidden1 (8 tanh) -> hidden2 -> output (1)
    project.add_node(Node("drop1", "dropout", {"rate": 0.5}, (0, 200)))
    project.add_node(Node("bn1", "batch_norm", {}, (200, 200)))
    project.add_node(Node("act1", "activation", {"activation": "elu"}, (400, 200)))
    s = Session()
    s.new(project)
    return s


@pytest.fixture
def inspector(qtbot, session):
    widget = Inspector(session)
    widget.resize(340, 640)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def config(session, node_id):
    return session.project.nodes[node_id].config


def type_into(qtbot, box, text):
    """Select the box's text, type ``text`` and press Enter."""
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


# -- one undo step per edit ---------------------------------------------------------------------
def test_typing_units_is_one_undo_step_and_undo_restores(qtbot, session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    assert isinstance(box, QSpinBox) and box.value() == 8
    type_into(qtbot, box, "128")
    assert config(session, "hidden1")["units"] == 128
    assert session.undo_stack.count() == 1  # "1", "12", "128" are not three steps
    session.undo_stack.undo()
    assert config(session, "hidden1")["units"] == 8
    assert box.value() == 8  # the inspector mirrors the document
    session.undo_stack.redo()
    assert config(session, "hidden1")["units"] == 128 and box.value() == 128


def test_arrow_steps_merge_into_one_undo_step_until_editing_finishes(qtbot, session,
                                                                       inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    for _ in range(3):
        qtbot.keyClick(box, Qt.Key.Key_Up)
    assert config(session, "hidden1")["units"] == 11
    assert session.undo_stack.count() == 1
    qtbot.keyClick(box, Qt.Key.Key_Return)  # editing finished: the next step is a new one
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert config(session, "hidden1")["units"] == 12
    assert session.undo_stack.count() == 2
    session.undo_stack.undo()
    assert config(session, "hidden1")["units"] == 11
    session.undo_stack.undo()
    assert config(session, "hidden1")["units"] == 8 and box.value() == 8


def test_steps_that_return_to_the_start_leave_no_undo_step(qtbot, session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert config(session, "hidden1")["units"] == 8
    assert session.undo_stack.count() == 0


def test_steps_after_an_undo_do_not_merge_into_an_older_step(qtbot, session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.keyClick(box, Qt.Key.Key_Up)
    session.undo_stack.undo()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert session.undo_stack.count() == 1 and config(session, "hidden1")["units"] == 9
    session.undo_stack.undo()
    assert config(session, "hidden1")["units"] == 8


def test_choosing_an_activation_is_one_undo_step_and_updates_the_plot(session, inspector):
    inspector.show_node("hidden1")
    combo = inspector.fields["activation"]
    assert isinstance(combo, QComboBox) and combo.currentText() == "tanh"
    assert inspector.activation_plot.isVisible()
    assert inspector.activation_plot.activation["name"] == "tanh"
    combo.setCurrentIndex(combo.findData("relu"))
    assert config(session, "hidden1")["activation"] == "relu"
    assert session.undo_stack.count() == 1
    assert inspector.activation_plot.activation["name"] == "relu"
    session.undo_stack.undo()
    assert config(session, "hidden1")["activation"] == "tanh"
    assert combo.currentText() == "tanh"
    assert inspector.activation_plot.activation["name"] == "tanh"


def test_initializer_choice_and_back_to_default(session, inspector):
    inspector.show_node("hidden1")
    combo = inspector.fields["initializer"]
    assert combo.currentIndex() == 0 and "glorot_uniform" in combo.currentText()  # tanh's
    combo.setCurrentIndex(combo.findData("he_normal"))
    assert config(session, "hidden1")["initializer"] == "he_normal"
    combo.setCurrentIndex(0)
    assert config(session, "hidden1")["initializer"] is None
    assert session.undo_stack.count() == 2
    session.undo_stack.undo()
    assert config(session, "hidden1")["initializer"] == "he_normal"
    assert combo.currentData() == "he_normal"


def test_default_initializer_follows_the_activation(session, inspector):
    inspector.show_node("hidden1")
    combo = inspector.fields["initializer"]
    inspector.fields["activation"].setCurrentIndex(
        inspector.fields["activation"].findData("relu"))
    assert combo.itemText(0) == "default (he_uniform)"
    inspector.fields["activation"].setCurrentIndex(
        inspector.fields["activation"].findData("selu"))
    assert combo.itemText(0) == "default (lecun_normal)"


def test_bias_checkbox(session, inspector):
    inspector.show_node("hidden2")
    check = inspector.fields["bias"]
    assert isinstance(check, QCheckBox) and check.isChecked()
    check.click()
    assert config(session, "hidden2")["bias"] is False
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    assert "bias" not in config(session, "hidden2") and check.isChecked()


def test_l1_and_l2_typed(qtbot, session, inspector):
    inspector.show_node("hidden2")
    type_into(qtbot, inspector.fields["l2"], "0.001")
    type_into(qtbot, inspector.fields["l1"], "1e-05")
    assert config(session, "hidden2")["l2"] == 0.001
    assert config(session, "hidden2")["l1"] == 1e-05
    assert session.undo_stack.count() == 2
    assert inspector.fields["l1"].text() == "1e-05"


def test_dropout_rate(qtbot, session, inspector):
    inspector.show_node("drop1")
    assert list(inspector.fields) == ["rate"]
    box = inspector.fields["rate"]
    assert isinstance(box, QDoubleSpinBox) and box.maximum() < 1.0  # the engine refuses 1
    assert not inspector.activation_plot.isVisible()
    type_into(qtbot, box, "0.3")
    assert config(session, "drop1")["rate"] == 0.3
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert config(session, "drop1")["rate"] == 0.4  # no 0.39999999 from adding steps
    assert session.undo_stack.count() == 2
    session.undo_stack.undo()
    assert config(session, "drop1")["rate"] == 0.3
    session.undo_stack.undo()
    assert config(session, "drop1")["rate"] == 0.5 and box.value() == 0.5


def test_batch_norm_momentum(qtbot, session, inspector):
    inspector.show_node("bn1")
    assert set(inspector.fields) == {"momentum", "eps"}
    box = inspector.fields["momentum"]
    assert box.value() == pytest.approx(0.1)
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert config(session, "bn1")["momentum"] == 0.11
    assert session.undo_stack.count() == 1
    session.undo_stack.undo()
    assert "momentum" not in config(session, "bn1")
    assert inspector.fields["eps"].text() == "1e-05"


def test_separate_activation_layer_has_the_plot(session, inspector):
    inspector.show_node("act1")
    assert list(inspector.fields) == ["activation"]
    assert inspector.activation_plot.isVisible()
    assert inspector.activation_plot.activation["name"] == "elu"


def test_an_activation_with_parameters_keeps_them(session, inspector):
    session.project.set_node_config("act1", {"activation": {"name": "leaky_relu",
                                                            "negative_slope": 0.2}})
    inspector.show_node("act1")
    assert inspector.fields["activation"].currentData() == "leaky_relu"
    assert inspector.activation_plot.activation == {"name": "leaky_relu",
                                                    "negative_slope": 0.2}
    z, a, _ = activation_curves({"name": "leaky_relu", "negative_slope": 0.2})
    assert a[0] == pytest.approx(0.2 * Z_RANGE[0])


# -- units: 'auto' on the output layer, 'from data' on the input ----------------------------------
def test_output_units_can_be_auto(qtbot, session, inspector):
    inspector.show_node("output")
    box = inspector.fields["units"]
    assert box.minimum() == 0 and box.specialValueText() == "auto"
    qtbot.keyClick(box, Qt.Key.Key_Down)  # 1 -> auto
    assert config(session, "output")["units"] == "auto" and box.text() == "auto"
    session.undo_stack.undo()
    assert config(session, "output")["units"] == 1


def test_hidden_units_cannot_be_auto(qtbot, session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    assert box.minimum() == 1
    type_into(qtbot, box, "1")
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert config(session, "hidden1")["units"] == 1


def test_auto_follows_the_connections(session, inspector):
    inspector.show_node("hidden2")
    assert inspector.fields["units"].minimum() == 1
    session.project.disconnect("hidden2", "output")  # hidden2 is now the last layer
    assert inspector.fields["units"].minimum() == 0


def test_input_units_come_from_the_data(qtbot, session, inspector):
    inspector.show_node("input")
    box = inspector.fields["units"]
    assert box.text() == "from data"
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert config(session, "input")["units"] == 1
    qtbot.keyClick(box, Qt.Key.Key_Down)
    assert config(session, "input") == {}  # back where it started: no units, no undo step
    assert session.undo_stack.count() == 0 and box.text() == "from data"


# -- mirroring the document ---------------------------------------------------------------------
def test_the_document_notifies_each_edit(session, inspector):
    seen = []
    session.project.subscribe(seen.append)
    inspector.show_node("hidden1")
    inspector.fields["bias"].click()
    assert [(c.kind, c.ids) for c in seen] == [("node_config", ("hidden1",))]


def test_edits_from_elsewhere_show_at_once_without_new_undo_steps(session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    session.project.set_node_config("hidden1", {"units": 3, "activation": "relu"})
    assert box.value() == 3
    assert inspector.fields["activation"].currentText() == "relu"
    assert inspector.activation_plot.activation["name"] == "relu"
    assert session.undo_stack.count() == 0


def test_the_widget_being_edited_survives_its_own_edit(qtbot, session, inspector):
    inspector.show_node("hidden1")
    box = inspector.fields["units"]
    qtbot.keyClick(box, Qt.Key.Key_Up)
    assert inspector.fields["units"] is box  # refreshed in place, not rebuilt


def test_removed_node_clears_the_form(session, inspector):
    inspector.show_node("drop1")
    session.project.remove_node("drop1")
    assert inspector.node_id is None and inspector.fields == {}


def test_a_new_document_clears_the_form(session, inspector):
    inspector.show_node("hidden1")
    session.new(examples.spirals_classifier())
    assert inspector.node_id is None
    inspector.show_node("hidden1")
    assert inspector.fields["units"].value() == 16


@pytest.mark.parametrize("layer_type", layer_registry.names())
def test_the_form_follows_the_registry(session, inspector, layer_type):
    node = Node(session.project.new_node_id(layer_type), layer_type, {})
    session.push(AddNode(session.project, node))
    inspector.show_node(node.id)
    params = layer_registry.LAYERS.parameters(layer_type)
    assert list(inspector.fields) == list(params)
    for param, default in params.items():
        widget = inspector.fields[param]
        assert widget.objectName() == f"inspector_{param}"
        if isinstance(default, bool):
            assert isinstance(widget, QCheckBox)
    assert inspector.activation_plot.isVisible() == ("activation" in params)


# -- the activation plot ----------------------------------------------------------------------
@pytest.mark.parametrize("name", activations.names())
def test_plot_curves_are_the_engines_forward_and_derivative(session, inspector, name):
    inspector.show_node("act1")
    combo = inspector.fields["activation"]
    plot = inspector.activation_plot
    curves = (plot.forward_curve, plot.derivative_curve)
    combo.setCurrentIndex(combo.findData(name))
    assert config(session, "act1")["activation"] == name or name == "elu"
    act = activations.get(name)
    z, a = plot.forward_curve.getData()
    _, da = plot.derivative_curve.getData()
    assert z[0] == Z_RANGE[0] and z[-1] == Z_RANGE[1]
    if act.elementwise:
        rows = z.reshape(-1, 1)
    else:  # softmax: one unit's output against a second score of 0
        rows = np.column_stack([z, np.zeros_like(z)])
    np.testing.assert_array_equal(a, act.forward(rows.copy())[:, 0])
    np.testing.assert_array_equal(da, act.derivative(rows.copy())[:, 0])
    assert (plot.forward_curve, plot.derivative_curve) == curves  # created once
    assert len(plot.plot.getPlotItem().listDataItems()) == 2
    assert plot.caption.text().startswith(name)


def test_plot_derivative_shows_saturation():
    z, a, da = activation_curves("sigmoid")
    assert da.max() == pytest.approx(0.25, abs=1e-3) and da[0] < 0.01
    z, a, da = activation_curves("relu")
    assert set(np.unique(da)) == {0.0, 1.0}


# -- tooltips ---------------------------------------------------------------------------------
def _tip_has(widget_tip: str, text: str) -> bool:
    return bool(text) and html.escape(text, quote=False) in widget_tip


@pytest.mark.parametrize("node_id", ["input", "hidden1", "output", "drop1", "bn1", "act1"])
def test_every_setting_has_its_glossary_tooltip(session, inspector, node_id):
    inspector.show_node(node_id)
    layer_type = session.project.nodes[node_id].type
    assert _tip_has(inspector.title.toolTip(), glossary.layer(layer_type))
    for param, widget in inspector.fields.items():
        text = glossary.parameter(param, layer_type)
        assert _tip_has(widget.toolTip(), text), param
        assert _tip_has(inspector.labels[param].toolTip(), text), param


def test_combo_items_explain_each_choice(session, inspector):
    inspector.show_node("hidden1")
    acts = inspector.fields["activation"]
    for name in activations.names():
        tip = acts.itemData(acts.findData(name), Qt.ItemDataRole.ToolTipRole)
        assert _tip_has(tip, glossary.activation(name)), name
    inits = inspector.fields["initializer"]
    for name in initializers.names():
        tip = inits.itemData(inits.findData(name), Qt.ItemDataRole.ToolTipRole)
        assert _tip_has(tip, glossary.initializer(name)), name
    assert _tip_has(acts.toolTip(), glossary.activation("tanh"))
    acts.setCurrentIndex(acts.findData("relu"))
    assert _tip_has(acts.toolTip(), glossary.activation("relu"))
    assert "die" in glossary.activation("relu")


# -- the glossary itself ----------------------------------------------------------------------
@pytest.mark.parametrize("name", activations.names())
def test_every_activation_is_explained(name):
    assert len(glossary.activation(name)) > 80


@pytest.mark.parametrize("name", initializers.names())
def test_every_initializer_is_explained(name):
    assert len(glossary.initializer(name)) > 60


@pytest.mark.parametrize("layer_type", layer_registry.names())
def test_every_layer_type_and_parameter_is_explained(layer_type):
    assert len(glossary.layer(layer_type)) > 40
    for param in layer_registry.LAYERS.parameters(layer_type):
        assert len(glossary.parameter(param, layer_type)) > 40, param


def test_glossary_knows_aliases_and_configs_and_nothing_else():
    assert glossary.activation("logistic") == glossary.activation("sigmoid")
    assert glossary.activation({"name": "leaky_relu", "negative_slope": 0.1}) == \
        glossary.activation("leaky_relu")
    assert glossary.initializer("xavier_uniform") == glossary.initializer("glorot_uniform")
    assert glossary.activation("no-such-thing") == ""
    assert set(glossary.ACTIVATIONS) == set(activations.names())
    assert set(glossary.INITIALIZERS) == set(initializers.names())
    assert set(glossary.LAYERS) == set(layer_registry.names())
    for text in ("vanish", "saturate"):
        assert text in glossary.activation("sigmoid")
    assert "sum up to 1" in glossary.activation("softmax") or \
        "add up to 1" in glossary.activation("softmax")


def test_glossary_is_qt_free():
    source = inspect.getsource(glossary)
    assert "PySide6" not in source and "pyqtgraph" not in source
