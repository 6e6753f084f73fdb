"""``python -m nnstudio`` / ``nnstudio``.

Until the desktop window exists, this runs the engine demo: it trains a network on a built-in
dataset and prints its progress.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from engine import demo

    return demo.main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
