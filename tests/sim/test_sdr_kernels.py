"""The SDR kernels: packing, overlaps, and the Monte-Carlo histograms, Numba held to NumPy bit for bit."""

import numpy as np
import pytest

from engramsim.networks.dendrites import sdr_kernel
from engramsim.sim.kernels import sdr_numpy as ref


def test_pack_roundtrip_and_bit_order():
    rng = np.random.default_rng(0)
    dense = rng.random((3, 130)) < 0.3
    words = ref.pack(dense)
    assert words.shape == (3, 3) and words.dtype == np.uint64
    assert np.array_equal(ref.unpack(words, 130), dense)
    one = np.zeros(130, dtype=bool)
    one[65] = True  # cell 65 is bit 1 of word 1
    assert ref.pack(one).tolist() == [0, 2, 0]


def test_below_is_the_high_part_of_the_product():
    r = np.array([0, 1, 2**63, 2**64 - 1, 0x123456789ABCDEF0], dtype=np.uint64)
    for m in (1, 7, 1000, 2**32 - 1):
        expected = [(int(x) * m) >> 64 for x in r]
        assert ref.below(r, m).tolist() == expected


def test_floyd_draws_distinct_uniform_subsets():
    bits = np.zeros((20000, 1), dtype=np.uint64)
    ref.floyd_subsets(bits, ref.trial_states(3, 0, 20000), 10, 4)
    dense = ref.unpack(bits, 10)
    assert np.all(dense.sum(axis=1) == 4)
    freq = dense.mean(axis=0)  # each cell is in a subset with probability 0.4
    assert np.all(np.abs(freq - 0.4) < 4 * np.sqrt(0.4 * 0.6 / 20000))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_sdr_overlap_matches_dense_count(backend):
    rng = np.random.default_rng(1)
    x = rng.random((6, 200)) < 0.2
    y = rng.random((4, 200)) < 0.3
    got = sdr_kernel("sdr_overlap", backend)(ref.pack(x), ref.pack(y))
    assert np.array_equal(got, x.astype(np.int64) @ y.T.astype(np.int64))


@pytest.mark.parametrize(("n", "a", "s", "trials"), [(100, 10, 5, 3000), (1000, 64, 24, 2000), (130, 130, 7, 50)])
def test_match_histogram_numba_equals_numpy(n, a, s, trials):
    segment = np.zeros(n, dtype=bool)
    segment[np.random.default_rng(2).choice(n, s, replace=False)] = True
    mask = ref.pack(segment)
    want = sdr_kernel("sdr_match_histogram", "numpy")(mask, n, a, trials, 12345)
    got = sdr_kernel("sdr_match_histogram", "numba")(mask, n, a, trials, 12345)
    assert np.array_equal(want, got)
    assert want.sum() == trials and want.shape == (min(a, s) + 1,)
    if a == n:  # every cell is active: the overlap is always s
        assert want[s] == trials


@pytest.mark.parametrize(("a", "s", "v"), [(40, 10, 0), (40, 10, 17), (128, 30, 64), (70, 70, 5)])
def test_noise_histogram_numba_equals_numpy(a, s, v):
    want = sdr_kernel("sdr_noise_histogram", "numpy")(a, s, v, 3000, 99)
    got = sdr_kernel("sdr_noise_histogram", "numba")(a, s, v, 3000, 99)
    assert np.array_equal(want, got)
    if v == 0:
        assert want[s] == 3000
    if s == a:  # every replaced cell silences one synapse
        assert want[s - v] == 3000


@pytest.mark.parametrize(("n", "a", "s", "m"), [(300, 30, 10, 1), (300, 30, 10, 6), (1000, 64, 24, 3)])
def test_union_histogram_numba_equals_numpy(n, a, s, m):
    want, size_want = sdr_kernel("sdr_union_histogram", "numpy")(n, a, s, m, 1500, 7)
    got, size_got = sdr_kernel("sdr_union_histogram", "numba")(n, a, s, m, 1500, 7)
    assert np.array_equal(want, got) and size_want == size_got
    if m == 1:
        assert size_want == s * 1500


def test_results_do_not_depend_on_chunking(monkeypatch):
    segment = ref.pack(np.arange(500) < 20)
    whole = ref.sdr_match_histogram(segment, 500, 50, 1000, 5)
    monkeypatch.setattr(ref, "_CHUNK_BYTES", 8 * 8 * 37)  # chunks of 37 trials
    assert np.array_equal(ref.sdr_match_histogram(segment, 500, 50, 1000, 5), whole)


def test_different_seeds_give_different_histograms():
    a = sdr_kernel("sdr_noise_histogram", "numba")(100, 20, 50, 2000, 1)
    b = sdr_kernel("sdr_noise_histogram", "numba")(100, 20, 50, 2000, 2)
    assert not np.array_equal(a, b)


def test_noise_histogram_numba_long_blocks_equal_numpy(monkeypatch):
    # few blocks of many trials: the numba kernel's per-block set stamps wrap around (every 255 groups of trials)
    from engramsim.sim.kernels import sdr_numba

    monkeypatch.setattr(sdr_numba, "_MAX_BLOCKS", 2)
    want = sdr_kernel("sdr_noise_histogram", "numpy")(40, 10, 17, 3001, 3)
    got = sdr_kernel("sdr_noise_histogram", "numba")(40, 10, 17, 3001, 3)
    assert np.array_equal(want, got)
