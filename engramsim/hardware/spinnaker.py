"""Check a native network against SpiNNaker's limits as sPyNNaker 7.4.1 maps it, without a board.

:func:`check` returns a :class:`SpiNNakerReport`: per population the cores it
needs; per projection the synaptic row lengths, the delays against what a
core holds (and whether delay extensions are needed), the weights after
sPyNNaker's 16-bit quantisation with the ring-buffer scaling it would
choose; the unsupported parts; the total of cores and chips; and what to
change.  It prints as a table and converts to a dict.

The numbers are sPyNNaker 7.4.1's (``spynnaker.pyNN.utilities.constants``,
``population_vertex.py``, ``synapse_io.py``, ``delay_extension_vertex.py``),
for a SpiNN-5 board (48 chips of 18 cores):

* **Cores.** Neural populations are split into slices of at most 256 cells
  (the largest synaptic row), Poisson sources 500 per core, a spike-source
  array takes one core.  With ``dt < 1 ms`` a population with incoming
  synapses gets a neuron core and (at least) one synapse core per slice.
* **Rows.** The synapses from one presynaptic cell to one slice form a row of
  at most 256 synapses.
* **Delays.** A core's ring buffer has ``2**(14 - bits(slice) - bits(synapse
  types))`` delay slots; longer delays need a delay-extension vertex (one per
  presynaptic population, as many cores as it), which reaches 8 times as far.
* **Weights.** Per postsynaptic population and receptor, sPyNNaker bounds the
  summed input one ring-buffer slot can receive (the worst case when every
  incoming projection has one delay, a Poisson-statistics bound with
  ``ring_buffer_sigma = 5`` at 30 spikes/s otherwise), takes the power of two
  ``2**r`` above it, and stores a weight ``w`` as ``floor(w * 2**(15 - r))``
  ring-buffer units of 16 bits.  Weights below one unit become 0.
* **Chips.** sPyNNaker's SpiNN-5 board has 40 chips of 18 cores and 8 of 17;
  each chip keeps one core for its monitor and one for the extra monitor, and
  the board one for the data gatherer: 759 application cores on a board
  (checked on the virtual board: 759 map, 760 do not).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from engramsim.hardware.plan import EXPORTED_CELLS
from engramsim.sim.spiking import Network

SPYNNAKER_VERSION = "7.4.1"
#: synapses in one row (POP_TABLE_MAX_ROW_LENGTH), and so cells per neural core
ROW_LIMIT = 256
NEURONS_PER_CORE = {"IF_curr_exp": 256, "Izhikevich": 256, "SpikeSourcePoisson": 500, "SpikeSourceArray": None}
#: bits of a ring-buffer index (MAX_RING_BUFFER_BITS); synapse types of the current-based cells
RING_BUFFER_BITS = 14
N_SYNAPSE_TYPES = 2
#: a delay extension reaches this many times the post core's slots (DelayExtensionVertex.MAX_SLOTS)
DELAY_EXTENSION_FACTOR = 8
#: ring-buffer scaling defaults (spynnaker.cfg)
SPIKES_PER_SECOND = 30.0
RING_BUFFER_SIGMA = 5.0
POISSON_SUMMATION_SIGMA = 3.0
#: SpiNN-5 board as sPyNNaker's virtual machine models it: 40 chips of 18 cores and 8 of 17; each keeps one
#: core for its monitor (SCAMP) and one for the extra monitor, and the board one for the data gatherer
CHIPS_PER_BOARD = 48
FULL_CHIPS, FULL_CHIP_APP_CORES, SHORT_CHIP_APP_CORES = 40, 16, 15
BOARD_SYSTEM_CORES = 1
BOARD_APP_CORES = FULL_CHIPS * FULL_CHIP_APP_CORES + (CHIPS_PER_BOARD - FULL_CHIPS) * SHORT_CHIP_APP_CORES - 1


def chips_needed(app_cores: int) -> int:
    """Chips of a SpiNN-5 machine that ``app_cores`` application cores (and the gatherer) fill."""
    cores = app_cores + BOARD_SYSTEM_CORES
    per_board = BOARD_APP_CORES + BOARD_SYSTEM_CORES
    boards, rest = divmod(cores, per_board)
    full = min(math.ceil(rest / FULL_CHIP_APP_CORES), FULL_CHIPS)
    extra = max(0, rest - FULL_CHIPS * FULL_CHIP_APP_CORES)
    return boards * CHIPS_PER_BOARD + full + math.ceil(extra / SHORT_CHIP_APP_CORES)


def n_bits(n_values: int) -> int:
    """Bits needed to index ``n_values`` values (1 for one value, as sPyNNaker counts)."""
    return 0 if n_values == 0 else 1 if n_values == 1 else int(math.ceil(math.log2(n_values)))


def delay_slots(slice_size: int) -> int:
    """Delay slots of a neural core holding ``slice_size`` cells."""
    return 2 ** (RING_BUFFER_BITS - n_bits(slice_size) - n_bits(N_SYNAPSE_TYPES))


def ring_buffer_shift(max_weight: float) -> int:
    """The left shift ``r`` sPyNNaker picks so that ``2**r`` exceeds ``max_weight``."""
    if max_weight <= 0:
        return 0
    r = int(math.ceil(max(0.0, math.log2(max_weight))))
    return r + 1 if 2.0 ** r <= max_weight else r


def weight_scale(shift: int) -> float:
    """Ring-buffer units per weight unit (nA) for a shift ``r``: ``2**(15 - r)``."""
    return 2.0 ** (16 - (shift + 1))


def quantise(weights: np.ndarray, shift: int) -> np.ndarray:
    """Weights as sPyNNaker stores them: truncated to whole ring-buffer units (magnitudes)."""
    scale = weight_scale(shift)
    return np.floor(np.abs(np.asarray(weights, dtype=float)) * scale) / scale


def _poisson_upper_bound(mean: float, std: float, rate: float, n_in: int, steps_per_s: float) -> float:
    """sPyNNaker's bound on one slot's summed input: mean + sigma * sd of a Poisson-weighted sum."""
    from scipy import special

    lam = n_in * rate / steps_per_s
    if lam <= 0:
        return 0.0
    poisson_var = lam * mean ** 2
    top = int(round(lam + POISSON_SUMMATION_SIGMA * math.sqrt(lam)))
    weight_var = 0.0
    if std > 0:
        # variance added by the spread of weights, summed over the Poisson count up to `top` (closed form)
        log_ratio = math.log(lam) * top - special.gammaln(1 + top)
        if -701.0 < log_ratio < 701.0 and log_ratio != 0.0:
            tail = math.exp(lam) * special.gammaincc(1 + top, lam) - math.exp(log_ratio)
            weight_var = math.exp(-lam + math.log(lam) + 2.0 * math.log(std) + math.log(tail))
    return lam * mean + RING_BUFFER_SIGMA * math.sqrt(poisson_var + weight_var)


@dataclass
class PopulationCheck:
    """Cores of one population."""

    label: str
    celltype: str
    size: int
    neurons_per_core: int
    slices: int
    cores: int
    split_synapse_cores: bool
    delay_extension_cores: int
    ring_buffer_shift: dict[str, int] = field(default_factory=dict)


@dataclass
class ProjectionCheck:
    """Rows, delays and weights of one projection as sPyNNaker would store them."""

    label: str
    pre: str
    post: str
    receptor_type: str
    plastic: bool
    n_synapses: int
    max_row_length: int
    max_delay_steps: int
    delay_slots: int
    needs_delay_extension: bool
    max_delay_supported: int
    ring_buffer_shift: int
    weight_unit: float
    n_rounded_to_zero: int
    max_relative_error: float


@dataclass
class SpiNNakerReport:
    """What mapping a network on SpiNNaker needs and what would change (see :func:`check`)."""

    dt: float
    populations: list[PopulationCheck]
    projections: list[ProjectionCheck]
    total_cores: int
    chips: int
    boards: int
    fits_one_board: bool
    maps: bool
    unsupported: list[str]
    violations: list[str]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain dicts and lists."""
        return asdict(self)

    def __str__(self) -> str:
        rows = [f"SpiNNaker check (sPyNNaker {SPYNNAKER_VERSION}, SpiNN-5 boards), dt = {self.dt} ms", "",
                f"{'population':<16}{'cell type':<20}{'size':>8}{'per core':>9}{'cores':>7}{'delay ext':>10}"]
        for p in self.populations:
            split = " (neuron+synapse)" if p.split_synapse_cores else ""
            rows.append(f"{p.label:<16}{p.celltype:<20}{p.size:>8}{p.neurons_per_core:>9}{p.cores:>7}"
                        f"{p.delay_extension_cores:>10}{split}")
        rows += ["", f"{'projection':<36}{'synapses':>9}{'row':>6}{'delay':>7}{'slots':>7}{'ext':>5}{'shift':>6}"
                     f"{'unit (nA)':>11}{'to 0':>6}{'max rel err':>12}"]
        for q in self.projections:
            rows.append(f"{q.label[:35]:<36}{q.n_synapses:>9}{q.max_row_length:>6}{q.max_delay_steps:>7}"
                        f"{q.delay_slots:>7}{'yes' if q.needs_delay_extension else 'no':>5}{q.ring_buffer_shift:>6}"
                        f"{q.weight_unit:>11.3g}{q.n_rounded_to_zero:>6}{q.max_relative_error:>12.3g}")
        rows += ["", f"total: {self.total_cores} application cores, {self.chips} chips, {self.boards} board(s); "
                     f"fits one 48-chip board: {'yes' if self.fits_one_board else 'no'}; "
                     f"maps: {'yes' if self.maps else 'no'}"]
        for title, items in (("unsupported", self.unsupported), ("violations", self.violations),
                             ("notes", self.notes)):
            if items:
                rows += ["", f"{title}:"] + [f"  - {s}" for s in items]
        return "\n".join(rows)


def _slices(size: int, per_core: int | None) -> int:
    return 1 if per_core is None else math.ceil(size / per_core)


def _max_row(pre: np.ndarray, post: np.ndarray, per_core: int | None) -> int:
    if pre.size == 0:
        return 0
    slice_index = post // per_core if per_core else np.zeros_like(post)
    key = pre * (int(slice_index.max()) + 1) + slice_index
    return int(np.bincount(key).max())


def check(network: Network) -> SpiNNakerReport:
    """Check ``network`` against sPyNNaker's mapping on SpiNN-5 boards (see the module docstring).

    Parameters
    ----------
    network
        A native network (built first if it has not run: connections drawn).

    Returns
    -------
    SpiNNakerReport
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be an engramsim.sim.spiking.Network, got {type(network).__name__}")
    network.build()
    dt = network.dt
    unsupported: list[str] = []
    violations: list[str] = []
    notes: list[str] = []
    if dt < 1.0:
        notes.append(f"dt = {dt} ms < 1 ms: sPyNNaker gives every population with incoming synapses a separate "
                     f"synapse core per slice (one assumed here; a very busy population may get more)")
    incoming: dict[str, list[Any]] = {p.label: [] for p in network.populations}
    for proj in network.projections:
        incoming[proj.post.label].append(proj)
    pops: dict[str, PopulationCheck] = {}
    for pop in network.populations:
        name = type(pop.celltype).__name__
        if name not in EXPORTED_CELLS:
            unsupported.append(f"population {pop.label!r}: cell type {name} has no sPyNNaker model; use one of "
                               f"{', '.join(EXPORTED_CELLS)}")
        per_core = NEURONS_PER_CORE.get(name, ROW_LIMIT)
        n_slices = _slices(pop.size, per_core)
        split = dt < 1.0 and not pop.celltype.is_source and bool(incoming[pop.label])
        pops[pop.label] = PopulationCheck(pop.label, name, pop.size, per_core or pop.size, n_slices,
                                          n_slices * (2 if split else 1), split, 0)
        if name == "Izhikevich":
            notes.append(f"population {pop.label!r}: sPyNNaker integrates Izhikevich cells with its own scheme, "
                         f"not the engine's {pop.celltype.scheme!r}")
    projs = [_projection(proj, pops, dt, violations, notes) for proj in network.projections]
    _weights(network, projs, pops, dt)
    delayed_pre = {q.pre for q in projs if q.needs_delay_extension}
    for label in delayed_pre:
        pops[label].delay_extension_cores = pops[label].slices
    total = sum(p.cores + p.delay_extension_cores for p in pops.values())
    chips = chips_needed(total)
    boards = math.ceil(chips / CHIPS_PER_BOARD)
    fits = total <= BOARD_APP_CORES
    if not fits:
        violations.append(f"{total} application cores are more than the {BOARD_APP_CORES} of one 48-chip board: "
                          f"use a machine of {boards} boards, or shrink the largest populations (sPyNNaker's "
                          f"virtual board refused 760 cores)")
    for q in projs:
        if q.n_rounded_to_zero:
            notes.append(f"projection {q.label!r}: {q.n_rounded_to_zero} weights fall below one ring-buffer unit "
                         f"({q.weight_unit:.3g} nA) and become 0: raise them, or lower the largest summed input to "
                         f"{q.post} so that sPyNNaker picks a smaller shift")
    maps = not unsupported and all("row" not in v and "delay" not in v for v in violations)
    return SpiNNakerReport(dt, list(pops.values()), projs, total, chips, boards, fits, maps, unsupported,
                           violations, notes)


def _projection(proj: Any, pops: dict[str, PopulationCheck], dt: float, violations: list[str],
                notes: list[str]) -> ProjectionCheck:
    post = pops[proj.post.label]
    per_core = NEURONS_PER_CORE.get(post.celltype, ROW_LIMIT)
    row = _max_row(proj.pre_index, proj.post_index, per_core)
    what = f"projection {proj.label!r} ({proj.pre.label} -> {proj.post.label})"
    if row > ROW_LIMIT:
        violations.append(f"{what}: a row of {row} synapses from one cell to one core exceeds sPyNNaker's limit of "
                          f"{ROW_LIMIT}: split the presynaptic population's targets, merge repeated synapses, or "
                          f"use fewer synapses per pair")
    slots = delay_slots(min(post.size, per_core or post.size))
    max_delay = int(proj.delays.max()) if proj.delays.size else 0
    reach = DELAY_EXTENSION_FACTOR * slots
    if max_delay > reach:
        violations.append(f"{what}: delay of {max_delay} steps is beyond the {reach} steps a delay extension "
                          f"reaches for a core of {min(post.size, per_core or post.size)} cells: lower the delay "
                          f"or give the target population fewer cells per core")
    plastic = bool(proj.plastic)
    if plastic:
        conv = proj.synapse_type.pair_stdp_parameters().get("convention", "arrival")
        if conv != "spynnaker7":
            notes.append(f"{what}: the engine's STDP convention {conv!r} is not sPyNNaker's (post spikes shifted by "
                         f"the dendritic delay, amplitudes not multiplied by w_max); the exporter converts the "
                         f"amplitude, the timing differs")
    return ProjectionCheck(proj.label, proj.pre.label, proj.post.label, proj.receptor_type, plastic,
                           proj.n_connections, row, max_delay, slots, max_delay > slots, reach, 0, 0.0, 0, 0.0)


class _Pooled:
    """Pooled mean and variance of groups given by (mean, variance, count), as sPyNNaker accumulates them.

    A group's sum of squared deviations is taken as ``variance * (count - 1)``
    (so a group of one adds none); groups combine by Chan's parallel formula.
    """

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, mean: float, variance: float, count: int) -> None:
        if count <= 0:
            return
        total = self.n + count
        delta = mean - self.mean
        self.m2 += variance * (count - 1.0) + delta * delta * self.n * count / total
        self.mean = (self.n * self.mean + count * mean) / total
        self.n = total

    @property
    def variance(self) -> float:
        return 0.0 if self.n <= 1 else self.m2 / (self.n - 1.0)


def _pre_rate(pre: Any, steps_per_s: float) -> tuple[float, float]:
    """(spikes per tick, spikes per second) sPyNNaker assumes for a presynaptic population.

    sPyNNaker 7.4.1 was seen to use its defaults for every presynaptic
    population, Poisson sources included (their rate does not change the shift
    it picks: checked at 5 to 200 Hz on the virtual board).
    """
    return max(1.0, SPIKES_PER_SECOND / steps_per_s), SPIKES_PER_SECOND


def _weights(network: Network, projs: list[ProjectionCheck], pops: dict[str, PopulationCheck], dt: float) -> None:
    """Ring-buffer shift per (post population, receptor) and the quantisation error of each projection."""
    from engramsim.hardware.plan import describe

    steps_per_s = 1000.0 / dt
    by_label = {p.label: p for p in network.projections}
    connector = {q.label: q.connector for q in describe(network, "spiNNaker", strict=False).projections}
    groups: dict[tuple[str, str], list[ProjectionCheck]] = {}
    for q in projs:
        groups.setdefault((q.post, q.receptor_type), []).append(q)
    for (post, receptor), members in groups.items():
        weights, delays, rates = _Pooled(), _Pooled(), _Pooled()
        total = biggest = 0.0
        for q in members:
            proj = by_label[q.label]
            w = np.abs(proj.get_weights("list"))
            if connector[q.label] == "AllToAllConnector":
                n_in = proj.pre.size  # sPyNNaker's bound ignores a missing self-connection
            else:
                n_in = int(np.bincount(proj.post_index).max()) if proj.post_index.size else 0
            if q.plastic:  # the weights may all reach w_max
                w_max = max(float(w.max(initial=0.0)), proj.synapse_type.pair_stdp_parameters()["w_max"])
                w_mean, w_var = w_max, 0.0
            else:
                w_max = float(w.max(initial=0.0))
                w_mean, w_var = (float(w.mean()), float(w.var())) if w.size else (0.0, 0.0)
            per_tick, per_s = _pre_rate(proj.pre, steps_per_s)
            weights.add(w_mean, w_var, n_in)
            delays.add(0.0, float(np.var(proj.delays * dt)) if proj.delays.size else 0.0, n_in)
            rates.add(per_s, 0.0, n_in)
            total += per_tick * w_max * n_in
            biggest = max(biggest, w_max)
        if delays.variance == 0.0:
            max_weight = max(total, biggest)
        else:
            bound = _poisson_upper_bound(weights.mean, math.sqrt(weights.variance), rates.mean, weights.n,
                                         steps_per_s)
            max_weight = max(min(bound, total), biggest)
        shift = ring_buffer_shift(max_weight)
        pops[post].ring_buffer_shift[receptor] = shift
        for q in members:
            w = np.abs(by_label[q.label].get_weights("list"))
            qw = quantise(w, shift)
            nz = w > 0
            q.ring_buffer_shift, q.weight_unit = shift, 1.0 / weight_scale(shift)
            q.n_rounded_to_zero = int(np.sum(nz & (qw == 0)))
            q.max_relative_error = float(np.max((w[nz] - qw[nz]) / w[nz])) if nz.any() else 0.0


__all__ = ["SpiNNakerReport", "check", "chips_needed", "delay_slots", "quantise", "ring_buffer_shift", "weight_scale"]
