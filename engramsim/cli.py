"""The ``engramsim`` command.

::

    engramsim --version
    engramsim list [-v]
    engramsim describe EXPERIMENT            (also: engramsim run EXPERIMENT --help)
    engramsim run EXPERIMENT [--set key=value ...] [--out PATH] [--workers N | --scheduler ADDRESS]
                             [--backend NAME] [--seeds K] [--no-plot] [--force] [--quiet] [--debug]
    engramsim plot RESULT.nc [--out FIGURE.png] [--force]
    engramsim export MODEL --target pynn-script|spinnaker-report|fixed-point-report|nir --out PATH [--set key=value ...]

``--set key=a,b,c`` sweeps a list, ``--set key=start:stop:step`` sweeps a
range including both ends, ``--set seeds=K`` sets the number of seeds.
Booleans are written ``true`` or ``false``.  Errors are one line, with the
traceback only under ``--debug``.

Output files are checked before anything is computed: an existing file that
is not a result of the same experiment, parameters, seeds and version (or a
figure not written by engramsim) is not replaced without ``--force``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engramsim.errors import ValidationError
from engramsim.sim.validation import check_bounded


class UsageError(ValidationError):
    """A bad command line (reported as one line)."""


def _parse_scalar(text: str, like: Any, key: str) -> Any:
    """Convert ``text`` to the type of the default value ``like``."""
    if isinstance(like, (bool, np.bool_)):
        lowered = text.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise UsageError(f"--set {key}: expected true or false, got {text!r}")
    if isinstance(like, (int, np.integer)):
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise UsageError(f"--set {key}: expected an integer, got {text!r}") from None
            if not np.isfinite(value) or not value.is_integer():
                raise UsageError(f"--set {key}: expected an integer, got {text!r}") from None
            return int(value)
    if isinstance(like, (float, np.floating)):
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"--set {key}: expected a number, got {text!r}") from None
        if not np.isfinite(value):
            raise UsageError(f"--set {key}: expected a finite number, got {text!r}")
        return value
    if like is None:
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
        return None if text.lower() == "none" else text
    return text.strip()


def _range(text: str, like: Any, key: str) -> list[Any]:
    parts = text.split(":")
    if len(parts) != 3:
        raise UsageError(f"--set {key}: a range is start:stop:step, got {text!r}")
    start, stop, step = (_parse_scalar(p, like if not isinstance(like, str) else 0.0, key) for p in parts)
    if step <= 0 or stop < start:
        raise UsageError(f"--set {key}: a range needs step > 0 and stop >= start, got {text!r}")
    span = (stop - start) / step  # float division: finite for finite bounds and step > 0
    if not np.isfinite(span):
        raise UsageError(f"--set {key}: the range {text!r} has too many values")
    count = int(np.floor(span + 1e-9)) + 1
    check_bounded(count, f"--set {key}: the number of values of {text!r}", "max_points")
    values = [start + i * step for i in range(count)]
    if isinstance(start, float) or isinstance(step, float):
        values = [round(float(v), 12) for v in values]
    return values


def parse_set(items: Sequence[str], defaults: dict[str, Any], experiment: str) -> tuple[dict[str, Any], int | None]:
    """Parse ``--set key=value`` items against an experiment's defaults.

    Returns the overrides and the number of seeds (``None`` when not set).
    """
    overrides: dict[str, Any] = {}
    seeds = None
    for item in items:
        if "=" not in item:
            raise UsageError(f"--set expects key=value, got {item!r}")
        key, text = (s.strip() for s in item.split("=", 1))
        if key == "seeds":
            seeds = _parse_scalar(text, 0, "seeds")
            if seeds < 1:
                raise UsageError(f"--set seeds: expected a number of seeds >= 1, got {text!r}")
            continue
        if key not in defaults:
            raise UsageError(f"unknown parameter {key!r} for {experiment}; parameters: "
                             f"{', '.join(sorted(defaults))}, seeds")
        default = defaults[key]
        like = default[0] if isinstance(default, (list, tuple)) and default else default
        if not text:
            raise UsageError(f"--set {key}: empty value")
        if ":" in text and not isinstance(like, str):
            value: Any = _range(text, like, key)
        elif "," in text:
            value = [_parse_scalar(t, like, key) for t in text.split(",") if t.strip()]
        else:
            value = _parse_scalar(text, like, key)
        overrides[key] = value
    return overrides, seeds


def _cmd_list(args: argparse.Namespace) -> int:
    from engramsim.experiments import experiments

    from engramsim.experiments.describe import parameter_docs, plain

    known = experiments()
    width = max(len(name) for name in known)
    for name, exp in known.items():
        print(f"{name:<{width}}  {exp.description}")
        if args.verbose:
            docs = parameter_docs(exp)
            for key, value in exp.defaults.items():
                meaning, unit = docs.get(key, ("", ""))
                unit = f" {unit}" if unit not in ("", "1") else ""
                print(f"    {key} = {plain(value)}{unit}" + (f"  -- {meaning}" if meaning else ""))
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    from engramsim.experiments import get_experiment
    from engramsim.experiments.describe import describe

    print(describe(get_experiment(args.experiment)))
    return 0


def _figure_is_ours(path: Path) -> bool:
    """True when ``path`` is a PNG written by engramsim (its ``Software`` text chunk)."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            return str(getattr(image, "text", {}).get("Software", "")).startswith("engramsim")
    except Exception:
        return False


def _check_figure_path(path: Path, force: bool) -> None:
    if path.is_dir():
        raise UsageError(f"the figure path {path} is a directory")
    if path.exists() and not force and not _figure_is_ours(path):
        raise UsageError(f"refusing to replace {path}: it is not a figure written by engramsim; "
                         "choose another path or pass --force")


def _save_figure(fig: Any, path: Path, experiment: str) -> Path:
    """Write ``fig`` atomically as a PNG tagged as engramsim's (so a re-run may replace it)."""
    import tempfile

    from engramsim import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120, format="png",
                    metadata={"Software": f"engramsim {__version__}", "Source": experiment})
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _cmd_run(args: argparse.Namespace) -> int:
    if args.help:
        if args.experiment is not None:
            from engramsim.experiments import get_experiment
            from engramsim.experiments.describe import describe

            print(describe(get_experiment(args.experiment)))
            print()
        print(args.run_parser.format_help(), end="")
        return 0
    if args.experiment is None:
        raise UsageError("run needs an experiment name; see engramsim list")
    from engramsim.experiments import get_experiment, run_experiment, write_dataset

    exp = get_experiment(args.experiment)
    overrides, seeds = parse_set(args.set or [], dict(exp.defaults), exp.name)
    if args.backend is not None:
        if "backend" not in exp.defaults:
            raise UsageError(f"experiment {exp.name} has no backend parameter")
        overrides["backend"] = args.backend
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    out = Path(args.out) if args.out else Path("results") / f"{exp.name}.nc"
    figure_path = out.with_suffix(".png")
    if not args.no_plot and exp.plot is not None:
        if figure_path == out:
            raise UsageError(f"--out {out} ends in .png: the figure would replace the result; use .nc")
        _check_figure_path(figure_path, args.force)
    ds = run_experiment(exp.name, overrides, seeds=seeds, out=out, workers=args.workers,
                        scheduler=args.scheduler, progress=not args.quiet, force=args.force)
    write_dataset(ds, out)
    if not args.quiet:
        print(f"wrote {out}")
    if not args.no_plot and exp.plot is not None:
        _save_figure(exp.plot(ds), figure_path, exp.name)
        if not args.quiet:
            print(f"wrote {figure_path}")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from engramsim.experiments.plotting import plot_dataset
    from engramsim.experiments.sweep import read_result

    ds = read_result(args.result)
    out = Path(args.out) if args.out else Path(args.result).with_suffix(".png")
    if out.resolve() == Path(args.result).resolve():
        raise UsageError(f"the figure path {out} is the result file itself; pass --out FIGURE.png")
    _check_figure_path(out, args.force)
    print(f"wrote {_save_figure(plot_dataset(ds), out, str(ds.attrs.get('experiment')))}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from engramsim.hardware.export import MODELS, export_defaults, export_model

    if args.model not in MODELS:
        raise UsageError(f"unknown model {args.model!r}; exportable models: {', '.join(MODELS)}")
    overrides, seeds = parse_set(args.set or [], export_defaults(args.model), args.model)
    if seeds is not None:
        raise UsageError("export takes no seeds; set the model's seed parameter instead")
    print(f"wrote {export_model(args.model, args.target, args.out, overrides)}")
    return 0


def _version() -> str:
    from engramsim import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``engramsim`` command."""
    parser = argparse.ArgumentParser(prog="engramsim", description="Associative-memory simulations and sweeps.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    parser.add_argument("--version", action="version", version=f"engramsim {_version()}")
    p_list = sub.add_parser("list", help="list the registered experiments")
    p_list.add_argument("-v", "--verbose", action="store_true",
                        help="also show each parameter's default, unit and meaning")
    p_list.set_defaults(func=_cmd_list)

    p_describe = sub.add_parser("describe", help="an experiment's parameters (meaning, unit, type, default), "
                                                 "metrics and an example")
    p_describe.add_argument("experiment")
    p_describe.add_argument("--debug", action="store_true", help="show tracebacks")
    p_describe.set_defaults(func=_cmd_describe)

    p_run = sub.add_parser("run", help="run a registered experiment", add_help=False,
                           usage="engramsim run EXPERIMENT [options]  (engramsim run EXPERIMENT --help: "
                                 "its parameters)")
    p_run.add_argument("-h", "--help", action="store_true",
                       help="show the experiment's parameters, metrics and an example, then these options")
    p_run.add_argument("experiment", nargs="?")
    p_run.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="set a parameter: a value, a list a,b,c, or a range start:stop:step")
    p_run.add_argument("--out", help="netCDF output (default results/EXPERIMENT.nc); finished points are kept "
                                     "in OUT.parts/ so that a re-run resumes")
    group = p_run.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, help="run on a local Dask cluster of N worker processes")
    group.add_argument("--scheduler", help="run on the Dask scheduler at ADDRESS")
    p_run.add_argument("--backend", choices=("numpy", "numba", "cupy", "auto"))
    p_run.add_argument("--no-plot", action="store_true", help="do not write the PNG figure")
    p_run.add_argument("--force", action="store_true",
                       help="replace an existing OUT (or figure) that is not a result of this run")
    p_run.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p_run.add_argument("--debug", action="store_true", help="show tracebacks")
    p_run.set_defaults(func=_cmd_run, run_parser=p_run)

    p_plot = sub.add_parser("plot", help="plot a result file")
    p_plot.add_argument("result")
    p_plot.add_argument("--out", help="figure path (default: RESULT.png)")
    p_plot.add_argument("--force", action="store_true", help="replace an existing file that is not an "
                                                             "engramsim figure")
    p_plot.add_argument("--debug", action="store_true", help="show tracebacks")
    p_plot.set_defaults(func=_cmd_plot)

    p_export = sub.add_parser("export", help="write a built-in network for PyNN, SpiNNaker or NIR, or check it "
                                             "in SpiNNaker's arithmetic")
    p_export.add_argument("model", help="ca3 or izhikevich-2003")
    from engramsim.hardware.export import TARGETS

    p_export.add_argument("--target", required=True, choices=TARGETS,
                          help="pynn-script: a standalone PyNN script; spinnaker-report: what sPyNNaker would need "
                               "and round; fixed-point-report: the network run in double precision and in "
                               "sPyNNaker's fixed point, compared; nir: a NIR graph")
    p_export.add_argument("--out", required=True, help="output path (.py, .txt or .json, .nir)")
    p_export.add_argument("--set", action="append", metavar="KEY=VALUE",
                          help="a model parameter, duration (ms), simulator (nest, spiNNaker, brian2) or dt_nir (s)")
    p_export.add_argument("--debug", action="store_true", help="show tracebacks")
    p_export.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``engramsim`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("engramsim: interrupted; finished points are kept and a re-run resumes", file=sys.stderr)
        return 130
    except MemoryError:
        if args.debug:
            raise
        print("engramsim: error: out of memory; use smaller sizes or fewer points", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"engramsim: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
