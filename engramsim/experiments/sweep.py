"""The sweep engine: a function of one parameter point, over a grid and seeds.

:func:`run_sweep` calls ``point(params, seed) -> {metric: value}`` for every
combination of the grid's values and every seed, serially or on Dask, and
assembles an :class:`xarray.Dataset`: swept parameters become dimensions with
coordinates (then ``seed``, then any extra dimensions a metric declares), each
metric a data variable with ``units`` and ``long_name``.

Given an output path, every finished point is written at once (atomically,
with fsync) into ``<out>.parts/``; a re-run with the same parameters loads
those and computes only what is missing, so an interrupted sweep loses at
most the points that were in flight.  A point's key holds the experiment,
its parameters, the seed, the package version and the point function's
qualified name, so a resumed sweep never mixes results of two versions.
:func:`write_dataset` writes the final file atomically and then removes the
``.parts`` folder and stray temporary files.  :func:`check_output` says
whether a path may receive a sweep's result (before anything is computed).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.validation import check_bounded, check_seed_list

PointFunction = Callable[[dict[str, Any], int], Mapping[str, Any]]


@dataclass(frozen=True)
class Metric:
    """Description of one measured quantity.

    Parameters
    ----------
    long_name
        Human-readable name (the ``long_name`` attribute).
    units
        Units (``"1"`` for dimensionless).
    dims
        Extra dimensions of the value the point function returns (for example
        ``("rank",)``); values of different lengths are padded with NaN.
    """

    long_name: str
    units: str = "1"
    dims: tuple[str, ...] = ()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def code_path(point: Callable[..., Any]) -> str:
    """The qualified name ``module:qualname`` of a point function (recorded in keys and results)."""
    return f"{getattr(point, '__module__', '?')}:{getattr(point, '__qualname__', type(point).__name__)}"


def point_key(experiment: str, params: Mapping[str, Any], seed: int, *, version: str | None = None,
              code: str = "") -> str:
    """A stable file name for one (parameters, seed) point.

    The key also holds the package ``version`` (default: the installed one)
    and the point function's ``code`` path, so that points computed by
    another version or another function are never reused.
    """
    if version is None:
        from engramsim import __version__ as version
    text = json.dumps({"experiment": experiment, "params": _jsonable(dict(params)), "seed": int(seed),
                       "version": version, "code": code}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[str], None], prefix: str) -> None:
    """Write ``path`` through ``write(tmp)``: temporary file, fsync, usual permissions, rename, fsync dir."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes owner-only files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_directory(path.parent)


class PartStore:
    """Finished points of one sweep, one ``.npz`` file each, written atomically."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def load(self, key: str) -> dict[str, np.ndarray] | None:
        """Return the metrics stored under ``key``, or None (a damaged file counts as missing)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except Exception:
            return None

    def save(self, key: str, metrics: Mapping[str, Any]) -> None:
        """Write ``metrics`` under ``key``: to a temporary file first (fsynced), then renamed."""
        def write(tmp: str) -> None:
            with open(tmp, "wb") as handle:
                np.savez(handle, **{k: np.asarray(v) for k, v in metrics.items()})

        _atomic_write(self.path(key), write, prefix=".part-")

    def remove(self) -> None:
        """Delete the stored points and temporary files, then the folder if nothing else is in it."""
        for pattern in ("*.npz", ".part-*.tmp", "*.tmp"):
            for path in self.directory.glob(pattern):
                path.unlink(missing_ok=True)
        try:
            self.directory.rmdir()
        except OSError:
            pass  # a file the engine did not write: leave the folder


def _call(point: PointFunction, params: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in point(params, seed).items()}


def _check_grid(grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    if not isinstance(grid, Mapping):
        raise ValidationTypeError(f"grid must be a mapping of parameter -> list of values, got {type(grid).__name__}")
    checked = {}
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not isinstance(values, np.ndarray):
            raise ValidationTypeError(f"grid[{name!r}] must be a list of values, got {type(values).__name__} {values!r}")
        check_bounded(len(values), f"the number of values of grid[{name!r}]", "max_points")
        values = [_jsonable(v) for v in values]
        if not values:
            raise ValidationError(f"grid[{name!r}] must hold at least one value, got an empty list")
        if len(set(map(repr, values))) != len(values):
            raise ValidationError(f"grid[{name!r}] holds repeated values: {values}")
        checked[name] = values
    return checked


def _check_seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool) and seeds < 1:
        raise ValidationError(f"seeds must be >= 1 (a number of seeds) or a list of seeds, got {seeds}")
    return check_seed_list(seeds, "seeds")


def count_points(grid: Mapping[str, Sequence[Any]], seeds: int | Sequence[int]) -> int:
    """Check ``grid`` and ``seeds`` and the number of points (bounded by ``max_points``); return it."""
    sizes = [len(v) for v in _check_grid(grid).values()]
    total = int(np.prod(sizes, dtype=object)) * len(_check_seeds(seeds))
    shape = " x ".join(map(str, sizes + [len(_check_seeds(seeds))]))
    return check_bounded(total, f"the number of points ({shape} grid values x seeds)", "max_points")


def run_sweep(
    point: PointFunction,
    grid: Mapping[str, Sequence[Any]],
    seeds: int | Sequence[int] = 1,
    *,
    metrics: Mapping[str, Metric],
    fixed: Mapping[str, Any] | None = None,
    name: str = "sweep",
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Run ``point`` over every grid point and seed and return a Dataset.

    Parameters
    ----------
    point
        ``point(params, seed) -> {metric name: value}``; ``params`` holds the
        fixed parameters and the point's grid values.  It must be a
        module-level function when run on Dask.
    grid
        Swept parameter -> list of values; each becomes a dimension.
    seeds
        Number of seeds (``K`` gives seeds ``0 .. K-1``) or a list of seeds.
    metrics
        Metric name -> :class:`Metric`; the point function must return
        exactly these names.
    fixed
        Parameters that are the same at every point (recorded as attributes).
    name
        Experiment name, recorded and used in the on-disk keys.
    out
        Directory prefix for resumable storage: finished points go to
        ``<out>.parts/``.  The caller writes the final file.
    workers
        Run on a new ``dask.distributed.LocalCluster`` with this many
        single-threaded worker processes.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); wins
        over ``workers``.
    progress
        Show a progress bar.
    attrs
        Extra global attributes.

    Returns
    -------
    xarray.Dataset
    """
    from engramsim import __version__

    grid = _check_grid(grid)
    seed_list = _check_seeds(seeds)
    count_points(grid, seed_list)
    fixed = dict(fixed or {})
    overlap = set(grid) & set(fixed)
    if overlap:
        raise ValidationError(f"parameters {sorted(overlap)} are both swept and fixed")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise ValidationError(f"workers must be a positive integer, got {workers!r}")
    code = code_path(point)
    store = PartStore(f"{os.fspath(out)}.parts") if out is not None else None
    start = _now()

    names = list(grid)
    tasks = []  # (index in grid, params, seed, key)
    for index in itertools.product(*(range(len(grid[n])) for n in names)):
        params = dict(fixed)
        params.update({n: grid[n][i] for n, i in zip(names, index)})
        for s_i, seed in enumerate(seed_list):
            tasks.append((index + (s_i,), params, seed, point_key(name, params, seed, version=__version__,
                                                                      code=code)))

    results: dict[tuple[int, ...], dict[str, np.ndarray]] = {}
    todo = []
    for idx, params, seed, key in tasks:
        done = store.load(key) if store is not None else None
        if done is not None and set(done) == set(metrics):
            results[idx] = done
        else:
            todo.append((idx, params, seed, key))

    bar = tqdm(total=len(tasks), initial=len(results), desc=name, disable=not progress, unit="pt")

    def finish(idx, key, value):
        missing = set(metrics) ^ set(value)
        if missing:
            raise ValueError(f"point function of {name!r} returned metrics {sorted(value)}, "
                             f"expected {sorted(metrics)}")
        if store is not None:
            store.save(key, value)
        results[idx] = value
        bar.update()

    try:
        if todo and (workers is not None or scheduler is not None):
            _run_dask(point, todo, finish, workers, scheduler)
        else:
            for idx, params, seed, key in todo:
                finish(idx, key, _call(point, params, seed))
    finally:
        bar.close()

    ds = _assemble(results, grid, seed_list, metrics)
    ds.attrs.update({
        "experiment": name,
        "engramsim_version": __version__,
        "seeds": seed_list,
        "start_time": start,
        "end_time": _now(),
        "parameters": json.dumps(_jsonable(fixed), sort_keys=True),
        "swept": json.dumps(grid),
        "points_resumed": len(tasks) - len(todo),
        "points_computed": len(todo),
        "code": code,
    })
    ds.attrs.update(attrs or {})
    return ds


def _run_dask(point, todo, finish, workers, scheduler) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = {client.submit(_call, point, params, seed, pure=False): (idx, key)
                   for idx, params, seed, key in todo}
        for future in as_completed(futures):
            idx, key = futures[future]
            finish(idx, key, future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _assemble(results, grid, seed_list, metrics) -> xr.Dataset:
    shape = tuple(len(v) for v in grid.values()) + (len(seed_list),)
    dims = tuple(grid) + ("seed",)
    coords: dict[str, Any] = {n: v for n, v in grid.items()}
    coords["seed"] = seed_list
    data_vars = {}
    for m_name, meta in metrics.items():
        values = [np.asarray(results[idx][m_name]) for idx in np.ndindex(*shape)]
        if meta.dims:
            extra = tuple(max(v.shape[k] for v in values) for k in range(len(meta.dims)))
            array = np.full(shape + extra, np.nan)
            for idx, v in zip(np.ndindex(*shape), values):
                array[idx + tuple(slice(0, s) for s in v.shape)] = v
            for dim, length in zip(meta.dims, extra):
                coords.setdefault(dim, np.arange(length))
        else:
            dtype = np.result_type(*values)
            array = np.array(values, dtype=dtype).reshape(shape)
        data_vars[m_name] = (dims + meta.dims, array, {"long_name": meta.long_name, "units": meta.units})
    return xr.Dataset(data_vars, coords=coords)


def write_dataset(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write ``ds`` to netCDF atomically (temporary file, fsync, rename), with the usual permissions.

    After a successful write the sweep's ``<path>.parts`` folder (if any)
    and temporary files of earlier interrupted writes are removed; on
    failure they are kept, so a re-run resumes.
    """
    path = Path(path)
    if path.is_dir():
        raise ValidationError(f"out must be a file path, got the directory {os.fspath(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}."
    _atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False), prefix)
    for stray in path.parent.glob(f"{prefix}*.tmp"):
        stray.unlink(missing_ok=True)
    parts = Path(f"{os.fspath(path)}.parts")
    if parts.is_dir():
        PartStore(parts).remove()
    return path


# ------------------------------------------------------------------ output files
#: global attributes that identify a sweep's result: same values, same result
IDENTITY_ATTRS = ("experiment", "parameters", "swept", "seeds", "engramsim_version", "code")


_IDENTITY_WORDS = {"experiment": "experiment", "parameters": "fixed parameters", "swept": "swept values",
                   "seeds": "seeds", "engramsim_version": "package version", "code": "point function"}


def sweep_identity(point: PointFunction, name: str, grid: Mapping[str, Sequence[Any]],
                   fixed: Mapping[str, Any] | None, seeds: int | Sequence[int]) -> dict[str, Any]:
    """The identifying attributes the Dataset of this sweep will carry (see :data:`IDENTITY_ATTRS`)."""
    from engramsim import __version__

    return {"experiment": name, "parameters": json.dumps(_jsonable(dict(fixed or {})), sort_keys=True),
            "swept": json.dumps(_check_grid(grid)), "seeds": _check_seeds(seeds),
            "engramsim_version": __version__, "code": code_path(point)}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        return np.atleast_1d(np.asarray(a)).tolist() == np.atleast_1d(np.asarray(b)).tolist()
    return a == b


def read_result(path: str | os.PathLike) -> xr.Dataset:
    """Load an engramsim result file; a clear one-line error for anything else."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"no such file: {os.fspath(path)}")
    if path.is_dir():
        raise ValidationError(f"{os.fspath(path)} is a directory, not an engramsim result file")
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception:
        raise ValidationError(f"{os.fspath(path)} is not an engramsim result (not a netCDF4/HDF5 file)") from None
    if "experiment" not in ds.attrs or "engramsim_version" not in ds.attrs:
        raise ValidationError(f"{os.fspath(path)} is a netCDF file but not an engramsim result "
                              "(no 'experiment' and 'engramsim_version' attributes)")
    return ds


def check_output(path: str | os.PathLike, identity: Mapping[str, Any] | None = None, *,
                 force: bool = False) -> xr.Dataset | None:
    """Check, before computing, that ``path`` may receive a result.

    Parameters
    ----------
    path
        The result file to write.
    identity
        :func:`sweep_identity` of the planned sweep.
    force
        Allow replacing a file that is not a result of the same sweep.

    Returns
    -------
    xarray.Dataset or None
        The finished result already at ``path`` when it is a result of the
        same sweep (same experiment, parameters, seeds, version and code),
        else None.

    Raises
    ------
    ValidationError
        ``path`` is a directory or cannot be created; or it exists and is not
        a result of the same sweep, and ``force`` is False.
    """
    path = Path(path)
    if path.is_dir():
        raise ValidationError(f"out must be a file path, got the directory {os.fspath(path)!r}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValidationError(f"cannot create {os.fspath(path)!r}: {os.fspath(parent)!r} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError(f"cannot write {os.fspath(path)!r}: the directory {os.fspath(parent)!r} "
                              "is not writable")
    if not path.exists():
        return None
    try:
        existing = read_result(path)
    except ValidationError as exc:
        if force:
            return None
        raise ValidationError(f"refusing to replace {os.fspath(path)}: {exc}; choose another path or pass "
                              "--force (force=True)") from None
    if identity is not None:
        differ = [_IDENTITY_WORDS[k] for k in IDENTITY_ATTRS if not _same(existing.attrs.get(k), identity[k])]
        if not differ:
            return existing
        if force:
            return None
        raise ValidationError(
            f"refusing to replace {os.fspath(path)}: it holds a result of {existing.attrs.get('experiment')!r} "
            f"with other {', '.join(differ)} than this run; choose another path or pass --force (force=True)")
    if force:
        return None
    raise ValidationError(f"refusing to replace the result {os.fspath(path)}; pass --force (force=True)")
