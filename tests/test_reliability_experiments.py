"""Property tests of ``run_experiment`` and the ``engramsim`` command: every bad parameter of every
registered experiment is refused, naming it, before any point runs; output files are never silently
replaced; finished sweeps leave no ``.parts`` or temporary files.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st
from reliability_support import PROPERTY, assert_refused, bad_bool, bad_float, bad_int

from engramsim.cli import main, parse_set
from engramsim.errors import ValidationError
from engramsim.experiments import experiments, run_experiment
from engramsim.experiments.sweep import Metric, check_output, point_key, run_sweep, write_dataset

EXPERIMENTS = experiments()
FEW = PROPERTY.__class__(PROPERTY, max_examples=5)


@contextmanager
def nothing_may_run():
    """Any point that starts is a failure: a refusal must come before the sweep."""
    with mock.patch("engramsim.experiments.registry.run_sweep",
                    side_effect=AssertionError("the sweep started: the bad value was not refused")):
        yield


def _kind(default):
    like = default[0] if isinstance(default, (list, tuple)) else default
    if isinstance(like, (bool, np.bool_)):
        return "bool"
    if isinstance(like, (int, np.integer)):
        return "int"
    if isinstance(like, (float, np.floating)):
        return "float"
    if isinstance(like, str):
        return "str"
    return None


PARAMS = [(name, key, _kind(default), isinstance(default, (list, tuple)))
          for name, exp in EXPERIMENTS.items() for key, default in exp.defaults.items() if _kind(default)]

_BAD_BY_KIND = {
    "bool": bad_bool(),
    "int": bad_int(),
    "float": bad_float(),
    "str": st.one_of(st.integers(), st.floats(allow_nan=True), st.booleans(), st.just(b"bytes")),
}


@pytest.mark.parametrize("experiment, key, kind, is_list", PARAMS, ids=[f"{p[0]}-{p[1]}" for p in PARAMS])
@FEW
@given(data=st.data())
def test_run_experiment_refuses_a_value_of_the_wrong_type(experiment, key, kind, is_list, data):
    value = data.draw(_BAD_BY_KIND[kind].filter(lambda v: not isinstance(v, list)), label=key)  # a list sweeps
    if is_list and data.draw(st.booleans(), label="inside a list"):
        value = [EXPERIMENTS[experiment].defaults[key][0], value]
    with nothing_may_run():
        assert_refused(lambda: run_experiment(experiment, {key: value}, progress=False), key)


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_run_experiment_refuses_bad_names_seeds_and_empty_lists(experiment):
    exp = EXPERIMENTS[experiment]
    with nothing_may_run():
        assert_refused(lambda: run_experiment(experiment, {"no_such_parameter": 1}, progress=False),
                       "no_such_parameter")
        for seeds in ("12", [0.5, 1.7], 0, -1, [], [1, 1], 10**12, True, [-1], 2.5, {"a": 1}):
            assert_refused(lambda: run_experiment(experiment, seeds=seeds, progress=False), "seeds")
        for key, default in exp.defaults.items():
            if isinstance(default, list):
                assert_refused(lambda: run_experiment(experiment, {key: []}, progress=False), key)


STR_PARAMS = [p for p in PARAMS if p[2] == "str"]


@pytest.mark.parametrize("experiment, key, kind, is_list", STR_PARAMS, ids=[f"{p[0]}-{p[1]}" for p in STR_PARAMS])
def test_run_experiment_refuses_unknown_words(experiment, key, kind, is_list):
    """A word no experiment knows ("zz-no-such") is refused before any point runs."""
    with nothing_may_run():
        assert_refused(lambda: run_experiment(experiment, {key: "zz-no-such"}, progress=False), key)


def test_run_experiment_refuses_unknown_experiments_and_params():
    with nothing_may_run():
        assert_refused(lambda: run_experiment("no-such-experiment", progress=False), "no-such-experiment")
        assert_refused(lambda: run_experiment(3, progress=False), "name")
        assert_refused(lambda: run_experiment("hopfield-capacity", [("load", 0.1)], progress=False), "params")
        assert_refused(lambda: run_experiment("hopfield-capacity", force="yes", progress=False), "force")


def test_the_issue_examples():
    with nothing_may_run():
        assert_refused(lambda: run_experiment("hopfield-capacity", {"self_coupling": "false"}, progress=False),
                       "self_coupling")
        assert_refused(lambda: run_experiment("hopfield-capacity", seeds="12", progress=False), "seeds")
        assert_refused(lambda: run_experiment("hopfield-capacity", seeds=[0.5, 1.7], progress=False), "seeds")
        err = assert_refused(lambda: run_experiment("hopfield-capacity", {"load": list(np.linspace(0.01, 1, 2000))},
                                                    seeds=100, progress=False), "points")
        assert "max_points" in str(err)


# ----------------------------------------------------------------------------- the command line
_BAD_TEXT = {
    "bool": st.sampled_from(["no", "yes", "1", "0", "on", "maybe", "True!"]),
    "int": st.sampled_from(["1.5", "abc", "nan", "inf", "1e400", "-inf", "0x10", "1:1e15:1", "1,abc"]),
    "float": st.sampled_from(["nan", "inf", "-inf", "abc", "1e400", "0.1:1e12:1e-12", "1,nan"]),
}
CLI_PARAMS = [p for p in PARAMS if p[2] in _BAD_TEXT]


@pytest.mark.parametrize("experiment, key, kind, is_list", CLI_PARAMS, ids=[f"{p[0]}-{p[1]}" for p in CLI_PARAMS])
@PROPERTY.__class__(PROPERTY, max_examples=3)
@given(data=st.data())
def test_cli_refuses_bad_text_in_one_line(experiment, key, kind, is_list, data, tmp_path_factory):
    text = data.draw(_BAD_TEXT[kind], label=key)
    out = tmp_path_factory.mktemp("cli") / "r.nc"
    err = _run_cli(["run", experiment, "--set", f"{key}={text}", "--out", str(out), "--quiet"])
    assert key in err
    assert not out.exists()


def _run_cli(argv):
    import contextlib
    import io
    import time

    stderr = io.StringIO()
    start = time.perf_counter()
    with nothing_may_run(), contextlib.redirect_stderr(stderr):
        status = main(argv)
    assert time.perf_counter() - start < 5.0
    text = stderr.getvalue()
    assert status == 2, text
    assert text.count("\n") == 1 and text.startswith("engramsim: error: ") and len(text) > 20, text
    return text


def test_cli_issue_examples_are_one_line_errors(tmp_path):
    assert "max_points" in _run_cli(["run", "hopfield-capacity", "--set", "load=0.1:1e12:1e-12"])
    assert "seeds" in _run_cli(["run", "hopfield-capacity", "--set", "seeds=1e12"])
    assert "self_coupling" in _run_cli(["run", "hopfield-capacity", "--set", "self_coupling=no"])
    over, _ = parse_set(["self_coupling=FALSE"], {"self_coupling": True}, "x")
    assert over["self_coupling"] is False
    (tmp_path / "d").mkdir()
    assert "directory" in _run_cli(["run", "hopfield-capacity", "--out", str(tmp_path / "d")])


# ----------------------------------------------------------------------------- files
ARGS = ["--set", "rule=hebb", "--set", "n_neurons=40", "--set", "load=0.1", "--set", "seeds=1", "--backend",
        "numpy", "--quiet"]


def test_no_file_is_replaced_without_force(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("precious")
    figure = tmp_path / "precious.png"
    figure.write_bytes(b"not a figure of ours")
    assert "precious.txt" in _run_cli(["run", "hopfield-capacity", *ARGS, "--out", str(precious), "--no-plot"])
    assert precious.read_text() == "precious"
    assert "precious.png" in _run_cli(["run", "hopfield-capacity", *ARGS, "--out", str(tmp_path / "precious.nc")])
    assert figure.read_bytes() == b"not a figure of ours" and not (tmp_path / "precious.nc").exists()
    # a result of other parameters is not replaced either, and is left intact
    out = tmp_path / "r.nc"
    assert main(["run", "hopfield-capacity", *ARGS, "--out", str(out)]) == 0
    before = out.read_bytes()
    err = _run_cli(["run", "hopfield-capacity", *ARGS, "--set", "load=0.2", "--out", str(out)])
    assert "swept values" in err and out.read_bytes() == before
    # --force replaces
    assert main(["run", "hopfield-capacity", *ARGS, "--set", "load=0.2", "--out", str(out), "--force"]) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds["load"].values.tolist() == [0.2]
    assert main(["run", "hopfield-capacity", *ARGS, "--out", str(precious), "--no-plot", "--force"]) == 0


def test_success_leaves_no_parts_or_temporary_files_and_usual_permissions(tmp_path):
    out = tmp_path / "r.nc"
    stale = tmp_path / "r.nc.parts"
    stale.mkdir()
    (stale / ".part-old.tmp").write_bytes(b"left by a killed run")
    (tmp_path / ".r.nc.abc.tmp").write_bytes(b"left by a killed write")
    old = os.umask(0o022)
    try:
        assert main(["run", "hopfield-capacity", *ARGS, "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.nc", "r.png"]
    for path in (out, tmp_path / "r.png"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # the same run again resumes from the finished file, computing nothing
    assert main(["run", "hopfield-capacity", *ARGS, "--out", str(out)]) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.attrs["points_computed"] == 0 and ds.attrs["points_resumed"] == 1


def test_failure_keeps_the_finished_points(tmp_path):
    out = tmp_path / "f.nc"

    def point(params, seed):
        if params["x"] == 3:
            raise RuntimeError("boom")
        return {"y": params["x"]}

    with pytest.raises(RuntimeError):
        run_sweep(point, {"x": [1, 2, 3]}, 1, metrics={"y": Metric("y")}, out=out, progress=False)
    assert len(list((tmp_path / "f.nc.parts").glob("*.npz"))) == 2


def test_plot_of_a_non_result_says_so_in_one_line(tmp_path):
    text = tmp_path / "notes.nc"
    text.write_text("hello")
    assert "not an engramsim result" in _run_cli(["plot", str(text)])
    other = tmp_path / "other.nc"
    xr.Dataset({"a": ("x", [1.0])}).to_netcdf(other, engine="h5netcdf")
    assert "not an engramsim result" in _run_cli(["plot", str(other)])
    assert "directory" in _run_cli(["plot", str(tmp_path)])


def test_point_keys_hold_version_and_code():
    params = {"x": 1}
    base = point_key("e", params, 0, version="1.0", code="m:f")
    assert base != point_key("e", params, 0, version="1.1", code="m:f")
    assert base != point_key("e", params, 0, version="1.0", code="m:g")
    assert base == point_key("e", {"x": 1}, 0, version="1.0", code="m:f")


def test_check_output_refuses_other_versions(tmp_path):
    ds = run_sweep(lambda p, s: {"y": p["x"]}, {"x": [1]}, 1, metrics={"y": Metric("y")}, progress=False, name="toy")
    out = write_dataset(ds, tmp_path / "toy.nc")
    identity = {k: ds.attrs[k] for k in ("experiment", "parameters", "swept", "seeds", "engramsim_version", "code")}
    assert check_output(out, identity) is not None
    with pytest.raises(ValidationError, match="package version"):
        check_output(out, {**identity, "engramsim_version": "0.0.0"})
    assert check_output(out, {**identity, "engramsim_version": "0.0.0"}, force=True) is None


@PROPERTY
@given(grid=st.one_of(st.just({"x": []}), st.just({"x": 3}), st.just({"x": "abc"}), st.just([("x", [1])]),
                      st.just({"x": [1, 1]}), st.just({"x": list(range(100_001))})))
def test_run_sweep_refuses_bad_grids(grid):
    assert_refused(lambda: run_sweep(lambda p, s: {"y": 1}, grid, metrics={"y": Metric("y")}, progress=False),
                   "grid")


@PROPERTY
@given(workers=st.one_of(bad_int(1), st.just(True)).filter(lambda v: v is not None))
def test_run_sweep_refuses_bad_workers(workers):
    assert_refused(lambda: run_sweep(lambda p, s: {"y": 1}, {"x": [1]}, metrics={"y": Metric("y")},
                                     workers=workers, progress=False), "workers")
