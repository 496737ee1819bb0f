"""The sweep engine: grid to Dataset, atomic per-point storage, resume after a real kill, Dask."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from engramsim.experiments import run_experiment
from engramsim.experiments.sweep import Metric, PartStore, run_sweep


def square(params, seed):
    return {"y": params["x"] ** 2 + 10 * seed, "curve": np.arange(params["x"] + 1, dtype=float)}


METRICS = {"y": Metric("x squared plus 10 seed", "1"), "curve": Metric("a ragged curve", dims=("k",))}


def test_grid_becomes_dimensions_with_metadata():
    ds = run_sweep(square, {"x": [1, 2, 3], "label": ["a", "b"]}, 2, metrics=METRICS, fixed={"c": 1.5},
                   name="toy", progress=False)
    assert ds["y"].dims == ("x", "label", "seed")
    assert list(ds["x"].values) == [1, 2, 3]
    assert list(ds["seed"].values) == [0, 1]
    np.testing.assert_array_equal(ds["y"].sel(label="a").values, [[1, 11], [4, 14], [9, 19]])
    assert ds["y"].attrs["long_name"] == "x squared plus 10 seed" and ds["y"].attrs["units"] == "1"
    # ragged extra dimension padded with NaN
    assert ds["curve"].dims == ("x", "label", "seed", "k")
    assert np.isnan(ds["curve"].sel(x=1, label="a", seed=0).values[2:]).all()
    for key in ("engramsim_version", "seeds", "start_time", "end_time", "experiment", "parameters"):
        assert key in ds.attrs
    assert ds.attrs["experiment"] == "toy" and '"c": 1.5' in ds.attrs["parameters"]


def test_bad_sweeps_are_rejected():
    with pytest.raises(ValueError, match=r"grid\['x'\] must hold at least one value"):
        run_sweep(square, {"x": []}, metrics=METRICS, progress=False)
    with pytest.raises(TypeError, match=r"grid\['x'\] must be a list"):
        run_sweep(square, {"x": 3}, metrics=METRICS, progress=False)
    with pytest.raises(ValueError, match="seeds must be >= 1"):
        run_sweep(square, {"x": [1]}, 0, metrics=METRICS, progress=False)
    with pytest.raises(ValueError, match="returned metrics"):
        run_sweep(lambda p, s: {"z": 1}, {"x": [1]}, metrics=METRICS, progress=False)


def test_resume_reuses_finished_points(tmp_path):
    out = tmp_path / "toy.nc"
    calls = []

    def counted(params, seed):
        calls.append((params["x"], seed))
        return square(params, seed)

    first = run_sweep(counted, {"x": [1, 2]}, 2, metrics=METRICS, out=out, progress=False)
    assert len(calls) == 4
    # a damaged part file counts as missing and is recomputed
    parts = sorted((tmp_path / "toy.nc.parts").glob("*.npz"))
    parts[0].write_bytes(b"garbage")
    second = run_sweep(counted, {"x": [1, 2, 3]}, 2, metrics=METRICS, out=out, progress=False)
    assert len(calls) == 4 + 1 + 2
    assert second.attrs["points_resumed"] == 3
    np.testing.assert_array_equal(second["y"].sel(x=[1, 2]).values, first["y"].values)


SCRIPT = """
import pathlib, sys, time
from engramsim.experiments.sweep import Metric, run_sweep

out, log, delay = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3])

def point(params, seed):
    with open(log, "a") as handle:
        handle.write(f"{params['x']} {seed}\\n")
    time.sleep(delay)
    return {"y": params["x"] ** 2 + seed}

ds = run_sweep(point, {"x": list(range(10))}, 2, metrics={"y": Metric("y")}, out=out, progress=False)
ds.to_netcdf(out + ".result.nc", engine="h5netcdf")
"""


def test_real_kill_midway_then_resume(tmp_path):
    script = tmp_path / "sweep_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out, parts = str(tmp_path / "killed.nc"), tmp_path / "killed.nc.parts"
    log1, log2 = tmp_path / "first.log", tmp_path / "second.log"
    proc = subprocess.Popen([sys.executable, str(script), out, str(log1), "0.25"])
    deadline = time.time() + 60
    while time.time() < deadline and len(list(parts.glob("*.npz"))) < 5:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = len(list(parts.glob("*.npz")))
    assert 5 <= finished < 20, "the kill should land midway"
    subprocess.run([sys.executable, str(script), out, str(log2), "0"], check=True)
    recomputed = log2.read_text().split("\n")[:-1]
    assert len(recomputed) == 20 - finished
    import xarray as xr

    with xr.open_dataset(out + ".result.nc", engine="h5netcdf") as ds:
        expected = np.add.outer(np.arange(10) ** 2, np.arange(2))
        np.testing.assert_array_equal(ds["y"].values, expected)
        assert ds.attrs["points_resumed"] == finished
    assert len(log1.read_text().split("\n")[:-1]) >= finished


def test_part_store_is_atomic(tmp_path):
    store = PartStore(tmp_path / "p")
    store.save("k", {"a": np.arange(3)})
    assert store.load("k")["a"].tolist() == [0, 1, 2]
    assert store.load("missing") is None
    assert not list((tmp_path / "p").glob("*.tmp"))


def test_dask_local_cluster_matches_serial():
    params = {"rule": ["hebb", "storkey"], "n_neurons": [60], "load": [0.1, 0.3], "n_cues": 10, "backend": "numpy"}
    serial = run_experiment("hopfield-capacity", params, seeds=2, progress=False)
    parallel = run_experiment("hopfield-capacity", params, seeds=2, workers=2, progress=False)
    for name in ("overlap", "retrieved", "stable_fraction", "one_step_error"):
        np.testing.assert_array_equal(serial[name].values, parallel[name].values)
