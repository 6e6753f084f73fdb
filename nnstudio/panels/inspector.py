"""The inspector: edits the selected layer's parameters, each change one undo step.

The form is built from the layer registry's parameters and defaults, so a new layer type or
parameter appears here without changes to this file (a parameter of an unknown kind gets a
number field).
"""

from __future__ import annotations

import inspect

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QSpinBox, QVBoxLayout, QWidget)

from engine import activations, initializers
from engine import layers as layer_registry
from nnstudio.editor.commands import SetNodeConfig
from nnstudio.widgets import named

HELP = {
    "units": "How many neurons the layer has; 'auto' on the output layer takes one per "
             "class or target",
    "activation": "The function each neuron applies to its weighted sum",
    "initializer": "How the weights are drawn before training",
    "bias": "Whether each neuron adds a learned offset",
    "l1": "Penalty on the sum of |weights|: pushes weights to exactly zero",
    "l2": "Penalty on the sum of squared weights: keeps weights small",
    "rate": "Share of units silenced at random in each training step, against overfitting",
    "momentum": "How fast batch norm's running statistics follow new batches",
    "eps": "Small number added to the variance so that it never divides by zero",
}


def _units_box(value):
    box = QSpinBox()
    box.setRange(0, 100000)
    box.setSpecialValueText("auto")
    box.setValue(0 if value in (None, "auto") else int(value))
    return box, lambda: None if box.value() == 0 else box.value(), box.valueChanged


def _activation_box(value):
    box = QComboBox()
    box.addItems(activations.names())
    box.setCurrentText(value if isinstance(value, str) else (value or {}).get("name", "relu"))
    return box, box.currentText, box.currentTextChanged


def _initializer_box(value):
    box = QComboBox()
    box.addItem("default")
    box.addItems(initializers.names())
    box.setCurrentText(value if isinstance(value, str) else "default")
    return box, lambda: None if box.currentText() == "default" else box.currentText(), \
        box.currentTextChanged


def _bool_box(value):
    box = QCheckBox()
    box.setChecked(bool(value))
    return box, box.isChecked, box.toggled


def _number_box(value):
    box = QDoubleSpinBox()
    box.setDecimals(5)
    box.setRange(0.0, 1e6)
    box.setSingleStep(0.01)
    box.setValue(float(value or 0.0))
    return box, box.value, box.valueChanged


EDITORS = {"units": _units_box, "activation": _activation_box,
           "initializer": _initializer_box, "bias": _bool_box}


class Inspector(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.node_id: str | None = None
        self._fields: dict = {}
        layout = QVBoxLayout(self)
        self.title = named(QLabel(), "inspectorTitle", self.tr("Selected layer"))
        layout.addWidget(self.title)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        layout.addWidget(self.form_host)
        layout.addStretch(1)
        session.documentReplaced.connect(self.attach)
        self._unsubscribe = None
        self.attach()

    def attach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = self.session.project.subscribe(self._on_change)
        self.show_node(None)

    def _on_change(self, change) -> None:
        if self.node_id is None:
            return
        if self.node_id not in self.session.project.nodes:
            self.show_node(None)
        elif change.kind in ("node_config", "reset") and (
                change.kind == "reset" or self.node_id in change.ids):
            self.show_node(self.node_id)

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields = {}
        if node_id is None:
            self.title.setText(self.tr("Select a layer on the canvas to edit it."))
            return
        node = self.session.project.nodes[node_id]
        self.title.setText(self.tr("{0} ({1})").format(node.id, node.type))
        for param, default in layer_registry.LAYERS.parameters(node.type).items():
            value = node.config.get(param, None if default is inspect.Parameter.empty
                                    else default)
            widget, read, changed = EDITORS.get(param, _number_box)(value)
            named(widget, f"inspector_{param}", param.replace("_", " "),
                  self.tr(HELP.get(param, param)))
            changed.connect(lambda *_a, p=param, r=read: self._edited(p, r()))
            self.form.addRow(param.replace("_", " "), widget)
            self._fields[param] = widget

    def _edited(self, param: str, value) -> None:
        node = self.session.project.nodes[self.node_id]
        config = dict(node.config)
        if param == "units" and value is None:
            value = "auto" if node.type == "dense" else None
        if config.get(param) == value:
            return
        config[param] = value
        self.session.push(SetNodeConfig(self.session.project, self.node_id, config,
                                        self.tr("Set {0} of {1}").format(param, node.id)))
