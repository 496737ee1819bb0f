"""Lay a built :class:`~engramsim.sim.spiking.network.Network` out as flat arrays and step it.

Cells get global indices in the order their populations were added.  The
engine learns everything about a cell from its cell type (see
:mod:`engramsim.sim.spiking.cells.base`): its state rows and initial values,
its kernel parameters, its step kernel, its input channels and current
units.  It holds the state and parameters of all populations in two flat
arrays, a ring buffer of arriving weights, each static projection stored
dense or CSR (by density), each plastic projection as a synapse list with
row and column indices and its STDP traces, and runs the backend's
``spiking_chunk`` kernel over blocks of steps with every argument named
(:mod:`engramsim.sim.spiking.layout`).  Spike sources are asked for their
spikes on the host, from their seeded streams, so every backend sees the same
draws.  Noise currents (:class:`~engramsim.sim.spiking.currents.NoisyCurrentSource`)
are generated inside the kernels by a counter-based generator keyed by the
source, the step and the cell, which the NumPy reference and the compiled
twin compute bit for bit alike.

Weights are stored in ``float32`` when every weight of the kind (dense or
CSR) is exactly a ``float32`` number, and CSR post indices in ``uint16``
when every CSR projection has at most 65536 targets: a lossless compression
of the synaptic rows that the kernels stream for every spike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engramsim.errors import NumericalError, ValidationError, ValidationTypeError
from engramsim.sim.spiking.currents import NoisyCurrentSource
from engramsim.sim.spiking.kernels_numpy import CSR, DENSE
from engramsim.sim.spiking.layout import Cells, Forced, Noise, Plastic, Record, Static
from engramsim.sim.spiking.network import DENSE_THRESHOLD, SPIKING_CHUNK, Projection
from engramsim.sim.spiking.noise_numpy import noise_values
from engramsim.sim.spiking.stdp_numpy import CONVENTIONS

#: most values (steps x cells) of per-block buffers (host-drawn currents, room for spikes)
BLOCK_ELEMENTS = 1 << 22
#: CSR post indices are stored as uint16 when every CSR projection has at most this many targets
UINT16_TARGETS = 1 << 16


class Engine:
    """The run-time form of a network (made by :meth:`Network.build`)."""

    def __init__(self, network: Any):
        self.network = network
        self.backend = network.backend
        self.dt = network.dt
        self.step = 0
        pops = network.populations
        offset = 0
        for pop in pops:
            pop.first_index = offset
            offset += pop.size
        self.n_total = offset
        self._layout_cells(pops)
        self._layout_projections(network.projections)
        self._layout_sources(pops)
        self._layout_noise(pops)
        self._layout_recording(network.monitors)
        self.kernel = self.backend.kernel(SPIKING_CHUNK)
        self.on_device = self.backend.xp is not np
        if self.on_device:
            self._move_to_device()

    def _move_to_device(self) -> None:
        """Put the bulk arrays on the backend's device (CuPy); index tables the loop reads one by one stay on the host.

        The NumPy reference then runs on CuPy arrays.  Plastic projections are
        simulated on the host backends only.
        """
        if self.plastic.meta.shape[0]:
            raise NotImplementedError(f"backend {self.backend.name!r}: plastic projections are simulated by the "
                                      f"'numpy' and 'numba' backends only")
        dev = self.backend.asarray
        self.buf = dev(self.buf)
        self.cells = self.cells._replace(state=dev(self.cells.state), par=dev(self.cells.par))
        self.noise = self.noise._replace(mean=dev(self.noise.mean), std=dev(self.noise.std))
        self.proj = self.proj._replace(dense_w=dev(self.proj.dense_w), csr_post=dev(self.proj.csr_post),
                                       csr_w=dev(self.proj.csr_w), csr_d=dev(self.proj.csr_d))
        self.state_pos = dev(self.state_pos)

    # --- layout -------------------------------------------------------------------------------
    def _layout_cells(self, pops) -> None:
        """State and kernel parameters of every population with a step kernel, and the tuple of its steps."""
        meta, states, pars, specs = [], [], [], []
        s_off = p_off = 0
        self._state_offset: dict[int, int] = {}
        for p in pops:
            ct = p.celltype
            if ct.is_source:
                continue
            if ct.kernel is None:
                raise ValidationTypeError(f"the engine cannot simulate {type(ct).__name__} cells: the cell type declares "
                                f"no step kernel")
            spec = ct.kernel.spec
            if spec not in specs:
                specs.append(spec)
            state = np.stack([p.initial(name) for name in ct.state_spec])
            par = ct.kernel_parameters(p.size, self.dt)
            meta.append((p.first_index, p.size, s_off, state.shape[0], p_off, par.shape[0], specs.index(spec),
                         ct.n_channels))
            self._state_offset[id(p)] = s_off
            states.append(state.ravel())
            pars.append(par.ravel())
            s_off += state.size
            p_off += par.size
        self.cells = Cells(np.array(meta, dtype=np.int64).reshape(-1, 8), _concat(states), _concat(pars))
        if not specs:  # the compiled loop needs a (never called) step to know the tuple's type
            from engramsim.sim.spiking.cells.if_curr_exp import IF_curr_exp

            specs.append(IF_curr_exp.kernel.spec)
        self.steps = tuple(self.backend.kernel(spec) for spec in specs)
        self.has_currents = any(not isinstance(src, NoisyCurrentSource) for p in pops for src in p.current_sources)

    def _layout_projections(self, projections: list[Projection]) -> None:
        meta, dense, ptrs, posts, ws, ds = [], [], [], [], [], []
        dense_off = csr_off = nnz = 0
        max_delay = 1
        self._where: dict[int, tuple[int, Any]] = {}
        plastic = []
        for p_i, proj in enumerate(projections):
            channel, sign = _channel(proj)
            w = sign * proj.weights
            delays = proj.delays
            if delays.size:
                max_delay = max(max_delay, int(delays.max()))
            if proj.plastic:
                plastic.append(proj)
                continue
            n_pre, n_post = proj.pre.size, proj.post.size
            uniform = delays.size == 0 or bool(np.all(delays == delays[0]))
            density = proj.n_connections / (n_pre * n_post)
            kind = proj.storage
            pairs_unique = True
            if kind != "csr" and proj.n_connections:
                # connection lists are sorted by (pre, post): repeats are neighbours
                key = proj.pre_index * n_post + proj.post_index
                pairs_unique = bool(np.all(np.diff(key) > 0))
            if kind == "auto":
                kind = "dense" if (density >= DENSE_THRESHOLD and uniform and pairs_unique) else "csr"
            if kind == "dense":
                if not uniform:
                    raise ValidationError(f"{proj!r}: dense storage needs one delay for all synapses")
                if not pairs_unique:
                    raise ValidationError(f"{proj!r}: dense storage cannot hold repeated (pre, post) pairs")
                mat = np.zeros((n_pre, n_post))
                mat[proj.pre_index, proj.post_index] = w
                delay = int(delays[0]) if delays.size else 1
                meta.append((DENSE, proj.pre.first_index, n_pre, proj.post.first_index, n_post, channel, delay,
                             dense_off))
                self._where[id(proj)] = ("dense", dense_off, sign)
                dense.append(mat.ravel())
                dense_off += mat.size
            else:
                counts = np.bincount(proj.pre_index, minlength=n_pre)
                ptr = nnz + np.concatenate([[0], np.cumsum(counts)])
                # a delay shared by all synapses is stored in meta (the kernel then skips per-synapse delays)
                shared = int(delays[0]) if (uniform and delays.size) else 0
                meta.append((CSR, proj.pre.first_index, n_pre, proj.post.first_index, n_post, channel, shared,
                             csr_off))
                self._where[id(proj)] = ("csr", nnz, sign)
                ptrs.append(ptr)
                posts.append(proj.post_index)
                ws.append(w)
                ds.append(delays)
                csr_off += n_pre + 1
                nnz += w.size
        csr_targets = max((m[4] for m in meta if m[0] == CSR), default=0)
        self.proj = Static(np.array(meta, dtype=np.int64).reshape(-1, 8), _compact(_concat(dense, np.float64)),
                     _concat(ptrs, np.int64), _concat(posts, np.uint16 if csr_targets <= UINT16_TARGETS else np.int32),
                     _compact(_concat(ws, np.float64)), _concat(ds, np.int32))
        self.n_slots = max_delay + 1
        self.buf = np.zeros((self.n_slots, 2, self.n_total))
        self._layout_plastic(plastic)

    def _layout_plastic(self, projections: list[Projection]) -> None:
        """Plastic projections as synapse lists with row (pre) and column (post) indices, and STDP state.

        See :class:`~engramsim.sim.spiking.layout.Plastic` and :mod:`engramsim.sim.spiking.stdp_numpy`.
        """
        meta, par, row_ptr, col_ptr, col_syn, syn_pre, syn_post, ws = [], [], [], [], [], [], [], []
        syn_off = row_off = col_off = pre_off = post_off = 0
        hist_len = 1
        for proj in projections:
            channel, sign = _channel(proj)
            n, n_pre, n_post = proj.n_connections, proj.pre.size, proj.post.size
            delay = int(proj.delays[0]) if n else 1
            hist_len = max(hist_len, delay)
            rule = proj.synapse_type.pair_stdp_parameters()
            meta.append((proj.pre.first_index, n_pre, proj.post.first_index, n_post, channel, delay, row_off,
                         col_off, pre_off, post_off))
            par.append((rule["amp_plus"], rule["amp_minus"], rule["tau_plus"], rule["tau_minus"], rule["w_min"],
                        rule["w_max"], sign, CONVENTIONS[rule.get("convention", "arrival")]))
            self._where[id(proj)] = ("plastic", syn_off, 1.0)
            row_ptr.append(syn_off + np.concatenate([[0], np.cumsum(np.bincount(proj.pre_index, minlength=n_pre))]))
            col_ptr.append(syn_off + np.concatenate([[0], np.cumsum(np.bincount(proj.post_index,
                                                                                 minlength=n_post))]))
            col_syn.append(syn_off + np.argsort(proj.post_index, kind="stable"))
            syn_pre.append(proj.pre_index)
            syn_post.append(proj.post_index)
            ws.append(proj.weights)
            syn_off += n
            row_off += n_pre + 1
            col_off += n_post + 1
            pre_off += n_pre
            post_off += n_post
        w = _concat(ws, np.float64)
        n_hist = self.n_total if projections else 0
        self.plastic = Plastic(np.array(meta, dtype=np.int64).reshape(-1, 10), np.array(par, dtype=np.float64).reshape(-1, 8),
                        _concat(row_ptr, np.int64), _concat(col_ptr, np.int64), _concat(col_syn, np.int64),
                        _concat(syn_pre, np.int64), _concat(syn_post, np.int64), w, w.copy(),
                        np.full(pre_off, -1, np.int64), np.zeros(pre_off), np.full(post_off, -1, np.int64),
                        np.zeros(post_off), np.zeros((hist_len, n_hist), np.int64), np.zeros(hist_len, np.int64))

    def _layout_sources(self, pops) -> None:
        self.emitters = [(p.first_index, p.celltype.emitter(p, self.dt, self.network.seed))
                         for p in pops if p.celltype.is_source]

    def update_population(self, pop: Any) -> None:
        """Take a population's new cell parameters (``Population.set`` after a run) from the current step on."""
        ct = pop.celltype
        if ct.is_source:
            self.emitters = [(g0, ct.emitter(pop, self.dt, self.network.seed) if g0 == pop.first_index else e)
                             for g0, e in self.emitters]
            return
        for g0, n, _, _, p_off, n_par, *_ in self.cells.meta.tolist():
            if g0 == pop.first_index:
                self.cells.par[p_off:p_off + n_par * n] = self.backend.asarray(ct.kernel_parameters(n, self.dt).ravel())
                return

    def _layout_noise(self, pops) -> None:
        """Noise sources for the kernels (see :class:`~engramsim.sim.spiking.layout.Noise`), in model units."""
        meta, keys, means, stds = [], [], [], []
        off = 0
        for p in pops:
            scale = p.celltype.current_scale
            for src in p.current_sources:
                if isinstance(src, NoisyCurrentSource):
                    meta.append((p.first_index, p.size, off))
                    keys.append(src.key)
                    means.append(np.broadcast_to(np.asarray(src.mean, dtype=np.float64), (p.size,)) * scale)
                    stds.append(np.broadcast_to(np.asarray(src.stdev, dtype=np.float64), (p.size,)) * scale)
                    off += p.size
        self.noise = Noise(np.array(meta, dtype=np.int64).reshape(-1, 3), np.array(keys, dtype=np.uint64),
                           _concat(means), _concat(stds))

    def noise_currents(self, first: int, n_steps: int) -> np.ndarray:
        """The noise currents (model units) of steps ``first .. first + n_steps - 1``, as the kernels generate them.

        Computed with the NumPy reference generator, for cross-checks (e.g.
        feeding an independent transcription of a model the same input).
        Only :class:`NoisyCurrentSource` currents are included, summed per
        cell; the kernels add each source in turn to the other (host-drawn)
        currents, so where a cell has several sources or other currents the
        kernels' total may differ from ``other + this`` in the last bit.

        Returns
        -------
        (n_steps, N) float64
        """
        out = np.zeros((n_steps, self.n_total))
        for (g0, size, _), values in zip(self.noise[0], noise_values(first, n_steps, self.noise)):
            out[:, g0:g0 + size] += values
        return out

    def _layout_recording(self, monitors) -> None:
        """Positions in the flat state of every recorded (variable, cell); each state monitor gets its columns."""
        self.monitors = monitors
        pos = []
        for m in monitors:
            if m.kind == "state":
                pop, ct = m.population, m.population.celltype
                rows = list(ct.state_spec)
                base = self._state_offset[id(pop)]
                m.slot = len(pos)
                for name in m.variables:
                    pos.extend((base + rows.index(name) * pop.size + m.indices).tolist())
        self.state_pos = np.array(pos, dtype=np.int64)

    # --- running ------------------------------------------------------------------------------
    def _forced(self, first: int, n_steps: int) -> Forced:
        """Spike-source events of steps ``first .. first + n_steps - 1`` as CSR over steps."""
        steps, cells = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for first_index, emitter in self.emitters:
            s, c = emitter.events(first, n_steps)
            steps.append(s)
            cells.append(c + first_index)
        steps_all, cells_all = np.concatenate(steps), np.concatenate(cells)
        order = np.lexsort((cells_all, steps_all))
        ptr = np.concatenate([[0], np.cumsum(np.bincount(steps_all, minlength=n_steps))]).astype(np.int64)
        return Forced(ptr, cells_all[order])

    def _currents(self, first: int, n_steps: int) -> np.ndarray:
        if not self.has_currents:
            return np.zeros((0, self.n_total))
        ext = np.zeros((n_steps, self.n_total))
        for pop in self.network.populations:
            sl = slice(pop.first_index, pop.first_index + pop.size)
            host = [src for src in pop.current_sources if not isinstance(src, NoisyCurrentSource)]
            for src in host:
                ext[:, sl] += src.values(first, n_steps, pop.size, self.dt)
            if host and pop.celltype.current_scale != 1.0:
                ext[:, sl] *= pop.celltype.current_scale
        return ext

    def _block(self, k: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """Run ``k`` steps through the kernel; return the spikes (CSR over steps) and recorded states."""
        first = self.step
        forced = self._forced(first, k)
        ext = self._currents(first, k) if k else np.zeros((0, self.n_total))
        # room for every cell spiking every step; pages that are not written are never touched
        xp = self.backend.xp
        rec = Record(np.zeros(k + 1, dtype=np.int64), xp.empty(max(k * self.n_total, 1), dtype=np.int32),
                     self.state_pos, xp.zeros((k, self.state_pos.size)))
        if self.on_device:
            ext, forced = xp.asarray(ext), forced._replace(idx=xp.asarray(forced.idx))
        self.kernel(k, first, self.dt, self.buf, self.steps, self.cells, ext, self.noise, forced, self.proj, rec,
                    self.plastic)
        host = self.backend.to_numpy
        return (rec.spike_ptr, host(rec.spike_idx[:rec.spike_ptr[k]])), host(rec.state_out)

    def compile(self) -> None:
        """Compile (or load from cache) the kernel with a zero-step call; nothing advances."""
        self._block(0)

    def run(self, n_steps: int) -> None:
        """Advance ``n_steps`` steps, in blocks, and hand the recordings to the monitors."""
        block = max(1, min(n_steps, BLOCK_ELEMENTS // max(self.n_total, 1)))
        done = 0
        while done < n_steps:
            k = min(block, n_steps - done)
            first = self.step
            spikes, states = self._block(k)
            self._check_finite(first, k)
            for m in self.monitors:
                m.collect(first, spikes, states)
            self.step += k
            done += k

    def _check_finite(self, first: int, k: int) -> None:
        """Raise :class:`~engramsim.errors.NumericalError` when a cell's state left float64 in this block."""
        xp = self.backend.xp
        if bool(xp.all(xp.isfinite(self.cells.state))):
            return
        bad = int(self.backend.to_numpy(xp.flatnonzero(~xp.isfinite(self.cells.state)))[0])
        for g0, n, s_off, n_state, *_ in self.cells.meta.tolist():
            if s_off <= bad < s_off + n_state * n:
                pop = next(p for p in self.network.populations if p.first_index == g0)
                row, cell = divmod(bad - s_off, n)
                name = list(pop.celltype.state_spec)[row]
                raise NumericalError(
                    f"{name} of cell {cell} of population {pop.label!r} became {float(self.cells.state[bad])} "
                    f"between t = {first * self.dt} and {(first + k) * self.dt} ms: the inputs (weights, currents) "
                    f"drive it beyond float64; lower them")


    #: the fields of the plastic layout that change while running
    _PLASTIC_STATE = ("w", "w_sent", "pre_last", "pre_x", "post_last", "post_y", "hist", "hist_n")

    def snapshot(self) -> dict[str, Any]:
        """Everything that changes while running (host copies), to continue a saved network bit for bit."""
        host = self.backend.to_numpy
        return {"step": self.step, "buf": host(self.buf).copy(), "state": host(self.cells.state).copy(),
                "plastic": {k: getattr(self.plastic, k).copy() for k in self._PLASTIC_STATE},
                "emitters": self.emitters}

    def restore(self, snap: dict[str, Any]) -> None:
        """Take the running state of :meth:`snapshot` (of an engine laid out from the same network)."""
        if snap["buf"].shape != tuple(self.buf.shape) or snap["state"].shape != tuple(self.cells.state.shape):
            raise ValidationError("the saved running state does not fit this network's layout")
        self.step = int(snap["step"])
        self.buf[...] = self.backend.asarray(snap["buf"])
        self.cells.state[...] = self.backend.asarray(snap["state"])
        for k in self._PLASTIC_STATE:
            getattr(self.plastic, k)[...] = snap["plastic"][k]
        self.emitters = snap["emitters"]

    def weights_of(self, proj: Projection, include_pending: bool = True) -> np.ndarray:
        """The per-connection weights of ``proj`` as the engine holds them now (a fresh array).

        For a plastic projection, ``include_pending=False`` gives the weights
        each synapse last transmitted (sPyNNaker's stored matrix) instead of
        the weights with every pairing so far applied.
        """
        kind, off, sign = self._where[id(proj)]
        if kind == "plastic":
            w = self.plastic.w if include_pending else self.plastic.w_sent
            return w[off:off + proj.n_connections].copy()
        if kind == "dense":
            n_post = proj.post.size
            flat = self.backend.to_numpy(self.proj.dense_w)[off + proj.pre_index * n_post + proj.post_index]
        else:
            flat = self.proj.csr_w[off:off + proj.n_connections]
        return sign * self.backend.to_numpy(flat).astype(np.float64)


def _concat(parts: list, dtype: Any = np.float64) -> np.ndarray:
    """Concatenate per-population (or per-projection) arrays as ``dtype``; an empty array when there are none."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _compact(w: np.ndarray) -> np.ndarray:
    """``w`` as float32 when that loses nothing (every value is a float32 number), else unchanged."""
    w32 = w.astype(np.float32)
    return w32 if np.array_equal(w32.astype(np.float64), w) else w


def _channel(proj: Projection) -> tuple[int, float]:
    """Ring-buffer channel and weight sign of a projection (one-channel cells take inhibition as negative weights)."""
    inhibitory = proj.receptor_type == "inhibitory"
    if proj.post.celltype.n_channels == 2:
        return (1 if inhibitory else 0), 1.0
    return 0, (-1.0 if inhibitory else 1.0)
def _concat(parts: list, dtype: Any = np.float64) -> np.ndarray:
    """Concatenate per-population (or per-projection) arrays as ``dtype``; an empty array when there are none."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _compact(w: np.ndarray) -> np.ndarray:
    """``w`` as float32 when that loses nothing (every value is a float32 number), else unchanged."""
    w32 = w.astype(np.float32)
    return w32 if np.array_equal(w32.astype(np.float64), w) else w


