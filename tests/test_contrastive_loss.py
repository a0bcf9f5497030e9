"""Tests of helpers.losses.contrastive (notebook 05): euclidean_distance and contrastive_loss."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from keras import ops

from helpers.losses import contrastive_loss, euclidean_distance


def reference_loss(y: np.ndarray, d: np.ndarray, margin: float) -> float:
    """NumPy reference; y = 1 means a similar pair."""
    return float(np.mean(y * d**2 + (1 - y) * np.maximum(margin - d, 0.0) ** 2))


def lecture_loss(y: np.ndarray, d: np.ndarray, margin: float) -> float:
    """The lecture's code snippet read with d a distance (Hadsell et al. 2006's convention): y = 1 means dissimilar."""
    return float(np.mean((1 - y) * d**2 + y * np.maximum(margin - d, 0.0) ** 2))


def loss(y, d, margin=1.0) -> float:
    return float(ops.convert_to_numpy(contrastive_loss(np.asarray(y, "float32"), np.asarray(d, "float32"), margin)))


def matches_reference(loss_function) -> bool:
    """The checks that pin the convention: would ``loss_function`` pass them?"""
    generator = np.random.default_rng(0)
    d = generator.uniform(0, 2, 64)
    similar, dissimilar = np.ones(64), np.zeros(64)
    return bool(
        np.isclose(loss_function(similar, d, 1.0), np.mean(d**2), rtol=1e-5)
        and np.isclose(loss_function(dissimilar, d, 1.0), np.mean(np.maximum(1 - d, 0) ** 2), rtol=1e-5)
    )


def test_euclidean_distance_matches_numpy():
    generator = np.random.default_rng(0)
    a = generator.normal(size=(16, 5)).astype("float32")
    b = generator.normal(size=(16, 5)).astype("float32")
    distance = ops.convert_to_numpy(euclidean_distance(a, b))
    assert distance.shape == (16,)
    np.testing.assert_allclose(distance, np.linalg.norm(a - b, axis=1), rtol=1e-5)


def test_euclidean_distance_is_clamped_at_zero():
    a = np.ones((3, 4), "float32")
    distance = ops.convert_to_numpy(euclidean_distance(a, a))
    assert np.all(distance > 0) and np.all(distance < 1e-3)


def test_euclidean_distance_errors():
    with pytest.raises(ValueError, match="different sizes"):
        euclidean_distance(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="batch, dim"):
        euclidean_distance(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="epsilon"):
        euclidean_distance(np.ones((2, 3)), np.ones((2, 3)), epsilon=0.0)


def test_similar_side_is_squared_distance():
    d = np.array([0.0, 0.5, 1.0, 3.0])
    assert loss(np.ones(4), d) == pytest.approx(np.mean(d**2))
    assert loss(np.ones(4), d) == pytest.approx(reference_loss(np.ones(4), d, 1.0))


def test_dissimilar_side_is_squared_hinge():
    d = np.array([0.0, 0.5, 1.0, 3.0])
    expected = np.mean(np.maximum(2.0 - d, 0) ** 2)
    assert loss(np.zeros(4), d, margin=2.0) == pytest.approx(expected)


def test_mixed_batch_matches_reference():
    generator = np.random.default_rng(1)
    for margin in (0.5, 1.0, 2.0):
        y = generator.integers(0, 2, 50).astype("float32")
        d = generator.uniform(0, 3, 50).astype("float32")
        assert loss(y, d, margin) == pytest.approx(reference_loss(y, d, margin), rel=1e-5)


def test_column_labels_are_accepted():
    y = np.array([[1.0], [0.0]])
    d = np.array([0.5, 0.5])
    assert loss(y, d) == pytest.approx((0.25 + 0.25) / 2)


def test_margin_boundary():
    margin = 1.5
    # dissimilar pairs at or beyond the margin cost nothing, just inside they cost a little
    assert loss([0.0, 0.0], [margin, margin + 1.0], margin) == 0.0
    assert loss([0.0], [margin - 0.1], margin) == pytest.approx(0.01, rel=1e-4)
    # the margin does not touch similar pairs
    assert loss([1.0], [margin + 1.0], margin) == pytest.approx((margin + 1.0) ** 2)


def test_swapped_label_convention_would_fail():
    assert matches_reference(loss)
    assert not matches_reference(lecture_loss)
    # the conventions differ only in the label meaning: y -> 1 - y
    generator = np.random.default_rng(2)
    y = generator.integers(0, 2, 30).astype("float32")
    d = generator.uniform(0, 2, 30).astype("float32")
    assert loss(y, d) == pytest.approx(lecture_loss(1 - y, d, 1.0), rel=1e-5)
    # an identical pair labelled similar costs nothing; labelled dissimilar it costs margin**2
    assert loss([1.0], [0.0]) == 0.0
    assert loss([0.0], [0.0], margin=2.0) == pytest.approx(4.0)


def test_invalid_margin():
    with pytest.raises(ValueError, match="margin"):
        contrastive_loss(np.ones(2), np.ones(2), margin=0.0)


def test_gradients_are_finite_at_zero_distance():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("the gradient check uses tf.GradientTape")
    import tensorflow as tf

    a = tf.Variable(np.ones((4, 3), "float32"))
    b = tf.constant(np.ones((4, 3), "float32"))  # identical rows: d = 0
    y = tf.constant([1.0, 0.0, 1.0, 0.0])
    with tf.GradientTape() as tape:
        distance = euclidean_distance(a, b)
        value = contrastive_loss(y, distance, margin=1.0)
    gradient = tape.gradient(value, a)
    assert np.all(np.isfinite(gradient.numpy()))
    # without the clamp the square root's gradient at 0 is NaN
    with tf.GradientTape() as tape:
        naive = tf.sqrt(tf.reduce_sum(tf.square(a - b), axis=1))
        value = contrastive_loss(y, naive, margin=1.0)
    assert not np.all(np.isfinite(tape.gradient(value, a).numpy()))
    # with respect to the distance itself, d = 0 is harmless on both sides
    d = tf.Variable(np.zeros(4, "float32"))
    with tf.GradientTape() as tape:
        value = contrastive_loss(y, d, margin=1.0)
    gradient = tape.gradient(value, d).numpy()
    np.testing.assert_allclose(gradient, [0.0, -0.5, 0.0, -0.5])  # d/dd of mean: -2 (m - d) / 4


def test_unsquared_form_is_the_slide_formula():
    generator = np.random.default_rng(3)
    y = generator.integers(0, 2, 40).astype("float32")
    d = generator.uniform(0, 2, 40).astype("float32")
    expected = np.mean(y * d + (1 - y) * np.maximum(0.7 - d, 0.0))
    value = float(ops.convert_to_numpy(contrastive_loss(y, d, margin=0.7, squared=False)))
    assert value == pytest.approx(expected, rel=1e-5)
    # a similar pair costs its distance, a dissimilar pair inside the margin its shortfall
    assert float(contrastive_loss(np.ones(1), np.array([0.3]), squared=False)) == pytest.approx(0.3)
    assert float(contrastive_loss(np.zeros(1), np.array([0.3]), squared=False)) == pytest.approx(0.7)
