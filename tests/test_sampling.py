"""The class-balanced P x K batch sampler (notebook 06)."""

import numpy as np
import pytest

from helpers.pretext.sampling import BalancedBatches, BalancedBatchSampler


def make_labels(seed=0, n=300, num_classes=10):
    return np.random.default_rng(seed).integers(0, num_classes, size=n)


def test_batches_are_balanced():
    labels = make_labels()
    sampler = BalancedBatchSampler(labels, classes_per_batch=4, samples_per_class=5, seed=1)
    assert len(sampler) == 300 // 20
    for batch in sampler.batches(0):
        assert batch.shape == (20,)
        assert len(set(batch.tolist())) == 20  # no image twice in a batch
        classes, counts = np.unique(labels[batch], return_counts=True)
        assert len(classes) == 4 and np.all(counts == 5)


def test_deterministic_per_seed_and_epoch():
    labels = make_labels()
    a = BalancedBatchSampler(labels, 3, 4, num_batches=7, seed=5)
    b = BalancedBatchSampler(labels, 3, 4, num_batches=7, seed=5)
    c = BalancedBatchSampler(labels, 3, 4, num_batches=7, seed=6)
    for epoch in (0, 3):
        assert all(np.array_equal(x, y) for x, y in zip(a.batches(epoch), b.batches(epoch), strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a.batches(0), c.batches(0), strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a.batches(0), a.batches(1), strict=True))


def test_images_are_used_evenly_before_reuse():
    labels = np.repeat(np.arange(2), 8)  # 2 classes of 8
    sampler = BalancedBatchSampler(labels, 2, 4, num_batches=2, seed=0)
    used = np.concatenate(sampler.batches(0))
    assert sorted(used.tolist()) == list(range(16))  # one epoch covers every image once


def test_classes_are_mixed_over_batches():
    labels = make_labels(n=2000)
    sampler = BalancedBatchSampler(labels, 2, 3, seed=0)
    seen = {int(c) for batch in sampler.batches(0) for c in np.unique(labels[batch])}
    assert seen == set(range(10))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"classes_per_batch": 1, "samples_per_class": 4}, "at least 2"),
        ({"classes_per_batch": 3, "samples_per_class": 1}, "at least 2"),
        ({"classes_per_batch": 11, "samples_per_class": 2}, "only 10 classes"),
        ({"classes_per_batch": 3, "samples_per_class": 2, "num_batches": 0}, "num_batches"),
    ],
)
def test_bad_settings_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BalancedBatchSampler(make_labels(), **kwargs)


def test_small_class_and_bad_labels_raise():
    labels = np.array([0, 0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match="fewer"):
        BalancedBatchSampler(labels, 2, 3)
    with pytest.raises(ValueError, match="integers"):
        BalancedBatchSampler(labels.astype(float), 2, 2)
    with pytest.raises(ValueError, match="no labels"):
        BalancedBatchSampler(np.array([], dtype=int), 2, 2)


def test_pydataset_serves_each_epoch_of_the_sampler():
    labels = make_labels(n=120)
    images = np.arange(120, dtype="float32").reshape(120, 1)
    sampler = BalancedBatchSampler(labels, 3, 4, seed=2)
    dataset = BalancedBatches(images, labels, sampler)
    assert len(dataset) == len(sampler)
    x, y = dataset[0]
    np.testing.assert_array_equal(x[:, 0].astype(int), sampler.batches(0)[0])
    np.testing.assert_array_equal(y, labels[sampler.batches(0)[0]])
    dataset.on_epoch_end()
    np.testing.assert_array_equal(dataset[1][0][:, 0].astype(int), sampler.batches(1)[1])
    with pytest.raises(ValueError, match="same length"):
        BalancedBatches(images[:-1], labels, sampler)


def test_public_names_are_exported():
    import helpers.pretext

    assert helpers.pretext.BalancedBatchSampler is BalancedBatchSampler
