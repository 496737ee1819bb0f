"""Readouts of stored codes for classification: nearest stored code, class-mean overlap, class
nodes, 1-NN on pixels, and within/between-class code overlaps."""

from __future__ import annotations

import numpy as np


__all__ = ["class_mean_label", "class_node_label", "class_overlaps", "code_overlap_matrix", "nearest_label",
           "nearest_pixels"]


def one_hot_codes(codes: np.ndarray, cells_per_module: int):
    """Codes (A, Q) as a sparse (A, Q * K) matrix of active cells (a CM without a winner, -1, has none)."""
    from scipy import sparse

    codes = np.asarray(codes)
    rows, cms = np.nonzero(codes >= 0)
    cols = cms * cells_per_module + codes[rows, cms]
    return sparse.csr_matrix((np.ones(rows.size, dtype=np.float64), (rows, cols)),
                             shape=(codes.shape[0], codes.shape[1] * cells_per_module))


def code_overlap_matrix(a: np.ndarray, b: np.ndarray, cells_per_module: int) -> np.ndarray:
    """``code_overlap`` of every code of ``a`` (A, Q) with every code of ``b`` (B, Q): shape (A, B).

    The same numbers as ``code_overlap(a[:, None], b[None])`` (a CM without
    a winner, -1, matches nothing), computed as a product of sparse one-hot
    matrices instead of an (A, B, Q) comparison.
    """
    a, b = np.asarray(a), np.asarray(b)
    product = one_hot_codes(a, cells_per_module) @ one_hot_codes(b, cells_per_module).T
    return np.asarray(product.toarray()) / a.shape[1]


def nearest_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray,
                  cells_per_module: int) -> np.ndarray:
    """Label of the stored code each test code overlaps most (the first on ties)."""
    overlaps = code_overlap_matrix(test_codes, train_codes, cells_per_module)
    return train_labels[overlaps.argmax(axis=1)]


def class_mean_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray,
                     cells_per_module: int) -> np.ndarray:
    """The class whose stored codes overlap each test code most on average (the first on ties)."""
    classes = np.unique(train_labels)
    overlaps = code_overlap_matrix(test_codes, train_codes, cells_per_module)
    means = np.stack([overlaps[:, train_labels == c].mean(axis=1) for c in classes], axis=1)
    return classes[means.argmax(axis=1)]


def nearest_pixels(test: np.ndarray, train: np.ndarray, train_labels: np.ndarray) -> np.ndarray:
    """Label of the training image nearest each test image in Hamming distance (the first on ties)."""
    predictions = np.empty(test.shape[0], dtype=train_labels.dtype)
    for start in range(0, test.shape[0], 256):
        hamming = (test[start:start + 256, None, :] != train[None, :, :]).sum(axis=2)
        predictions[start:start + 256] = train_labels[hamming.argmin(axis=1)]
    return predictions


def class_overlaps(codes: np.ndarray, labels: np.ndarray, cells_per_module: int) -> tuple[float, float]:
    """Mean code overlap between distinct stored codes of the same class and of different classes."""
    overlaps = code_overlap_matrix(codes, codes, cells_per_module)
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(labels.size, dtype=bool)
    within = overlaps[same & off_diagonal]
    return (float(within.mean()) if within.size else np.nan), float(overlaps[~same].mean())


def class_node_label(test_codes: np.ndarray, train_codes: np.ndarray, train_labels: np.ndarray,
                     cells_per_module: int, binary: bool = False) -> np.ndarray:
    """Class-node readout: Hebbian weights from code cells to one node per class.

    Each training code increases, by one, the weight from each of its
    active cells to its class's node (``binary``: sets it to 1, single-trial
    and saturating, like Sparsey's own weights); a test code's class is the
    node with the largest summed input (the first on ties).  This is the
    supervised readout of Sparsey's Weizmann results ("increasing the weights
    from the last code active ... onto a field of class nodes").

    Parameters
    ----------
    test_codes, train_codes : int arrays (B, Q) and (P, Q)
        Winners per CM (-1: none).
    train_labels : array (P,)
    cells_per_module : int
        K.
    binary : bool
        Set-once binary weights instead of counts.

    Returns
    -------
    ndarray (B,)
        Predicted labels.
    """
    classes, index = np.unique(train_labels, return_inverse=True)
    train = one_hot_codes(train_codes, cells_per_module)
    labels = np.zeros((index.size, classes.size))
    labels[np.arange(index.size), index] = 1.0
    weights = np.asarray((train.T @ labels))
    if binary:
        weights = (weights > 0).astype(np.float64)
    drive = np.asarray(one_hot_codes(test_codes, cells_per_module) @ weights)
    return classes[drive.argmax(axis=1)]
