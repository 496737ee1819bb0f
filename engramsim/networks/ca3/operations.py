"""Operations of the CA3 memory: their input spikes, their timing, the decoder of OUT, and the ideal CAM.

Timing (sPyMem documentation, 1 ms steps, operation starting at ``s``):

* **learn** (cue ``i``, content ``S``): IN cue ``i`` and content ``S`` fire at
  ``s, s+1, s+2``; no new operation for 7 more steps (10 in all).  OUT shows
  ``cue i + S`` at ``s+5`` and ``s+7``; when ``i`` held an older content
  ``S_old``, the bits ``S_old - S`` appear once at ``s+6``.
* **recall by cue** ``i``: IN cue ``i`` fires at ``s``; 7 steps in all.  OUT
  shows ``cue i`` at ``s+5`` and the stored content at ``s+6``.
* **recall by content** ``B``: IN content ``B`` fires at ``s``; 7 steps.
  OUT shows ``B`` at ``s+5`` and every cue whose content shares a bit with
  ``B`` at ``s+6`` (OR semantics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engramsim.errors import ValidationError, ValidationTypeError
from engramsim.sim.validation import check_float

LEARN, RECALL_BY_CUE, RECALL_BY_CONTENT = "learn", "recall_by_cue", "recall_by_content"
KINDS = (LEARN, RECALL_BY_CUE, RECALL_BY_CONTENT)
#: steps an operation occupies when placed automatically (input plus the documented wait)
DURATION = {LEARN: 10, RECALL_BY_CUE: 7, RECALL_BY_CONTENT: 7}
#: steps an operation's input is held: a pinned operation may not start before the previous input ends
HOLD = {LEARN: 3, RECALL_BY_CUE: 1, RECALL_BY_CONTENT: 1}
#: steps after its start in which an operation's OUT spikes are read (its last output is at +7 or +6)
WINDOW = {LEARN: 8, RECALL_BY_CUE: 7, RECALL_BY_CONTENT: 7}


def check_cue(cue: Any, n_cues: int, name: str = "cue") -> int:
    """A cue as an index in ``[0, n_cues)``, given as an integer or a one-hot vector of length ``n_cues``."""
    if isinstance(cue, (bool, np.bool_)):
        raise ValidationTypeError(f"{name} must be an integer index or a one-hot vector, got {cue!r}")
    if isinstance(cue, (int, np.integer)):
        if not 0 <= int(cue) < n_cues:
            raise ValidationError(f"{name} must be in [0, {n_cues}) (n_cues = {n_cues}), got {int(cue)}")
        return int(cue)
    arr = np.asarray(cue)
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        raise ValidationTypeError(f"{name} must be an integer index or a one-hot vector of length {n_cues}, "
                                  f"got {type(cue).__name__} of shape {arr.shape}")
    if arr.size != n_cues or not np.all((arr == 0) | (arr == 1)) or int(np.count_nonzero(arr)) != 1:
        raise ValidationError(f"{name} must be one-hot: length {n_cues} with exactly one 1 and zeros elsewhere, "
                              f"got length {arr.size} with {int(np.count_nonzero(arr))} nonzero entries")
    return int(np.flatnonzero(arr)[0])


def check_content(content: Any, n_content: int, name: str = "content") -> tuple[int, ...]:
    """A binary content vector of length ``n_content``; returns its active bits in ascending order."""
    arr = np.asarray(content)
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        raise ValidationTypeError(f"{name} must be a binary vector of length {n_content}, "
                                  f"got {type(content).__name__} of shape {arr.shape}")
    if arr.size != n_content:
        raise ValidationError(f"{name} must have length n_content = {n_content}, got length {arr.size}")
    if not np.all((arr == 0) | (arr == 1)):
        bad = arr[(arr != 0) & (arr != 1)][0]
        raise ValidationError(f"{name} must be binary (0/1 entries), got the entry {bad!r}")
    return tuple(int(b) for b in np.flatnonzero(arr))


@dataclass(frozen=True)
class Operation:
    """One operation: ``kind`` (``"learn"``, ``"recall_by_cue"``, ``"recall_by_content"``), its cue, its bits.

    ``start`` (ms) pins the operation's start; ``None`` places it right after the previous one.
    """

    kind: str
    cue: int | None = None
    bits: tuple[int, ...] = ()
    start: float | None = None

    @property
    def duration(self) -> float:
        """Milliseconds the operation occupies."""
        return float(DURATION[self.kind])

    def describe(self) -> str:
        """A short label such as ``learn 3 <- {1, 4}``."""
        bits = "{" + ", ".join(map(str, self.bits)) + "}"
        if self.kind == LEARN:
            return f"learn {self.cue} <- {bits}"
        if self.kind == RECALL_BY_CUE:
            return f"recall cue {self.cue}"
        return f"recall content {bits}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cue": self.cue, "bits": list(self.bits), "start": self.start}


def make_operation(kind: str, n_cues: int, n_content: int, cue: Any = None, content: Any = None,
                   start: Any = None) -> Operation:
    """Validate and build an :class:`Operation` for a memory of ``n_cues`` x ``n_content``."""
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {KINDS}, got {kind!r}")
    s = None if start is None else check_float(start, "start", 0.0)
    if s is not None and s != round(s):
        raise ValidationError(f"start must be a whole number of ms (dt = 1 ms), got {s}")
    c = check_cue(cue, n_cues) if kind in (LEARN, RECALL_BY_CUE) else None
    bits = check_content(content, n_content, "content" if kind == LEARN else "bits") \
        if kind in (LEARN, RECALL_BY_CONTENT) else ()
    if kind == RECALL_BY_CONTENT and not bits:
        raise ValidationError("bits must have at least one active bit for a recall by content, got none")
    return Operation(kind, c, bits, s)


def schedule(operations: list[Operation], t0: float) -> list[float]:
    """Start times (ms) of ``operations`` from ``t0``.

    An operation without a ``start`` follows the previous one at the
    documented spacing (:data:`DURATION`: learn 10 ms, recall 7 ms).  A pinned
    operation may come sooner (the authors' state-map run spaces learning by
    7 ms and recalls by 6), but not before the previous operation's input has
    ended (:data:`HOLD`) nor before ``t0``: that raises a
    :class:`ValidationError` naming the operations that would overlap.
    """
    starts, t_auto, t_free = [], float(t0), float(t0)
    for k, op in enumerate(operations):
        s = t_auto if op.start is None else float(op.start)
        if s < t_free:
            what = ("the memory's current time" if k == 0
                    else f"the end of the input of operation {k - 1} ({operations[k - 1].describe()})")
            raise ValidationError(f"operations overlap in time: operation {k} ({op.describe()}) starts at {s} ms, "
                                  f"before {what} at {t_free} ms")
        starts.append(s)
        t_auto, t_free = s + op.duration, s + HOLD[op.kind]
    return starts


def input_spikes(operations: list[Operation], starts: list[float], n_cues: int, n_content: int) -> list[list[float]]:
    """IN spike times (ms) of the scheduled operations, one list per IN cell."""
    times: list[list[float]] = [[] for _ in range(n_cues + n_content)]
    for op, s in zip(operations, starts):
        cells = ([op.cue] if op.cue is not None else []) + [n_cues + b for b in op.bits]
        for cell in cells:
            times[cell].extend(s + k for k in range(HOLD[op.kind]))
    return times


@dataclass
class Outcome:
    """What one operation returned at OUT, and what an ideal CAM returns.

    ``cues`` and ``content`` are the answer read at OUT (for a learn: the
    memory shown at ``s+5``; recall by cue: the cue at ``s+5`` and the content
    at ``s+6``; recall by content: the content echo at ``s+5`` and the cues at
    ``s+6``); ``echo`` the content bits at ``s+6`` of a learn (the old
    content of a relearned cue).  ``expected_*`` are the ideal CAM's.
    ``raster_exact`` is True when every OUT spike in the operation's window
    (:data:`WINDOW` steps from its start) is exactly the one the documented
    timing predicts, and none else.
    """

    operation: Operation
    start: float
    cues: frozenset
    content: frozenset
    echo: frozenset
    expected_cues: frozenset
    expected_content: frozenset
    expected_echo: frozenset
    raster_exact: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        """The answer equals the ideal CAM's (cues, content and relearning echo)."""
        return (self.cues == self.expected_cues and self.content == self.expected_content
                and self.echo == self.expected_echo)


class IdealCAM:
    """The CAM the circuit should be: one memory per cue, overwrite on relearning, OR recall by content."""

    def __init__(self, n_cues: int, n_content: int):
        self.n_cues, self.n_content = n_cues, n_content
        self.store: dict[int, frozenset] = {}

    def expected_out(self, op: Operation, s: float) -> dict[float, set[int]]:
        """OUT cells (``0..c-1`` cues, ``c + b`` content) expected at each time of the operation's window."""
        c = self.n_cues
        bits = frozenset(op.bits)
        if op.kind == LEARN:
            shown = {op.cue} | {c + b for b in bits}
            old = self.store.get(op.cue, frozenset()) - bits
            out = {s + 5: shown, s + 7: set(shown)}
            if old:
                out[s + 6] = {c + b for b in old}
            return out
        if op.kind == RECALL_BY_CUE:
            out = {s + 5: {op.cue}}
            stored = self.store.get(op.cue, frozenset())
            if stored:
                out[s + 6] = {c + b for b in stored}
            return out
        out = {s + 5: {c + b for b in bits}}
        hits = self.answer_by_content(bits)
        if hits:
            out[s + 6] = set(hits)
        return out

    def answer_by_content(self, bits) -> frozenset:
        """Every cue whose stored content shares at least one bit with ``bits``."""
        bits = frozenset(bits)
        return frozenset(i for i, content in self.store.items() if content & bits)

    def apply(self, op: Operation) -> None:
        """Update the store (learning overwrites the cue's memory)."""
        if op.kind == LEARN:
            self.store[op.cue] = frozenset(op.bits)

    def as_dict(self) -> dict[str, list[int]]:
        return {str(k): sorted(v) for k, v in sorted(self.store.items())}


def decode(operations: list[Operation], starts: list[float], out_times: np.ndarray, out_neurons: np.ndarray,
           ideal: IdealCAM) -> list[Outcome]:
    """Read each operation's answer at OUT and compare it with ``ideal`` (which is updated as it goes)."""
    c = ideal.n_cues
    by_time: dict[float, set[int]] = {}
    for t, n in zip(out_times.tolist(), out_neurons.tolist()):
        by_time.setdefault(t, set()).add(n)
    outcomes = []
    for op, s in zip(operations, starts):
        at = lambda dt: by_time.get(s + dt, set())  # noqa: E731
        cues = lambda cells: frozenset(n for n in cells if n < c)  # noqa: E731
        bits = lambda cells: frozenset(n - c for n in cells if n >= c)  # noqa: E731
        expected = ideal.expected_out(op, s)
        observed = {t: set(by_time[t]) for t in by_time if s <= t < s + WINDOW[op.kind]}
        raster_exact = observed == {t: v for t, v in expected.items() if v}
        if op.kind == LEARN:
            got = (cues(at(5)), bits(at(5)), bits(at(6)))
            want = (cues(expected[s + 5]), bits(expected[s + 5]), bits(expected.get(s + 6, set())))
        elif op.kind == RECALL_BY_CUE:
            got = (cues(at(5)), bits(at(6)), frozenset())
            want = (frozenset({op.cue}), bits(expected.get(s + 6, set())), frozenset())
        else:
            got = (cues(at(6)), bits(at(5)), frozenset())
            want = (cues(expected.get(s + 6, set())), frozenset(op.bits), frozenset())
        outcomes.append(Outcome(op, s, *got, *want, raster_exact))
        ideal.apply(op)
    return outcomes


def random_operations(rng: np.random.Generator, n_cues: int, n_content: int, n_operations: int, density: float,
                      fragment: int, p_learn: float, p_recall_by_cue: float, gap: int = 0) -> list[tuple]:
    """A random sequence: learn (new cue or overwrite), recall by cue, recall by a fragment of a stored content.

    Learning picks any cue (so later learns overwrite) and a content with each
    bit on with probability ``density`` (at least one); recall by cue picks a
    learned cue; recall by content takes ``fragment`` random bits of a learned
    cue's content (all of them if it has fewer).  The first operation is a
    learn, and so is any recall drawn before anything was learned.  Operations
    follow each other at the documented spacing plus ``gap`` ms.
    """
    stored: dict[int, tuple[int, ...]] = {}
    ops = []
    t = 0
    for _ in range(n_operations):
        u = rng.random()
        if not stored or u < p_learn:
            cue = int(rng.integers(n_cues))
            bits = np.flatnonzero(rng.random(n_content) < density)
            if bits.size == 0:
                bits = rng.integers(n_content, size=1)
            stored[cue] = tuple(int(b) for b in bits)
            ops.append((LEARN, cue, stored[cue], t))
        elif u < p_learn + p_recall_by_cue:
            cue = int(rng.choice(sorted(stored)))
            ops.append((RECALL_BY_CUE, cue, (), t))
        else:
            content = stored[int(rng.choice(sorted(stored)))]
            k = min(fragment, len(content))
            ops.append((RECALL_BY_CONTENT, None, tuple(sorted(int(b) for b in rng.choice(content, k, replace=False))),
                        t))
        t += DURATION[ops[-1][0]] + gap
    return ops


def operations_from_spec(spec, n_cues: int, n_content: int) -> list[Operation]:
    """Operations from ``(kind, cue, bits, start)`` tuples (``cue`` None for a recall by content)."""
    ops = []
    for kind, cue, bits, start in spec:
        vec = np.zeros(n_content, np.int8)
        vec[list(bits)] = 1
        ops.append(make_operation(kind, n_cues, n_content, cue=cue,
                                  content=vec if kind != RECALL_BY_CUE else None, start=start))
    return ops
