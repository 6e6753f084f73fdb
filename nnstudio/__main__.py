"""``nnstudio`` / ``python -m nnstudio``: the desktop window.

``nnstudio FILE.nnproj`` opens a project; with no file a ready example opens, so that a
first-time user sees something that trains at once.  ``nnstudio --demo`` trains a network on
a built-in dataset in the terminal instead (the engine alone, no window).

``nnstudio --self-test`` checks an installation (``nnstudio.selftest``).
``nnstudio train|evaluate|predict|export|info ...`` work on a project without the window
(``nnstudio.cli``; ``nnstudio COMMAND --help`` for each).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from nnstudio import cli

    if argv[:1] and argv[0] in cli.COMMANDS:
        return cli.main(argv)
    if argv[:1] == ["--demo"]:
        from engine import demo

        return demo.main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="nnstudio",
        description="NN Studio: build, train and understand neural networks. With no "
                    "arguments the window opens with a ready example.",
        epilog="Without the window: nnstudio train | evaluate | predict | export | info "
               "PROJECT ... (nnstudio train --help and so on), and nnstudio --demo --help.")
    parser.add_argument("project", nargs="?", help="a .nnproj file to open")
    parser.add_argument("--demo", action="store_true",
                        help="train a network in the terminal, without the window")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation: open, train, save and reopen the "
                             "example offscreen; exits 0 if all of that worked")
    args = parser.parse_args(argv)
    if args.self_test:
        from nnstudio import selftest

        return selftest.run()
    if args.version:
        from nnstudio import __version__

        print(f"NN Studio {__version__}")
        return 0
    from nnstudio import app

    return app.run([args.project] if args.project else [])


if __name__ == "__main__":
    sys.exit(main())
