"""Registered HLOP experiments: continual learning on permuted digits, and how Oja's rule finds the subspace.

* ``hlop-permuted-digits``: scikit-learn's bundled 8x8 digits, upsampled to
  24x24 (each pixel a 3x3 block), zero-padded to 28x28 = 784 inputs and
  standardised with the training images' mean and standard deviation; 1297
  training and 500 test images; ``n_tasks`` tasks, each a fixed random pixel
  permutation (the first task too), one shared 10-way head.  A network
  (``rate``: ReLU MLP, ``spiking``: LIF MLP trained through time) learns them
  in order with ``method`` (``baseline``, ``hlop``, ``svd``, ``multitask``);
  ``orthogonal_init=False`` starts new lateral neurons as the reference code does.
  The Dataset holds ``accuracy`` (R over ``trained_task`` x ``tested_task``),
  ``acc``, ``bwt``, wall times per task and the protected subspaces.
* ``hlop-subspace``: lateral neurons learn the principal subspace of the
  first task's inputs with HLOP's Oja update; the largest principal angle to
  the exact SVD subspace, ``max |H H^T - I|`` and the captured energy are
  recorded after every epoch, for a rate normalised by the input energy and
  for the reference's fixed rate, at several input scales.

torch is imported only when a point runs.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import xarray as xr

from engramsim.experiments.plotting import seed_mean
from engramsim.experiments.registry import Experiment, as_list, register
from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.experiments.sweep import Metric
from engramsim.sim.validation import check_choice, check_float, check_int

METHODS = ("baseline", "hlop", "svd", "multitask")
NETWORKS = ("rate", "spiking")
N_TRAIN, N_TEST = 1297, 500


# ----------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=8)
def _digit_images() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    up = np.kron(digits.images / 16.0, np.ones((1, 3, 3)))  # 8x8 -> 24x24, each pixel a 3x3 block
    up = np.pad(up, ((0, 0), (2, 2), (2, 2)))  # 28x28
    return up.reshape(len(up), -1), digits.target.astype(np.int64)


def permuted_digits(n_tasks: int = 5, seed: int = 0) -> list[Any]:
    """The permuted-digits tasks (a list of :class:`~engramsim.networks.hlop.Task`).

    The split (1297 training, 500 test images) and the permutations are drawn
    from ``seed``; inputs are standardised with the training images' mean and
    standard deviation (as MNIST is in the reference code).
    """
    import torch

    from engramsim.networks.hlop import Task

    n_tasks = check_int(n_tasks, "n_tasks", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    images, labels = _digit_images()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    train, test = order[:N_TRAIN], order[N_TRAIN:N_TRAIN + N_TEST]
    mean, std = images[train].mean(), images[train].std()
    x = (images - mean) / std
    y = torch.as_tensor(labels)
    tasks = []
    for _ in range(n_tasks):
        perm = rng.permutation(x.shape[1])
        xt = torch.as_tensor(x[:, perm], dtype=torch.float32)
        tasks.append(Task(xt[train], y[train], xt[test], y[test]))
    return tasks


def _parse_sizes(text: Any, name: str, n_layers: int) -> list[int]:
    if not isinstance(text, str):
        raise ValidationTypeError(f"{name} must be a string of '/'-separated integers such as '60/60/40', "
                                  f"got {type(text).__name__} {text!r}")
    try:
        values = [int(v) for v in text.split("/")]
    except ValueError:
        raise ValidationError(f"{name} must be '/'-separated integers such as '60/60/40', got {text!r}") from None
    if len(values) != n_layers or any(v < 0 for v in values):
        raise ValidationError(f"{name} must give {n_layers} non-negative integers (one per plastic layer), "
                              f"got {text!r}")
    return values


# ----------------------------------------------------------------------------- hlop-permuted-digits
DIGITS_DEFAULTS: dict[str, Any] = {
    "method": list(METHODS),
    "network": "rate",
    "n_tasks": 5,
    "hidden": 100,
    "epochs": 5,
    "lr": 0.1,
    "batch_size": 32,
    "timesteps": 8,
    "lateral_sizes": "60/60/40",
    "lateral_increments": "60/20/10",
    "lateral_lr_scale": 0.5,
    "orthogonal_init": True,
    "svd_energy": 0.99,
    "threads": 1,
}

DIGITS_METRICS = {
    "accuracy": Metric("test accuracy on tested_task after training trained_task", "1",
                       ("trained_task", "tested_task")),
    "acc": Metric("ACC: mean final test accuracy over the tasks"),
    "bwt": Metric("BWT: mean change of a task's accuracy from just after it was learned to the end"),
    "train_seconds": Metric("wall time of the task's training loop", "s", ("task",)),
    "projection_seconds": Metric("part of it spent in lateral learning and gradient projection", "s", ("task",)),
    "protected_dims": Metric("dimension of the protected subspace after the task", "1", ("task", "layer")),
    "captured_energy": Metric("fraction of the task's layer-input energy in the protected subspace", "1",
                              ("task", "layer")),
    "orthonormality_error": Metric("max |H H^T - I| of the protected basis after the task", "1", ("task", "layer")),
}


def check_digits(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``hlop-permuted-digits`` before any work starts."""
    for m in as_list(params["method"]):
        check_choice(m, "method", METHODS)
    for n in as_list(params["network"]):
        check_choice(n, "network", NETWORKS)
    for v in as_list(params["n_tasks"]):
        check_int(v, "n_tasks", minimum=2, maximum=50)
    for v in as_list(params["hidden"]):
        check_int(v, "hidden", minimum=1, maximum=10_000)
    for v in as_list(params["epochs"]):
        check_int(v, "epochs", minimum=1, maximum=1000)
    for v in as_list(params["batch_size"]):
        check_int(v, "batch_size", minimum=1, maximum=N_TRAIN)
    for v in as_list(params["timesteps"]):
        check_int(v, "timesteps", minimum=1, maximum=1000)
    for v in as_list(params["lr"]):
        check_float(v, "lr", 0.0, 100.0, strict_minimum=True)
    for v in as_list(params["lateral_lr_scale"]):
        check_float(v, "lateral_lr_scale", 0.0, 2.0, strict_minimum=True)
    for v in as_list(params["svd_energy"]):
        check_float(v, "svd_energy", 0.0, 1.0, strict_minimum=True)
    for v in as_list(params["threads"]):
        check_int(v, "threads", minimum=1, maximum=256)
    for name in ("lateral_sizes", "lateral_increments"):
        for v in as_list(params[name]):
            _parse_sizes(v, name, 3)


def _configure_threads(threads: int):
    """torch and the BLAS libraries on ``threads`` threads (small matrices: oversubscription costs far more)."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    return threadpool_limits(threads)


def point_digits(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Train one network on the permuted-digits tasks with one method and seed."""
    from engramsim.networks.hlop import RateMLP, SpikingMLP, train_continual

    with _configure_threads(int(params["threads"])):
        tasks = permuted_digits(int(params["n_tasks"]), seed)
        hidden = int(params["hidden"])
        sizes = (784, hidden, hidden, 10)
        if params["network"] == "rate":
            net = RateMLP(sizes, seed=seed)
        else:
            net = SpikingMLP(sizes, timesteps=int(params["timesteps"]), seed=seed)
        res = train_continual(
            net, tasks, params["method"], epochs=int(params["epochs"]), lr=float(params["lr"]),
            batch_size=int(params["batch_size"]), seed=seed,
            hlop_sizes=_parse_sizes(params["lateral_sizes"], "lateral_sizes", 3),
            hlop_increments=_parse_sizes(params["lateral_increments"], "lateral_increments", 3),
            lateral_lr_scale=float(params["lateral_lr_scale"]), svd_energy=float(params["svd_energy"]),
            hlop_options={"orthogonal_init": bool(params["orthogonal_init"])})
    n_tasks = len(tasks)
    diag = np.zeros((3, n_tasks, 3))  # k, captured energy, orthonormality error; zero without a subspace
    for t, records in enumerate(res.diagnostics):
        for layer, rec in enumerate(records):
            diag[:, t, layer] = rec["k"], rec.get("captured_energy", 0.0), rec["orthonormality_error"]
    return {"accuracy": res.accuracy, "acc": res.acc, "bwt": res.bwt, "train_seconds": res.train_seconds,
            "projection_seconds": res.projection_seconds, "protected_dims": diag[0], "captured_energy": diag[1],
            "orthonormality_error": diag[2]}


def finalize_digits(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Name the coordinates; record the data set and protocol."""
    ds["method"].attrs.update(long_name="continual-learning method")
    ds["network"].attrs.update(long_name="network (rate: ReLU MLP, spiking: LIF MLP, BPTT)")
    for dim, name in (("trained_task", "task just trained"), ("tested_task", "task tested"),
                      ("task", "task"), ("layer", "plastic layer (0: input weights)")):
        if dim in ds.coords:
            ds[dim].attrs.update(long_name=name)
    ds.attrs.update(data="scikit-learn digits, 3x3 upsampled, padded to 28x28, standardised, pixel-permuted tasks",
                    n_train=N_TRAIN, n_test=N_TEST)
    return ds


def _methods_present(ds: xr.Dataset) -> list[str]:
    return [str(m) for m in ds["method"].values]


def plot_digits(ds: xr.Dataset):
    """Seed-mean accuracy matrices R (one heat map per method and network) and ACC/BWT bars with seed spread."""
    from matplotlib.figure import Figure

    methods = _methods_present(ds)
    networks = [str(n) for n in ds["network"].values]
    fig = Figure(figsize=(2.6 * len(methods) + 4.4, 2.6 * len(networks) + 0.4), layout="constrained")
    grid = fig.add_gridspec(len(networks), len(methods) + 1, width_ratios=[1] * len(methods) + [1.7])
    image = None
    for row, net in enumerate(networks):
        for col, method in enumerate(methods):
            ax = fig.add_subplot(grid[row, col])
            r = seed_mean(ds["accuracy"].sel({"method": method, "network": net})).values * 100
            image = ax.imshow(r, vmin=0, vmax=100, cmap="viridis")
            for (i, j), v in np.ndenumerate(r):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6,
                        color="white" if v < 60 else "black")
            ax.set_title(f"{net}: {method}", fontsize=9)
            ax.set_xticks(range(r.shape[1]))
            ax.set_yticks(range(r.shape[0]))
            ax.tick_params(labelsize=7)
            if row == len(networks) - 1:
                ax.set_xlabel("tested task", fontsize=8)
            if col == 0:
                ax.set_ylabel("after training task", fontsize=8)
        ax = fig.add_subplot(grid[row, -1])
        x = np.arange(len(methods))
        for offset, metric, color in ((-0.2, "acc", "C0"), (0.2, "bwt", "C3")):
            values = ds[metric].sel({"network": net}).transpose("method", ...).values.reshape(len(methods), -1) * 100
            ax.bar(x + offset, values.mean(1), 0.38, color=color, label=metric.upper())
            for i in range(len(methods)):
                ax.plot(np.full(values.shape[1], x[i] + offset), values[i], "k.", ms=3)
        ax.axhline(0, color="k", lw=0.6)
        low = float(np.nanmin(ds["bwt"].sel({"network": net}).values)) * 100
        ax.set_ylim(min(-5.0, low - 5.0), 118)
        ax.set_xticks(x, methods, fontsize=8)
        ax.set_ylabel("%", fontsize=8)
        ax.set_title(f"{net}: ACC and BWT (dots: seeds)", fontsize=9)
        ax.legend(fontsize=7, loc="upper center", ncol=2)
    if image is not None:
        fig.colorbar(image, ax=fig.axes[: len(methods)], shrink=0.8, label="test accuracy (%)")
    return fig


DIGITS = register(Experiment(
    name="hlop-permuted-digits",
    description="HLOP: continual learning of permuted digits (rate and spiking MLPs), accuracy matrix, ACC and BWT",
    point=point_digits, defaults=DIGITS_DEFAULTS, metrics=DIGITS_METRICS, seeds=3,
    finalize=finalize_digits, plot=plot_digits, check=check_digits, dims=("method", "network"),
))


# ----------------------------------------------------------------------------- hlop-subspace
SUBSPACE_DEFAULTS: dict[str, Any] = {
    "lr_rule": ["normalised", "fixed"],
    "input_scale": [0.25, 1.0, 4.0],
    "k": 20,
    "epochs": 10,
    "batch_size": 32,
    "lr_scale": 0.5,
    "fixed_lr": 0.001,
    "threads": 1,
}
LR_RULES = ("normalised", "fixed")

SUBSPACE_METRICS = {
    "max_angle": Metric("largest principal angle to the top-k SVD subspace", "degree", ("epoch",)),
    "mean_angle": Metric("mean principal angle to the top-k SVD subspace", "degree", ("epoch",)),
    "orthonormality_error": Metric("max |H H^T - I|", "1", ("epoch",)),
    "captured_energy": Metric("fraction of the input energy in the learned subspace", "1", ("epoch",)),
    "svd_energy": Metric("fraction of the input energy in the top-k SVD subspace (the optimum)"),
    "lr": Metric("lateral learning rate used (normalised: mean over batches)"),
    "diverged_epoch": Metric("first epoch after which H was not finite (-1: never)"),
}


def check_subspace(params: dict[str, Any]) -> None:
    """Reject impossible settings of ``hlop-subspace`` before any work starts."""
    for v in as_list(params["lr_rule"]):
        check_choice(v, "lr_rule", LR_RULES)
    for v in as_list(params["input_scale"]):
        check_float(v, "input_scale", 0.0, 1e3, strict_minimum=True)
    for v in as_list(params["k"]):
        check_int(v, "k", minimum=1, maximum=784)
    for v in as_list(params["epochs"]):
        check_int(v, "epochs", minimum=1, maximum=1000)
    for v in as_list(params["batch_size"]):
        check_int(v, "batch_size", minimum=1, maximum=N_TRAIN)
    for v in as_list(params["lr_scale"]):
        check_float(v, "lr_scale", 0.0, 2.0, strict_minimum=True)
    for v in as_list(params["fixed_lr"]):
        check_float(v, "fixed_lr", 0.0, 10.0, strict_minimum=True)
    for v in as_list(params["threads"]):
        check_int(v, "threads", minimum=1, maximum=256)


def point_subspace(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """Learn the first task's input subspace with Oja's rule; measure it against SVD after each epoch."""
    from scipy.linalg import subspace_angles

    from engramsim.learning_rules.oja import OjaSubspace, captured_energy, orthonormality_error

    with _configure_threads(int(params["threads"])):
        x = permuted_digits(1, seed)[0].x_train.double().numpy() * float(params["input_scale"])
        k, epochs, batch = int(params["k"]), int(params["epochs"]), int(params["batch_size"])
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        top = vt[:k]
        svd_energy = float(np.sum(s[:k] ** 2) / np.sum(s**2))
        energy = float(np.mean(np.sum(x * x, axis=1)))
        if params["lr_rule"] == "fixed":
            lateral = OjaSubspace(x.shape[1], lr=float(params["fixed_lr"]), seed=seed)
        else:
            lateral = OjaSubspace(x.shape[1], lr_scale=float(params["lr_scale"]), seed=seed)
        lateral.add_rows(k)
        rng = np.random.default_rng(seed)
        angle, mean_angle = np.zeros(epochs + 1), np.zeros(epochs + 1)
        ortho, captured = np.zeros(epochs + 1), np.zeros(epochs + 1)
        diverged = -1
        for epoch in range(epochs + 1):
            if epoch:
                order = rng.permutation(len(x))
                for start in range(0, len(x), batch):
                    lateral.update(x[order[start:start + batch]])
            h = lateral.h
            if diverged < 0 and not np.all(np.isfinite(h)):
                diverged = epoch
            if diverged >= 0:  # no subspace left to measure: the worst values
                angle[epoch], mean_angle[epoch], ortho[epoch], captured[epoch] = 90.0, 90.0, np.inf, 0.0
                continue
            angles = np.degrees(subspace_angles(h.T, top.T))
            angle[epoch], mean_angle[epoch] = float(angles.max()), float(angles.mean())
            ortho[epoch] = orthonormality_error(h)
            captured[epoch] = captured_energy(h, x)
    lr = float(params["fixed_lr"]) if params["lr_rule"] == "fixed" else float(params["lr_scale"]) / energy
    return {"max_angle": angle, "mean_angle": mean_angle, "orthonormality_error": ortho, "captured_energy": captured,
            "svd_energy": svd_energy, "lr": lr, "diverged_epoch": diverged}


def finalize_subspace(ds: xr.Dataset, params: dict[str, Any]) -> xr.Dataset:
    """Name the coordinates."""
    ds["lr_rule"].attrs.update(long_name="lateral learning rate: lr_scale / mean |x|^2, or a fixed rate")
    ds["input_scale"].attrs.update(long_name="factor on the standardised inputs", units="1")
    ds["epoch"].attrs.update(long_name="epochs of lateral learning (0: initial rows)")
    return ds


def plot_subspace(ds: xr.Dataset):
    """Mean principal angle and captured energy against epochs, one line per rule and input scale."""
    from engramsim.experiments.plotting import figure

    fig, (ax_a, ax_e) = figure(2)
    scales = ds["input_scale"].values
    for i, rule in enumerate(ds["lr_rule"].values):
        for j, scale in enumerate(scales):
            cur = ds.sel(lr_rule=rule, input_scale=scale)
            style = "-" if rule == "normalised" else "--"
            label = f"{rule}, scale {scale:g}"
            ax_a.plot(cur["epoch"], seed_mean(cur["mean_angle"]), style, marker="o", ms=3, color=f"C{j}", label=label)
            ax_e.plot(cur["epoch"], seed_mean(cur["captured_energy"]), style, marker="o", ms=3, color=f"C{j}",
                      label=label)
    optimum = float(seed_mean(ds["svd_energy"]).values.flat[0])
    ax_e.axhline(optimum, color="k", lw=0.8, ls=":", label="top-k SVD")
    ax_a.set(xlabel="epoch", ylabel="mean principal angle to SVD (deg)", ylim=(0, 92),
             title="distance to the principal subspace")
    ax_e.set(xlabel="epoch", ylabel="captured input energy", ylim=(0, 1),
             title="captured energy (0 once H is not finite)")
    ax_a.legend(fontsize=7)
    ax_e.legend(fontsize=7)
    return fig


SUBSPACE = register(Experiment(
    name="hlop-subspace",
    description="HLOP: Oja lateral neurons converge to the principal subspace (normalised against fixed rate)",
    point=point_subspace, defaults=SUBSPACE_DEFAULTS, metrics=SUBSPACE_METRICS, seeds=1,
    finalize=finalize_subspace, plot=plot_subspace, check=check_subspace, dims=("lr_rule", "input_scale"),
))
