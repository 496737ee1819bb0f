"""The SpiNNaker check: hand-computed limits, and predictions against sPyNNaker's virtual board."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from cases import CASES, long_row_net  # noqa: E402
from runners import run_script  # noqa: E402

from engramsim.hardware.spinnaker import (  # noqa: E402
    BOARD_APP_CORES,
    check,
    chips_needed,
    delay_slots,
    quantise,
    ring_buffer_shift,
)
from engramsim.sim.spiking import IF_curr_exp, Network, Population, Projection, SpikeSourceArray  # noqa: E402
from engramsim.sim.spiking import AllToAll, StaticSynapse  # noqa: E402

RUNNER = Path(__file__).with_name("spinnaker_map_run.py")
MAPPED = ["ca3", "izh_dense", "izh_sparse", "long_row", "mixed", "lif"]


def test_limits_by_hand():
    # 14 ring-buffer bits less 8 bits for 256 cells and 1 for two synapse types: 2**5 slots
    assert delay_slots(256) == 32
    assert delay_slots(10) == 2 ** (14 - 4 - 1)
    # the power of two strictly above the largest summed input
    assert [ring_buffer_shift(w) for w in (0.0, 0.5, 1.0, 3.9, 4.0, 6.0 * 10)] == [0, 0, 1, 2, 3, 6]
    # shift 3: units of 2**-12 nA, truncated
    np.testing.assert_array_equal(quantise([1.0, 0.0002, 2.0 ** -12 * 2.7, -0.5], 3),
                                  [1.0, 0.0, 2.0 ** -11, 0.5])
    # 40 chips of 16 application cores and 8 of 15, less the gatherer
    assert BOARD_APP_CORES == 759
    assert [chips_needed(n) for n in (1, 15, 16, 639, 640, 759, 760)] == [1, 1, 2, 40, 41, 48, 49]


def _one_population(size):
    net = Network(dt=1.0, seed=0, backend="numpy")
    src = Population(1, SpikeSourceArray(spike_times=[[2.0]]), label="src")
    net.add(Projection(src, Population(size, IF_curr_exp(), label="cells"), AllToAll(),
                       StaticSynapse(weight=1.0, delay=1.0)))
    return net


def test_board_capacity_and_report():
    fits, over = check(_one_population(758 * 256)), check(_one_population(759 * 256))
    assert (fits.total_cores, fits.fits_one_board) == (759, True)
    assert (over.total_cores, over.fits_one_board) == (760, False)
    assert any("759" in v for v in over.violations)
    text = str(fits)
    assert "cells" in text and "IF_curr_exp" in text and "759 application cores" in text
    d = fits.to_dict()
    assert d["populations"][1]["cores"] == 758 and d["projections"][0]["max_row_length"] == 256


def test_row_violation_names_the_fix():
    report = check(long_row_net(n=257))
    assert not report.maps
    assert any("row of 257" in v and "exceeds" in v for v in report.violations)
    assert check(long_row_net(n=256)).maps


def test_small_weights_round_to_zero():
    net = CASES["mixed"]()
    report = check(net)
    q = next(p for p in report.projections if p.label == "ssa-big")
    w = next(p for p in net.projections if p.label == "ssa-big").get_weights("list")
    # shift 5: one unit is 2**-10 nA; every weight under it is lost
    assert q.ring_buffer_shift == 5 and q.weight_unit == 2.0 ** -10
    assert q.n_rounded_to_zero == int(np.sum(w < 2.0 ** -10)) > 0 and q.max_relative_error == 1.0
    assert any("ssa-big" in n and "become 0" in n for n in report.notes)


@pytest.fixture(scope="module")
def mapped(tmp_path_factory):
    pytest.importorskip("spynnaker")
    home = tmp_path_factory.mktemp("spinnaker_home")
    (home / ".spynnaker.cfg").write_text("[Machine]\nvirtual_board = True\nversion = 5\n\n"
                                         "[Reports]\nwrite_network_graph = False\n")
    out = home / "mapped.json"
    run_script(RUNNER, str(out), *MAPPED, timeout=900, env={"HOME": str(home)}, cwd=home)
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("case", MAPPED)
def test_check_predicts_the_virtual_board(mapped, case):
    """Whether it maps, the cores of every population and delay extension (margin 0), the chips, the shifts."""
    got = mapped[case]
    report = check(CASES[case]())
    assert report.maps == got["maps"], got["error"]
    if not got["maps"]:
        assert "SynapseRowTooBig" in got["error"]
        return
    predicted = {p.label: p.cores for p in report.populations}
    predicted.update({f"{p.label}_delayed": p.delay_extension_cores for p in report.populations
                      if p.delay_extension_cores})
    assert predicted == got["cores"]
    assert report.chips == got["chips"]
    for label, shifts in got["shifts"].items():
        pop = next(p for p in report.populations if p.label == label)
        assert [pop.ring_buffer_shift.get("excitatory", 0), pop.ring_buffer_shift.get("inhibitory", 0)] == shifts


@pytest.mark.slow
def test_spynnaker_constants_match_the_installed_version(mapped):
    from engramsim.hardware import spinnaker as s

    c = mapped["_constants"]
    assert (c["ROW_LIMIT"], c["RING_BUFFER_BITS"], c["DELAY_EXTENSION_FACTOR"], c["POISSON_PER_CORE"]) == (
        s.ROW_LIMIT, s.RING_BUFFER_BITS, s.DELAY_EXTENSION_FACTOR, s.NEURONS_PER_CORE["SpikeSourcePoisson"])
