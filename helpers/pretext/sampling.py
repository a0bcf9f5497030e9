"""Class-balanced P x K batches for online triplet mining.

Introduced in notebook 06.

Online mining finds its triplets *inside* a batch, so every batch must hold
several images of each of its classes: ``classes_per_batch`` (P) classes and
``samples_per_class`` (K) images of each (Hermans et al., 2017). A batch of
random images of 10 classes would hold few positives per anchor.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["BalancedBatchSampler", "BalancedBatches"]


class BalancedBatchSampler:
    """Index batches of P classes x K images, deterministic per seed and epoch.

    Introduced in notebook 06. Each batch draws P distinct classes at random,
    then K distinct images of each class, walking through a per-epoch shuffle
    of each class so that images are reused only once a class is exhausted.
    ``batches(epoch)`` depends only on ``(seed, epoch)``.

    Args:
        labels: ``(n,)`` integer labels of the images to sample from.
        classes_per_batch: P, at least 2 (an anchor needs negatives).
        samples_per_class: K, at least 2 (an anchor needs a positive).
        num_batches: batches per epoch (default: ``n // (P * K)``).
        seed: the random seed.

    Raises:
        ValueError: fewer than P classes with at least K images each, or
            P, K or ``num_batches`` out of range.
    """

    def __init__(
        self,
        labels: np.ndarray,
        classes_per_batch: int,
        samples_per_class: int,
        num_batches: int | None = None,
        seed: int = 0,
    ):
        labels = np.asarray(labels).reshape(-1)
        if labels.size == 0:
            raise ValueError("BalancedBatchSampler got no labels.")
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers, got dtype {labels.dtype}.")
        if classes_per_batch < 2:
            raise ValueError(
                f"classes_per_batch (P) must be at least 2 so that anchors have negatives, got {classes_per_batch}."
            )
        if samples_per_class < 2:
            raise ValueError(
                f"samples_per_class (K) must be at least 2 so that anchors have positives, got {samples_per_class}."
            )
        classes, counts = np.unique(labels, return_counts=True)
        usable = classes[counts >= samples_per_class]
        if len(usable) < len(classes):
            small = {int(c): int(n) for c, n in zip(classes, counts, strict=True) if n < samples_per_class}
            raise ValueError(
                f"Every class needs at least samples_per_class={samples_per_class} images; "
                f"these have fewer: {small}. Lower K or use a larger subset."
            )
        if len(classes) < classes_per_batch:
            raise ValueError(
                f"classes_per_batch={classes_per_batch} but the labels have only {len(classes)} classes."
            )
        batch_size = classes_per_batch * samples_per_class
        if num_batches is None:
            num_batches = len(labels) // batch_size
        if num_batches < 1:
            raise ValueError(
                f"num_batches must be at least 1 (got {num_batches}; {len(labels)} images "
                f"for batches of {batch_size})."
            )
        self.labels = labels
        self.classes = classes
        self.members = [np.flatnonzero(labels == c) for c in classes]
        self.classes_per_batch = int(classes_per_batch)
        self.samples_per_class = int(samples_per_class)
        self.batch_size = batch_size
        self.num_batches = int(num_batches)
        self.seed = int(seed)

    def __len__(self) -> int:
        return self.num_batches

    def batches(self, epoch: int = 0) -> list[np.ndarray]:
        """The epoch's batches: ``num_batches`` arrays of ``P * K`` indices, grouped by class."""
        generator = np.random.default_rng([self.seed, int(epoch)])
        queues = [generator.permutation(members) for members in self.members]
        positions = [0] * len(self.members)
        result = []
        for _ in range(self.num_batches):
            batch = []
            for c in generator.choice(len(self.classes), self.classes_per_batch, replace=False):
                if positions[c] + self.samples_per_class > len(queues[c]):
                    queues[c] = generator.permutation(self.members[c])
                    positions[c] = 0
                batch.append(queues[c][positions[c] : positions[c] + self.samples_per_class])
                positions[c] += self.samples_per_class
            result.append(np.concatenate(batch))
        return result

    def __iter__(self):
        return iter(self.batches(0))

    def __repr__(self) -> str:
        return (
            f"BalancedBatchSampler(P={self.classes_per_batch} classes x K={self.samples_per_class} images, "
            f"{self.num_batches} batches per epoch, seed={self.seed})"
        )


class BalancedBatches(keras.utils.PyDataset):
    """Feeds ``fit`` with ``(images, labels)`` batches from a ``BalancedBatchSampler``.

    Introduced in notebook 06. Epoch ``e`` serves ``sampler.batches(e)``, so a
    training run is reproducible from the sampler's seed.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, sampler: BalancedBatchSampler, **kwargs):
        super().__init__(**kwargs)
        labels = np.asarray(labels).reshape(-1)
        if len(images) != len(labels) or len(labels) != len(sampler.labels):
            raise ValueError(
                f"images ({len(images)}), labels ({len(labels)}) and the sampler's labels "
                f"({len(sampler.labels)}) must have the same length."
            )
        self.images = images
        self.labels = labels.astype("int32")
        self.sampler = sampler
        self.epoch = 0
        self._batches = sampler.batches(0)

    def __len__(self) -> int:
        return len(self.sampler)

    def __getitem__(self, index: int):
        rows = self._batches[index]
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._batches = self.sampler.batches(self.epoch)
