"""The CA3 memory exported to NEST: the same PyNN script means a different STDP amplitude there.

pyNN.nest maps ``A_plus`` to NEST's ``lambda`` and NEST's additive ``stdp_synapse`` changes a weight by
``lambda * Wmax * trace``; sPyNNaker 7 changes it by ``A_plus * trace``.  The exporter divides A± by w_max for
NEST.  With the conversion one pairing at a lag of one step gives NEST the sPyNNaker 7 value 6 e^{-1/3} = 4.30 nA;
taken literally (no conversion) the change is six times larger and saturates at w_max = 6 nA, the sPyNNaker 6.0
behaviour that fails the published tables.
"""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

# NEST is looked for, never imported here: importing it into the test process changes the floating-point
# behaviour of what runs after it (torch training in the HLOP tests failed once pyNN.nest had been imported)
if importlib.util.find_spec("nest") is None or importlib.util.find_spec("pyNN") is None:
    pytest.skip("needs NEST and PyNN", allow_module_level=True)


@pytest.mark.slow
def test_ca3_exported_to_nest_with_and_without_the_amplitude_conversion():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("ca3_nest_run.py"))], capture_output=True,
                          text=True, timeout=600, env=env, cwd=Path(__file__).parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    converted, literal = res["True"], res["False"]
    # the pairing happened on both: cue and content cells fired together, then the cue again
    for run in (converted, literal):
        assert len(run["cue"]) == 2 and run["cue"][0] == run["content"][0]
    one_pairing = 6 * math.exp(-1 / 3)
    # converted: the single pairing's 4.30 nA, minus the depression of the later cue spike (post 25 ms earlier)
    assert converted["w"][0] == pytest.approx(one_pairing, abs=0.01) and converted["w"][0] < 5.0
    assert any("divided by w_max" in n for n in converted["notes"])
    # literal: 36 e^{-1/3} clipped at 6, then the same small depression
    assert literal["w"][0] > 5.98 and literal["w"][0] <= 6.0
    assert not any("divided by w_max" in n for n in literal["notes"])
