"""The training controller: real worker threads, real training on small synthetic data."""

import math
import time

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from engine import training
from engine.spec import SpecError
from nnstudio.document import examples
from nnstudio.training.controller import TrainingController
from nnstudio.training.snapshot import TrainingJob, make_run, prepare, split_rows
from nnstudio.views.loss_plot import LossPlot

TIMEOUT = 30_000  # ms; the runs below take well under a second each


class Recorder:
    """Everything a controller emits, in order."""

    def __init__(self, controller: TrainingController):
        self.states, self.batches, self.deliveries = [], [], []
        self.epochs, self.latest, self.results, self.failures = [], [], [], []
        controller.stateChanged.connect(self.states.append)
        controller.batchEnded.connect(lambda *a: self.batches.append(a))
        controller.epochsEnded.connect(self._epochs)
        controller.epochEnded.connect(self.latest.append)
        controller.finished.connect(self.results.append)
        controller.failed.connect(self.failures.append)

    def _epochs(self, epochs):
        self.deliveries.append(len(epochs))
        self.epochs.extend(epochs)


def job_of(project_factory=examples.spirals_classifier, **settings) -> TrainingJob:
    project = project_factory()
    if settings:
        project.set_training(**settings)
    return prepare(project)


def run_to_end(qtbot, controller, job, **start):
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.start(job, **start)
    return blocker.args[0]


def wait_for_state(qtbot, controller, state):
    if controller.state != state:
        with qtbot.waitSignal(controller.stateChanged, timeout=TIMEOUT,
                              check_params_cb=lambda s: s == state):
            pass
    assert controller.state == state


# -- a whole run ------------------------------------------------------------------------------
def test_start_runs_to_completion_and_the_plot_holds_every_epoch(qtbot, controller):
    plot = LossPlot()
    qtbot.addWidget(plot)
    controller.epochsEnded.connect(plot.add_epochs)
    rec = Recorder(controller)
    job = job_of(epochs=12)
    iters = math.ceil(480 / 32)  # 600 samples, 20 % validation, batch 32

    result = run_to_end(qtbot, controller, job)

    assert result["status"] == "completed", result["message"]
    assert result["n_epochs"] == 12 and "12" in result["message"]
    assert plot.n_epochs == 12 and len(plot.train_curve.getData()[0]) == 12
    assert len(plot.val_curve.getData()[1]) == 12 and plot.metric_name == "accuracy"
    assert [e["epoch"] for e in rec.epochs] == list(range(12))
    assert rec.latest[-1]["epoch"] == 11
    assert rec.batches[-1] == (11, iters - 1, 12 * iters, iters)  # the last batch arrives
    assert rec.states == ["running", "idle"] and not controller.is_running()
    assert len(result["history"]["train"]["loss"]) == 12
    assert result["history"]["validation"]["val_accuracy"][-1] > 0.5
    assert set(result["weights"]) == set(job.network.get_weights())
    assert result["best_epoch"] is not None and result["best_weights"]
    assert controller.worker_thread.isFinished()
    first = rec.epochs[0]
    assert {"epoch", "train", "validation", "lr", "grad_norms", "confusion", "seconds",
            "samples_per_second"} <= set(first)
    assert np.asarray(first["confusion"]).shape == (3, 3)

    run = make_run(job, result, result["history"], result["status"], "run1", "First")
    assert run.status == "completed" and run.best_epoch == result["best_epoch"]
    assert set(run.final_metrics) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert run.final_metrics["loss"] == result["history"]["train"]["loss"][-1]
    assert set(run.settings) == {"spec", "n_features", "n_outputs", "training", "data"}
    assert run.settings["n_outputs"] == 3 and run.settings["training"]["epochs"] == 12
    for name, w in run.weights.items():
        np.testing.assert_array_equal(w, job.network.get_weights()[name])
    short = make_run(job, result, "run3")  # the result carries history and status
    assert (short.id, short.name, short.status) == ("run3", "Run 3", "completed")
    assert short.history == run.history and short.best_epoch == run.best_epoch


def test_start_refuses_a_second_run_while_one_is_running(qtbot, controller):
    controller.start(job_of(epochs=100_000))
    with pytest.raises(RuntimeError):
        controller.start(job_of(epochs=1))
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.stop()


# -- pause, resume, stop, step ----------------------------------------------------------------
def test_pause_holds_training_between_batches_and_resume_completes(qtbot, controller):
    rec = Recorder(controller)
    paused = []

    def pause_once(*_):
        if not paused:
            paused.append(True)
            controller.pause()

    controller.batchEnded.connect(pause_once)
    controller.start(job_of(epochs=500))
    qtbot.waitUntil(lambda: bool(paused), timeout=TIMEOUT)
    assert controller.state == "paused" and controller.is_running()
    qtbot.wait(200)  # what was in flight arrives
    seen = rec.batches[-1]
    qtbot.wait(400)
    assert rec.batches[-1] == seen, "training went on while paused"
    assert seen[2] < 500 * 15

    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.resume()
    result = blocker.args[0]
    assert result["status"] == "completed" and result["n_epochs"] == 500
    assert len(rec.epochs) == 500
    assert rec.states == ["running", "paused", "running", "idle"]


def test_stop_ends_with_the_history_of_the_finished_epochs(qtbot, controller):
    plot = LossPlot()
    qtbot.addWidget(plot)
    controller.epochsEnded.connect(plot.add_epochs)
    rec = Recorder(controller)
    controller.epochsEnded.connect(lambda _: controller.stop())
    job = job_of(epochs=100_000)

    result = run_to_end(qtbot, controller, job)

    assert result["status"] == "stopped" and "stopped" in result["message"].lower()
    n = result["n_epochs"]
    assert 1 <= n < 100_000
    assert len(result["history"]["train"]["loss"]) == n == len(result["history"]["lr"])
    assert len(rec.epochs) == n == plot.n_epochs  # every finished epoch reached the plot
    assert rec.states == ["running", "stopping", "idle"]
    assert result["best_epoch"] is not None and result["best_weights"]
    run = make_run(job, result, result["history"], result["status"], "run1", "Stopped")
    assert run.status == "stopped" and len(run.history["lr"]) == n


def test_step_runs_exactly_one_batch_then_pauses(qtbot, controller):
    rec = Recorder(controller)
    job = job_of(epochs=5, batch_size=160)  # 480 training samples: 3 batches per epoch

    controller.step(job)  # nothing runs: starts, paused after one batch
    wait_for_state(qtbot, controller, "paused")
    qtbot.wait(300)
    assert rec.batches == [(0, 0, 1, 3)] and rec.epochs == []

    controller.step()  # paused: one more batch
    wait_for_state(qtbot, controller, "paused")
    qtbot.wait(300)
    assert rec.batches == [(0, 0, 1, 3), (0, 1, 2, 3)]

    controller.step()  # the epoch's last batch: the epoch ends too
    wait_for_state(qtbot, controller, "paused")
    qtbot.waitUntil(lambda: len(rec.epochs) == 1, timeout=TIMEOUT)
    qtbot.wait(200)
    assert rec.batches[-1] == (0, 2, 3, 3) and len(rec.batches) == 3
    assert rec.epochs[0]["epoch"] == 0

    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT) as blocker:
        controller.stop()
    assert blocker.args[0]["status"] == "stopped" and blocker.args[0]["n_epochs"] == 1
    assert len(rec.batches) == 3


def test_step_without_a_run_or_a_job_is_refused(controller):
    with pytest.raises(RuntimeError):
        controller.step()
    assert controller.state == "idle"


# -- how runs end badly -----------------------------------------------------------------------
def test_divergence_ends_with_status_diverged_and_the_engine_message(qtbot, controller):
    rec = Recorder(controller)
    job = job_of(examples.plane_regression, optimizer={"name": "sgd", "lr": 1e6})

    result = run_to_end(qtbot, controller, job)

    assert result["status"] == "diverged"
    assert result["message"].startswith("Training diverged at epoch 1")
    assert "lower learning rate" in result["message"]
    assert rec.failures == [] and controller.state == "idle"
    assert all(np.isfinite(w).all() for w in result["weights"].values())  # last finite


def test_an_exception_in_the_worker_is_reported_and_the_controller_recovers(
        qtbot, controller, monkeypatch):
    def broken_fit(*args, **kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(training, "fit", broken_fit)
    rec = Recorder(controller)
    with qtbot.waitSignal(controller.failed, timeout=TIMEOUT) as blocker:
        controller.start(job_of(epochs=3))
    assert blocker.args == ["RuntimeError: the engine broke"]
    qtbot.waitUntil(lambda: bool(rec.results), timeout=TIMEOUT)
    assert rec.results[0]["status"] == "error"
    assert rec.results[0]["message"] == "RuntimeError: the engine broke"
    assert controller.state == "idle" and not controller.is_running()
    assert not controller.worker_thread.isRunning()

    monkeypatch.undo()  # the same controller trains again
    assert run_to_end(qtbot, controller, job_of(epochs=2))["status"] == "completed"


def test_a_setting_fit_refuses_fails_with_the_engines_message(qtbot, controller):
    job = job_of(metrics=["mae"])  # a regression metric on a classification loss
    with qtbot.waitSignal(controller.failed, timeout=TIMEOUT) as blocker:
        controller.start(job)
    assert "metric 'mae' is for regression" in blocker.args[0]
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=TIMEOUT)


@pytest.mark.parametrize("when", ["running", "paused"])
def test_shutdown_stops_and_joins_the_thread(qtbot, controller, when):
    rec = Recorder(controller)
    controller.start(job_of(epochs=100_000))
    qtbot.waitUntil(lambda: bool(rec.batches), timeout=TIMEOUT)
    if when == "paused":
        controller.pause()
        qtbot.wait(100)
    thread = controller.worker_thread
    assert thread.isRunning()

    assert controller.shutdown(10_000) is True

    assert not thread.isRunning() and thread.isFinished()
    assert controller.state == "idle"
    assert [r["status"] for r in rec.results] == ["stopped"]
    qtbot.wait(100)  # the queued QThread.finished arrives late and changes nothing
    assert len(rec.results) == 1 and controller.state == "idle"


def test_shutdown_when_idle_is_harmless(controller):
    assert controller.shutdown(100) is True
    assert controller.state == "idle"


# -- throttling -------------------------------------------------------------------------------
def test_a_fast_run_delivers_every_epoch_in_few_signals(qtbot, controller):
    plot = LossPlot()
    qtbot.addWidget(plot)
    controller.epochsEnded.connect(plot.add_epochs)
    rec = Recorder(controller)
    ticks = []
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    probe.start()
    job = job_of(examples.xor_playground, epochs=300, batch_size=10)
    batches = 300 * math.ceil(320 / 10)

    result = run_to_end(qtbot, controller, job)
    probe.stop()

    assert result["status"] == "completed"
    assert plot.n_epochs == 300 == len(rec.epochs)
    assert [e["epoch"] for e in rec.epochs] == list(range(300))
    assert rec.batches[-1][2] == batches  # the last batch is always delivered
    signals = len(rec.batches) + len(rec.deliveries) + len(rec.latest)
    assert signals < batches / 50, f"{signals} signals for {batches} batches"
    # the GUI thread kept running: its 10 ms timer was never held up for long
    assert len(ticks) >= 2 and max(np.diff(ticks)) < 1.0


def test_epoch_deliveries_are_throttled_but_none_is_lost(qtbot):
    controller = TrainingController(batch_interval_ms=20, epoch_interval_ms=10_000)
    try:
        rec = Recorder(controller)
        result = run_to_end(qtbot, controller, job_of(epochs=40))
        assert result["status"] == "completed"
        # what the first tick finds, then everything else in the final flush
        assert sum(rec.deliveries) == 40 and len(rec.deliveries) <= 2
        assert [e["epoch"] for e in rec.epochs] == list(range(40))
    finally:
        assert controller.shutdown(10_000)


# -- the snapshot -----------------------------------------------------------------------------
def test_prepare_raises_the_engines_spec_error_for_a_bad_spec():
    project = examples.spirals_classifier()
    project.connect("input", "output")  # the output layer now has two inputs
    with pytest.raises(SpecError) as info:
        prepare(project)
    assert "output" in str(info.value)


def test_prepare_refuses_data_it_cannot_load():
    project = examples.spirals_classifier()
    project.data.kind = "parquet"
    with pytest.raises(ValueError, match="cannot load data of kind 'parquet'; the kinds that "
                                         "can be trained on are: synthetic, builtin, csv"):
        prepare(project)
    project.data.kind = "csv"  # a CSV source without its file
    with pytest.raises(ValueError, match="needs a 'file' .embedded. or a 'path'"):
        prepare(project)


def test_prepare_takes_a_snapshot_the_document_cannot_reach():
    project = examples.spirals_classifier()
    job = prepare(project)
    project.set_training(epochs=1, optimizer={"name": "sgd", "lr": 1.0})
    project.set_node_config("hidden1", {"units": 3, "activation": "relu"})
    assert job.fit_kwargs["epochs"] == 60 and job.fit_kwargs["optimizer"]["name"] == "adam"
    assert job.spec["nodes"][1]["config"]["units"] == 16
    assert job.training.epochs == 60


@pytest.mark.parametrize("factory, loss, n_outputs, y_shape", [
    (examples.spirals_classifier, "sparse_categorical_crossentropy", 3, (600,)),
    (examples.spirals_classifier, "categorical_crossentropy", 3, (600, 3)),
    (examples.xor_playground, "binary_crossentropy", 1, (400, 1)),
    (examples.plane_regression, "mse", 1, (400, 1)),
])
def test_prepare_sizes_the_output_and_converts_the_targets(factory, loss, n_outputs, y_shape):
    job = job_of(factory, loss={"name": loss})
    assert job.n_outputs == n_outputs == job.network.n_outputs
    assert job.y.shape == y_shape and job.n_features == 2
    if loss == "categorical_crossentropy":
        rows, _test = split_rows(len(job.dataset.y), job.training, job.dataset.y)
        np.testing.assert_array_equal(job.y.argmax(axis=1), job.dataset.y[rows])
    # fit accepts what prepare made
    events = list(training.fit(job.network, job.x, job.y,
                               **{**job.fit_kwargs, "epochs": 1}))
    assert isinstance(events[-1], training.Finished)


def test_prepare_holds_out_the_test_split():
    job = job_of(test_split=0.25)
    assert len(job.x) == 450 and len(job.x_test) == 150 and len(job.y_test) == 150


def test_make_run_from_an_engine_event_without_a_thread():
    job = job_of(epochs=3)
    events = list(training.fit(job.network, job.x, job.y, **job.fit_kwargs))
    finished = events[-1]
    run = make_run(job, finished, finished.history, finished.reason, "run1", "Headless")
    assert run.status == "completed" and run.name == "Headless"
    assert len(run.history["train"]["loss"]) == 3 and run.best_epoch == finished.best_epoch
    assert set(run.best_weights) == set(finished.best_weights)
    assert run.to_dict()["has_weights"] and run.created
    assert make_run(job, None, finished.history, "stopped", "run2", "x").best_epoch is None


def test_boundary_axes_of_a_wider_dataset_fall_back_for_a_two_feature_run(controller, qtbot):
    controller.set_boundary_features(2, 3)  # chosen for, say, iris's four measurements
    project = examples.spirals_classifier()
    project.set_training(epochs=3)
    grids = []
    controller.boundaryUpdated.connect(grids.append)
    with qtbot.waitSignal(controller.finished, timeout=60_000):
        controller.start(prepare(project))
    assert controller.boundary_features == (0, 1)
    assert grids and grids[-1]["final"] and tuple(grids[-1]["features"]) == (0, 1)


# -- the measurements of the regression, histogram and step views -----------------------------
def test_a_step_delivers_its_layers_before_the_state_turns_paused(qtbot, controller):
    order = []
    controller.stepped.connect(lambda step: order.append(("stepped", step["iteration"])))
    controller.stateChanged.connect(lambda state: order.append(("state", state)))
    job = job_of(epochs=2, batch_size=160)

    controller.step(job)
    wait_for_state(qtbot, controller, "paused")
    controller.step()
    wait_for_state(qtbot, controller, "paused")
    assert order == [("state", "running"), ("stepped", 1), ("state", "paused"),
                     ("state", "running"), ("stepped", 2), ("state", "paused")]

    # resumed, the run trains on without measuring every batch
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.resume()
    assert [o for o in order if o[0] == "stepped"] == [("stepped", 1), ("stepped", 2)]


def test_final_regression_and_histograms_arrive_once_before_finished(qtbot, controller):
    order = []
    controller.regressionUpdated.connect(lambda r: order.append(("regression", r["final"])))
    controller.histogramsUpdated.connect(lambda h: order.append(("histograms", h["final"])))
    controller.finished.connect(lambda _r: order.append(("finished", None)))
    job = job_of(examples.plane_regression, epochs=5)
    run_to_end(qtbot, controller, job)
    assert order[-1] == ("finished", None)
    for kind in ("regression", "histograms"):
        finals = [final for k, final in order if k == kind]
        assert finals and finals[-1] is True and finals.count(True) == 1

    # a classification run: histograms, but no regression predictions
    order.clear()
    run_to_end(qtbot, controller, job_of(epochs=3))
    assert ("histograms", True) in order
    assert not [o for o in order if o[0] == "regression"]
