"""Tests of helpers.pretext.pairs (notebook 05): make_pairs, choose_threshold, pair_accuracy, pair_roc, pair_auc."""

import numpy as np
import pytest

from helpers import pretext
from helpers.pretext import choose_threshold, make_pairs, pair_accuracy, pair_auc, pair_roc


def _labels(seed: int = 0, size: int = 500, num_classes: int = 10) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, num_classes, size=size)


def test_pairs_are_balanced_and_labelled_correctly():
    labels = _labels()
    index_a, index_b, is_similar = make_pairs(labels, 1000, seed=3)
    assert index_a.shape == index_b.shape == is_similar.shape == (1000,)
    assert index_a.dtype == np.int64 and index_b.dtype == np.int64
    assert is_similar.sum() == 500  # half similar
    assert set(np.unique(is_similar)) == {0.0, 1.0}
    same_label = labels[index_a] == labels[index_b]
    np.testing.assert_array_equal(same_label, is_similar == 1)
    # a similar pair joins two different images
    assert np.all(index_a[is_similar == 1] != index_b[is_similar == 1])


def test_odd_number_of_pairs():
    index_a, _, is_similar = make_pairs(_labels(), 7, seed=0)
    assert len(index_a) == 7 and is_similar.sum() == 3


def test_pairs_are_deterministic_per_seed_and_vary_across_seeds():
    labels = _labels()
    first = make_pairs(labels, 200, seed=5)
    second = make_pairs(labels, 200, seed=5)
    other = make_pairs(labels, 200, seed=6)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_pairs_are_shuffled_and_cover_every_class():
    labels = _labels(size=2000)
    index_a, index_b, is_similar = make_pairs(labels, 4000, seed=1)
    assert 0 < is_similar[:100].sum() < 100  # not all similar pairs first
    assert set(labels[index_a]) == set(range(10))
    assert set(labels[index_b[is_similar == 0]]) == set(range(10))
    # the partner of a dissimilar pair is roughly uniform over the other images
    assert len(np.unique(index_b)) > 1000


def test_two_images_of_one_class_always_pair_with_each_other():
    labels = np.array([0, 0, 1, 1, 1])
    index_a, index_b, is_similar = make_pairs(labels, 400, seed=0)
    similar = is_similar == 1
    zeros = similar & (labels[index_a] == 0)
    assert np.all(index_a[zeros] + index_b[zeros] == 1)  # (0, 1) or (1, 0)


def test_make_pairs_errors():
    with pytest.raises(ValueError, match="two classes"):
        make_pairs(np.zeros(10, int), 4)
    with pytest.raises(ValueError, match="single image"):
        make_pairs(np.array([0, 0, 1]), 4)
    with pytest.raises(ValueError, match="positive integer"):
        make_pairs(_labels(), 0)
    with pytest.raises(ValueError, match="positive integer"):
        make_pairs(_labels(), 2.5)
    with pytest.raises(ValueError, match="1-D"):
        make_pairs(np.zeros((3, 3)), 4)
    # a singleton class is fine when no similar pair is asked for
    index_a, index_b, is_similar = make_pairs(np.array([0, 0, 1]), 1)
    assert is_similar.tolist() == [0.0]


def test_choose_threshold_matches_brute_force():
    generator = np.random.default_rng(0)
    for trial in range(20):
        size = int(generator.integers(1, 40))
        distances = np.round(generator.random(size), 1)  # many ties
        flags = generator.integers(0, 2, size)
        threshold = choose_threshold(distances, flags)
        candidates = np.concatenate([distances, distances + 1e-9, [distances.max() + 1]])
        best = max(pair_accuracy(distances, flags, t) for t in candidates)
        assert pair_accuracy(distances, flags, threshold) == pytest.approx(best)


def test_choose_threshold_separable_and_pair_accuracy():
    distances = np.array([0.1, 0.2, 0.3, 0.9, 1.0])
    flags = np.array([1, 1, 1, 0, 0])
    threshold = choose_threshold(distances, flags)
    assert threshold == pytest.approx(0.6)
    assert pair_accuracy(distances, flags, threshold) == 1.0
    assert pair_accuracy(distances, flags, 0.15) == pytest.approx(3 / 5)


def test_pair_accuracy_errors():
    with pytest.raises(ValueError, match="one is_similar"):
        pair_accuracy(np.ones(3), np.ones(2), 0.5)
    with pytest.raises(ValueError, match="only 1"):
        choose_threshold(np.ones(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="NaN"):
        choose_threshold(np.array([0.1, np.nan]), np.array([0, 1]))


# --------------------------------------------------------------------------- ROC and AUC


def brute_force_auc(distances, flags):
    """Over every (similar, dissimilar) pair of pairs: 1 if the similar one is closer, 1/2 on a tie."""
    similar = distances[flags == 1]
    dissimilar = distances[flags == 0]
    wins = (similar[:, None] < dissimilar[None, :]).sum() + 0.5 * (similar[:, None] == dissimilar[None, :]).sum()
    return wins / (len(similar) * len(dissimilar))


def test_pair_auc_matches_brute_force_with_ties():
    generator = np.random.default_rng(1)
    for trial in range(30):
        size = int(generator.integers(2, 60))
        distances = np.round(generator.random(size), 1)  # many ties
        flags = generator.integers(0, 2, size)
        flags[:2] = [0, 1]  # both kinds present
        assert pair_auc(distances, flags) == pytest.approx(brute_force_auc(distances, flags))


def test_pair_auc_known_values():
    flags = np.array([1, 1, 0, 0])
    assert pair_auc(np.array([0.1, 0.2, 0.8, 0.9]), flags) == 1.0  # separable
    assert pair_auc(np.array([0.8, 0.9, 0.1, 0.2]), flags) == 0.0  # ranked backwards
    assert pair_auc(np.array([0.5, 0.5, 0.5, 0.5]), flags) == 0.5  # one tie: chance
    assert pair_auc(np.array([0.1, 0.8, 0.2, 0.9]), flags) == pytest.approx(0.75)


def test_pair_roc_points_are_the_rates_of_each_threshold():
    generator = np.random.default_rng(2)
    distances = np.round(generator.random(50), 1)
    flags = generator.integers(0, 2, 50)
    flags[:2] = [0, 1]
    false_positive_rate, true_positive_rate, thresholds = pair_roc(distances, flags)
    assert (false_positive_rate[0], true_positive_rate[0]) == (0.0, 0.0)
    assert (false_positive_rate[-1], true_positive_rate[-1]) == (1.0, 1.0)
    assert np.all(np.diff(thresholds) > 0) and np.all(np.diff(true_positive_rate) >= 0)
    for fpr, tpr, threshold in zip(false_positive_rate, true_positive_rate, thresholds):
        called_similar = distances < threshold
        assert tpr == pytest.approx(called_similar[flags == 1].mean())
        assert fpr == pytest.approx(called_similar[flags == 0].mean())
    # the accuracy of a threshold on balanced pairs is the mean of TPR and 1 - FPR
    balanced = make_pairs(_labels(), 200, seed=0)[2]
    scores = generator.random(200) + 0.3 * (balanced == 0)
    fpr, tpr, cuts = pair_roc(scores, balanced)
    middle = len(cuts) // 2
    assert pair_accuracy(scores, balanced, cuts[middle]) == pytest.approx(0.5 * (tpr[middle] + 1 - fpr[middle]))


def test_pair_roc_errors_and_exports():
    with pytest.raises(ValueError, match="both similar"):
        pair_auc(np.array([0.1, 0.2]), np.array([1, 1]))
    with pytest.raises(ValueError, match="one is_similar"):
        pair_roc(np.ones(3), np.ones(2))
    assert pretext.pair_auc is pair_auc and pretext.pairs.pair_roc is pair_roc
