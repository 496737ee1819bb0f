"""The engramsim command: list, run (with --set syntax, resume), plot, one-line errors."""

import subprocess
import sys

import pytest
import xarray as xr

from engramsim.cli import UsageError, main, parse_set


def test_parse_set_lists_ranges_and_seeds():
    defaults = {"load": [0.1], "n_neurons": [100], "rule": ["hebb"], "self_coupling": False}
    over, seeds = parse_set(["load=0.1:0.3:0.1", "n_neurons=10,20", "rule=storkey", "seeds=4",
                             "self_coupling=true"], defaults, "x")
    assert over["load"] == [0.1, 0.2, 0.3]
    assert over["n_neurons"] == [10, 20]
    assert over["rule"] == "storkey" and over["self_coupling"] is True and seeds == 4


@pytest.mark.parametrize("item, match", [
    ("load", "expects key=value"),
    ("load=1:0:0.1", "stop >= start"),
    ("n_neurons=1.5", "expected an integer"),
    ("seeds=0", "seeds >= 1"),
    ("bogus=1", "unknown parameter 'bogus'"),
])
def test_parse_set_errors(item, match):
    with pytest.raises(UsageError, match=match):
        parse_set([item], {"load": [0.1], "n_neurons": [100]}, "x")


def test_run_then_plot_then_resume(tmp_path, capsys):
    out = tmp_path / "hc.nc"
    args = ["run", "hopfield-capacity", "--set", "rule=hebb", "--set", "n_neurons=50",
            "--set", "load=0.1,0.2", "--set", "seeds=2", "--backend", "numpy", "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert out.exists() and out.with_suffix(".png").exists()
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["seed"] == 2 and ds.attrs["points_computed"] == 4
    assert main(args) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.attrs["points_resumed"] == 4 and ds.attrs["points_computed"] == 0
    assert main(["plot", str(out), "--out", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").stat().st_size > 1000


def test_errors_are_one_line(capsys):
    assert main(["run", "no-such-experiment"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown experiment 'no-such-experiment'" in err
    assert main(["run", "hopfield-capacity", "--set", "load=abc"]) == 2
    assert "expected a number" in capsys.readouterr().err
    assert main(["plot", "missing.nc"]) == 2


def test_debug_shows_the_traceback():
    with pytest.raises(ValueError):
        main(["run", "no-such-experiment", "--debug"])


def test_console_script_lists_experiments():
    proc = subprocess.run([sys.executable, "-m", "engramsim.cli", "list"], capture_output=True, text=True, check=True)
    assert "hopfield-capacity" in proc.stdout
