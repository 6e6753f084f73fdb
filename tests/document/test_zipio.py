"""The low-level zip code: crc32_combine, the CRC computed in pieces on threads, reading a
member straight into an array, and the writer (read back by zipfile)."""

from __future__ import annotations

import io
import os
import random
import zipfile
import zlib

import numpy as np
import pytest

from nnstudio.document import examples, zipio
from nnstudio.document import project_file as pf
from nnstudio.document.errors import CorruptProjectError
from nnstudio.document.model import Run
from engine import network

RNG = random.Random(1234)


@pytest.mark.parametrize("len1, len2", [(0, 0), (0, 1), (1, 0), (1, 1), (3, 5), (7, 0)]
                         + [(RNG.randrange(0, 5000), RNG.randrange(0, 5000)) for _ in range(40)]
                         + [(RNG.randrange(0, 3), RNG.randrange(1 << 16, 1 << 21))
                            for _ in range(5)])
def test_crc32_combine_is_the_crc_of_the_concatenation(len1, len2):
    a, b = os.urandom(len1), os.urandom(len2)
    assert zipio.crc32_combine(zlib.crc32(a), zlib.crc32(b), len2) == zlib.crc32(a + b)


def test_crc32_combine_chains_and_refuses_a_negative_length():
    parts = [os.urandom(n) for n in (13, 0, 1, 4097, 2)]
    crc = 0
    for part in parts:
        crc = zipio.crc32_combine(crc, zlib.crc32(part), len(part))
    assert crc == zlib.crc32(b"".join(parts))
    with pytest.raises(ValueError):
        zipio.crc32_combine(0, 0, -1)


@pytest.fixture
def small_pieces(monkeypatch):
    """Split even small buffers over the threads, so that every test exercises it."""
    monkeypatch.setattr(zipio, "PARALLEL_MIN", 1)
    monkeypatch.setattr(zipio, "CHUNK", 1000)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 63, 64, 65, 999, 1000, 1001, 12_345])
def test_crc_in_pieces_is_zlibs(n, small_pieces):
    data = os.urandom(n)
    assert zipio.crc32(data) == zlib.crc32(data)
    assert zipio.crc32(data, 0x1234) == zlib.crc32(data, 0x1234)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 1000, 4096, 12_345])
def test_fill_reads_checksums_and_inspects_every_byte(n, small_pieces):
    data = os.urandom(n + 10)
    seen = []
    view = memoryview(bytearray(n))
    crc, ok = zipio.fill(zipio.MemorySource(data), 10, view, 99, 1,
                         lambda lo, hi: seen.append((lo, hi)) or True)
    assert bytes(view) == data[10:] and ok
    assert crc == zlib.crc32(data[10:], 99)
    assert sorted(seen) == [(lo, hi) for lo, hi in sorted(seen)] and sum(
        hi - lo for lo, hi in seen) == n
    if n > 64:
        assert len({lo for lo, _ in seen}) >= 2  # it was split


def test_fill_reports_truncation_and_a_failed_inspection(small_pieces, tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(5000))
    with open(path, "rb") as f:
        source = zipio.FileSource(f)
        with pytest.raises(zipio.Truncated):
            zipio.fill(source, 100, memoryview(bytearray(5000)))
        view = memoryview(bytearray(4000))
        crc, ok = zipio.fill(source, 0, view, 0, 1, lambda lo, hi: lo < 3000)
        assert not ok and crc == zlib.crc32(path.read_bytes()[:4000])


def big_project():
    """A run with a 1.5 million-value layer: large enough for the threads by default."""
    project = examples.plane_regression()
    spec = project.spec()
    spec["nodes"][1]["config"]["units"] = 1200
    net = network.build(spec, 1250, 1, seed=0)
    weights = {k: np.random.default_rng(1).standard_normal(v.shape, dtype=np.float32)
               for k, v in net.get_weights().items()}
    project.add_run(Run("big", "big", "2026-01-01T00:00:00+00:00",
                        {"spec": spec, "n_features": 1250, "n_outputs": 1,
                         "training": project.training.to_dict(),
                         "data": project.data.to_dict()}, weights=weights))
    assert weights["hidden1.weight"].nbytes > 1.5 * zipio.PARALLEL_MIN
    return project


BIG = big_project()


def test_a_large_array_is_written_and_read_on_two_threads(tmp_path, monkeypatch):
    submitted = []
    real = zipio.ThreadPoolExecutor.submit

    def spy(self, fn, *args, **kwargs):
        submitted.append(fn)
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(zipio.ThreadPoolExecutor, "submit", spy)
    path = tmp_path / "big.nnproj"
    pf.save(BIG, path)
    assert submitted, "saving computed no CRC on the worker threads"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # the patched local headers and the directory agree
    submitted.clear()
    assert pf.load(path) == BIG
    assert submitted, "loading read nothing on the worker threads"


@pytest.mark.parametrize("where", [0.001, 0.25, 0.4999, 0.5001, 0.75, 0.99999])
def test_a_flipped_byte_anywhere_in_a_large_member_is_detected(tmp_path, where):
    path = tmp_path / "big.nnproj"
    pf.save(BIG, path)
    member = "weights/big/hidden1.weight.npy"
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    start = zipio.data_offset(zipio.MemorySource(data), info.header_offset, member.encode())
    data[start + int(where * info.file_size)] ^= 0x04
    path.write_bytes(data)
    with pytest.raises(CorruptProjectError, match="checksum") as caught:
        pf.load(path)
    assert caught.value.where == member and not caught.value.unexpected
    with pytest.raises(CorruptProjectError, match="checksum"):
        pf.loads(bytes(data))


def test_the_writer_makes_archives_zipfile_reads(small_pieces):
    out = io.BytesIO()
    writer = zipio.ZipWriter(out, (2026, 5, 1, 12, 30, 58))
    writer.write_bytes("a.txt", b"hello " * 100)
    writer.write_bytes("b.bin", b"stored", zipio.STORED)
    writer.write_bytes("ünï/cödé.txt", b"")
    array = np.arange(5000, dtype=np.float64)
    writer.write_array("c.npy", b"HEADER", array)
    writer.close()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        assert archive.read("a.txt") == b"hello " * 100
        assert archive.read("b.bin") == b"stored"
        assert archive.read("ünï/cödé.txt") == b""
        assert archive.read("c.npy") == b"HEADER" + array.tobytes()
        info = archive.getinfo("a.txt")
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2026, 5, 1, 12, 30, 58)
        assert info.external_attr >> 16 == 0o644
    with pytest.raises(ValueError, match="duplicate"):
        writer.write_bytes("a.txt", b"")


def test_the_writer_uses_zip64_records_when_told(small_pieces):
    out = io.BytesIO()
    writer = zipio.ZipWriter(out, (2026, 1, 1, 0, 0, 0), zip64_limit=0)
    writer.write_bytes("a.txt", b"x" * 1000)
    writer.write_array("b.npy", b"H", np.ones(3000, np.float32))
    writer.close()
    data = out.getvalue()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.read("b.npy") == b"H" + np.ones(3000, np.float32).tobytes()


def test_a_nan_in_a_large_array_is_refused_while_writing(tmp_path):
    """Finiteness is checked on the CRC threads as the array is written: the save fails,
    names the member, and leaves the previous file as it was."""
    path = tmp_path / "p.nnproj"
    pf.save(examples.plane_regression(), path)
    before = path.read_bytes()
    project = big_project()
    project.runs[0].weights["hidden1.weight"][-1, -1] = np.inf
    with pytest.raises(pf.ProjectSaveError, match="NaN or infinite.*previous file is "
                                                  "unchanged") as caught:
        pf.save(project, path)
    assert caught.value.where == "weights/big/hidden1.weight.npy"
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["p.nnproj"]
    project.runs[0].weights["hidden1.weight"][-1, -1] = 0.0
    project.runs[0].weights["hidden1.weight"][0, 0] = np.nan
    with pytest.raises(pf.ProjectSaveError, match="NaN"):
        pf.dumps(project)


def test_saving_without_threads_or_early_writeback_writes_the_same_bytes(monkeypatch):
    when = __import__("datetime").datetime(2026, 1, 1)
    data = pf.dumps(BIG, saved=when)
    monkeypatch.setattr(zipio, "THREADS", 1)
    monkeypatch.setattr(zipio, "EARLY_WRITEBACK", False)
    assert pf.dumps(BIG, saved=when) == data
    assert pf.loads(data) == BIG


def local_headers_agree_with_the_directory(data: bytes) -> None:
    """Every local header names its member and holds the CRC and sizes of the directory
    (streaming readers use the local headers only)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            fields = zipio._LOCAL.unpack_from(data, info.header_offset)
            _, _, _, method, _, _, crc, compressed, size, name_len, _ = fields
            name = data[info.header_offset + 30:info.header_offset + 30 + name_len]
            assert name == info.filename.encode() and method == info.compress_type
            assert crc == info.CRC, info.filename
            assert (size, compressed) == (info.file_size, info.compress_size) or (
                size == compressed == 0xFFFF_FFFF)


@pytest.mark.parametrize("threads", [1, 2])
def test_local_headers_hold_the_crc(monkeypatch, threads):
    monkeypatch.setattr(zipio, "THREADS", threads)
    local_headers_agree_with_the_directory(pf.dumps(BIG))
    from .conftest import trained_project
    local_headers_agree_with_the_directory(pf.dumps(trained_project()))
