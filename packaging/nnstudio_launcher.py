"""Entry point of the PyInstaller bundle: the same as the ``nnstudio`` command."""

import multiprocessing
import sys

from nnstudio.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
