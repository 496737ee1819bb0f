"""Plasticity: functions of arrays that return or update weights, and nothing else."""

from engramsim.learning_rules.hebb import hebb, hebb_counts
from engramsim.learning_rules.pseudo_inverse import pseudo_inverse
from engramsim.learning_rules.storkey import storkey

__all__ = ["hebb", "hebb_counts", "pseudo_inverse", "storkey"]
