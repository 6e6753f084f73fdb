"""A run trains in a process of its own (``nnstudio.training.worker``): the window's network
follows it, a process that dies is reported without losing anything, and a spawned process
(the start method where fork is not safe) trains exactly what a forked one does."""

from __future__ import annotations

import os
import signal

import numpy as np
from window_helpers import set_epochs

from engine import training
from nnstudio.document import examples
from nnstudio.document.project_file import load
from nnstudio.training import worker
from nnstudio.training.snapshot import prepare

TIMEOUT = 60_000  # ms; a spawned process imports NumPy and the engine first


def job_of(**settings):
    project = examples.spirals_classifier()
    project.set_training(**settings)
    return prepare(project)


def run_to_end(qtbot, controller, job):
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job)
    return blocker.args[0]


def test_the_run_is_another_process_and_the_windows_network_follows_it(qtbot, controller):
    job = job_of(epochs=100_000)
    initial = job.network.get_weights()
    batches = []
    controller.batchEnded.connect(lambda *a: batches.append(a))
    controller.start(job)
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=TIMEOUT)
    process = controller.worker_thread.process
    assert process.is_alive() and process.pid != os.getpid()

    # paused: the window's copy of the network holds the weights the run has reached
    controller.pause()
    qtbot.waitUntil(lambda: any(not np.array_equal(job.network.get_weights()[k], v)
                                for k, v in initial.items()), timeout=TIMEOUT)
    paused_at = job.network.get_weights()
    qtbot.wait(200)
    assert all(np.array_equal(job.network.get_weights()[k], v) for k, v in paused_at.items())

    evaluations = []
    controller.evaluationReady.connect(evaluations.append)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    result = blocker.args[0]
    assert result["status"] == "stopped"
    # the run's wall time: at least the time its epochs took
    assert result["seconds"] >= sum(result["history"]["seconds"]) > 0
    # the validation samples came back as the window's own rows
    (evaluation,) = evaluations
    np.testing.assert_array_equal(evaluation["x"], job.x[evaluation["indices"]])
    assert len(evaluation["x"]) == len(evaluation["y_true"]) > 0
    # the process has ended, and the window's network is the run's final one
    assert not process.is_alive() and process.exitcode == 0
    for name, value in result["weights"].items():
        np.testing.assert_array_equal(job.network.get_weights()[name], value)


def test_a_training_process_that_dies_ends_the_run_with_a_clear_error(qtbot, controller):
    batches, failures = [], []
    controller.batchEnded.connect(lambda *a: batches.append(a))
    controller.failed.connect(failures.append)
    controller.start(job_of(epochs=100_000))
    qtbot.waitUntil(lambda: bool(batches), timeout=TIMEOUT)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        os.kill(controller.worker_thread.process.pid, signal.SIGKILL)  # say, out of memory
    result = blocker.args[0]
    assert result["status"] == "error"
    assert "training process ended unexpectedly" in result["message"]
    assert f"exit code {-signal.SIGKILL}" in result["message"]
    assert failures == [result["message"]] and controller.state == "idle"
    # and the next run trains
    assert run_to_end(qtbot, controller, job_of(epochs=2))["status"] == "completed"


def test_through_the_window_a_dead_process_is_explained_and_the_document_kept(
        window, qtbot, tmp_path):
    window.open_example("spirals-classifier")
    path = str(tmp_path / "spirals.nnproj")
    window.person.will("save_path", path)
    assert window.save_document_as()
    set_epochs(window, qtbot, 100_000)
    window.actions_by_name["train"].trigger()
    qtbot.waitUntil(lambda: window.loss_plot.n_epochs >= 1, timeout=TIMEOUT)
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT):
        os.kill(window.controller.worker_thread.process.pid, signal.SIGKILL)
    assert [title for title, _ in window.person.errors] == ["Training failed"]
    assert "ended unexpectedly" in window.person.errors[0][1]
    assert "intact" in window.person.errors[0][1]
    # the document is as it was: the unsaved epochs edit is still there, no run was added
    assert window.session.project.training.epochs == 100_000
    assert window.session.project.runs == []
    assert load(path).spec() == window.session.project.spec()
    # and the window trains again
    set_epochs(window, qtbot, 2)
    with qtbot.waitSignal(window.controller.finished, timeout=TIMEOUT) as done:
        window.actions_by_name["train"].trigger()
    assert done.args[0]["status"] == "completed"
    assert len(window.session.project.runs) == 1


def test_a_spawned_process_trains_exactly_what_a_forked_one_and_a_thread_do(
        qtbot, controller, monkeypatch):
    forked = run_to_end(qtbot, controller, job_of(epochs=3))
    monkeypatch.setattr(worker, "START_METHOD", "spawn")
    spawned = run_to_end(qtbot, controller, job_of(epochs=3))
    assert spawned["status"] == forked["status"] == "completed"
    # and the same run in this thread, the worker alone
    job = job_of(epochs=3)
    box = worker.Mailbox()
    worker.Worker(worker.WorkerJob.of(job), training.Control(), box, 0).run()
    for name, value in box.outcome["weights"].items():
        np.testing.assert_array_equal(forked["weights"][name], value)
        np.testing.assert_array_equal(spawned["weights"][name], value)
    for part in ("train", "validation", "lr", "grad_norms"):  # all but the timings
        assert spawned["history"][part] == forked["history"][part]


def test_the_boundary_is_measured_no_more_often_than_the_window_draws_it(monkeypatch):
    """Grids the window would replace unseen are not computed: the run is told how often the
    views are drawn (``view_interval``) and measures the boundary at most that often."""
    import threading
    import time

    job = job_of(epochs=100_000)
    box, control = worker.Mailbox(), training.Control()
    run = worker.Worker(worker.WorkerJob.of(job), control, box, 0)
    run.set_view_interval(0.4)
    times = []
    measure = worker.Probes.boundary

    def timed(self, *args, **kwargs):
        times.append(time.monotonic())
        return measure(self, *args, **kwargs)

    monkeypatch.setattr(worker.Probes, "boundary", timed)
    thread = threading.Thread(target=run.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(times) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        control.stop()
        thread.join()
    assert len(times) >= 4 and box.outcome["status"] == "stopped"
    gaps = np.diff(times[:-1])  # the last one is the final state's, measured regardless
    assert gaps.min() >= 0.4, gaps
