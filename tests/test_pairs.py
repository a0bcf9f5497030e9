"""Tests of helpers.pretext.pairs (notebook 05): make_pairs, choose_threshold, pair_accuracy."""

import numpy as np
import pytest

from helpers.pretext import choose_threshold, make_pairs, pair_accuracy


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
