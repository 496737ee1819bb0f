"""The built-in networks the ``engramsim export`` command writes, and the writing itself.

::

    engramsim export ca3 --target pynn-script --out ca3_nest.py --set simulator=nest
    engramsim export izhikevich-2003 --target spinnaker-report --out izh.txt --set connection_probability=0.1
    engramsim export ca3 --target nir --out ca3.nir
    engramsim export ca3 --target fixed-point-report --out ca3-fixed.txt --set n_cues=50 --set n_content=50

``ca3`` is the CA3 memory with a demonstration input: learn cue 0 with
content ``{0, 1, 8, 9}`` (held 3 ms from t = 2 ms: NEST's sources need
``t >= 2 dt``), then recall by cue 0 and by content bit 0.
``izhikevich-2003`` is the published network (or its sparse scale-up).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engramsim.errors import ValidationError
from engramsim.sim.validation import check_choice

TARGETS = ("pynn-script", "spinnaker-report", "fixed-point-report", "nir")
SIMULATORS = ("nest", "spiNNaker", "brian2")


def _ca3(n_cues: int, n_content: int, backend: str) -> Any:
    from engramsim.networks.ca3 import LEARN, RECALL_BY_CONTENT, RECALL_BY_CUE, build_circuit, make_operation
    from engramsim.networks.ca3.operations import input_spikes, schedule

    bits = [b for b in (0, 1, 8, 9) if b < n_content] or [0]
    content = [1 if b in bits else 0 for b in range(n_content)]
    probe = [1 if b == bits[0] else 0 for b in range(n_content)]
    ops = [make_operation(LEARN, n_cues, n_content, cue=0, content=content),
           make_operation(RECALL_BY_CUE, n_cues, n_content, cue=0),
           make_operation(RECALL_BY_CONTENT, n_cues, n_content, content=probe)]
    times = input_spikes(ops, schedule(ops, 2.0), n_cues, n_content)
    return build_circuit(n_cues, n_content, times, backend=backend).network


def _izhikevich(n_neurons: int, connection_probability: float, seed: int, backend: str) -> Any:
    from engramsim.networks.izhikevich import izhikevich_2003

    return izhikevich_2003(n_neurons, connection_probability, seed=seed, backend=backend).network


#: name -> (builder, its parameters with defaults, default duration in ms)
MODELS: dict[str, tuple[Callable[..., Any], dict[str, Any], float]] = {
    "ca3": (_ca3, {"n_cues": 5, "n_content": 10}, 30.0),
    "izhikevich-2003": (_izhikevich, {"n_neurons": 1000, "connection_probability": 1.0, "seed": 0}, 1000.0),
}


def export_defaults(model: str) -> dict[str, Any]:
    """Every ``--set`` key of ``model`` with its default (model parameters, ``duration``, ``simulator``, ``dt_nir``)."""
    check_choice(model, "model", tuple(MODELS))
    _, params, duration = MODELS[model]
    return {**params, "duration": duration, "simulator": "nest", "dt_nir": 1e-4}


def export_model(model: str, target: str, out: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Path:
    """Build the built-in network ``model`` and write it for ``target`` to ``out``.

    Parameters
    ----------
    model
        ``"ca3"`` or ``"izhikevich-2003"``.
    target
        ``"pynn-script"`` (a standalone PyNN script, ``--set simulator=``),
        ``"spinnaker-report"`` (:func:`engramsim.hardware.spinnaker.check` as a
        table, or as JSON when ``out`` ends in ``.json``), ``"fixed-point-report"``
        (:func:`engramsim.hardware.arithmetic_report.compare_arithmetics` over
        ``duration``: the network in double precision and in sPyNNaker's fixed
        point, as a table or JSON) or ``"nir"``.
    out
        Output path.
    overrides
        Values for the keys of :func:`export_defaults`.

    Returns
    -------
    Path
        What was written.
    """
    check_choice(target, "target", TARGETS)
    defaults = export_defaults(model)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValidationError(f"unknown parameter(s) {unknown} for {model}; parameters: {sorted(defaults)}")
    for key, value in overrides.items():
        if isinstance(value, list):
            raise ValidationError(f"{key}: export takes one value, got a list {value}")
    values = {**defaults, **overrides}
    simulator = check_choice(values.pop("simulator"), "simulator", SIMULATORS)
    duration, dt_nir = float(values.pop("duration")), float(values.pop("dt_nir"))
    out = Path(out)
    if not out.parent.is_dir():
        raise ValidationError(f"out: folder {str(out.parent)!r} does not exist")
    builder = MODELS[model][0]
    network = builder(**values, backend="numpy")
    if target == "pynn-script":
        from engramsim.hardware.pynn_script import write_pynn_script

        if out.suffix != ".py":
            raise ValidationError(f"out: a PyNN script ends in .py, got {str(out)!r}")
        return write_pynn_script(network, out, simulator=simulator, duration=duration,
                                 strict=simulator == "nest")
    if target in ("spinnaker-report", "fixed-point-report"):
        if target == "spinnaker-report":
            from engramsim.hardware.spinnaker import check

            report: Any = check(network)
        else:
            from engramsim.hardware.arithmetic_report import compare_arithmetics

            report = compare_arithmetics(network, duration, backend="numba")
        text = json.dumps(report.to_dict(), indent=1) if out.suffix == ".json" else str(report) + "\n"
        out.write_text(text)
        return out
    from engramsim.hardware.nir import write_nir

    write_nir(network, out, dt_nir=dt_nir)
    return out


__all__ = ["MODELS", "TARGETS", "export_defaults", "export_model"]
