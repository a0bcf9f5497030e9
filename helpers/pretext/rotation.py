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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = [
    "ROTATION_DEGREES",
    "RotationData",
    "rotate_images",
    "rotation_dataset",
]

#: Degrees of rotation counter-clockwise for 0, 1, 2, 3 quarter turns.
ROTATION_DEGREES: tuple[int, ...] = (0, 90, 180, 270)


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"images must be a batch (n, height, width, channels), got shape {images.shape}; "
            "add a channel axis with images[..., None] for grayscale images."
        )
    return images


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
    images = _check_images(images)
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
    images = _check_images(images)
    if len(images) == 0:
        raise ValueError("rotation_dataset got no images.")
    rotations = tuple(int(r) for r in rotations)
    if len(rotations) < 2 or len(set(rotations)) != len(rotations) or not all(0 <= r <= 3 for r in rotations):
        raise ValueError(
            f"rotations must be at least two distinct quarter-turn counts in 0..3, "
            f"for example (0, 1, 2, 3) or (0, 2); got {rotations}."
        )
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
