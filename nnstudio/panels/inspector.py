"""The inspector: edits the selected layer's parameters, each change one undo step.

The form is built from the layer registry's parameters and defaults, so a new layer type or
parameter appears here without changes to this file: ``units``, ``activation`` and
``initializer`` get their own editors, a parameter whose default is a bool a check box, an int
a whole-number box, anything else a number box (with a sensible range when it is one we know).

Every edit is pushed as a :class:`SetNodeParameter` undo command; the document notifies and
the form (like the canvas) mirrors the document, updating its widgets in place with their
signals blocked, so there is no echo loop and the widget being edited keeps its focus.
Steps of a number box (arrow keys, wheel, each typed character) show at once and merge into
one undo step until editing finishes (Enter, focus leaves), another layer is shown, or
something else changes the document.

Every field, and every item of the activation and initializer lists, carries a tooltip with
its meaning from :mod:`nnstudio.glossary`.  Layers with an activation show a live plot of it
and its derivative (:class:`~nnstudio.panels.activation_plot.ActivationPlot`).
"""

from __future__ import annotations

import inspect
import itertools
import math

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QPalette, QValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from engine import activations, initializers
from engine import layers as layer_registry
from nnstudio import glossary
from nnstudio.editor.commands import SetNodeParameter
from nnstudio.widgets import named

__all__ = ["Inspector", "SetNodeParameter", "NUMBER_RANGES"]


# (minimum, maximum, single step) of the number parameters we know; others get 0 .. 1e6.
NUMBER_RANGES = {
    "rate": (0.0, 0.99, 0.05),        # dropout refuses 1 (nothing would pass)
    "momentum": (0.0, 1.0, 0.01),
    "eps": (1e-12, 1.0, 1e-5),        # batch norm refuses 0 (division by zero)
    "l1": (0.0, 10.0, 1e-4),
    "l2": (0.0, 10.0, 1e-4),
}


def _t(text: str) -> str:
    return QCoreApplication.translate("glossary", text)


# -- editors: one small class per kind of parameter ------------------------------------------
class _Field:
    """One parameter's editor: ``widget``, ``read()`` -> config value, ``write(value)``
    (signals blocked), and the signal that reports an edit."""

    merges = False  # number boxes: steps merge until editing finishes

    def __init__(self, inspector: "Inspector", param: str, layer_type: str, default):
        self.inspector, self.param, self.layer_type, self.default = (
            inspector, param, layer_type, default)
        self.widget = self.make()

    def make(self) -> QWidget:
        raise NotImplementedError

    def read(self):
        raise NotImplementedError

    def write(self, value) -> None:
        raise NotImplementedError

    def set_value(self, value) -> None:
        blocked = self.widget.blockSignals(True)
        try:
            self.write(value)
        finally:
            self.widget.blockSignals(blocked)

    def edited(self, *_args) -> None:
        self.inspector._edited(self, self.read())

    def tooltip(self, value) -> str:
        return glossary.tooltip((self.param.replace("_", " "),
                                 _t(glossary.parameter(self.param, self.layer_type))))


class _UnitsField(_Field):
    """Units: a whole number, or 'auto' (0 in the box) where the layer allows it: the input
    layer (None: from the data) and an output layer ('auto': from the targets)."""

    merges = True

    def make(self):
        box = QSpinBox()
        box.setRange(1, 100000)
        box.setAccelerated(True)
        box.valueChanged.connect(self.edited)
        box.editingFinished.connect(self.inspector._end_chain)
        return box

    @property
    def empty(self):
        """The config value that 0 stands for: None on the input layer, else 'auto'."""
        return None if self.default is None else "auto"

    def allow_auto(self, allowed: bool) -> None:
        box = self.widget
        blocked = box.blockSignals(True)
        value = box.value()
        box.setMinimum(0 if allowed else 1)
        box.setSpecialValueText((self.inspector.tr("from data") if self.empty is None
                                 else self.inspector.tr("auto")) if allowed else "")
        box.setValue(value)
        box.blockSignals(blocked)

    def read(self):
        value = self.widget.value()
        return self.empty if value == 0 else value

    def write(self, value):
        auto = value is None or value == "auto"
        if auto and self.widget.minimum() > 0:
            self.allow_auto(True)
        self.widget.setValue(0 if auto else int(value))


class _ComboField(_Field):
    """A list of registry names; each item's tooltip says what it is."""

    registry = None
    explain = staticmethod(lambda name: "")

    def make(self):
        box = QComboBox()
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setMinimumContentsLength(10)
        self.populate(box)
        box.currentIndexChanged.connect(self.edited)
        return box

    def populate(self, box: QComboBox) -> None:
        for name in self.registry.names():
            box.addItem(name, name)
            box.setItemData(box.count() - 1, glossary.tooltip((name, _t(self.explain(name)))),
                            Qt.ItemDataRole.ToolTipRole)

    def read(self):
        return self.widget.currentData()

    def write(self, value):
        name = value.get("name") if isinstance(value, dict) else value
        index = self.widget.findData(self.registry.canonical(name)) if name in self.registry \
            else -1
        self.widget.setCurrentIndex(max(index, 0))


class _ActivationField(_ComboField):
    registry = activations.ACTIVATIONS
    explain = staticmethod(glossary.activation)

    def read(self):
        # an activation with parameters (leaky_relu's slope) keeps them when it stays chosen
        node = self.inspector.node
        current = node.config.get(self.param) if node is not None else None
        name = self.widget.currentData()
        if isinstance(current, dict) and current.get("name") in self.registry and \
                self.registry.canonical(current["name"]) == name:
            return current
        return name

    def tooltip(self, value):
        name = self.widget.currentData()
        return glossary.tooltip(
            (self.param, _t(glossary.parameter(self.param, self.layer_type))),
            (name, _t(glossary.activation(name))))


class _InitializerField(_ComboField):
    """Initializers, after a first item 'default' (None: the activation's own choice)."""

    registry = initializers.INITIALIZERS
    explain = staticmethod(glossary.initializer)

    def populate(self, box):
        box.addItem("default", None)
        super().populate(box)

    def refresh_default(self, activation) -> None:
        """Name the initializer that 'default' stands for with ``activation``."""
        try:
            name = activations.get(activation).default_initializer
        except (ValueError, TypeError):
            name = None
        text = f"default ({name})" if name else "default"
        self.widget.setItemText(0, text)
        self.widget.setItemData(0, glossary.tooltip(
            (text, _t("The initializer that suits the layer's activation.")),
            (name or "", _t(glossary.initializer(name or "")))), Qt.ItemDataRole.ToolTipRole)

    def read(self):
        return self.widget.currentData()

    def write(self, value):
        if value is None:
            self.widget.setCurrentIndex(0)
        else:
            super().write(value)

    def tooltip(self, value):
        name = self.widget.currentData()
        if name is None:
            node = self.inspector.node
            try:
                name = activations.get((node.config if node else {}).get(
                    "activation", "relu")).default_initializer
            except (ValueError, TypeError):
                name = None
        return glossary.tooltip(
            (self.param, _t(glossary.parameter(self.param, self.layer_type))),
            (name or "", _t(glossary.initializer(name or ""))))


class _BoolField(_Field):
    def make(self):
        box = QCheckBox()
        box.toggled.connect(self.edited)
        return box

    def read(self):
        return self.widget.isChecked()

    def write(self, value):
        self.widget.setChecked(bool(value))


class _IntField(_Field):
    merges = True

    def make(self):
        box = QSpinBox()
        box.setRange(0, 1_000_000)
        box.valueChanged.connect(self.edited)
        box.editingFinished.connect(self.inspector._end_chain)
        return box

    def read(self):
        return self.widget.value()

    def write(self, value):
        self.widget.setValue(int(value or 0))


class _NumberBox(QDoubleSpinBox):
    """A number box that shows 0.1, 1e-05, 0.0001 (shortest form) instead of 0.10000."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip().replace(",", ".")
        try:
            value = float(stripped)
        except ValueError:
            ok = stripped in ("", "-", ".", "-.") or stripped.lower().endswith(("e", "e-"))
            state = QValidator.State.Intermediate if ok else QValidator.State.Invalid
            return state, text, pos
        if not math.isfinite(value) or not self.minimum() <= value <= self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class _NumberField(_Field):
    merges = True

    def make(self):
        low, high, step = NUMBER_RANGES.get(self.param, (0.0, 1e6, 0.01))
        box = _NumberBox()
        box.setDecimals(12)  # the text shows the shortest form; the value keeps its digits
        box.setRange(low, high)
        box.setSingleStep(step)
        box.valueChanged.connect(self.edited)
        box.editingFinished.connect(self.inspector._end_chain)
        return box

    def read(self):
        return float(f"{self.widget.value():.12g}")  # 0.1 + 0.05 steps stay 0.15

    def write(self, value):
        self.widget.setValue(float(value or 0.0))


def _field_class(param: str, default):
    special = {"units": _UnitsField, "activation": _ActivationField,
               "initializer": _InitializerField}
    if param in special:
        return special[param]
    if isinstance(default, bool):
        return _BoolField
    if isinstance(default, int):
        return _IntField
    return _NumberField


# -- the panel --------------------------------------------------------------------------------
class Inspector(QWidget):
    """Edits the layer shown with :meth:`show_node` (the canvas selection).

    Public attributes: ``node_id``, ``fields`` (``{parameter: widget}``), ``labels``
    (``{parameter: QLabel}``), ``title``, ``description`` (the layer type's explanation) and
    ``activation_plot`` (visible for layers that have an activation).
    """

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.node_id: str | None = None
        self._type: str | None = None
        self._editors: dict[str, _Field] = {}  # parameter -> its editor
        self.labels: dict[str, QLabel] = {}
        self._chains = itertools.count(1)
        self._chain = next(self._chains)
        self._pushing = False

        layout = QVBoxLayout(self)
        self.title = named(QLabel(), "inspectorTitle", self.tr("Selected layer"))
        self.title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.title)
        self.description = named(QLabel(), "inspectorDescription",
                                 self.tr("What the layer does"))
        self.description.setWordWrap(True)
        self.description.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.description.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.description)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 4, 0, 4)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addWidget(self.form_host)
        # the plot (pyqtgraph) is built when a layer with an activation is first shown:
        # importing pyqtgraph is the largest part of the application's start-up
        self._plot = None
        self._plot_layout, self._plot_index = layout, layout.count()
        layout.addStretch(1)

        self._unsubscribe = None
        holder: list = []  # the unsubscribe function, reachable without ``self`` at teardown
        self.destroyed.connect(lambda *_a, h=holder: h and h[0]())
        self._holder = holder
        session.documentReplaced.connect(self.attach)
        self.attach()

    # -- public ---------------------------------------------------------------------------
    @property
    def fields(self) -> dict[str, QWidget]:
        """The editor widget of each parameter of the shown layer."""
        return {param: field.widget for param, field in self._editors.items()}

    _fields = fields  # the name the first version of this panel used

    @property
    def node(self):
        return self.session.project.nodes.get(self.node_id) if self.node_id else None

    def attach(self) -> None:
        """Follow the session's (new) document."""
        if self._unsubscribe:
            self._unsubscribe()
        self._unsubscribe = self.session.project.subscribe(self._on_change)
        self._holder[:] = [self._unsubscribe]
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        """Edit ``node_id`` (None: nothing selected)."""
        if node_id is not None and node_id not in self.session.project.nodes:
            node_id = None
        self._end_chain()
        node = self.session.project.nodes[node_id] if node_id else None
        if node_id == self.node_id and node is not None and node.type == self._type:
            self._refresh()
            return
        self.node_id = node_id
        self._type = node.type if node else None
        while self.form.rowCount():
            self.form.removeRow(0)
        self._editors, self.labels = {}, {}
        if node is None:
            self.title.setText(self.tr("Select a layer on the canvas to edit it."))
            self.title.setToolTip("")
            self.description.setText("")
            if self._plot is not None:
                self._plot.setVisible(False)
            return
        self.title.setText(self.tr("<b>{0}</b> \u2014 {1} layer").format(node.id, node.type))
        text = _t(glossary.layer(node.type))
        self.title.setToolTip(glossary.tooltip((node.type, text)))
        self.description.setText(text or layer_registry.LAYERS.cls(node.type).help)
        self.description.setToolTip(glossary.tooltip((node.type, text)))
        for param, default in layer_registry.LAYERS.parameters(node.type).items():
            default = None if default is inspect.Parameter.empty else default
            field = _field_class(param, default)(self, param, node.type, default)
            label = QLabel(param.replace("_", " "))
            named(field.widget, f"inspector_{param}", param.replace("_", " "))
            label.setBuddy(field.widget)
            self.form.addRow(label, field.widget)
            label.show()  # now, not when the layout's queued show arrives
            field.widget.show()
            self._editors[param] = field
            self.labels[param] = label
        if "activation" in self._editors:
            self.activation_plot.setVisible(True)
        elif self._plot is not None:
            self._plot.setVisible(False)
        self._refresh()

    @property
    def activation_plot(self):
        """The activation's curve and derivative (created on first use)."""
        if self._plot is None:
            from nnstudio.panels.activation_plot import ActivationPlot

            self._plot = ActivationPlot(self)
            self._plot.setVisible(False)
            self._plot_layout.insertWidget(self._plot_index, self._plot)
        return self._plot

    # -- mirroring the document -----------------------------------------------------------
    def _on_change(self, change) -> None:
        if not self._pushing:
            self._end_chain()  # undo, redo or another view changed the document
        if self.node_id is None:
            return
        if self.node_id not in self.session.project.nodes:
            self.show_node(None)
        elif change.kind == "reset":
            self.show_node(self.node_id)
        elif change.kind == "node_config" and self.node_id in change.ids:
            if self.session.project.nodes[self.node_id].type != self._type:
                self.show_node(self.node_id)
            else:
                self._refresh()
        elif change.kind in ("edge_added", "edge_removed") and any(
                self.node_id in edge for edge in change.ids):
            self._refresh()

    def _is_output(self) -> bool:
        project = self.session.project
        return bool(self.node_id) and not any(s == self.node_id for s, _ in project.edges)

    def _refresh(self) -> None:
        """Show the document's values in the widgets (signals blocked: no echo)."""
        node = self.node
        if node is None:
            return
        for param, field in self._editors.items():
            value = node.config.get(param, field.default)
            if isinstance(field, _UnitsField):
                field.allow_auto(field.empty is None or self._is_output()
                                 or value in (None, "auto"))
            if isinstance(field, _InitializerField):
                field.refresh_default(node.config.get("activation", "relu"))
            field.set_value(value)
            tip = field.tooltip(value)
            field.widget.setToolTip(tip)
            self.labels[param].setToolTip(tip)
        if "activation" in self._editors:
            try:
                self.activation_plot.set_activation(
                    node.config.get("activation", self._editors["activation"].default))
            except (ValueError, TypeError):
                pass  # an unknown name: the spec check reports it on the canvas

    # -- editing --------------------------------------------------------------------------
    def _end_chain(self) -> None:
        """The next number-box step starts a new undo step."""
        self._chain = next(self._chains)

    def _edited(self, field: _Field, value) -> None:
        node = self.node
        if node is None:
            return
        if field.param in node.config and node.config[field.param] == value and \
                type(node.config[field.param]) is type(value):
            return
        if field.param not in node.config and value == field.default:
            return
        command = SetNodeParameter(
            self.session.project, node.id, field.param, value,
            self.tr("Set {0} of {1}").format(field.param.replace("_", " "), node.id),
            chain=self._chain if field.merges else None, default=field.default)
        self._pushing = True
        try:
            self.session.push(command)
        finally:
            self._pushing = False
