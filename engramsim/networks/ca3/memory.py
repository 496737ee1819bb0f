"""``CA3Memory``: the CA3 content-addressable memory with a raw interface, verbs, a sequence runner and files.

::

    mem = CA3Memory(n_cues=5, n_content=10, backend="numba")
    mem.learn(0, [1, 1, 0, 0, 0, 0, 0, 0, 1, 1])
    mem.recall_by_cue(0).content              # frozenset({0, 1, 8, 9})
    mem.recall_by_content([0] * 9 + [1]).cues  # frozenset({0})
    seq = mem.run_sequence([...])              # many operations in one simulation
    mem.save("cam.npz"); CA3Memory.load("cam.npz")

The memory's state is its input history and its live circuit: the circuit is
built at the first operation and then continued (its input population is
given its new spike times between runs), so a verb costs the simulation of
its own few milliseconds.  A batch of operations runs in one simulation
(:meth:`CA3Memory.run_sequence`).  Loading a saved memory re-simulates its
history once, from rest (the circuit is deterministic), and checks the
weights against the saved ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.networks.ca3.circuit import DT, CA3Result, build_circuit, circuit_state
from engramsim.networks.ca3.operations import (
    LEARN,
    RECALL_BY_CONTENT,
    RECALL_BY_CUE,
    IdealCAM,
    Operation,
    Outcome,
    decode,
    input_spikes,
    make_operation,
    schedule,
)
from engramsim.sim.validation import check_float, check_int

FORMAT_VERSION = 1


@dataclass
class SequenceResult:
    """A batch of operations: their outcomes and the spikes of every population over the batch."""

    outcomes: list[Outcome]
    result: CA3Result = field(repr=False)

    @property
    def n_exact(self) -> int:
        """Number of operations whose answer equals the ideal CAM's."""
        return sum(o.exact for o in self.outcomes)


class CA3Memory:
    """The spike-based CA3 content-addressable memory (Casanueva-Morato et al. 2024).

    Parameters
    ----------
    n_cues
        Number of cues ``c`` (= capacity, one memory per cue), >= 1.
    n_content
        Number of content bits ``m``, >= 1.
    backend
        Spiking backend: ``"numpy"``, ``"numba"`` or ``"auto"``.

    Notes
    -----
    The circuit is deterministic; there is no seed.  ``t`` is the memory's
    clock (ms): what has been simulated so far.
    """

    def __init__(self, n_cues: int, n_content: int, backend: str = "auto"):
        self.n_cues = check_int(n_cues, "n_cues", minimum=1)
        self.n_content = check_int(n_content, "n_content", minimum=1)
        if not isinstance(backend, str):
            raise ValidationTypeError(f"backend must be a str, got {type(backend).__name__}")
        self.backend = backend
        self.t = 0.0
        self._in: list[list[float]] = [[] for _ in range(n_cues + n_content)]
        self._operations: list[dict[str, Any]] = []
        self.ideal = IdealCAM(n_cues, n_content)
        self._weights: dict[str, np.ndarray] | None = None
        self._circuit = None  # the live network, built at the first operation

    # --- the raw interface ------------------------------------------------------------------
    def run(self, in_spike_times: Any, duration: float) -> CA3Result:
        """Feed IN with ``in_spike_times`` and advance ``duration`` ms; return every population's spikes.

        Parameters
        ----------
        in_spike_times
            What the authors' ``SpikeSourceArray`` takes: a list of ``n_cues +
            n_content`` lists of spike times (ms), relative to the memory's
            clock ``t`` (for a fresh memory, absolute), each in ``[0, duration)``
            and a whole number of ms.
        duration
            Milliseconds to simulate (a whole number).

        Returns
        -------
        CA3Result
            Spikes of ``IN`` and every population over ``[t, t + duration)``,
            times in memory time.  The ideal CAM kept alongside
            (:attr:`ideal`) does not follow raw input.
        """
        duration = self._check_duration(duration)
        times = self._check_in(in_spike_times, duration)
        return self._advance(times, duration)

    def _check_duration(self, duration: Any) -> float:
        duration = check_float(duration, "duration", 0.0, strict_minimum=True)
        if duration != round(duration):
            raise ValidationError(f"duration must be a whole number of ms (dt = {DT} ms), got {duration}")
        return duration

    def _check_in(self, in_spike_times: Any, duration: float) -> list[list[float]]:
        n_in = self.n_cues + self.n_content
        if not isinstance(in_spike_times, (list, tuple)) or len(in_spike_times) != n_in:
            got = len(in_spike_times) if isinstance(in_spike_times, (list, tuple)) else type(in_spike_times).__name__
            raise ValidationError(f"in_spike_times must be a list of n_cues + n_content = {n_in} lists of spike "
                                  f"times (ms), got {got}")
        out = []
        for i, seq in enumerate(in_spike_times):
            arr = np.asarray(seq, dtype=np.float64).reshape(-1) if len(seq) else np.zeros(0)
            if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < 0) \
                    or np.any(arr >= duration) or np.any(np.diff(np.sort(arr)) == 0):
                raise ValidationError(f"in_spike_times[{i}] must hold distinct whole ms in [0, {duration}), "
                                      f"got {list(seq)[:8]}")
            out.append(sorted(arr.tolist()))
        return out

    def _advance(self, relative: list[list[float]], duration: float) -> CA3Result:
        t0 = self.t
        for i, seq in enumerate(relative):
            self._in[i].extend(t0 + x for x in seq)
        t1 = t0 + duration
        spikes, self._weights = self._continue(duration)
        window = {}
        for name, (times, neurons) in spikes.items():
            keep = times >= t0
            window[name] = (times[keep], neurons[keep])
        self.t = t1
        return CA3Result(self.n_cues, self.n_content, t0, t1, window)

    def _continue(self, duration: float) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
        """Advance the live circuit by ``duration`` ms with IN firing at its whole history (times ahead only fire).

        The circuit is built once, at the first operation, and then continued
        (``Population.set(spike_times=...)`` between runs), so an operation
        costs its own steps, not the memory's whole history; the spikes are
        the same as a single run over the whole history (the engine is
        deterministic and continues bit for bit).
        """
        if self._circuit is None:  # first run (or a memory made otherwise): the whole history from rest
            self._circuit = build_circuit(self.n_cues, self.n_content, self._in, self.backend)
            self._circuit.network.run(self.t + duration)
        else:
            self._circuit.populations["IN"].set(spike_times=[list(t) for t in self._in])
            self._circuit.network.run(duration)
        return circuit_state(self._circuit)

    # --- operations ---------------------------------------------------------------------------
    def learn(self, cue: Any, content: Any) -> Outcome:
        """Store ``content`` (binary, length ``n_content``) under ``cue`` (index or one-hot); relearning overwrites."""
        return self.run_sequence([make_operation(LEARN, self.n_cues, self.n_content, cue, content)]).outcomes[0]

    def recall_by_cue(self, cue: Any) -> Outcome:
        """Recall the content stored under ``cue``: ``outcome.content``."""
        return self.run_sequence([make_operation(RECALL_BY_CUE, self.n_cues, self.n_content, cue)]).outcomes[0]

    def recall_by_content(self, bits: Any) -> Outcome:
        """Every cue whose content shares an active bit with ``bits`` (binary, length ``n_content``).

        The answer is ``outcome.cues``.
        """
        return self.run_sequence([make_operation(RECALL_BY_CONTENT, self.n_cues, self.n_content,
                                                 content=bits)]).outcomes[0]

    def operation(self, kind: str, cue: Any = None, content: Any = None, start: Any = None) -> Operation:
        """A validated :class:`Operation` for this memory (for :meth:`run_sequence`)."""
        return make_operation(kind, self.n_cues, self.n_content, cue, content, start)

    def run_sequence(self, operations: list[Operation]) -> SequenceResult:
        """Run ``operations`` in one simulation, from the memory's clock, and decode each one's answer.

        Operations without a ``start`` follow each other at the documented
        spacing (learn 10 ms, recall 7 ms); a pinned ``start`` may be sooner
        but not inside the previous operation's input (see
        :func:`~engramsim.networks.ca3.operations.schedule`).  The memory's
        clock advances to the end of the last operation's documented span.
        """
        if not isinstance(operations, (list, tuple)) or not all(isinstance(o, Operation) for o in operations):
            raise ValidationTypeError("operations must be a list of Operation (see CA3Memory.operation)")
        for k, op in enumerate(operations):
            if (op.cue is not None and not 0 <= op.cue < self.n_cues) or any(
                    not 0 <= b < self.n_content for b in op.bits):
                raise ValidationError(f"operation {k} ({op.describe()}) does not fit a memory of {self.n_cues} cues "
                                      f"x {self.n_content} bits")
        if not operations:
            raise ValidationError("operations must not be empty")
        t0 = self.t
        starts = schedule(list(operations), t0)
        end = max(s + op.duration for op, s in zip(operations, starts))
        times = input_spikes(list(operations), [s - t0 for s in starts], self.n_cues, self.n_content)
        result = self._advance(times, end - t0)
        out_t, out_n = result.spikes["OUT"]
        outcomes = decode(list(operations), starts, out_t, out_n, self.ideal)
        self._operations.extend({**op.as_dict(), "start": s} for op, s in zip(operations, starts))
        return SequenceResult(outcomes, result)

    # --- state -------------------------------------------------------------------------------
    @property
    def operations(self) -> list[dict[str, Any]]:
        """The operations run so far (kind, cue, bits, start in ms)."""
        return [dict(o) for o in self._operations]

    def weights(self) -> dict[str, np.ndarray]:
        """Plastic weights now (nA), every pairing so far applied.

        Returns
        -------
        dict
            ``"CueCue->ContCue"`` (c, m) and ``"ContCont->CueCont"`` (m, c).
        """
        if self._weights is None:
            return {"CueCue->ContCue": np.zeros((self.n_cues, self.n_content)),
                    "ContCont->CueCont": np.zeros((self.n_content, self.n_cues))}
        return {k: v.copy() for k, v in self._weights.items()}

    def save(self, path: str | Path) -> Path:
        """Write the memory (sizes, clock, IN history, operations, ideal store and weights) to an ``.npz`` file."""
        path = Path(path)
        cells = np.concatenate([np.full(len(s), i, np.int64) for i, s in enumerate(self._in)]) if self.t else \
            np.zeros(0, np.int64)
        times = np.concatenate([np.asarray(s, np.float64) for s in self._in]) if self.t else np.zeros(0)
        w = self.weights()
        meta = {"format": FORMAT_VERSION, "n_cues": self.n_cues, "n_content": self.n_content, "t": self.t,
                "operations": self._operations, "ideal": self.ideal.as_dict()}
        with open(path, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), in_cells=cells, in_times=times,
                     w_cue_content=w["CueCue->ContCue"], w_content_cue=w["ContCont->CueCont"])
        return path

    @classmethod
    def load(cls, path: str | Path, backend: str = "auto") -> CA3Memory:
        """Read a memory written by :meth:`save` and restore its state by re-simulating its history.

        Raises
        ------
        ValidationError
            When the file is not a CA3 memory, or when the re-simulated
            weights differ from the saved ones (the file was written by a
            different circuit or engine).
        """
        with np.load(Path(path), allow_pickle=False) as f:
            try:
                meta = json.loads(str(f["meta"]))
                cells, times = f["in_cells"], f["in_times"]
                saved = {"CueCue->ContCue": f["w_cue_content"], "ContCont->CueCont": f["w_content_cue"]}
            except KeyError as exc:
                raise ValidationError(f"path {str(path)!r} is not a saved CA3Memory (missing {exc})") from None
        if meta.get("format") != FORMAT_VERSION:
            raise ValidationError(f"path {str(path)!r}: unknown CA3Memory file format {meta.get('format')!r}")
        mem = cls(meta["n_cues"], meta["n_content"], backend=backend)
        for c, t in zip(cells.tolist(), times.tolist()):
            mem._in[c].append(t)
        mem._operations = list(meta["operations"])
        mem.ideal.store = {int(k): frozenset(v) for k, v in meta["ideal"].items()}
        if meta["t"] > 0:
            mem._weights = mem._continue(float(meta["t"]))[1]  # the whole history, from rest, in a live circuit
            mem.t = float(meta["t"])
            for name, w in saved.items():
                if not np.array_equal(mem._weights[name], w):
                    raise ValidationError(f"path {str(path)!r}: re-simulating the saved history gives other "
                                          f"{name} weights than the saved ones (max difference "
                                          f"{float(np.nanmax(np.abs(mem._weights[name] - w)))} nA)")
        return mem

    def __repr__(self) -> str:
        return (f"CA3Memory(n_cues={self.n_cues}, n_content={self.n_content}, t={self.t} ms, "
                f"{len(self._operations)} operations, backend={self.backend!r})")
