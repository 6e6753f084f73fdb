"""NN Studio's training engine: pure NumPy, never Qt.

See docs/engine.md for the public API: build a network from a spec, forward, the loss and the
gradients of every parameter, weights in a documented order, optimizers, and ``fit``.
"""
