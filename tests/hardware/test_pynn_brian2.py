"""Round trips through pyNN.brian2: structure exact, and IF_curr_exp spikes exactly one step later per hop.

Brian2 runs in its own interpreter (``pynn_brian2_run.py``), as NEST does, so that neither its global state nor
its code generation touches the test process.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from runners import load_npz, run_script

if importlib.util.find_spec("brian2") is None or importlib.util.find_spec("pyNN") is None:
    pytest.skip("needs Brian2 and PyNN", allow_module_level=True)

RUNNER = Path(__file__).with_name("pynn_brian2_run.py")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("brian2") / "results.npz"
    run_script(RUNNER, str(out))
    return load_npz(out)


def test_every_synapse_reads_back_unchanged(results):
    labels = {k.split("/")[1] for k in results if k.startswith("lif/") and k.endswith("/same_pairs")}
    assert labels == {"src-hidden", "src-out", "hidden-out", "out-out", "hidden-hidden"}
    for label in labels:
        k = f"lif/{label}"
        assert bool(results[k + "/same_pairs"])
        np.testing.assert_allclose(results[k + "/pynn_w"], results[k + "/native_w"], rtol=1e-12, atol=0)
        np.testing.assert_allclose(results[k + "/pynn_d"], results[k + "/native_d"], rtol=0, atol=1e-12)


def test_one_hop_spikes_are_exactly_one_step_later(results):
    """Sources -> cells at dt = 0.1 ms: with tau_refrac exported one step longer (Brian2 counts the spike's own
    step in it), Brian2's cells fire exactly one step (0.1 ms) after the native ones for >= 99 % of spikes (measured
    99.9 %: its input enters after the step's update, as on NEST; the rest from the synaptic current's exact
    integration), spike counts within 0.5 %.  Without the longer tau_refrac Brian2's median spike came 0.1 ms
    before the native one and only 14 % lay within 0.15 ms of it."""
    native_t, native_i = results["native_t"], results["native_i"]
    brian2_t, brian2_i = results["brian2_t"], results["brian2_i"]
    assert native_t.size > 3000
    assert abs(brian2_t.size - native_t.size) <= 0.005 * native_t.size
    shifted = {(round(t * 10) + 1, i) for t, i in zip(native_t.tolist(), native_i.tolist())}
    got = {(round(t * 10), i) for t, i in zip(brian2_t.tolist(), brian2_i.tolist())}
    assert len(shifted & got) >= 0.99 * native_t.size
    assert any("tau_refrac is exported one step longer" in str(n) for n in results["notes"])


def test_two_layer_network_within_half_a_millisecond(results):
    """The NEST comparison's IF_curr_exp network (sources -> 30 cells -> 10 cells, every connector kind,
    inhibition, dt = 0.1 ms, 200 ms): >= 98 % of each layer's spikes within 0.5 ms of the native ones, counts
    within 1 % (measured 99.3 % and 99.4 %; without the longer tau_refrac 51 % and 42 %)."""
    for label in ("hidden", "out"):
        assert float(results[f"lif/{label}/fraction_within"]) >= 0.98, label
        native, brian2 = results[f"lif/{label}/counts"]
        assert native > 300 and abs(int(brian2) - int(native)) <= 0.01 * native
