"""Tests of helpers.losses.nt_xent (notebook 08)."""

import numpy as np
import pytest
from keras import ops

from helpers.losses import nt_xent_logits, nt_xent_loss


def reference_nt_xent(z_a, z_b, temperature):
    """Loop-by-loop NumPy NT-Xent as written in Chen et al. (2020)."""
    z = np.concatenate([z_a, z_b]).astype("float64")
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z_a)
    total = 0.0
    for i in range(2 * n):
        positive = i + n if i < n else i - n
        similarities = z @ z[i] / temperature
        denominator = sum(np.exp(similarities[k]) for k in range(2 * n) if k != i)
        total += -np.log(np.exp(similarities[positive]) / denominator)
    return total / (2 * n)


def loss(z_a, z_b, temperature=0.5):
    return float(ops.convert_to_numpy(nt_xent_loss(z_a.astype("float32"), z_b.astype("float32"), temperature)))


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("n, dim", [(2, 3), (8, 16), (5, 2)])
def test_matches_numpy_reference(n, dim, temperature):
    generator = np.random.default_rng(n * dim)
    z_a, z_b = generator.normal(size=(n, dim)), generator.normal(size=(n, dim))
    assert loss(z_a, z_b, temperature) == pytest.approx(reference_nt_xent(z_a, z_b, temperature), rel=1e-4)


def test_symmetric_in_the_two_views():
    generator = np.random.default_rng(1)
    z_a, z_b = generator.normal(size=(6, 4)), generator.normal(size=(6, 4))
    assert loss(z_a, z_b) == pytest.approx(loss(z_b, z_a), rel=1e-6)


def test_invariant_to_row_scaling():
    generator = np.random.default_rng(2)
    z_a, z_b = generator.normal(size=(6, 4)), generator.normal(size=(6, 4))
    scales = generator.uniform(0.1, 10.0, size=(6, 1))
    assert loss(z_a * scales, z_b) == pytest.approx(loss(z_a, z_b), rel=1e-5)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0])
def test_closed_form_for_orthonormal_identical_views(temperature):
    n = 4
    z = np.eye(n)
    expected = np.log(1 + (2 * n - 2) * np.exp(-1 / temperature))
    assert loss(z, z, temperature) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_temperature_effect():
    n = 4
    z = np.eye(n)
    # Perfect, well separated views: a lower temperature gives a sharper, smaller loss.
    assert loss(z, z, 0.1) < loss(z, z, 0.5) < loss(z, z, 2.0)
    # A very high temperature flattens every similarity: the loss tends to log(2n - 1).
    generator = np.random.default_rng(3)
    z_a, z_b = generator.normal(size=(n, 5)), generator.normal(size=(n, 5))
    assert loss(z_a, z_b, 1e4) == pytest.approx(np.log(2 * n - 1), rel=1e-3)


def test_good_pairs_beat_shuffled_pairs():
    generator = np.random.default_rng(4)
    z_a = generator.normal(size=(16, 8))
    z_b = z_a + 0.05 * generator.normal(size=(16, 8))
    assert loss(z_a, z_b) < loss(z_a, z_b[::-1]) - 1.0


def test_logits_mask_the_diagonal_and_point_to_the_other_view():
    z = np.eye(3, dtype="float32")
    logits, positives = nt_xent_logits(z, z, temperature=0.5)
    logits, positives = ops.convert_to_numpy(logits), ops.convert_to_numpy(positives)
    assert logits.shape == (6, 6)
    assert np.all(np.diag(logits) < -1e8)
    np.testing.assert_array_equal(positives, [3, 4, 5, 0, 1, 2])
    assert logits[0, 3] == pytest.approx(2.0)


@pytest.mark.parametrize("temperature", [0.0, -0.5])
def test_rejects_non_positive_temperature(temperature):
    z = np.eye(3, dtype="float32")
    with pytest.raises(ValueError, match="temperature"):
        nt_xent_loss(z, z, temperature)


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        nt_xent_loss(np.ones((3, 4), "float32"), np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="2-D"):
        nt_xent_loss(np.ones((3,), "float32"), np.ones((3,), "float32"))
