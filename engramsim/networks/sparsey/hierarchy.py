"""A Sparsey hierarchy (:class:`Sparsey`): levels of macs, each reading patches of the level below."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.networks.base import AssociativeMemory
from engramsim.networks.sparsey.codes import SparseyRecall, _append, codes_to_binary
from engramsim.networks.sparsey.csa import CSA, _resolve_csa
from engramsim.networks.sparsey.level import MCH, SparseyLevel, _band, _field_starts, _pair
from engramsim.networks.sparsey.macrocolumn import SparseyMac
from engramsim.networks.sparsey.permanence import PermanenceCurve, WeightTable
from engramsim.sim.backends import Backend
from engramsim.sim.kernels import CONVERGED
from engramsim.sim.validation import check_choice, check_float, check_int

__all__ = ["SCHEDULES", "Sparsey"]

#: how :meth:`Sparsey.store` trains the levels
SCHEDULES = ("joint", "staged")


def _mean_of_active(g: np.ndarray) -> np.ndarray:
    """Row means over the finite entries of ``g`` (B, n_macs); NaN where none is finite."""
    finite = np.isfinite(g)
    count = finite.sum(axis=1)
    total = np.where(finite, g, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


class Sparsey(AssociativeMemory):
    """A hierarchy of Sparsey macs: each level's macs read patches of the level below.

    Every frame runs the CSA level by level, bottom-up: the first level's
    macs read (overlapping) patches of the binary input image; the macs of
    each higher level read the codes of a patch of macs of the level below.
    A mac whose patch has no active unit (or lies outside its activation
    band, or outside its level's ``feature_band``) is inactive: its code is
    empty.  Learning is single-trial, at every level at once (``schedule=
    "joint"``) or level by level (``"staged"``, see :meth:`store`).

    Parameters
    ----------
    input_shape
        ``(rows, cols)`` of the input image; inputs are flattened row-major
        (rows, cols, channels) to length ``rows * cols * channels``.
    levels
        :class:`SparseyLevel` specifications, bottom first (at least one).
    channels
        Binary units per pixel (for example 2 for complement coding ``x,
        1 - x``); a receptive field takes all channels of its pixels.
    csa, horizontal, u_exponent, h_exponent, saturation_threshold, activation_band, frozen_argmax, \
permanence, tie_break
        Passed to every :class:`SparseyMac` (``csa`` and
        ``saturation_threshold`` unless its level sets its own); with
        ``horizontal=True`` each mac gets its own previous code as
        horizontal input in sequences.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.
    seed
        Seeds every mac (each from its own named stream).

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import Sparsey, SparseyLevel
    >>> net = Sparsey((8, 8), [SparseyLevel((3, 3), (4, 4), 6, 8), SparseyLevel((1, 1), None, 8, 8)],
    ...               backend="numpy", seed=0)
    >>> images = (np.random.default_rng(0).random((5, 64)) < 0.3).astype(np.uint8)
    >>> codes = net.store(images).codes[-1]    # top-level codes, shape (5, 1, 8)
    >>> bool((net.recall(images).winners == codes.reshape(5, -1)).all())
    True
    """

    KERNELS = ("csa_familiarity", "csa_choose", "csa_sample")

    pattern_alphabet = (0, 1)
    state_alphabet = (0, 1)

    def __init__(
        self,
        input_shape: tuple[int, int],
        levels: "list[SparseyLevel] | tuple[SparseyLevel, ...]",
        *,
        channels: int = 1,
        csa: "str | CSA" = "sparseycore",
        horizontal: bool = False,
        u_exponent: float = 1.0,
        h_exponent: float = 1.0,
        saturation_threshold: float = 0.5,
        activation_band: tuple[float, float] = (0.0, 1.0),
        frozen_argmax: float | None = None,
        permanence: "WeightTable | PermanenceCurve | None" = None,
        tie_break: str = "random",
        backend: "str | Backend" = "auto",
        seed: "int | np.random.Generator | None" = None,
    ):
        shape = _pair(input_shape, "input_shape")
        self.channels = check_int(channels, "channels", minimum=1)
        if shape[0] * shape[1] * self.channels < 2:
            raise ValueError(f"input_shape {shape} with channels={self.channels} gives "
                             f"{shape[0] * shape[1] * self.channels} input unit; a Sparsey needs at least 2")
        super().__init__(shape[0] * shape[1] * self.channels, backend=backend, seed=seed)
        self.input_shape = shape
        if not isinstance(levels, (list, tuple)) or not levels:
            raise ValueError(f"levels must be a non-empty list of SparseyLevel, got {levels!r}")
        self.levels: list[SparseyLevel] = []
        self.macs: list[list[SparseyMac]] = []
        self._fields: list[list[np.ndarray]] = []
        self._features: list[list[np.ndarray]] = []  # per mac: its on-units (level 1) or lower macs (above)
        lower_grid, unit = shape, self.channels
        for l_i, level in enumerate(levels):
            if not isinstance(level, SparseyLevel):
                raise TypeError(f"levels[{l_i}] must be a SparseyLevel, got {type(level).__name__} {level!r}")
            grid = _pair(level.grid, f"levels[{l_i}].grid")
            rf = lower_grid if level.receptive_field is None else _pair(level.receptive_field,
                                                                       f"levels[{l_i}].receptive_field")
            if rf[0] > lower_grid[0] or rf[1] > lower_grid[1]:
                raise ValueError(f"levels[{l_i}].receptive_field must fit in the level below "
                                 f"{lower_grid}, got {rf}")
            q = check_int(level.n_modules, f"levels[{l_i}].n_modules", minimum=1)
            k = check_int(level.cells_per_module, f"levels[{l_i}].cells_per_module", minimum=1)
            level_csa = _resolve_csa(csa if level.csa is None else level.csa)
            level_saturation = (saturation_threshold if level.saturation_threshold is None else
                                check_float(level.saturation_threshold, f"levels[{l_i}].saturation_threshold",
                                            0.0, 1.0))
            band = _band(level.feature_band, f"levels[{l_i}].feature_band")
            if level.mch is not None and not isinstance(level.mch, MCH):
                raise TypeError(f"levels[{l_i}].mch must be None or an MCH, got {level.mch!r}")
            if level.mch is not None and l_i == 0:
                raise ValueError("levels[0].mch must be None: input pixels are never discounted")
            fields, features, macs = [], [], []
            for r0 in _field_starts(lower_grid[0], grid[0], rf[0]):
                for c0 in _field_starts(lower_grid[1], grid[1], rf[1]):
                    units = (np.arange(r0, r0 + rf[0])[:, None] * lower_grid[1]
                             + np.arange(c0, c0 + rf[1])[None, :]).ravel()
                    fields.append((units[:, None] * unit + np.arange(unit)[None, :]).ravel())
                    features.append(units * unit if l_i == 0 else units)
                    if fields[-1].size < 2:
                        raise ValueError(f"levels[{l_i}].receptive_field {rf} covers {fields[-1].size} unit of "
                                         f"the level below; a mac needs at least 2")
                    macs.append(SparseyMac(
                        fields[-1].size, q, k, csa=level_csa, horizontal=horizontal, u_exponent=u_exponent,
                        h_exponent=h_exponent, saturation_threshold=level_saturation,
                        activation_band=activation_band, frozen_argmax=frozen_argmax, permanence=permanence,
                        tie_break=tie_break, backend=self.backend, seed=self._stream(f"level{l_i}-mac{len(macs)}")))
            self.levels.append(SparseyLevel(grid, rf, q, k, level_csa, level_saturation, band, level.mch))
            self.macs.append(macs)
            self._fields.append(fields)
            self._features.append(features)
            lower_grid, unit = grid, q * k
        self._codes: list[np.ndarray] = [np.zeros((0, len(m), lv.n_modules), dtype=np.int64)
                                         for m, lv in zip(self.macs, self.levels)]
        self._pattern_buffer, self._code_buffers = self._patterns, list(self._codes)

    @property
    def codes(self) -> list[np.ndarray]:
        """Copies of the codes chosen when learning: per level, shape (P, n_macs, Q)."""
        return [c.copy() for c in self._codes]

    def _check_inputs(self, inputs: Any, name: str) -> np.ndarray:
        arr = self._check_patterns(inputs, name).astype(np.uint8)
        empty = np.flatnonzero(arr.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(f"{name}[{int(empty[0])}] has no active inputs (all zeros); every input "
                             f"needs at least one 1 ({empty.size} empty row(s))")
        return arr

    def _feature_counts(self, l_i: int, m_i: int, below: np.ndarray, winners: list[np.ndarray]) -> np.ndarray:
        """Features in mac ``m_i``'s field: on-pixels at the first level, active lower macs above (B,)."""
        if l_i == 0:
            return below[:, self._features[0][m_i]].sum(axis=1)
        return (winners[l_i - 1][:, self._features[l_i][m_i], 0] >= 0).sum(axis=1)

    def _frame(self, inputs: np.ndarray, learn: "bool | list[bool]", previous: list[np.ndarray] | None,
               n_levels: int | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The first ``n_levels`` levels (all by default), bottom-up.

        ``learn`` is one flag for every level or one per level.  Returns per
        level winners (B, n_macs, Q) and G (B, n_macs).
        """
        learns = list(learn) if isinstance(learn, (list, tuple)) else [learn] * len(self.levels)
        n_batch = inputs.shape[0]
        below, signal = inputs, None
        winners, familiarity = [], []
        for l_i in range(len(self.levels) if n_levels is None else n_levels):
            level, macs, fields = self.levels[l_i], self.macs[l_i], self._fields[l_i]
            above = self.levels[l_i + 1] if l_i + 1 < len(self.levels) else None
            threshold = None if above is None or above.mch is None else above.mch.v_threshold
            w = np.empty((n_batch, len(macs), level.n_modules), dtype=np.int64)
            g = np.empty((n_batch, len(macs)))
            n_hypotheses = np.zeros((n_batch, len(macs)), dtype=np.int64)
            for m_i, (mac, units) in enumerate(zip(macs, fields)):
                prev = None if previous is None else previous[l_i][:, m_i]
                active = None
                if level.feature_band is not None:
                    count = self._feature_counts(l_i, m_i, below, winners)
                    active = (count >= level.feature_band[0]) & (count <= level.feature_band[1])
                w[:, m_i], g[:, m_i], hyp = mac._frame(
                    below[:, units], learns[l_i], prev, signal=None if signal is None else signal[:, units],
                    active=active, hypothesis_threshold=threshold)
                if hyp is not None:
                    n_hypotheses[:, m_i] = hyp
            winners.append(w)
            familiarity.append(g)
            below = codes_to_binary(w, level.cells_per_module).reshape(n_batch, -1)
            signal = None
            if threshold is not None:  # the level above discounts ambiguous macs of this one
                factor = above.mch.factor(n_hypotheses)
                signal = (below.reshape(n_batch, len(macs), -1) * factor[:, :, None]).reshape(n_batch, -1)
        return winners, familiarity

    def freeze(self, level: int | None = None) -> "Sparsey":
        """End the critical period of one level's macs (every level by default); returns ``self``.

        Every bottom-up bundle of the macs is frozen (with a ``WeightTable``
        its contributing synapses become permanent), so they learn nothing
        more and pass on the codes recognition chooses.
        """
        levels = range(len(self.levels)) if level is None else [check_int(level, "level", minimum=0,
                                                                          maximum=len(self.levels) - 1)]
        for l_i in levels:
            for mac in self.macs[l_i]:
                mac.freeze()
        return self

    def _run(self, inputs: np.ndarray, learn: bool, sequence: bool
             ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        if sequence and not self.macs[0][0].horizontal:
            raise ValueError("sequences need a Sparsey built with horizontal=True")
        if not learn and not sequence:
            return self._frame(inputs, learn=False, previous=None)
        frames = []
        previous = None
        for t in range(inputs.shape[0]):
            frames.append(self._frame(inputs[t:t + 1], learn, previous))
            previous = frames[-1][0] if sequence else None
        return ([np.concatenate([f[0][l] for f in frames]) for l in range(len(self.levels))],
                [np.concatenate([f[1][l] for f in frames]) for l in range(len(self.levels))])

    def store(self, patterns: Any, schedule: str = "joint") -> "Sparsey":
        """Learn each input image in a single trial, one after the other; returns ``self``.

        Per level, the codes (shape (P, n_macs, Q), -1 where a mac was
        inactive) are appended to :attr:`codes`.

        Parameters
        ----------
        patterns : array of 0/1, shape (P, rows * cols * channels) or (rows * cols * channels,)
        schedule
            ``"joint"`` (default): every level learns on every frame; the
            codes chosen while learning are recorded.  ``"staged"``
            (progressive critical periods): the first level learns every
            pattern and is frozen (:meth:`freeze`), then the second learns
            every pattern on the first level's recognised codes and is
            frozen, and so on; the codes recorded are those the frozen
            hierarchy recognises.  A staged store is a whole training run: it
            ends with every level frozen.
        """
        check_choice(schedule, "schedule", SCHEDULES)
        inputs = self._check_inputs(patterns, "patterns")
        if schedule == "joint":
            winners, _ = self._run(inputs, learn=True, sequence=False)
        else:
            for l_i in range(len(self.levels)):
                learns = [i == l_i for i in range(len(self.levels))]
                for t in range(inputs.shape[0]):
                    self._frame(inputs[t:t + 1], learns, None, n_levels=l_i + 1)
                self.freeze(l_i)
            winners, _ = self._frame(inputs, False, None)
        self._remember(inputs, winners)
        return self

    def _remember(self, inputs: np.ndarray, winners: list[np.ndarray]) -> None:
        n, new = self._patterns.shape[0], inputs.shape[0]
        self._pattern_buffer = _append(self._pattern_buffer, n, inputs.astype(np.int8))
        self._patterns = self._pattern_buffer[:n + new]
        self._code_buffers = [_append(b, n, w) for b, w in zip(self._code_buffers, winners)]
        self._codes = [b[:n + new] for b in self._code_buffers]

    def recall(self, cues: Any) -> SparseyRecall:
        """Recognise each cue at every level; weights do not change.

        The result's ``winners`` are the top level's codes (its macs' codes
        side by side); ``level_winners`` (per level, shape (B, n_macs, Q), -1:
        inactive) and ``level_familiarity`` (per level, G of each mac, shape
        (B, n_macs), NaN: inactive) hold every level.
        """
        inputs = self._check_inputs(cues, "cues")
        winners, familiarity = self._run(inputs, learn=False, sequence=False)
        return self._top_result(winners, familiarity, sequence=False)

    def _top_result(self, winners: list[np.ndarray], familiarity: list[np.ndarray], sequence: bool
                    ) -> SparseyRecall:
        top, k = self.levels[-1], self.levels[-1].cells_per_module
        codes = winners[-1].reshape(winners[-1].shape[0], -1)
        stored = self._codes[-1].reshape(self._codes[-1].shape[0], codes.shape[1])
        n = codes.shape[0]
        base = self._result(codes_to_binary(codes, k), np.ones(n), np.full(n, CONVERGED),
                            csa=self.macs[0][0].csa.name, n_levels=len(self.levels),
                            n_modules=top.n_modules, cells_per_module=k, sequence=int(sequence))
        return SparseyRecall(states=base.states, steps=base.steps, converged=base.converged,
                             status=base.status, patterns=self._patterns, attrs=base.attrs,
                             winners=codes, familiarity=_mean_of_active(familiarity[-1]),
                             stored_winners=stored, level_winners=winners, level_familiarity=familiarity)

    def store_sequence(self, frames: Any) -> "Sparsey":
        """Learn a sequence of images, each mac getting its previous code as horizontal input; returns ``self``."""
        inputs = self._check_inputs(frames, "frames")
        winners, _ = self._run(inputs, learn=True, sequence=True)
        self._remember(inputs, winners)
        return self

    def recall_sequence(self, frames: Any) -> SparseyRecall:
        """Recognise a sequence of images (horizontal input from the previous frame's codes)."""
        inputs = self._check_inputs(frames, "frames")
        winners, familiarity = self._run(inputs, learn=False, sequence=True)
        return self._top_result(winners, familiarity, sequence=True)
