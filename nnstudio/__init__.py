"""NN Studio: build, train and understand neural networks on the desktop."""

# The one place the version lives (pyproject.toml reads it from here).
__version__ = "0.1.0"
