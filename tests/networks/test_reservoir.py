"""The cue -> event task generator and the what x when reservoir template."""

import numpy as np
import pytest

from engramsim.networks.reservoir import Reservoir
from engramsim.networks.reservoir_task import Block, Trial, bump, make_trials, switch_schedule


def test_event_frequencies_follow_the_block_probabilities():
    trials = make_trials([Block((0.7, 0.2), (100.0, 200.0), 4000)], seed=0)
    events = np.array([t.event for t in trials])
    # binomial standard errors: sqrt(p (1 - p) / n) <= 0.008; allow 4 of them
    assert np.mean(events == 0) == pytest.approx(0.7, abs=0.03)
    assert np.mean(events == 1) == pytest.approx(0.2, abs=0.03)
    assert np.mean(events == -1) == pytest.approx(0.1, abs=0.03)
    assert all(t.latency == {0: 100.0, 1: 200.0}[t.event] for t in trials if t.event >= 0)
    assert all(np.isnan(t.latency) for t in trials if t.event < 0)
    assert make_trials([Block((0.5, 0.5), (1.0, 2.0), 50)], seed=4) == make_trials([Block((0.5, 0.5), (1.0, 2.0), 50)],
                                                                                   seed=4)


def test_switch_schedule_swaps_timing_and_probability():
    blocks = switch_schedule(("timing", "probability", "both"), n_trials=10, probabilities=(0.8, 0.2),
                             latencies=(150.0, 300.0))
    assert [(b.probabilities, b.latencies) for b in blocks] == [
        ((0.8, 0.2), (150.0, 300.0)), ((0.8, 0.2), (300.0, 150.0)), ((0.2, 0.8), (300.0, 150.0)),
        ((0.8, 0.2), (150.0, 300.0))]
    trials = make_trials(blocks, seed=1)
    assert [t.block for t in trials] == [b for b in range(4) for _ in range(10)]


def test_expectation_is_probability_weighted_bump():
    block = Block((0.25, 0.75), (100.0, 200.0), 1)
    t = np.array([100.0, 200.0, 120.0])
    e = block.expectation(t, 20.0)
    np.testing.assert_allclose(e[:, 0], [0.25, 0.25 * np.exp(-12.5), 0.25 * np.exp(-0.5)])
    np.testing.assert_allclose(e[:, 1], [0.75 * np.exp(-12.5), 0.75, 0.75 * np.exp(-8.0)])
    assert bump(np.array([0.0]), 0.0, 1.0)[0] == 1.0


def test_task_rejects_bad_input():
    with pytest.raises(ValueError, match="sum to at most 1"):
        Block((0.7, 0.5), (1.0, 2.0))
    with pytest.raises(ValueError, match="one entry per event channel"):
        Block((0.5,), (1.0, 2.0))
    with pytest.raises(ValueError, match="latencies must be > 0"):
        Block((0.5, 0.5), (0.0, 2.0))
    with pytest.raises(ValueError, match="switches must be one of"):
        switch_schedule(("timing", "shape"))
    with pytest.raises(ValueError, match="blocks must be a non-empty"):
        make_trials([])


@pytest.fixture(scope="module")
def trained():
    res = Reservoir(200, seed=0, backend="numba", trial_length=400.0)
    trials = make_trials([Block((0.7, 0.3), (150.0, 300.0), 40)], seed=1)
    res.train(trials)
    return res, trials


def test_training_record_and_what_readout(trained):
    res, trials = trained
    rec = res.record
    assert len(rec.error) == len(rec.w_what) == len(rec.w_when) == len(trials)
    assert rec.block == [0] * len(trials) and rec.event == [t.event for t in trials]
    assert np.all(np.isfinite(rec.error))
    # the what readouts learn the event probabilities (delta rule on near-constant features)
    pred = res.predict()
    np.testing.assert_allclose(pred.what, [0.7, 0.3], atol=0.15)
    assert pred.output.shape == (res.steps, 2) and np.all(np.isfinite(pred.output))
    np.testing.assert_allclose(pred.output, pred.what[None, :] * pred.when)
    # the weights change across trials and the record holds copies
    assert not np.array_equal(rec.w_when[0], rec.w_when[-1])
    assert rec.w_what[-1] is not res.w_what


def test_when_readout_peaks_near_the_latency_of_the_likely_event(trained):
    res, _ = trained
    pred = res.predict()
    post = pred.time >= res.cue_duration
    peak = pred.time[post][np.argmax(pred.when[post, 0])]
    assert abs(peak - 150.0) <= 60.0


def test_subspace_angles_are_angles(trained):
    res, _ = trained
    ang = res.subspace_angles()
    assert ang.shape == (2,) and np.all((ang >= 0) & (ang <= np.pi / 2 + 1e-12))


def test_same_seed_same_result():
    def run():
        res = Reservoir(60, seed=3, backend="numba", trial_length=400.0)
        return res.train(make_trials([Block((0.5, 0.5), (150.0, 300.0), 3)], seed=2)).error
    assert run() == run()


def test_force_readout_with_p_reset():
    res = Reservoir(60, seed=3, backend="numba", trial_length=400.0, readout="force")
    blocks = switch_schedule(("timing",), n_trials=2)
    res.train(make_trials(blocks, seed=0))
    p_before = res.p.copy()
    res.train(make_trials(switch_schedule(("timing",), n_trials=1), seed=0)[1:], reset_p_on_switch=True)
    # block 1 again: no switch from the last recorded block, so P kept shrinking from p_before
    assert np.trace(res.p) < np.trace(p_before)
    res.train(make_trials(switch_schedule(("timing",), n_trials=1), seed=0)[:1], reset_p_on_switch=True)
    # a switch (block 1 -> block 0) restarted P before this trial's updates
    assert np.trace(res.p) > np.trace(p_before)


def test_reservoir_rejects_bad_input():
    with pytest.raises(ValueError, match="excitatory_fraction"):
        Reservoir(10, excitatory_fraction=1.0)
    with pytest.raises(ValueError, match="readout must be one of"):
        Reservoir(10, readout="hebb")
    with pytest.raises(ValueError, match="dt must divide 1 ms"):
        Reservoir(10, dt=0.3)
    res = Reservoir(20, trial_length=200.0)
    with pytest.raises(TypeError, match=r"trials\[0\] must be a Trial"):
        res.train([{"event": 0}])
    with pytest.raises(ValueError, match="within trial_length"):
        res.train([Trial(0, 180.0, 0, (1.0, 0.0), (180.0, 50.0))])
    with pytest.raises(ValueError, match="channels"):
        res.train([Trial(0, 50.0, 0, (1.0,), (50.0,))])
    with pytest.raises(ValueError, match="must not be empty"):
        res.train([])
    with pytest.raises(ValueError, match="both readouts"):
        res.subspace_angles()


def test_feedback_closes_the_loop():
    trials = make_trials([Block((0.5, 0.5), (150.0, 300.0), 4)], seed=2)
    errors = {}
    for q in (0.0, 2000.0):
        res = Reservoir(80, seed=3, backend="numba", trial_length=400.0, feedback_gain=q)
        errors[q] = res.train(trials).error
        assert np.all(np.isfinite(errors[q]))
    # the first output is 0 either way ("what" is 0 until the first offline update); later the fed-back "when"
    # readouts change the dynamics
    assert errors[0.0][0] == errors[2000.0][0]
    assert errors[0.0][1:] != errors[2000.0][1:]
