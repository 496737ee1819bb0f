"""The memory protocol is true: every model that claims it follows it, and those that do not, do not claim it."""

import numpy as np
import pytest

from engramsim.networks import (
    AssociativeMemory,
    DendriticNeuron,
    DenseAssociativeMemory,
    HasEnergy,
    Hopfield,
    Memory,
    ModernHopfield,
    MultitaskHopfield,
    OuterProductMemory,
    RecallResult,
)

N = 32
PATTERNS = np.sign(np.random.default_rng(0).standard_normal((3, N))).astype(np.int8)


@pytest.mark.parametrize("model", [Hopfield(N, seed=0), MultitaskHopfield(N, seed=0),
                                   DenseAssociativeMemory(N, degree=3, seed=0), ModernHopfield(N, beta=4.0, seed=0)])
def test_classical_and_dense_memories_follow_the_protocol_and_have_an_energy(model):
    assert isinstance(model, Memory) and isinstance(model, HasEnergy)
    assert model.store(PATTERNS) is model
    result = model.recall(PATTERNS)
    assert isinstance(result, RecallResult) and result.states.shape == (3, N)
    assert model.energy(result.states).shape == (3,)
    assert model.n_neurons == N


def test_models_with_other_verbs_do_not_claim_the_base_class():
    assert not issubclass(DendriticNeuron, AssociativeMemory)
    assert not issubclass(OuterProductMemory, AssociativeMemory)
