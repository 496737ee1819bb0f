"""The ``engramsim export`` command."""

import json

import pytest

from engramsim.cli import main


def test_spinnaker_report_of_ca3_as_json_and_table(tmp_path, capsys):
    out = tmp_path / "ca3.json"
    assert main(["export", "ca3", "--target", "spinnaker-report", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    # 9 populations of at most 15 cells and the IN source: one core each, nothing violated
    assert report["total_cores"] == 10 and report["maps"] and not report["violations"]
    assert sum(p["size"] for p in report["populations"]) == 15 + 3 * 5 + 4 * 10 + 1 + 15
    table = tmp_path / "ca3.txt"
    assert main(["export", "ca3", "--target", "spinnaker-report", "--out", str(table), "--set", "n_cues=3"]) == 0
    assert "CueCue" in table.read_text() and "application cores" in table.read_text()


def test_pynn_script_of_both_models(tmp_path):
    for model, sets in (("ca3", ["simulator=spiNNaker"]), ("izhikevich-2003", ["n_neurons=50", "duration=20"])):
        out = tmp_path / f"{model}.py"
        args = ["export", model, "--target", "pynn-script", "--out", str(out)]
        for s in sets:
            args += ["--set", s]
        assert main(args) == 0
        text = out.read_text()
        compile(text, str(out), "exec")
        assert "sim.run(" in text and "import engramsim" not in text
        assert (tmp_path / f"{model}.data.npz").exists()
    assert "pyNN.spiNNaker" in (tmp_path / "ca3.py").read_text()


@pytest.mark.parametrize("args,message", [
    (["export", "hopfield", "--target", "nir", "--out", "x.nir"], "unknown model 'hopfield'"),
    (["export", "ca3", "--target", "nir", "--out", "{tmp}/ca3.nir"], "population 'CueCue': NIR has no refractory"),
    (["export", "izhikevich-2003", "--target", "nir", "--out", "{tmp}/i.nir", "--set", "n_neurons=20"],
     "NIR export takes IF_curr_exp"),
    (["export", "ca3", "--target", "pynn-script", "--out", "{tmp}/x.py", "--set", "simulator=loihi"],
     "simulator must be one of"),
    (["export", "ca3", "--target", "pynn-script", "--out", "{tmp}/x.txt"], "ends in .py"),
    (["export", "ca3", "--target", "pynn-script", "--out", "{tmp}/x.py", "--set", "n_cues=1,2"], "one value"),
    (["export", "ca3", "--target", "pynn-script", "--out", "{tmp}/no/x.py"], "does not exist"),
])
def test_bad_export_is_one_clear_line(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_fixed_point_report_of_ca3(tmp_path):
    """The built-in CA3 demonstration behaves the same in fixed point: every population's spikes agree, the
    plastic weights to a few units; the table and the JSON say so."""
    out = tmp_path / "ca3.json"
    assert main(["export", "ca3", "--target", "fixed-point-report", "--out", str(out), "--set", "duration=40"]) == 0
    report = json.loads(out.read_text())
    assert report["same_spikes"] and report["duration_ms"] == 40.0
    assert {p["label"] for p in report["populations"]} >= {"IN", "OUT", "CueCue"}
    assert sum(p["spikes_float"] for p in report["populations"]) > 50
    plastic = [q for q in report["projections"] if q["plastic"]]
    assert len(plastic) == 2 and all(0 < q["max_weight_difference"] < 4 * q["unit"] for q in plastic)
    assert all(q["forgotten_pairings"] == 0 for q in plastic)
    assert all(p["saturated_entries"] == 0 for p in report["populations"])
    table = tmp_path / "ca3.txt"
    assert main(["export", "ca3", "--target", "fixed-point-report", "--out", str(table)]) == 0
    assert "the same spikes" in table.read_text() and "largest weight difference" in table.read_text()


def test_fixed_point_report_refuses_what_the_emulator_cannot_run(tmp_path, capsys):
    args = ["export", "izhikevich-2003", "--target", "fixed-point-report", "--out", str(tmp_path / "i.txt"),
            "--set", "n_neurons=20", "--set", "duration=10"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "runs IF_curr_exp cells and spike sources" in err and err.count("\n") == 1
