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


# ----------------------------------------------------------------------------- describe, help, list, version
def test_version_is_the_installed_distribution(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"engramsim {version('engramsim')}"


def test_every_parameter_of_every_experiment_is_documented():
    from engramsim.experiments import experiments
    from engramsim.experiments.describe import describe, parameter_docs

    for name, exp in experiments().items():
        docs = parameter_docs(exp)
        assert set(docs) == set(exp.defaults), (
            f"{name}: parameters without a (meaning, unit) {sorted(set(exp.defaults) - set(docs))}, documented "
            f"but not parameters {sorted(set(docs) - set(exp.defaults))}; declare them in Experiment(parameters=...)"
            " or engramsim/experiments/parameter_docs.py")
        for key, (meaning, unit) in docs.items():
            assert isinstance(meaning, str) and len(meaning.split()) >= 2, (name, key, meaning)
            assert isinstance(unit, str) and unit == unit.strip(), (name, key, unit)
        page = describe(exp)
        assert "(undocumented)" not in page and "np." not in page, name
        assert all(f"\n  {key} " in page for key in exp.defaults), name
        assert all(f"\n  {key} " in page and f"[{m.units}]" in page for key, m in exp.metrics.items()), name


def test_describe_shows_meaning_unit_type_default_metrics_and_example(capsys):
    assert main(["describe", "izhikevich-2003"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    duration = lines.index(next(line for line in lines if line.strip().startswith("duration")))
    assert "simulated time" in lines[duration]
    assert lines[duration + 1].split() == ["unit:", "ms;", "type:", "float;", "default:", "1000.0"]
    assert "[Hz] population rate in 1 ms bins over (time)" in out
    assert "engramsim run izhikevich-2003" in out.split("example:")[1]


def test_swept_defaults_print_as_plain_numbers(capsys):
    assert main(["describe", "hopfield-capacity"]) == 0
    out = capsys.readouterr().out
    assert "default: 0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.55,0.6" in out
    assert "type: list of float" in out and "np." not in out
    assert main(["list", "-v"]) == 0
    out = capsys.readouterr().out
    assert "np." not in out and "load = 0.05,0.1," in out


@pytest.mark.parametrize("value, text", [
    (0.1, "0.1"), (1000.0, "1000.0"), (True, "true"), (None, "None"), ("auto", "auto"), (7, "7"),
    ([1, 2], "1,2"), ((0.5,), "0.5"),
])
def test_plain_values(value, text):
    import numpy as np

    from engramsim.experiments.describe import plain

    assert plain(value) == text
    if isinstance(value, (bool, int, float)):
        assert plain(np.array(value)[()]) == text  # the NumPy scalar prints the same


def test_run_help_names_the_experiment_parameters_then_the_options(capsys):
    assert main(["run", "dense-capacity", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("dense-capacity: ")
    assert "interaction order n" in out and "--workers" in out and "--force" in out
    assert main(["run", "--help"]) == 0
    assert "--workers" in capsys.readouterr().out
    assert main(["run", "no-such-experiment", "--help"]) == 2
    assert main(["run"]) == 2
    assert "needs an experiment name" in capsys.readouterr().err


def test_list_prints_one_line_per_experiment(capsys):
    from engramsim.experiments import experiments

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    known = experiments()
    assert [line.split()[0] for line in lines] == list(known)
    assert all(line.endswith(known[line.split()[0]].description) for line in lines)


def test_every_example_command_is_a_valid_plan():
    import shlex

    from engramsim.cli import build_parser
    from engramsim.experiments import experiments
    from engramsim.experiments.describe import example_command
    from engramsim.experiments.registry import plan_experiment

    for name, exp in experiments().items():
        words = shlex.split(example_command(exp))
        assert words[:3] == ["engramsim", "run", name]
        args = build_parser().parse_args(words[1:])
        overrides, seeds = parse_set(args.set or [], exp.defaults, name)
        plan_experiment(name, overrides, seeds)
