"""Loading the project's dataset off the window's thread.

``LoadWorker`` gathers :class:`~nnstudio.panels.data_facts.DataFacts` (reading and encoding
the file, as training will) in a ``QThread`` and reports through signals, so the window keeps
drawing while a large CSV loads.  ``in_background`` tells which sources are worth a thread:
the built-in tables, small files and small synthetic sets load in a few milliseconds, and
loading them at once spares the panel a flash of "Loading…" (and every caller a wait).

A worker that is superseded is cancelled (its progress callback says no, which stops
``read_csv`` between chunks) and its result is ignored by whoever started it.  Workers are
kept alive here until their thread has ended: destroying a running ``QThread`` aborts the
process, and the panel that started one may be gone before it ends.
"""

from __future__ import annotations

import atexit
import copy
import importlib.resources
import os

from PySide6.QtCore import QThread, Signal

from engine.data.csv_import import ImportCancelled
from nnstudio.document.model import DataSource, TrainingSettings
from nnstudio.panels import data_facts

# below these a source loads in well under 0.1 s here (about 20 MB/s of CSV, 100,000
# synthetic samples in about 20 ms): loaded on the spot
SYNC_BYTES = 1_000_000
SYNC_SAMPLES = 100_000

_ALIVE: set["LoadWorker"] = set()   # started and not yet ended


def _size(source: DataSource, embedded: dict | None, base_dir: str | None) -> int:
    """Bytes of the file behind a table source (0 when it cannot be found: it fails fast)."""
    if source.kind == "builtin":
        from engine.data.builtin import BUILTIN_DATASETS
        try:
            spec = BUILTIN_DATASETS.get(copy.deepcopy(source.config))
            with importlib.resources.as_file(spec.path()) as path:
                return os.path.getsize(path)
        except Exception:  # noqa: BLE001 -- an unknown name: loading says why
            return 0
    name = source.config.get("file")
    if name is not None:
        return len((embedded or {}).get(name) or b"")
    path = source.config.get("path")
    if not isinstance(path, str) or not path:
        return 0
    if not os.path.isabs(path) and base_dir:
        path = os.path.join(base_dir, path)
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def in_background(source: DataSource, embedded: dict | None, base_dir: str | None) -> bool:
    """Whether loading ``source`` takes long enough to need a thread."""
    if source.kind == "synthetic":
        n = source.config.get("n_samples", 0)
        return isinstance(n, (int, float)) and n > SYNC_SAMPLES
    if source.kind in ("builtin", "csv"):
        return _size(source, embedded, base_dir) > SYNC_BYTES
    return False


class LoadWorker(QThread):
    """Gathers the facts of one data source in its thread.

    Everything it reads is copied when it is made (the document may change meanwhile).
    ``progressed(fraction, rows)`` while the file is read; ``done(self)`` at the end, with
    ``facts`` or ``error`` (the exception loading raised) set, or ``cancelled`` true.
    """

    progressed = Signal(float, int)
    done = Signal(object)

    def __init__(self, source: DataSource, embedded: dict | None, training: TrainingSettings,
                 base_dir: str | None):
        super().__init__()
        self.source = copy.deepcopy(source)
        self.embedded = dict(embedded or {})   # bytes: shared, never changed
        self.training = copy.deepcopy(training)
        self.base_dir = base_dir
        self.facts: data_facts.DataFacts | None = None
        self.error: Exception | None = None
        self.cancelled = False
        self.finished.connect(self._ended)  # queued: this object lives in the GUI thread

    def start(self) -> None:  # noqa: D102 -- QThread.start, kept alive until it ends
        _ALIVE.add(self)
        super().start()

    def cancel(self) -> None:
        self.cancelled = True

    def _progress(self, fraction: float, rows: int) -> bool:
        if self.cancelled:
            return False
        self.progressed.emit(float(fraction), int(rows))
        return True

    def run(self) -> None:
        try:
            if not self.cancelled:
                self.facts = data_facts.gather(self.source, self.embedded, self.training,
                                               self.base_dir, progress=self._progress)
        except ImportCancelled:
            self.cancelled = True
        except Exception as exc:  # noqa: BLE001 -- the panel shows any refusal
            self.error = exc
        self.done.emit(self)

    def _ended(self) -> None:
        self.wait()
        _ALIVE.discard(self)


def stop_all(timeout_ms: int = 10_000) -> bool:
    """Cancel every worker and wait for its thread (at exit); False if one did not end."""
    ended = True
    for worker in list(_ALIVE):
        worker.cancel()
        ended = worker.wait(timeout_ms) and ended
    return ended


atexit.register(stop_all)
