"""The sweep engine: a function of one parameter point, over a grid and seeds.

:func:`run_sweep` calls ``point(params, seed) -> {metric: value}`` for every
combination of the grid's values and every seed, serially or on Dask, and
assembles an :class:`xarray.Dataset`: swept parameters become dimensions with
coordinates (then ``seed``, then any extra dimensions a metric declares), each
metric a data variable with ``units`` and ``long_name``.

Given an output path, every finished point is written at once (atomically)
into ``<out>.parts/``; a re-run with the same parameters loads those and
computes only what is missing, so an interrupted sweep loses at most the
points that were in flight.
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


def point_key(experiment: str, params: Mapping[str, Any], seed: int) -> str:
    """A stable file name for one (parameters, seed) point."""
    text = json.dumps({"experiment": experiment, "params": _jsonable(dict(params)), "seed": int(seed)},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


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
        """Write ``metrics`` under ``key``: to a temporary file first, then renamed."""
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **{k: np.asarray(v) for k, v in metrics.items()})
            os.replace(tmp, self.path(key))
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise


def _call(point: PointFunction, params: dict[str, Any], seed: int) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in point(params, seed).items()}


def _check_grid(grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    checked = {}
    for name, values in grid.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not isinstance(values, np.ndarray):
            raise TypeError(f"grid[{name!r}] must be a list of values, got {type(values).__name__} {values!r}")
        values = [_jsonable(v) for v in values]
        if not values:
            raise ValueError(f"grid[{name!r}] must hold at least one value, got an empty list")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"grid[{name!r}] holds repeated values: {values}")
        checked[name] = values
    return checked


def _check_seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 (a number of seeds) or a list of seeds, got {seeds}")
        return list(range(int(seeds)))
    values = [int(s) for s in seeds]
    if not values or any(s < 0 for s in values) or len(set(values)) != len(values):
        raise ValueError(f"seeds must be distinct non-negative integers, got {list(seeds)}")
    return values


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
    fixed = dict(fixed or {})
    overlap = set(grid) & set(fixed)
    if overlap:
        raise ValueError(f"parameters {sorted(overlap)} are both swept and fixed")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    store = PartStore(f"{os.fspath(out)}.parts") if out is not None else None
    start = _now()

    names = list(grid)
    tasks = []  # (index in grid, params, seed, key)
    for index in itertools.product(*(range(len(grid[n])) for n in names)):
        params = dict(fixed)
        params.update({n: grid[n][i] for n, i in zip(names, index)})
        for s_i, seed in enumerate(seed_list):
            tasks.append((index + (s_i,), params, seed, point_key(name, params, seed)))

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
    """Write ``ds`` to netCDF atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".nc.tmp")
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
