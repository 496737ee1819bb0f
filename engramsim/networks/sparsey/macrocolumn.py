"""One Sparsey macrocolumn (:class:`SparseyMac`): Q competitive modules of K binary cells whose
codes the Code Selection Algorithm chooses and learns in a single trial."""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.learning_rules.sparsey import freeze_saturated, set_coactive
from engramsim.networks.base import AssociativeMemory
from engramsim.networks.sparsey.codes import SparseyRecall, _append, codes_to_binary
from engramsim.networks.sparsey.csa import _BUILTIN_ETA, _BUILTIN_MU, CSA, _resolve_csa
from engramsim.networks.sparsey.permanence import PermanenceCurve, Synapses, WeightTable
from engramsim.networks.sparsey.support import graded_familiarity, hypothesis_counts, input_tie_uniforms
from engramsim.sim.backends import Backend, get_backend
from engramsim.sim.kernels import CONVERGED
from engramsim.sim.kernels import csa_numpy as csa_kernels
from engramsim.sim.validation import check_bool, check_choice, check_float, check_int


__all__ = ["TIE_BREAKS", "SparseyMac"]

#: how recognition breaks ties between cells of equal V
TIE_BREAKS = ("random", "input")


def _check_band(band: Any) -> tuple[float, float]:
    if not isinstance(band, (tuple, list)) or len(band) != 2:
        raise TypeError(f"activation_band must be a pair (low, high) of fractions, got {band!r}")
    low = check_float(band[0], "activation_band[0]", 0.0, 1.0)
    high = check_float(band[1], "activation_band[1]", 0.0, 1.0)
    if low > high:
        raise ValueError(f"activation_band must have low <= high, got {band!r}")
    return low, high


class SparseyMac(AssociativeMemory):
    """One Sparsey macrocolumn: Q competitive modules of K binary cells.

    Parameters
    ----------
    n_inputs
        Number of binary (bottom-up) input units N.
    n_modules
        Q, the number of CMs (the size of every code).
    cells_per_module
        K, the number of cells per CM.
    csa
        A preset name (``"sparseycore"``, ``"sparseypy"``, ``"sparsey-csa"``)
        or a :class:`CSA`.
    horizontal
        Give the mac horizontal (sequence) input: its own code of the
        previous frame, through a second set of binary weights.  Used by
        :meth:`store_sequence` and :meth:`recall_sequence`.
    u_exponent, h_exponent
        Exponents of ``U`` and ``H`` in ``V = U^u_exponent H^h_exponent``.
    saturation_threshold
        Freeze an input's weights (its afferent bundle) once more than this
        fraction of them is set (1: never).
    activation_band
        ``(low, high)``: the mac is active only when the fraction of active
        inputs lies in ``[low, high]`` (and at least one input is active);
        otherwise its code is empty (winners -1).
    frozen_argmax
        ``None`` (default): learning always uses the CSA's learning readout
        (sampling).  A fraction ``f``: on a learning frame in which at least
        ``f`` of the active inputs' bundles are frozen, winners are chosen
        by the recognition rule (argmax V) instead, as SparseyCore does
        once a mac is frozen (its "ML" winner selection): the mac can no
        longer store a new code for such an input, so it passes on the code
        it will produce for it at recognition.
    permanence
        ``None`` (default): binary weights, set once.  A
        :class:`~engramsim.networks.sparsey.permanence.WeightTable`
        (SparseyCore's decay table with promotion to permanent) or a
        :class:`~engramsim.networks.sparsey.permanence.PermanenceCurve`
        (sparseypy's): bottom-up weights decay with the number of learning
        frames since they were last set; a bundle then freezes when more than
        ``saturation_threshold`` of its synapses still contribute.  Weights
        are read through :meth:`effective_weights`; ``weights`` is None.
    tie_break
        ``"random"`` (default): recognition ties between cells of equal V are
        broken by the ``"ties"`` stream, so a repeated cue may get another of
        its tied codes.  ``"input"``: by a hash of the cue's bits, so the same
        cue always gets the same code.
    backend
        ``"numpy"``, ``"numba"``, ``"cupy"`` or ``"auto"``.  The CSA kernels
        run on the host: with ``"cupy"`` the Numba kernels are used.
    seed
        Seeds the CSA's draws (stream ``"csa"``) and the recognition
        tie-breaks (stream ``"ties"``).

    Examples
    --------
    >>> import numpy as np
    >>> from engramsim.networks import SparseyMac
    >>> x = np.zeros((4, 16), dtype=np.uint8)
    >>> for i in range(4):
    ...     x[i, 4 * i:4 * i + 4] = 1
    >>> mac = SparseyMac(16, n_modules=5, cells_per_module=8, backend="numpy", seed=0)
    >>> codes = mac.store(x).codes
    >>> bool((mac.recall(x).winners == codes).all())
    True
    """

    KERNELS = ("csa_familiarity", "csa_choose", "csa_sample")
    _TRANSIENT = ("_csa_familiarity", "_csa_choose", "_sample")

    def _attach_kernels(self) -> None:
        kernel_backend = get_backend("numba") if self.backend.name == "cupy" else self.backend
        self._csa_familiarity = kernel_backend.kernel("csa_familiarity")
        self._csa_choose = kernel_backend.kernel("csa_choose")
        self._sample = kernel_backend.kernel("csa_sample")

    pattern_alphabet = (0, 1)
    state_alphabet = (0, 1)

    def __init__(
        self,
        n_inputs: int,
        n_modules: int = 8,
        cells_per_module: int = 8,
        *,
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
        if permanence is not None and not isinstance(permanence, (WeightTable, PermanenceCurve)):
            raise TypeError(f"permanence must be None, a WeightTable or a PermanenceCurve, "
                            f"got {type(permanence).__name__} {permanence!r}")
        self.tie_break = check_choice(tie_break, "tie_break", TIE_BREAKS)
        n_inputs = check_int(n_inputs, "n_inputs", minimum=2)
        super().__init__(n_inputs, backend=backend, seed=seed)
        self.n_modules = check_int(n_modules, "n_modules", minimum=1)
        self.cells_per_module = check_int(cells_per_module, "cells_per_module", minimum=1)
        self.csa = _resolve_csa(csa)
        self.horizontal = check_bool(horizontal, "horizontal")
        self.u_exponent = check_float(u_exponent, "u_exponent", 0.0, strict_minimum=True)
        self.h_exponent = check_float(h_exponent, "h_exponent", 0.0, strict_minimum=True)
        self.saturation_threshold = check_float(saturation_threshold, "saturation_threshold", 0.0, 1.0)
        self.activation_band = _check_band(activation_band)
        self.frozen_argmax = (None if frozen_argmax is None
                              else check_float(frozen_argmax, "frozen_argmax", 0.0, 1.0))
        self._attach_kernels()
        # the built-in eta and mu forms run fused in one kernel; custom ones in NumPy
        self._fused = (isinstance(self.csa.expansivity, _BUILTIN_ETA)
                       and isinstance(self.csa.v_to_mu, _BUILTIN_MU))
        n_cells = self.n_cells
        self.permanence = permanence
        self.synapses = None if permanence is None else Synapses(n_inputs, n_cells, permanence)
        self.weights = np.zeros((n_inputs, n_cells), dtype=np.uint8) if permanence is None else None
        self.frozen = np.zeros(n_inputs, dtype=bool)
        self.h_weights = np.zeros((n_cells, n_cells), dtype=np.uint8) if self.horizontal else None
        self.h_frozen = np.zeros(n_cells, dtype=bool) if self.horizontal else None
        self._no_h = (np.zeros((0, n_cells), dtype=np.uint8), np.zeros((1, 0), dtype=np.uint8))
        self.inflection = self.csa.v_to_mu.initial_inflection
        self._best_mean_v = -np.inf
        self._codes = np.zeros((0, self.n_modules), dtype=np.int64)
        self._pattern_buffer, self._code_buffer = self._patterns, self._codes

    # ----------------------------------------------------------- properties
    @property
    def n_cells(self) -> int:
        """Q * K, the number of cells in the coding field."""
        return self.n_modules * self.cells_per_module

    @property
    def codes(self) -> np.ndarray:
        """A copy of the codes chosen when learning, one row per learned input, shape (P, Q)."""
        return self._codes.copy()

    def freeze(self) -> "SparseyMac":
        """Freeze every bottom-up (and horizontal) bundle: the mac learns nothing more; returns ``self``.

        With a ``WeightTable``, the synapses that still contribute become
        permanent.  Learning frames then leave the weights unchanged.
        """
        every = np.arange(self.n_neurons)
        if self.synapses is not None:
            self.synapses.freeze(every, -1.0, self.frozen)
        self.frozen[:] = True
        if self.h_frozen is not None:
            self.h_frozen[:] = True
        return self

    def effective_weights(self) -> np.ndarray:
        """The bottom-up weights the CSA uses now, in [0, 1], shape (N, Q * K) (float64).

        The binary ``weights`` as floats, or with ``permanence`` the decayed
        weights divided by their largest value.
        """
        if self.synapses is None:
            return self.weights.astype(np.float64)
        return self.synapses.weights()

    # --------------------------------------------------------------- inputs
    def _check_inputs(self, inputs: Any, name: str) -> np.ndarray:
        arr = self._check_patterns(inputs, name).astype(np.uint8)
        empty = np.flatnonzero(arr.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(f"{name}[{int(empty[0])}] has no active inputs (all zeros); the CSA normalises "
                             f"the input summation by the number of active inputs, so every input needs at "
                             f"least one 1 ({empty.size} empty row(s))")
        return arr

    def _active(self, inputs: np.ndarray) -> np.ndarray:
        counts = inputs.sum(axis=1)
        low, high = self.activation_band
        if low == 0.0 and high == 1.0:
            return counts > 0
        fraction = counts / self.n_neurons
        return (counts > 0) & (fraction >= low) & (fraction <= high)

    # ----------------------------------------------------------------- the CSA
    def _familiarity(self, inputs: np.ndarray, previous: np.ndarray | None, signal: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """V (B, Q, K), G (B,) and mean V (B,) of validated, active inputs.

        ``signal`` (B, N), in [0, 1], replaces the binary inputs in the input
        summation (discounted inputs); it and ``permanence`` take the graded
        NumPy path (:mod:`.support`).
        """
        if self.synapses is not None or signal is not None:
            x = inputs.astype(np.float64) if signal is None else signal
            rows = np.flatnonzero((x > 0).any(axis=0))
            w = self.weights[rows].astype(np.float64) if self.synapses is None else self.synapses.weights(rows)
            h = None
            if self.horizontal and previous is not None:
                h_in = codes_to_binary(previous, self.cells_per_module).astype(np.float64)
                n_h = h_in.sum(axis=1)
                h = (h_in @ self.h_weights) / np.maximum(n_h, 1)[:, None]
                h[n_h == 0] = np.nan
            v, g, mean_v = graded_familiarity(x[:, rows], w, self.n_modules, self.u_exponent, h, self.h_exponent)
            return v.reshape(-1, self.n_modules, self.cells_per_module), g, mean_v
        if self.horizontal and previous is not None:
            h_weights, h_inputs = self.h_weights, codes_to_binary(previous, self.cells_per_module)
        else:
            h_weights, h_inputs = self._no_h
            h_inputs = np.broadcast_to(h_inputs, (inputs.shape[0], 0))
        v, g, mean_v = self._csa_familiarity(self.weights, inputs, h_weights, h_inputs, self.n_modules,
                                             self.u_exponent, self.h_exponent)
        return v.reshape(-1, self.n_modules, self.cells_per_module), g, mean_v

    def _choose(self, v: np.ndarray, g: np.ndarray, readout: str, rng: np.random.Generator,
                uniforms: np.ndarray | None = None) -> np.ndarray:
        if uniforms is None:
            uniforms = rng.random(v.shape[:2])
        eta_f, mu_f = self.csa.expansivity, self.csa.v_to_mu
        if readout == "argmax" or self._fused:
            inflection = 0.0 if self.inflection is None else self.inflection
            return self._csa_choose(v, g, getattr(eta_f, "kind", 0), getattr(eta_f, "params", ()),
                                    getattr(mu_f, "kind", 0), getattr(mu_f, "params", ()), inflection,
                                    csa_kernels.ARGMAX if readout == "argmax" else csa_kernels.SAMPLE,
                                    uniforms)
        mu = mu_f(v, eta_f(g, self.cells_per_module)[:, None, None], self.inflection)
        return self._sample(mu, uniforms)

    def _frame(self, inputs: np.ndarray, learn: bool, previous: np.ndarray | None = None, *,
               signal: np.ndarray | None = None, active: np.ndarray | None = None,
               hypothesis_threshold: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Run the CSA on validated inputs (B, N); learning needs B == 1.

        ``signal`` (B, N) replaces the inputs in the input summation (see
        :meth:`_familiarity`); ``active`` (B,) further restricts which rows
        the mac is active for (a band counted by the caller).  Returns winners
        (B, Q) (-1 rows for an inactive mac), G (B,) and, given a
        ``hypothesis_threshold``, the number of competing hypotheses per row
        (0 where inactive; else None).
        """
        n_batch = inputs.shape[0]
        winners = np.full((n_batch, self.n_modules), -1, dtype=np.int64)
        familiarity = np.full(n_batch, np.nan)
        n_hypotheses = None if hypothesis_threshold is None else np.zeros(n_batch, dtype=np.int64)
        own = self._active(inputs)
        active = own if active is None else own & active
        if signal is not None:
            active &= (signal > 0).any(axis=1)
        if not active.any():
            if learn and self.synapses is not None:
                self.synapses.advance()  # ages count every learning frame, active or not
            return winners, familiarity, n_hypotheses
        rows = np.flatnonzero(active)
        prev = None if previous is None else previous[rows]
        v, g, mean_v = self._familiarity(inputs[rows], prev, None if signal is None else signal[rows])
        familiarity[rows] = g
        if n_hypotheses is not None:
            n_hypotheses[rows] = hypothesis_counts(v, hypothesis_threshold)
        if learn:
            self.inflection, self._best_mean_v = self.csa.v_to_mu.next_inflection(
                self.inflection, self._best_mean_v, float(mean_v[0]))
            readout = self.csa.learn_readout
            if self.frozen_argmax is not None and (
                    self.frozen[np.flatnonzero(inputs[rows[0]])].mean() >= self.frozen_argmax):
                readout = "argmax"  # SparseyCore: max-V ("ML") winners once the mac is frozen
            chosen = self._choose(v, g, readout, self._stream("csa"))
            self._update(inputs[rows[0]], chosen[0], None if prev is None else prev[0])
        else:
            uniforms = None
            if self.tie_break == "input":
                if "_tie_key" not in self.__dict__:
                    self._tie_key = int(self._stream("tie-key").integers(2**63))
                uniforms = input_tie_uniforms(inputs[rows], self.n_modules, self._tie_key)
            chosen = self._choose(v, g, self.csa.recognize_readout, self._stream("ties"), uniforms)
        winners[rows] = chosen
        return winners, familiarity, n_hypotheses

    def _update(self, x: np.ndarray, winners: np.ndarray, previous: np.ndarray | None) -> None:
        cols = winners + self.cells_per_module * np.arange(self.n_modules)
        freezes = self.saturation_threshold < 1.0  # no bundle can be more than fully set
        if self.synapses is not None:
            changed = np.flatnonzero(x)
            changed = changed[~self.frozen[changed]]
            self.synapses.record(changed, cols)
            if freezes:
                self.synapses.freeze(changed, self.saturation_threshold, self.frozen)
            self.synapses.advance()
        else:
            changed = set_coactive(self.weights, np.flatnonzero(x), cols, self.frozen)
            if freezes:
                freeze_saturated(self.weights, changed, self.saturation_threshold, self.frozen)
        if self.horizontal and previous is not None and (previous >= 0).any():
            pre = np.flatnonzero(codes_to_binary(previous, self.cells_per_module))
            changed = set_coactive(self.h_weights, pre, cols, self.h_frozen)
            if freezes:
                freeze_saturated(self.h_weights, changed, self.saturation_threshold, self.h_frozen)

    def _run(self, inputs: np.ndarray, learn: bool, sequence: bool) -> tuple[np.ndarray, np.ndarray]:
        if sequence and not self.horizontal:
            raise ValueError("sequences need a mac built with horizontal=True")
        if not learn and not sequence:
            return self._frame(inputs, learn=False)[:2]
        winners = np.full((inputs.shape[0], self.n_modules), -1, dtype=np.int64)
        familiarity = np.full(inputs.shape[0], np.nan)
        previous = None
        for t in range(inputs.shape[0]):
            w, g, _ = self._frame(inputs[t:t + 1], learn, previous)
            winners[t], familiarity[t] = w[0], g[0]
            previous = w if sequence else None
        return winners, familiarity

    # --------------------------------------------------------------- public verbs
    def store(self, patterns: Any) -> "SparseyMac":
        """Learn each input in a single trial, one after the other; returns ``self``.

        The code chosen for each input (winner per CM; -1 rows where the
        input fell outside the activation band) is appended to :attr:`codes`.

        Parameters
        ----------
        patterns : array of 0/1, shape (P, N) or (N,)
            Every row needs at least one active input; never modified.
        """
        inputs = self._check_inputs(patterns, "patterns")
        winners, _ = self._run(inputs, learn=True, sequence=False)
        self._remember(inputs, winners)
        return self

    def _remember(self, inputs: np.ndarray, winners: np.ndarray) -> None:
        n = self._codes.shape[0]
        self._pattern_buffer = _append(self._pattern_buffer, n, inputs.astype(np.int8))
        self._code_buffer = _append(self._code_buffer, n, winners)
        self._patterns = self._pattern_buffer[:n + inputs.shape[0]]
        self._codes = self._code_buffer[:n + inputs.shape[0]]

    def recall(self, cues: Any) -> SparseyRecall:
        """Recognise each cue (argmax-V readout by default); weights do not change.

        Parameters
        ----------
        cues : array of 0/1, shape (B, N) or (N,)

        Returns
        -------
        SparseyRecall
        """
        inputs = self._check_inputs(cues, "cues")
        winners, familiarity = self._run(inputs, learn=False, sequence=False)
        return self._result_of(winners, familiarity, sequence=False)

    def _result_of(self, winners: np.ndarray, familiarity: np.ndarray, sequence: bool) -> SparseyRecall:
        n = winners.shape[0]
        result = self._result(codes_to_binary(winners, self.cells_per_module), np.ones(n),
                              np.full(n, CONVERGED), csa=self.csa.name, n_modules=self.n_modules,
                              cells_per_module=self.cells_per_module, sequence=int(sequence))
        return SparseyRecall(states=result.states, steps=result.steps, converged=result.converged,
                             status=result.status, patterns=self._patterns, attrs=result.attrs,
                             winners=winners, familiarity=familiarity, stored_winners=self._codes)

    def propose(self, cues: Any) -> np.ndarray:
        """The codes learning would choose for each cue now, without learning them.

        Each cue is run through the CSA with the learning readout (sampling
        by default) against the current weights; nothing changes (neither
        the weights nor the inflection), so the cues are independent draws.

        Returns
        -------
        ndarray of int, shape (B, Q)
        """
        inputs = self._check_inputs(cues, "cues")
        winners = np.full((inputs.shape[0], self.n_modules), -1, dtype=np.int64)
        active = np.flatnonzero(self._active(inputs))
        if active.size:
            v, g, _ = self._familiarity(inputs[active], None)
            winners[active] = self._choose(v, g, self.csa.learn_readout, self._stream("csa"))
        return winners

    def familiarity(self, cues: Any) -> np.ndarray:
        """Global familiarity ``G`` of each cue (bottom-up input only), shape (B,)."""
        inputs = self._check_inputs(cues, "cues")
        _, g, _ = self._frame(inputs, learn=False)
        return g

    def store_sequence(self, frames: Any) -> "SparseyMac":
        """Learn a sequence: frame t also gets frame t-1's code as horizontal input; returns ``self``.

        Needs ``horizontal=True``.  The T codes are appended to :attr:`codes`.
        """
        inputs = self._check_inputs(frames, "frames")
        winners, _ = self._run(inputs, learn=True, sequence=True)
        self._remember(inputs, winners)
        return self

    def recall_sequence(self, frames: Any) -> SparseyRecall:
        """Recognise a sequence, frame t with frame t-1's recognised code as horizontal input."""
        inputs = self._check_inputs(frames, "frames")
        winners, familiarity = self._run(inputs, learn=False, sequence=True)
        return self._result_of(winners, familiarity, sequence=True)
