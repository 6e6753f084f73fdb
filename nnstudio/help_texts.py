"""Help: the glossary (in our own words) and the keyboard-shortcut list."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout)

from nnstudio.widgets import named


def _t(text: str) -> str:
    return QCoreApplication.translate("glossary", text)


GLOSSARY = [
    ("Perceptron", "A single neuron: a weighted sum of its inputs plus a bias, passed "
     "through an activation function."),
    ("MLP (multi-layer perceptron)", "Layers of neurons where every neuron of one layer feeds "
     "every neuron of the next: the networks you build on the canvas."),
    ("Input, hidden and output layers", "The input layer has one unit per feature of the "
     "data; the output layer one per class (or target); hidden layers sit in between and "
     "learn intermediate features."),
    ("Feedforward", "Computing the outputs from the inputs, layer after layer."),
    ("Backpropagation", "Computing how the loss changes with every weight, from the output "
     "back to the input, with the chain rule."),
    ("Epoch, batch, iteration", "An epoch is one pass over all training samples. They are "
     "cut into batches; each batch is one iteration: a forward pass, a backward pass and one "
     "weight update. Iterations per epoch = ceil(samples / batch size)."),
    ("Activation function", "The function a neuron applies to its weighted sum: sigmoid, "
     "tanh, ReLU, leaky ReLU, ELU, swish, linear, softmax (and GELU, SELU, softplus). "
     "Without one, stacked layers would collapse into a single linear map."),
    ("Vanishing gradient", "Gradients that shrink layer by layer on the way back (saturating "
     "sigmoids and tanh multiply by small derivatives), so early layers stop learning."),
    ("Exploding gradient", "Gradients that grow layer by layer until the weights become "
     "infinite or NaN; a lower learning rate or gradient clipping helps."),
    ("Loss function", "The number training minimizes: MAE, MSE or RMSE for values, "
     "binary, categorical or sparse categorical cross-entropy for classes."),
    ("Learning rate", "How far each update moves the weights along the negative gradient."),
    ("Optimizer", "The rule that turns gradients into updates: GD, SGD, momentum, NAG, "
     "Adagrad, RMSProp, AdaDelta, Adam, Nadam."),
    ("Confusion matrix", "A table of true classes (rows) against predicted classes "
     "(columns); the diagonal holds the correct predictions."),
    ("Accuracy, precision, recall, F1", "Accuracy: share of correct predictions. Precision: "
     "of the samples predicted as a class, the share that belong to it. Recall: of the "
     "samples of a class, the share found. F1: the harmonic mean of the two."),
]


# Canvas gestures have no QAction, so the shortcut list names them here.
GESTURES = [("Pan the canvas", "Space+drag, middle drag"),
            ("Zoom the canvas", "Ctrl+wheel, pinch"),
            ("Cancel a connection being dragged", "Esc")]


def _dialog(parent, object_name: str, title: str, content, size: tuple[int, int]) -> QDialog:
    """A non-modal dialog holding ``content`` and a Close button, shown at once."""
    dialog = QDialog(parent)
    named(dialog, object_name, title)
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    layout.addWidget(content)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(*size)
    dialog.show()
    return dialog


def show_glossary(parent) -> QDialog:
    browser = named(QTextBrowser(), "glossaryText", _t("Glossary text"))
    browser.setHtml("".join(f"<h4>{_t(term)}</h4><p>{_t(text)}</p>" for term, text in GLOSSARY))
    return _dialog(parent, "glossaryDialog", _t("Glossary"), browser, (560, 600))


def show_shortcuts(parent, actions) -> QDialog:
    rows = [(a.text().replace("&", "").rstrip("…"), a.shortcut().toString())
            for a in actions if not a.shortcut().isEmpty()]
    rows += [(_t(what), _t(keys)) for what, keys in GESTURES]
    table = named(QTableWidget(len(rows), 2), "shortcutsTable", _t("Shortcuts"))
    table.setHorizontalHeaderLabels([_t("Command"), _t("Shortcut")])
    for i, (text, keys) in enumerate(rows):
        table.setItem(i, 0, QTableWidgetItem(text))
        table.setItem(i, 1, QTableWidgetItem(keys))
    table.resizeColumnsToContents()
    return _dialog(parent, "shortcutsDialog", _t("Keyboard shortcuts"), table, (440, 560))
