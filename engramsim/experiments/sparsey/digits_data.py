"""The digits the ``sparsey-digits`` experiment reads: loading, upsampling, binarising, thinning,
complement coding, and the fixed development / held-out split."""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import numpy as np


__all__ = ["DIGITS_HOLDOUT_SEED", "DIGITS_MAX_PER_CLASS", "DIGITS_THRESHOLD", "binarised_digits", "complement_code", "digits_holdout", "digits_split", "preprocessed_digits", "thin_images"]


#: binarisation threshold on scikit-learn's 0..16 grey levels: a pixel is on at >= 8 (half scale)
DIGITS_THRESHOLD = 8
#: seed of the fixed development / held-out split of the 1797 digits (independent of the run seeds)
DIGITS_HOLDOUT_SEED = 20240917
#: largest number of training images per class the development half holds for every class (87 for 8s)
DIGITS_MAX_PER_CLASS = 80


def binarised_digits(threshold: int = DIGITS_THRESHOLD) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, a pixel on where its grey level is >= ``threshold``.

    Returns images (1797, 64) uint8 and labels (1797,).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images >= threshold).reshape(len(digits.images), -1).astype(np.uint8), digits.target


def thin_images(images: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of binary images (B, rows, cols): one-pixel-wide skeletons (uint8).

    T. Y. Zhang and C. Y. Suen, "A fast parallel algorithm for thinning
    digital patterns", Commun. ACM 27:236 (1984).  Both sub-iterations run
    on the whole batch at once until no pixel changes; pixels outside the
    image count as off.
    """
    img = np.pad(np.asarray(images, dtype=np.uint8), ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in (0, 1):
            # neighbours P2..P9, clockwise from north
            p2, p3, p4, p5 = img[:, :-2, 1:-1], img[:, :-2, 2:], img[:, 1:-1, 2:], img[:, 2:, 2:]
            p6, p7, p8, p9 = img[:, 2:, 1:-1], img[:, 2:, :-2], img[:, 1:-1, :-2], img[:, :-2, :-2]
            ring = (p2, p3, p4, p5, p6, p7, p8, p9, p2)
            n_on = sum(n.astype(np.int16) for n in ring[:8])
            transitions = sum(((a == 0) & (b == 1)).astype(np.int16) for a, b in pairwise(ring))
            if step == 0:
                side = ((p2 & p4 & p6) == 0) & ((p4 & p6 & p8) == 0)
            else:
                side = ((p2 & p4 & p8) == 0) & ((p2 & p6 & p8) == 0)
            remove = (img[:, 1:-1, 1:-1] == 1) & (n_on >= 2) & (n_on <= 6) & (transitions == 1) & side
            if remove.any():
                img = img.copy()
                img[:, 1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return img[:, 1:-1, 1:-1]


def preprocessed_digits(threshold: int = DIGITS_THRESHOLD, image_size: int = 16, thin: bool = True
                        ) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits upsampled, binarised and (optionally) thinned.

    Each image's grey levels are zoomed to ``image_size`` x ``image_size``
    (bilinear, :func:`scipy.ndimage.zoom`, order 1), a pixel is on where the
    interpolated level is >= ``threshold`` (of 16), and with ``thin`` the
    strokes are thinned to one-pixel skeletons (:func:`thin_images`), the
    sparse edge-like inputs Sparsey was published with.  Images left blank
    are kept (the caller drops them).

    Returns images (1797, image_size**2) uint8 and labels (1797,).
    """
    from scipy import ndimage
    from sklearn.datasets import load_digits

    digits = load_digits()
    scale = image_size / digits.images.shape[1]
    grey = ndimage.zoom(digits.images.astype(float), (1, scale, scale), order=1)
    binary = (grey >= threshold).astype(np.uint8)
    if thin:
        binary = thin_images(binary)
    return binary.reshape(len(binary), -1), digits.target


def digits_holdout(labels: np.ndarray) -> np.ndarray:
    """The fixed development half of the digits: per class, a random half (seed :data:`DIGITS_HOLDOUT_SEED`).

    Returns a boolean mask, True for the development images (training images
    and the validation images used while choosing settings); the other half
    is held out as the test set and was never looked at while choosing them.
    """
    rng = np.random.default_rng(DIGITS_HOLDOUT_SEED)
    dev = np.zeros(labels.size, dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        dev[rng.permutation(idx)[: idx.size // 2]] = True
    return dev


@lru_cache(maxsize=8)
def _cached_digits(threshold: int, image_size: int, thin: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`preprocessed_digits`, computed once per process (read-only arrays): thinning takes ~1 s."""
    images, labels = preprocessed_digits(threshold, image_size, thin)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digits_split(labels: np.ndarray, per_class: int, rng: np.random.Generator, pool: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``per_class`` training images per class (shuffled) and of every other image of ``pool``.

    ``pool`` (indices; default every image) is where both are drawn from.
    """
    pool = np.arange(labels.size) if pool is None else np.asarray(pool)
    order = rng.permutation(pool)
    train = np.concatenate([order[labels[order] == c][:per_class] for c in np.unique(labels)])
    return rng.permutation(train), np.setdiff1d(order, train)


def complement_code(images: np.ndarray) -> np.ndarray:
    """Each binary pixel as two units, (x, 1 - x), side by side: shape (B, 2 * n_pixels) uint8.

    Every image then has exactly one active unit per pixel, so a mac's
    U = (matching units) / (active units) is one minus the Hamming distance
    over its receptive field: an absent stroke counts against a match as
    much as an extra one.
    """
    images = np.asarray(images, dtype=np.uint8)
    return np.stack([images, 1 - images], axis=-1).reshape(images.shape[0], -1)
