"""Triplet losses against a NumPy loop over every triplet (notebook 06)."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from helpers.losses import triplet

MARGIN = 0.2


# --------------------------------------------------------------------------- NumPy references


def distance(x, y, squared):
    d = float(np.sum((np.asarray(x, "float64") - np.asarray(y, "float64")) ** 2))
    return d if squared else float(np.sqrt(d))


def reference_triplets(labels):
    n = len(labels)
    for a, p, q in itertools.product(range(n), repeat=3):
        if a != p and labels[a] == labels[p] and labels[q] != labels[a]:
            yield a, p, q


def reference_batch_all(labels, x, margin, squared):
    losses = [
        max(distance(x[a], x[p], squared) - distance(x[a], x[n], squared) + margin, 0.0)
        for a, p, n in reference_triplets(labels)
    ]
    active = [v for v in losses if v > 1e-16]
    return float(np.mean(active)) if active else 0.0


def reference_fraction(labels, x, margin, squared):
    losses = [
        distance(x[a], x[p], squared) - distance(x[a], x[n], squared) + margin
        for a, p, n in reference_triplets(labels)
    ]
    return float(np.mean(np.array(losses) > 0)) if losses else 0.0


def reference_batch_hard(labels, x, margin, squared):
    values = []
    for a in range(len(labels)):
        positives = [distance(x[a], x[p], squared) for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        negatives = [distance(x[a], x[n], squared) for n in range(len(labels)) if labels[n] != labels[a]]
        if positives and negatives:
            values.append(max(max(positives) - min(negatives) + margin, 0.0))
    return float(np.mean(values)) if values else 0.0


def reference_semi_hard(labels, x, margin, squared):
    values = []
    n_items = len(labels)
    for a, p in itertools.product(range(n_items), repeat=2):
        if a == p or labels[a] != labels[p]:
            continue
        negatives = [distance(x[a], x[n], squared) for n in range(n_items) if labels[n] != labels[a]]
        if not negatives:
            continue
        d_ap = distance(x[a], x[p], squared)
        farther = [d for d in negatives if d > d_ap]
        d_an = min(farther) if farther else max(negatives)
        values.append(max(d_ap - d_an + margin, 0.0))
    return float(np.mean(values)) if values else 0.0


BATCH_LOSSES = [
    (triplet.batch_all_triplet_loss, reference_batch_all),
    (triplet.batch_hard_triplet_loss, reference_batch_hard),
    (triplet.batch_semi_hard_triplet_loss, reference_semi_hard),
    (triplet.active_triplet_fraction, reference_fraction),
]
IDS = ["batch_all", "batch_hard", "semi_hard", "active_fraction"]


def random_batch(seed, n=12, dim=4, num_classes=3, normalize=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    if normalize:
        x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = rng.integers(0, num_classes, size=n)
    return labels, x


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_distances_match_numpy(squared):
    _, x = random_batch(0, n=7, dim=5)
    expected = np.array([[distance(a, b, squared) for b in x] for a in x])
    got = np.asarray(triplet.pairwise_distances(x, squared=squared))
    np.testing.assert_allclose(got, expected, atol=1e-4)
    assert np.all(np.diag(got) == 0)


@pytest.mark.parametrize("squared", [False, True])
def test_triplet_loss_matches_formula(squared):
    rng = np.random.default_rng(1)
    a, p, n = (rng.normal(size=(6, 3)).astype("float32") for _ in range(3))
    expected = np.mean([max(distance(a[i], p[i], squared) - distance(a[i], n[i], squared) + MARGIN, 0.0) for i in range(6)])
    np.testing.assert_allclose(float(triplet.triplet_loss(a, p, n, margin=MARGIN, squared=squared)), expected, rtol=1e-5)
    if squared:  # the default is the lecture's squared form
        np.testing.assert_allclose(float(triplet.triplet_loss(a, p, n, margin=MARGIN)), expected, rtol=1e-5)


def test_triplet_loss_is_zero_for_easy_triplets_and_margin_for_collapse():
    a = np.zeros((2, 3), "float32")
    far = np.full((2, 3), 5.0, "float32")
    assert float(triplet.triplet_loss(a, a, far)) == 0.0
    np.testing.assert_allclose(float(triplet.triplet_loss(a, a, a, margin=0.3)), 0.3, rtol=1e-6)
    np.testing.assert_allclose(float(triplet.triplet_loss(a, a, a, margin=0.3, squared=False)), 0.3, rtol=1e-6)
    anchor = tf.Variable(np.ones((2, 3), "float32"))
    with tf.GradientTape() as tape:  # coinciding embeddings: the unsquared root stays differentiable
        value = triplet.triplet_loss(anchor, anchor, anchor, margin=0.3, squared=False)
    assert np.all(np.isfinite(tape.gradient(value, anchor).numpy()))


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("loss, reference", BATCH_LOSSES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_losses_match_numpy_loop(loss, reference, squared, seed):
    labels, x = random_batch(seed, normalize=seed == 2)
    for margin in (MARGIN, 1.0):
        expected = reference(labels, x, margin, squared)
        got = float(loss(labels, x, margin=margin, squared=squared))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("loss, reference", BATCH_LOSSES, ids=IDS)
def test_class_with_one_item(loss, reference, squared):
    labels = np.array([0, 0, 0, 1, 1, 2])  # class 2 has one item: never an anchor with a positive
    _, x = random_batch(5, n=6)
    expected = reference(labels, x, MARGIN, squared)
    np.testing.assert_allclose(float(loss(labels, x, margin=MARGIN, squared=squared)), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("loss, reference", BATCH_LOSSES, ids=IDS)
def test_one_class_only_gives_zero_and_finite_gradients(loss, reference, squared):
    labels = np.zeros(5, dtype="int64")
    _, x = random_batch(3, n=5)
    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = loss(labels, variable, squared=squared)
    gradient = tape.gradient(value, variable)
    assert float(value) == 0.0 and reference(labels, x, MARGIN, squared) == 0.0
    assert gradient is None or np.all(np.isfinite(gradient.numpy()))


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("loss", [b[0] for b in BATCH_LOSSES[:3]], ids=IDS[:3])
def test_gradients_finite_at_zero_distance(loss, squared):
    """Identical embeddings (a collapsed batch) give the margin and finite gradients, not NaN."""
    labels = np.array([0, 0, 1, 1, 2, 2])
    x = np.tile(np.array([[0.6, 0.8, 0.0]], "float32"), (6, 1))
    variable = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = loss(labels, variable, margin=MARGIN, squared=squared)
    gradient = tape.gradient(value, variable).numpy()
    np.testing.assert_allclose(float(value), MARGIN, rtol=1e-5)
    assert np.all(np.isfinite(gradient))


def test_pairwise_distance_gradient_finite_on_diagonal():
    variable = tf.Variable(random_batch(4, n=4)[1])
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(triplet.pairwise_distances(variable))
    assert np.all(np.isfinite(tape.gradient(value, variable).numpy()))


def test_bad_inputs_raise():
    labels, x = random_batch(0)
    with pytest.raises(ValueError, match="margin"):
        triplet.batch_all_triplet_loss(labels, x, margin=-1.0)
    with pytest.raises(ValueError, match="labels"):
        triplet.batch_hard_triplet_loss(labels[:-1], x)
    with pytest.raises(ValueError, match="batch, dim"):
        triplet.batch_semi_hard_triplet_loss(labels, x[None])
    with pytest.raises(ValueError, match="one shape"):
        triplet.triplet_loss(x, x, x[:-1])


def test_public_names_are_exported():
    import helpers.losses

    for name in triplet.__all__:
        assert getattr(helpers.losses, name) is getattr(triplet, name)


# --------------------------------------------------------------------------- soft margin


def reference_batch_hard_soft(labels, x, squared):
    values = []
    for a in range(len(labels)):
        positives = [distance(x[a], x[p], squared) for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        negatives = [distance(x[a], x[n], squared) for n in range(len(labels)) if labels[n] != labels[a]]
        if positives and negatives:
            values.append(float(np.log1p(np.exp(max(positives) - min(negatives)))))
    return float(np.mean(values)) if values else 0.0


@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_hard_soft_margin_matches_numpy_loop(squared, seed):
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 3, 9)
    x = generator.normal(size=(9, 4)).astype("float32")
    value = float(triplet.batch_hard_triplet_loss(labels, x, margin=0.7, squared=squared, soft_margin=True))
    assert value == pytest.approx(reference_batch_hard_soft(labels, x, squared), rel=1e-5, abs=1e-6)


def test_batch_hard_soft_margin_at_collapse_is_log_two_with_finite_gradients():
    labels = np.array([0, 0, 1, 1])
    points = tf.Variable(np.ones((4, 3), "float32"))
    with tf.GradientTape() as tape:
        loss = triplet.batch_hard_triplet_loss(labels, points, soft_margin=True)
    assert float(loss) == pytest.approx(np.log(2.0), rel=1e-5)
    assert np.all(np.isfinite(tape.gradient(loss, points).numpy()))
