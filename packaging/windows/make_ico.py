"""Write a Windows .ico of the application icon from resources/icons/png (standard library
only: the .ico holds the PNGs as they are, which Windows Vista and later read).

    python packaging/windows/make_ico.py [OUT.ico]      (default: build/nnstudio.ico)
"""

from __future__ import annotations

import pathlib
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PNG = ROOT / "resources" / "icons" / "png"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def write(out: str | pathlib.Path = ROOT / "build" / "nnstudio.ico") -> pathlib.Path:
    out = pathlib.Path(out)
    images = [(size, (PNG / f"nnstudio-{size}.png").read_bytes()) for size in SIZES]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(header + entries + blobs)
    return out


if __name__ == "__main__":
    print(write(*sys.argv[1:2]))
