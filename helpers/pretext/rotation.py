"""Rotations and the rotation-prediction dataset (RotNet, Gidaris et al. 2018).

Introduced in notebook 07.

The pretext task: rotate an image by 0, 90, 180 or 270 degrees and ask a
network which rotation was applied. The label is the *index* of the rotation
in the list of rotations used (so with rotations ``(0, 2)``, that is 0 and 180
degrees, the labels are 0 and 1).

Rotations are counted in *quarter turns counter-clockwise*, the convention of
``np.rot90(image, k)`` on the height and width axes: ``k = 1`` is 90 degrees
counter-clockwise. Only square images can be rotated by an odd number of
quarter turns: a 90-degree turn of a non-square image changes its shape, which
would give the rotation away (a trivial solution of the pretext task).

``RotationBatches`` feeds ``fit`` the way RotNet trains: each batch holds a
few images, each in all its rotations, so the only thing that differs between
the four copies of a digit in a batch is the rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import keras
import numpy as np

from helpers import checks

__all__ = [
    "ROTATION_DEGREES",
    "RotationBatches",
    "RotationData",
    "rotate_images",
    "rotation_dataset",
]

#: Degrees of rotation counter-clockwise for 0, 1, 2, 3 quarter turns.
ROTATION_DEGREES: tuple[int, ...] = (0, 90, 180, 270)




def _check_turns(quarter_turns: int | Sequence[int] | np.ndarray, count: int) -> np.ndarray:
    turns = np.asarray(quarter_turns)
    if turns.dtype == bool or not np.issubdtype(turns.dtype, np.integer):
        raise ValueError(
            f"quarter_turns must be integers (number of 90-degree turns), got dtype {turns.dtype}."
        )
    if turns.ndim == 0:
        turns = np.full(count, int(turns))
    if turns.shape != (count,):
        raise ValueError(
            f"quarter_turns must be one integer or one per image ({count}), got shape {turns.shape}."
        )
    return np.mod(turns, 4).astype("int64")


def rotate_images(images: np.ndarray, quarter_turns: int | Sequence[int] | np.ndarray) -> np.ndarray:
    """Rotate image ``i`` by ``quarter_turns[i]`` x 90 degrees counter-clockwise.

    Introduced in notebook 07. ``images`` is a batch ``(n, height, width,
    channels)``; ``quarter_turns`` is one integer for the whole batch or one per
    image (any integer; taken modulo 4). The convention is ``np.rot90`` on the
    height and width axes. Returns a new array of the same dtype and shape.

    Raises:
        ValueError: not a 4-D batch, turns that are not integers or not one per
            image, or an odd number of turns on non-square images.
    """
    images = checks.image_batch(images)
    turns = _check_turns(quarter_turns, len(images))
    height, width = images.shape[1], images.shape[2]
    if height != width and np.any(turns % 2 == 1):
        raise ValueError(
            f"Cannot rotate {height}x{width} images by 90 or 270 degrees: the result would "
            "have another shape, which gives the rotation away. Crop the images to a square first."
        )
    rotated = np.empty_like(images)
    for k in range(4):
        selected = turns == k
        if np.any(selected):
            rotated[selected] = np.rot90(images[selected], k=k, axes=(1, 2))
    return rotated


class RotationData(NamedTuple):
    """Rotated images, their rotation labels, and which source image each came from."""

    images: np.ndarray
    labels: np.ndarray
    source_index: np.ndarray


def _check_rotations(rotations: Sequence[int]) -> tuple[int, ...]:
    rotations = tuple(int(r) for r in rotations)
    if len(rotations) < 2 or len(set(rotations)) != len(rotations) or not all(0 <= r <= 3 for r in rotations):
        raise ValueError(
            f"rotations must be at least two distinct quarter-turn counts in 0..3, "
            f"for example (0, 1, 2, 3) or (0, 2); got {rotations}."
        )
    return rotations


def rotation_dataset(
    images: np.ndarray,
    rotations: Sequence[int] = (0, 1, 2, 3),
    mode: str = "all",
    seed: int = 0,
    shuffle: bool = True,
) -> RotationData:
    """The rotation-prediction dataset: rotated images labelled by rotation index.

    Introduced in notebook 07.

    Args:
        images: a batch ``(n, height, width, channels)``.
        rotations: the rotations used, in quarter turns counter-clockwise
            (distinct values in 0..3); label ``j`` means ``rotations[j]``.
        mode: ``"all"`` yields every rotation of every image
            (``n * len(rotations)`` examples, as RotNet trains);
            ``"random"`` yields one rotation per image, drawn with ``seed``.
        seed: makes the random rotations and the shuffle deterministic.
        shuffle: shuffle the examples (with ``seed``); otherwise ``"all"`` lists
            image 0 in every rotation, then image 1, and so on.

    Returns:
        ``RotationData(images, labels, source_index)``: the rotated images
        (same dtype), ``int64`` labels in ``0 .. len(rotations) - 1``, and the
        index in ``images`` of each example's source image.
    """
    images = checks.image_batch(images)
    if len(images) == 0:
        raise ValueError("rotation_dataset got no images.")
    rotations = _check_rotations(rotations)
    if mode not in ("all", "random"):
        raise ValueError(f"mode must be 'all' (every rotation of every image) or 'random', got {mode!r}.")
    generator = np.random.default_rng(seed)
    num_images, num_rotations = len(images), len(rotations)
    if mode == "all":
        source_index = np.repeat(np.arange(num_images), num_rotations)
        labels = np.tile(np.arange(num_rotations), num_images)
    else:
        source_index = np.arange(num_images)
        labels = generator.integers(0, num_rotations, size=num_images)
    if shuffle:
        order = generator.permutation(len(labels))
        source_index, labels = source_index[order], labels[order]
    turns = np.asarray(rotations, dtype="int64")[labels]
    rotated = rotate_images(images[source_index], turns)
    return RotationData(rotated, labels.astype("int64"), source_index.astype("int64"))


class RotationBatches(keras.utils.PyDataset):
    """RotNet's training batches for ``fit``: ``images_per_batch`` images, each in all its rotations.

    Introduced in notebook 07. Batch ``i`` holds ``images_per_batch`` different
    images, each repeated in every rotation of ``rotations`` (image by image:
    rotations of one image are adjacent), so a batch has
    ``images_per_batch * len(rotations)`` examples labelled by rotation index,
    as in Gidaris et al. (2018). ``steps`` is the number of batches (the step
    budget); the images are visited in passes, each in a fresh order drawn
    from ``seed`` and the pass number (a pass drops the images that do not fill
    a batch), so batch ``i`` is the same on every run. ``images`` are used as
    given (convert to floats first).
    """

    def __init__(
        self,
        images: np.ndarray,
        images_per_batch: int,
        steps: int,
        rotations: Sequence[int] = (0, 1, 2, 3),
        seed: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        images = checks.image_batch(images)
        for name, value in (("images_per_batch", images_per_batch), ("steps", steps)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if images_per_batch > len(images):
            raise ValueError(
                f"images_per_batch ({images_per_batch}) is larger than the number of images ({len(images)})."
            )
        self.images = images
        self.images_per_batch = int(images_per_batch)
        self.steps = int(steps)
        self.rotations = _check_rotations(rotations)
        self.seed = int(seed)
        self.batches_per_pass = len(images) // self.images_per_batch
        self._orders: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.steps

    def source_index(self, index: int) -> np.ndarray:
        """The indices in ``images`` of the images of batch ``index`` (each then comes in every rotation)."""
        if not 0 <= index < self.steps:
            raise ValueError(f"batch index must be in 0..{self.steps - 1}, got {index}.")
        pass_number, position = divmod(int(index), self.batches_per_pass)
        if pass_number not in self._orders:
            self._orders = {pass_number: np.random.default_rng([self.seed, pass_number]).permutation(len(self.images))}
        start = position * self.images_per_batch
        return self._orders[pass_number][start : start + self.images_per_batch]

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        batch = rotation_dataset(self.images[self.source_index(index)], self.rotations, mode="all", shuffle=False)
        return batch.images, batch.labels

    def __repr__(self) -> str:
        return (
            f"RotationBatches({self.images_per_batch} images x {len(self.rotations)} rotations per batch, "
            f"{self.steps} steps over {len(self.images):,} images, seed={self.seed})"
        )
