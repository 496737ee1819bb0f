"""Meaning and unit of the parameters of experiments whose modules do not declare them.

Each entry is ``experiment name -> {parameter: (meaning, unit)}``; unit
``"1"`` is a pure number (a count, a fraction, a ratio), ``""`` a name or a
switch.  An experiment's own ``parameters`` field takes precedence
(:func:`engramsim.experiments.describe.parameter_docs` merges the two).
"""

from __future__ import annotations

_BACKEND = ("compute backend: numpy, numba, cupy or auto", "")

_CA3_STRESS = {
    "n_cues": ("number of cues c (cue neurons, one memory per cue)", "1"),
    "n_content": ("number of content bits m", "1"),
    "n_operations": ("operations in the random sequence", "1"),
    "density": ("probability that a content bit is on in a learned memory (at least one is)", "1"),
    "fragment": ("content bits given to a recall by content (all of them if the memory has fewer)", "1"),
    "p_learn": ("probability that an operation learns (a new cue or an overwrite)", "1"),
    "p_recall_by_cue": ("probability that an operation recalls by cue (the rest recall by content)", "1"),
    "gap": ("extra time between operations beyond the documented spacing", "ms"),
    "raster_ms": ("length of the raster kept in the dataset, from the start", "ms"),
    "backend": _BACKEND,
}

_RESERVOIR = {
    "n_trials": ("training trials (per block for reservoir-switch)", "1"),
    "n_neurons": ("cells of the spiking reservoir", "1"),
    "dt": ("integration time step", "ms"),
    "latency_a": ("time of event A after the cue", "ms"),
    "latency_b": ("time of event B after the cue", "ms"),
    "trial_length": ("length of a trial after the cue", "ms"),
    "learning_rate_when": ("normalised rate of the three-factor 'when' readout rule", "1"),
    "learning_rate_what": ("normalised rate of the two-factor 'what' readout rule", "1"),
    "feedback_gain": ("gain Q of the 'when' readouts fed back into the reservoir (0: open loop)", "1"),
    "backend": _BACKEND,
}

_SCALING_SCHEMES = {
    "scheme": ("memory scheme: uniform (q = 1), frequency (q = p) or threshold (q = 1 on the top d/8 tokens)", ""),
    "d": ("embedding dimension d", "1"),
    "T": ("number of training samples T (None: infinite data)", "1"),
    "n_tokens": ("number of input tokens N", "1"),
    "n_classes": ("number of output classes M (label x mod M)", "1"),
    "alpha": ("Zipf exponent of the token law p(x) ~ x^-alpha", "1"),
    "threshold_ratio": ("cut-off of the threshold scheme, P = floor(threshold_ratio * d) tokens", "1"),
    "embeddings": ("nested (the embeddings of a smaller d are a prefix) or independent (drawn afresh per d)", ""),
}

_SPARSEY_MAC = {
    "n_modules": ("competitive modules Q per mac", "1"),
    "cells_per_module": ("cells K per competitive module", "1"),
    "n_inputs": ("binary input units", "1"),
    "n_active": ("active input units per item", "1"),
    "csa": ("code-selection preset: sparseycore, sparseypy or sparsey-csa", ""),
    "backend": _BACKEND,
}

PARAMETER_DOCS: dict[str, dict[str, tuple[str, str]]] = {
    "ca3-functional": {"backend": _BACKEND},
    "ca3-state-map": {"backend": _BACKEND},
    "ca3-stress": _CA3_STRESS,
    "force-sine": {
        "n_neurons": ("Izhikevich cells of the FORCE network", "1"),
        "dt": ("integration time step", "ms"),
        "duration": ("simulated time", "ms"),
        "rls_start": ("time at which RLS training starts", "ms"),
        "rls_stop": ("time at which RLS training stops", "ms"),
        "rls_every": ("time steps between RLS updates", "1"),
        "record_every": ("sampling interval of the recorded traces", "ms"),
        "backend": _BACKEND,
    },
    "reservoir-what-when": {
        "p_a": ("probability of event A in a trial (B otherwise)", "1"),
        **_RESERVOIR,
    },
    "reservoir-switch": {
        "switches": ("comma-separated block switches: timing, probability, both", ""),
        "p_a": ("probability of event A in the first block", "1"),
        "rls_every": ("time between RLS updates of the FORCE readouts", "ms"),
        **_RESERVOIR,
    },
    "scaling-dimension": _SCALING_SCHEMES,
    "scaling-samples": _SCALING_SCHEMES,
    "scaling-optimizers": {
        "optimizer": ("optimizer of the cross-entropy training: sgd or adam (betas 0, 0)", ""),
        "learning_rate": ("learning rate (scaled by 1/d for adam)", "1"),
        "batch_size": ("samples per mini-batch", "1"),
        "d": ("embedding dimension d", "1"),
        "T": ("number of training samples T (one pass)", "1"),
        "n_tokens": ("number of input tokens N", "1"),
        "n_classes": ("number of output classes M (label x mod M)", "1"),
        "alpha": ("Zipf exponent of the token law p(x) ~ x^-alpha", "1"),
        "learnable": ("learn the embeddings and class vectors too, not only W", ""),
        "layernorm": ("normalise e_x^T W row-wise before the class readout", ""),
        "embeddings": ("nested (a smaller d is a prefix) or independent (drawn afresh per d)", ""),
        "class_vectors": ("law of the class vectors: unit vectors or gaussian N(0, I/d)", ""),
    },
    "scaling-figure": {
        "fig": ("which figure of the paper: lr, bs, adam, ln or embeddings", ""),
        "d": ("embedding dimension d", "1"),
        "n_tokens": ("number of input tokens N", "1"),
        "n_classes": ("number of output classes M (label x mod M)", "1"),
        "alpha": ("Zipf exponent of the token law p(x) ~ x^-alpha", "1"),
        "embeddings": ("nested (a smaller d is a prefix) or independent (drawn afresh per d)", ""),
        "class_vectors": ("law of the class vectors: unit vectors or gaussian N(0, I/d)", ""),
    },
    "sparsey-capacity": {
        **_SPARSEY_MAC,
        "n_items": ("random sparse items stored in the mac", "1"),
        "saturation_threshold": ("fraction of an input's weights set at which they freeze (1: never)", "1"),
    },
    "sparsey-similarity": {
        **_SPARSEY_MAC,
        "n_stored": ("random items stored before the variants are presented", "1"),
        "input_overlap": ("fraction of the first item's active inputs a variant keeps", "1"),
        "n_variants": ("variants of the first item presented", "1"),
    },
    "sparsey-digits": {
        "per_class": ("training images per digit class", "1"),
        "split": ("evaluate on the held-out test half or on a validation split of the development half", ""),
        "threshold": ("binarisation threshold on the 0..16 grey levels (on at >= threshold)", "1"),
        "image_size": ("side of the upsampled square image", "pixel"),
        "thin": ("use thinned (skeleton) images", ""),
        "complement": ("complement coding: two channels x and 1 - x per pixel", ""),
        "l1_grid": ("level-1 macs per side of its square grid", "1"),
        "l1_field": ("side of a level-1 mac's square receptive field", "pixel"),
        "l1_modules": ("competitive modules Q of a level-1 mac", "1"),
        "l1_cells": ("cells K per module at level 1", "1"),
        "l2_grid": ("level-2 macs per side of its square grid", "1"),
        "l2_field": ("side of a level-2 mac's square field of level-1 macs", "mac"),
        "l2_modules": ("competitive modules Q of a level-2 mac", "1"),
        "l2_cells": ("cells K per module at level 2", "1"),
        "l1_min_on": ("on-pixels a level-1 field needs for its mac to be active (0: no band)", "1"),
        "l2_min_active": ("active level-1 macs a level-2 field needs (0: no band)", "1"),
        "mch": ("discount the codes of ambiguous level-1 macs read by level 2", ""),
        "schedule": ("staged (level by level, each frozen after) or joint (all levels on every frame)", ""),
        "permanence": ("decaying weights with promotion to permanent (SparseyCore's table) instead of set-once",
                       ""),
        "tie_break": ("recognition ties broken by a hash of the input (input) or at random (random)", ""),
        "u_exponent": ("exponent of the bottom-up match U in V = U^u", "1"),
        "nonlinearity": ("slope of the V -> mu sigmoid of the sparseycore preset (None: the preset's)", "1"),
        "l2_g_floor": ("familiarity floor of the level-2 expansivity eta(G) (None: the preset's)", "1"),
        "l1_saturation": ("fraction of an input's level-1 weights set at which they freeze", "1"),
        "l2_saturation": ("fraction of an input's level-2 weights set at which they freeze (1: never)", "1"),
        "frozen_argmax": ("fraction of frozen active inputs from which learning takes the argmax code "
                          "(None: never)", "1"),
        "csa": ("code-selection preset: sparseycore, sparseypy or sparsey-csa", ""),
        "backend": _BACKEND,
    },
    "hlop-permuted-digits": {
        "method": ("continual-learning method: baseline, hlop, svd or multitask", ""),
        "network": ("rate (ReLU MLP) or spiking (LIF MLP trained through time)", ""),
        "n_tasks": ("tasks, each a fixed random pixel permutation", "1"),
        "hidden": ("hidden units per layer", "1"),
        "epochs": ("training epochs per task", "1"),
        "lr": ("SGD learning rate of the network", "1"),
        "batch_size": ("images per mini-batch", "1"),
        "timesteps": ("time steps per image of the spiking network", "1"),
        "lateral_sizes": ("lateral (HLOP) neurons per layer at the first task, a/b/c", "1"),
        "lateral_increments": ("lateral neurons added per layer at each later task, a/b/c", "1"),
        "lateral_lr_scale": ("lateral learning rate lateral_lr_scale / mean |x|^2", "1"),
        "svd_energy": ("fraction of each task's input energy the svd basis holds", "1"),
        "orthogonal_init": ("start new lateral neurons in the orthogonal complement of the old subspace "
                            "(false: as the reference code)", ""),
        "threads": ("torch threads per point", "1"),
    },
    "hlop-subspace": {
        "lr_rule": ("lateral learning rate normalised by the input energy, or fixed", ""),
        "input_scale": ("factor applied to the inputs", "1"),
        "k": ("lateral neurons (dimension of the learned subspace)", "1"),
        "epochs": ("passes over the first task's images", "1"),
        "batch_size": ("images per update", "1"),
        "lr_scale": ("normalised rule: learning rate lr_scale / mean |x|^2", "1"),
        "fixed_lr": ("fixed rule: learning rate", "1"),
        "threads": ("torch threads per point", "1"),
    },
}
