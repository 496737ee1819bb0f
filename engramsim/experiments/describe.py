"""Describe a registered experiment in words: parameters, metrics and an example command.

Used by ``engramsim describe NAME``, ``engramsim run NAME --help`` and
``engramsim list``.  Values print as plain numbers (``0.05``, never
``np.float64(0.05)``).

>>> from engramsim.experiments.describe import plain
>>> import numpy as np
>>> plain([np.float64(0.05), np.float64(0.1)])
'0.05,0.1'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.experiments.parameter_docs import PARAMETER_DOCS
from engramsim.experiments.registry import Experiment

__all__ = ["describe", "example_command", "parameter_docs", "parameter_type", "plain", "undocumented"]


def plain(value: Any) -> str:
    """``value`` as it would be written on the command line (lists comma-separated)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(plain(v) for v in value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else f"{value:.1f}"
    return str(value)


def parameter_type(default: Any) -> str:
    """The type of a parameter, from its default (``"list of float"`` when swept by default)."""
    if isinstance(default, (list, tuple)):
        inner = parameter_type(default[0]) if len(default) else "value"
        return f"list of {inner}"
    if default is None:
        return "number or none"
    if isinstance(default, (bool, np.bool_)):
        return "bool"
    if isinstance(default, (int, np.integer)):
        return "int"
    if isinstance(default, (float, np.floating)):
        return "float"
    return "str"


def parameter_docs(experiment: Experiment) -> dict[str, tuple[str, str]]:
    """``{parameter: (meaning, unit)}`` of ``experiment``: its own ``parameters``, else the shared table."""
    docs = dict(PARAMETER_DOCS.get(experiment.name, {}))
    docs.update(experiment.parameters or {})
    return docs


def undocumented(experiment: Experiment) -> list[str]:
    """The parameters of ``experiment`` without a meaning."""
    docs = parameter_docs(experiment)
    return [k for k in experiment.defaults if not (k in docs and docs[k][0].strip())]


def example_command(experiment: Experiment) -> str:
    """An example command line: the experiment's own, or one that narrows its first swept parameter."""
    if experiment.example:
        return experiment.example
    command = f"engramsim run {experiment.name}"
    swept = [(k, v) for k, v in experiment.defaults.items() if isinstance(v, (list, tuple)) and len(v) > 1]
    if swept:
        key, values = swept[0]
        command += f" --set {key}={plain(list(values[:2]))}"
    return command + f" --set seeds=1 --out results/{experiment.name}-example.nc"


def _unit(unit: str) -> str:
    return {"": "-", "1": "1"}.get(unit, unit)


def describe(experiment: Experiment) -> str:
    """A text page on ``experiment``: description, parameters, metrics, example."""
    docs = parameter_docs(experiment)
    lines = [f"{experiment.name}: {experiment.description}", "",
             "parameters (a list is swept; --set key=a,b,c or key=start:stop:step; --set seeds=K):"]
    width = max(len(k) for k in experiment.defaults) if experiment.defaults else 0
    for key, default in experiment.defaults.items():
        meaning, unit = docs.get(key, ("(undocumented)", ""))
        lines.append(f"  {key:<{width}}  {meaning}")
        lines.append(f"  {'':<{width}}  unit: {_unit(unit)}; type: {parameter_type(default)}; "
                     f"default: {plain(default)}")
    lines.append(f"  {'seeds':<{width}}  number of seeds (default: {experiment.seeds})")
    lines += ["", "metrics:"]
    mwidth = max(len(k) for k in experiment.metrics) if experiment.metrics else 0
    for key, metric in experiment.metrics.items():
        dims = f" over ({', '.join(metric.dims)})" if metric.dims else ""
        lines.append(f"  {key:<{mwidth}}  [{metric.units}] {metric.long_name}{dims}")
    lines += ["", "example:", f"  {example_command(experiment)}"]
    return "\n".join(lines)
