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


# -- what the review of the process found ---------------------------------------------------
def wait_for(predicate, seconds=30.0):
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_pause_right_after_a_step_cancels_it_and_resume_trains_on():
    """Pause, Step, Pause within one batch, then Resume: the run trains on instead of
    pausing itself one batch later for the step nobody waits for any more."""
    import threading

    job = job_of(epochs=100_000)
    box, control = worker.Mailbox(), training.Control()
    run = worker.Worker(worker.WorkerJob.of(job), control, box, 0)
    thread = threading.Thread(target=run.run)
    thread.start()
    try:
        assert wait_for(lambda: box.batch is not None)
        worker._carry_out("pause", [], control, run)
        worker._carry_out("step", [1], control, run)
        worker._carry_out("pause", [], control, run)  # before the step's batch, most likely
        worker._carry_out("resume", [], control, run)
        at = box.batch.iteration
        assert wait_for(lambda: box.batch.iteration > at + 20), "the run paused by itself"
        assert not control.paused
    finally:
        control.stop()
        thread.join()


def test_a_late_step_pause_does_not_pause_the_window_after_resume(qtbot, controller):
    """The window numbers its steps and only the awaited one turns it "paused"."""
    batches = []
    controller.batchEnded.connect(lambda *a: batches.append(a))
    controller.start(job_of(epochs=100_000))
    qtbot.waitUntil(lambda: bool(batches), timeout=TIMEOUT)
    controller.pause()
    controller.step()
    controller.pause()
    controller.resume()
    controller._box.paused_after_step = 2  # the step's pause, arriving late
    count = len(batches)
    qtbot.waitUntil(lambda: len(batches) > count + 3, timeout=TIMEOUT)
    assert controller.state == "running"
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.stop()


def test_a_run_that_ends_on_its_stepped_batch_goes_straight_to_idle(qtbot, controller):
    states = []
    controller.stateChanged.connect(states.append)
    job = job_of(epochs=1, batch_size=600, validation_split=0.0)  # one batch in all
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.step(job)
    assert blocker.args[0]["status"] == "completed", blocker.args[0]["message"]
    assert states == ["running", "idle"]


def test_a_bad_command_leaves_the_run_its_commands(qtbot, controller):
    batches = []
    controller.batchEnded.connect(lambda *a: batches.append(a))
    controller.start(job_of(epochs=100_000))
    qtbot.waitUntil(lambda: bool(batches), timeout=TIMEOUT)
    controller.worker_thread.send("set_lr", "fast")  # not a number: the run refuses it
    controller.worker_thread.send("no such command")
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    assert blocker.args[0]["status"] == "stopped"


def test_a_run_that_does_not_stop_when_told_is_ended(qtbot, controller, monkeypatch):
    from nnstudio.training import controller as controller_module

    def hanging_fit(*args, **kwargs):  # a batch that never ends
        import time

        time.sleep(3600)
        yield  # pragma: no cover

    monkeypatch.setattr(training, "fit", hanging_fit)  # the forked run inherits it
    monkeypatch.setattr(controller_module, "STOP_WAIT_S", 0.5)
    controller.start(job_of(epochs=3))
    qtbot.wait(200)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    result = blocker.args[0]
    assert result["status"] == "error" and "did not stop" in result["message"]
    assert controller.state == "idle" and not controller.worker_thread.process.is_alive()


def test_a_result_that_cannot_be_shown_stops_the_run_and_says_why(qtbot, controller,
                                                                  monkeypatch):
    from nnstudio.training import controller as controller_module

    take = controller_module._TrainingThread._take
    broken = []

    def take_once_broken(self, message):
        if "epochs" in message and not broken:
            broken.append(message)
            raise ValueError("a view's data is malformed")
        return take(self, message)

    monkeypatch.setattr(controller_module._TrainingThread, "_take", take_once_broken)
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job_of(epochs=100_000))
    result = blocker.args[0]
    assert result["status"] == "stopped" and broken
    assert "could not be shown" in result["message"] and "malformed" in result["message"]
    assert result["history"]["lr"]  # the epochs it trained are kept


def test_a_field_that_cannot_be_pickled_is_left_out_and_the_rest_arrives():
    import multiprocessing

    box = worker.Mailbox()
    box.epochs.append({"epoch": 0, "train": {"loss": 1.0}})
    box.step = {"layers": [lambda: None]}  # cannot be pickled
    box.step_paused = 1
    box.outcome = {"status": "stopped", "history": {"lr": [0.1]}}
    box.wake.set()
    receive, send = multiprocessing.Pipe(duplex=False)
    worker._Sender(box, send).run()
    messages = []
    while receive.poll(0.5):
        messages.append(receive.recv())
    fields = [name for m in messages for name in m]
    assert "step" not in fields
    assert fields.index("epochs") < fields.index("paused_after_step") < fields.index("outcome")
    assert messages[-1]["outcome"]["status"] == "stopped"
