"""Registered Sparsey experiments: similarity preservation, capacity, and digits.

``sparsey-similarity``
    One mac stores ``n_stored`` random sparse inputs.  For each level of
    input overlap ``s`` the experiment makes ``n_variants`` inputs sharing
    a fraction ``s`` of their active units with the first stored input (the
    rest moved to units outside it) and measures the overlap of their codes
    with its code: the code learning would choose (the CSA's sampling,
    :meth:`~engramsim.networks.SparseyMac.propose`) and the recognised code
    (argmax V).  The expected learning overlap for one stored item is drawn
    beside it (:func:`~engramsim.experiments.theory.sparsey_single_item_overlap`).
``sparsey-capacity``
    One mac of Q CMs of K cells learns ``n_items`` random sparse inputs, then
    recognises each: the fraction identified (its recognised code overlaps
    its own stored code more than any other), the fraction whose code is
    reactivated exactly, and the mean overlap with its own code; beside the
    load at which a typical input's weights freeze if codes were random
    (:func:`~engramsim.experiments.theory.sparsey_freeze_load`).
``sparsey-digits``
    scikit-learn's bundled 8x8 digits, upsampled to 16x16, binarised and
    complement coded (each pixel an on and an off unit).  A two-level
    :class:`~engramsim.networks.Sparsey` (7x7 level-1 macs on overlapping
    4x4 patches, one mac on top) learns ``per_class`` images per class from
    a fixed development half of the data, one trial each; the held-out half
    is classified by the label of the stored top-level code it overlaps
    most, by the class of largest mean top-level overlap, and by the
    nearest stored level-1 codes.  Reports accuracy and training time, with
    1-nearest-neighbour on the binarised 16x16 pixels, on thinned 16x16
    skeletons and on the binarised 8x8 pixels as baselines.  The settings
    were chosen on the development half (``split="validation"``).

The package holds one module per experiment (:mod:`.similarity`, :mod:`.capacity`,
:mod:`.digits`), the inputs they share (:mod:`.inputs`), the digits data
(:mod:`.digits_data`), the code readouts (:mod:`.classifiers`), the level-2
criteria (:mod:`.criteria`) and the digits attributes and figure
(:mod:`.digits_report`); importing it registers the experiments.
"""

from __future__ import annotations

from engramsim.experiments.sparsey.capacity import (
    CAPACITY,
    CAPACITY_DEFAULTS,
    CAPACITY_METRICS,
    capacity_point,
    check_capacity,
    finalize_capacity,
    identification,
    plot_capacity,
)
from engramsim.experiments.sparsey.classifiers import (
    class_mean_label,
    class_node_label,
    class_overlaps,
    code_overlap_matrix,
    nearest_label,
    nearest_pixels,
)
from engramsim.experiments.sparsey.criteria import (
    MAX_OTHER_OVERLAP_TIMES_K,
    MIN_RATIO,
    MIN_SPEARMAN,
    MIN_Z,
    USEFULNESS_MARGIN,
    class_structure,
    similarity_preservation,
)
from engramsim.experiments.sparsey.digits import (
    DIGITS,
    DIGITS_DEFAULTS,
    DIGITS_METRICS,
    DIGITS_ONE_TOP_MAC,
    DIGITS_SPLITS,
    DIGITS_THINNED_PIPELINE,
    check_digits,
    digits_csa,
    digits_network,
    digits_point,
)
from engramsim.experiments.sparsey.digits_data import (
    DIGITS_HOLDOUT_SEED,
    DIGITS_MAX_PER_CLASS,
    DIGITS_THRESHOLD,
    binarised_digits,
    complement_code,
    digits_holdout,
    digits_split,
    preprocessed_digits,
    thin_images,
)
from engramsim.experiments.sparsey.digits_report import (
    CRITERIA_PANELS,
    finalize_digits,
    plot_digits,
)
from engramsim.experiments.sparsey.inputs import (
    overlapping_variants,
    random_sparse_inputs,
)
from engramsim.experiments.sparsey.similarity import (
    SIMILARITY,
    SIMILARITY_DEFAULTS,
    SIMILARITY_METRICS,
    check_similarity,
    finalize_similarity,
    is_monotonic,
    plot_similarity,
    similarity_point,
)

__all__ = [
    "CAPACITY",
    "CAPACITY_DEFAULTS",
    "CAPACITY_METRICS",
    "CRITERIA_PANELS",
    "DIGITS",
    "DIGITS_DEFAULTS",
    "DIGITS_HOLDOUT_SEED",
    "DIGITS_MAX_PER_CLASS",
    "DIGITS_METRICS",
    "DIGITS_ONE_TOP_MAC",
    "DIGITS_SPLITS",
    "DIGITS_THINNED_PIPELINE",
    "DIGITS_THRESHOLD",
    "MAX_OTHER_OVERLAP_TIMES_K",
    "MIN_RATIO",
    "MIN_SPEARMAN",
    "MIN_Z",
    "SIMILARITY",
    "SIMILARITY_DEFAULTS",
    "SIMILARITY_METRICS",
    "USEFULNESS_MARGIN",
    "binarised_digits",
    "capacity_point",
    "check_capacity",
    "check_digits",
    "check_similarity",
    "class_mean_label",
    "class_node_label",
    "class_overlaps",
    "class_structure",
    "code_overlap_matrix",
    "complement_code",
    "digits_csa",
    "digits_holdout",
    "digits_network",
    "digits_point",
    "digits_split",
    "finalize_capacity",
    "finalize_digits",
    "finalize_similarity",
    "identification",
    "is_monotonic",
    "nearest_label",
    "nearest_pixels",
    "overlapping_variants",
    "plot_capacity",
    "plot_digits",
    "plot_similarity",
    "preprocessed_digits",
    "random_sparse_inputs",
    "similarity_point",
    "similarity_preservation",
    "thin_images",
]
