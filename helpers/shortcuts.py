"""Spurious markers, masking them away, and maps of where a network looks.

Introduced in notebook 01.

The course's version of the hospital-marker story: a small bright square is
stamped on the border of each digit, and its *position* encodes the label for
most training images. A network trained on such data reads the marker instead
of the digit (a shortcut). The remedy is to black out the whole marker region
on every image, train again, and the network has to look at the digit.

Positions are ``(row, column)`` of a marker's top-left pixel; a marker index
``-1`` means "no marker on this image".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helpers import checks

NO_MARKER = -1




def _check_positions(
    positions: np.ndarray, image_shape: Sequence[int], marker_size: int
) -> np.ndarray:
    positions = np.asarray(positions)
    if positions.ndim != 2 or positions.shape[1] != 2 or len(positions) == 0:
        raise ValueError(f"positions must have shape (num_positions, 2), got {positions.shape}.")
    if not isinstance(marker_size, (int, np.integer)) or marker_size <= 0:
        raise ValueError(f"marker_size must be a positive integer, got {marker_size!r}.")
    height, width = int(image_shape[0]), int(image_shape[1])
    rows, columns = positions[:, 0], positions[:, 1]
    if (
        rows.min() < 0
        or columns.min() < 0
        or rows.max() + marker_size > height
        or columns.max() + marker_size > width
    ):
        raise ValueError(
            f"Some {marker_size}x{marker_size} markers at {positions.tolist()} do not fit "
            f"in a {height}x{width} image."
        )
    return positions.astype("int64")


def marker_positions(
    num_positions: int = 10, image_size: int = 28, marker_size: int = 3, gap: int = 2, border: int = 1
) -> np.ndarray:
    """Top-left corners of ``num_positions`` marker squares along the top and bottom borders.

    Introduced in notebook 01. The first half of the positions run left to
    right along the top edge (starting ``border`` pixels below it), the rest
    along the bottom edge (ending ``border`` pixels above it), ``gap`` pixels
    apart and centred, so that no marker touches another and, for MNIST, none
    overlaps the centred digit.

    Returns:
        An ``int64`` array of shape ``(num_positions, 2)``: ``(row, column)``.

    Raises:
        ValueError: the markers do not fit on two borders of the image.
    """
    if not isinstance(num_positions, (int, np.integer)) or num_positions < 1:
        raise ValueError(f"num_positions must be a positive integer, got {num_positions!r}.")
    if not isinstance(marker_size, (int, np.integer)) or marker_size < 1:
        raise ValueError(f"marker_size must be a positive integer, got {marker_size!r}.")
    if gap < 0 or border < 0:
        raise ValueError(f"gap and border must be non-negative, got gap={gap}, border={border}.")
    per_row = int(np.ceil(num_positions / 2)) if num_positions > 1 else 1
    needed_width = per_row * marker_size + (per_row - 1) * gap
    if needed_width > image_size or 2 * (marker_size + border) > image_size:
        raise ValueError(
            f"{num_positions} markers of {marker_size}x{marker_size} with a gap of {gap} need "
            f"{needed_width} pixels on each border, more than the image's {image_size}. "
            "Use smaller markers, a smaller gap or fewer positions."
        )
    left = (image_size - needed_width) // 2
    positions = []
    for index in range(num_positions):
        row = border if index < per_row else image_size - marker_size - border
        column = left + (index % per_row) * (marker_size + gap)
        positions.append((row, column))
    return np.array(positions, dtype="int64")


def marker_indices(
    labels: np.ndarray, agreement: float, num_positions: int = 10, seed: int = 0
) -> np.ndarray:
    """Which marker position each image gets: its label for a fraction ``agreement``.

    Introduced in notebook 01. Exactly ``round(agreement * n)`` images (chosen
    at random) get the marker at the position of their own label; every other
    image gets a position drawn uniformly among the *other* positions. With
    ``agreement = 1 / num_positions`` the marker says nothing about the label.

    Raises:
        ValueError: ``agreement`` outside [0, 1], or labels outside ``0 .. num_positions-1``.
    """
    labels = np.asarray(labels).reshape(-1)
    if not 0.0 <= agreement <= 1.0:
        raise ValueError(f"agreement must be a fraction in [0, 1], got {agreement}.")
    if num_positions < 2:
        raise ValueError(f"num_positions must be at least 2, got {num_positions}.")
    if len(labels) == 0:
        raise ValueError("marker_indices got no labels.")
    if labels.min() < 0 or labels.max() >= num_positions:
        raise ValueError(
            f"labels must lie in 0..{num_positions - 1} (one marker position per class), "
            f"got values from {labels.min()} to {labels.max()}."
        )
    generator = np.random.default_rng(seed)
    num_agreeing = int(round(agreement * len(labels)))
    agreeing = np.zeros(len(labels), dtype=bool)
    agreeing[generator.permutation(len(labels))[:num_agreeing]] = True
    # a random offset in 1 .. num_positions-1 always lands on another position
    offsets = generator.integers(1, num_positions, size=len(labels))
    indices = np.where(agreeing, labels, (labels + offsets) % num_positions)
    return indices.astype("int64")


def stamp_markers(
    images: np.ndarray,
    indices: np.ndarray,
    positions: np.ndarray,
    marker_size: int = 3,
    value: float = 1.0,
) -> np.ndarray:
    """A copy of ``images`` with a ``marker_size`` square of ``value`` at ``positions[indices[i]]``.

    Introduced in notebook 01. An index of ``-1`` (``NO_MARKER``) leaves that
    image unmarked. Every channel of the square is set, so colour images get
    a white (or ``value``) square.

    Raises:
        ValueError: shapes that do not match, or an index outside the positions.
    """
    images = checks.image_batch(images)
    indices = np.asarray(indices).reshape(-1)
    positions = _check_positions(positions, images.shape[1:3], marker_size)
    if len(indices) != len(images):
        raise ValueError(f"Got {len(indices)} marker indices for {len(images)} images.")
    if indices.size and (indices.min() < NO_MARKER or indices.max() >= len(positions)):
        raise ValueError(
            f"Marker indices must lie in -1..{len(positions) - 1} (-1: no marker), "
            f"got values from {indices.min()} to {indices.max()}."
        )
    stamped = images.copy()
    for index, (row, column) in enumerate(positions):
        chosen = indices == index
        stamped[chosen, row : row + marker_size, column : column + marker_size, :] = value
    return stamped


def marker_region(image_shape: Sequence[int], positions: np.ndarray, marker_size: int = 3) -> np.ndarray:
    """Boolean ``(height, width)`` mask of every pixel a marker can cover.

    Introduced in notebook 01.
    """
    if len(image_shape) < 2:
        raise ValueError(f"image_shape must start with (height, width), got {tuple(image_shape)}.")
    positions = _check_positions(positions, image_shape, marker_size)
    region = np.zeros(tuple(int(s) for s in image_shape[:2]), dtype=bool)
    for row, column in positions:
        region[row : row + marker_size, column : column + marker_size] = True
    return region


def mask_region(images: np.ndarray, region: np.ndarray, value: float = 0.0) -> np.ndarray:
    """A copy of ``images`` with every pixel of ``region`` (all channels) set to ``value``.

    Introduced in notebook 01: the lecture's remedy, a black square over the
    place where the marker can be, applied to *all* images, train and test.
    """
    images = checks.image_batch(images)
    region = np.asarray(region)
    if region.dtype != bool or region.shape != images.shape[1:3]:
        raise ValueError(
            f"region must be a boolean mask of shape {images.shape[1:3]} (height, width), "
            f"got {region.dtype} of shape {region.shape}."
        )
    masked = images.copy()
    masked[:, region, :] = value
    return masked


# --------------------------------------------------------------------------- where does it look?


def gradient_saliency(model: Any, images: np.ndarray, class_indices: np.ndarray | None = None) -> np.ndarray:
    """Absolute gradient of one class score with respect to each input pixel.

    Introduced in notebook 01. The score is the model's output for
    ``class_indices[i]`` (default: the predicted class); the gradient is
    computed with ``tf.GradientTape`` and the largest absolute value over the
    channels is kept. Large values mark pixels whose change moves the score
    most: where the network "looks". Give it a model that outputs **logits**
    (Simonyan et al. 2014 use the unnormalized class score): a softmax
    probability saturates near 1 for a confident prediction, so its gradient
    nearly vanishes exactly where the network is surest.

    Returns:
        ``float32`` maps of shape ``(n, height, width)``.
    """
    import tensorflow as tf

    images = checks.image_batch(images).astype("float32")
    inputs = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = model(inputs, training=False)
        if len(outputs.shape) != 2:
            raise ValueError(f"The model must output (n, num_classes) scores, got shape {outputs.shape}.")
        if class_indices is None:
            chosen = tf.argmax(outputs, axis=1)
        else:
            chosen = np.asarray(class_indices).reshape(-1)
            if len(chosen) != len(images):
                raise ValueError(f"Got {len(chosen)} class indices for {len(images)} images.")
            if chosen.min() < 0 or chosen.max() >= outputs.shape[1]:
                raise ValueError(f"class_indices must lie in 0..{outputs.shape[1] - 1}.")
        scores = tf.gather(outputs, tf.cast(chosen, "int32"), axis=1, batch_dims=1)
    gradients = tape.gradient(scores, inputs)
    return np.max(np.abs(gradients.numpy()), axis=-1).astype("float32")


def occlusion_map(
    model: Any,
    images: np.ndarray,
    patch_size: int = 4,
    stride: int = 2,
    value: float = 0.0,
    class_indices: np.ndarray | None = None,
    batch_size: int = 512,
    from_logits: bool = False,
) -> np.ndarray:
    """How much the probability of a class drops when a square patch is hidden.

    Introduced in notebook 01. For each image, every ``patch_size`` square on
    a grid of step ``stride`` is set to ``value`` in turn; each pixel gets the
    mean drop in the class probability over the patches that cover it. The
    class is ``class_indices[i]`` or, by default, the class predicted on the
    intact image. The model outputs probabilities (a softmax), or logits with
    ``from_logits=True`` (a softmax is then applied to them).

    Returns:
        ``float32`` maps of shape ``(n, height, width)``; positive where hiding
        the pixel lowers the class probability.
    """
    images = checks.image_batch(images).astype("float32")
    height, width = images.shape[1:3]
    if not isinstance(patch_size, (int, np.integer)) or not 1 <= patch_size <= min(height, width):
        raise ValueError(f"patch_size must be an integer in 1..{min(height, width)}, got {patch_size!r}.")
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    def probabilities(inputs: np.ndarray) -> np.ndarray:
        outputs = np.asarray(model.predict(inputs, batch_size=batch_size, verbose=0), dtype="float64")
        if outputs.ndim != 2:
            raise ValueError(f"The model must output (n, num_classes) scores, got shape {outputs.shape}.")
        if not from_logits:
            return outputs
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    base = probabilities(images)
    if class_indices is None:
        chosen = np.argmax(base, axis=1)
    else:
        chosen = np.asarray(class_indices).reshape(-1)
        if len(chosen) != len(images) or chosen.min() < 0 or chosen.max() >= base.shape[1]:
            raise ValueError(
                f"class_indices must hold one class in 0..{base.shape[1] - 1} per image ({len(images)})."
            )
    rows = list(range(0, height - patch_size + 1, stride))
    columns = list(range(0, width - patch_size + 1, stride))
    if rows[-1] != height - patch_size:
        rows.append(height - patch_size)
    if columns[-1] != width - patch_size:
        columns.append(width - patch_size)
    patches = [(row, column) for row in rows for column in columns]
    drops = np.zeros((len(images), height, width), dtype="float64")
    counts = np.zeros((height, width), dtype="float64")
    for row, column in patches:
        counts[row : row + patch_size, column : column + patch_size] += 1
    base_probability = base[np.arange(len(images)), chosen]
    # every occluded copy of a few images goes through the model in one call
    images_per_call = max(1, batch_size * 8 // len(patches))
    for start in range(0, len(images), images_per_call):
        chunk = images[start : start + images_per_call]
        occluded = np.repeat(chunk, len(patches), axis=0)
        for index, (row, column) in enumerate(patches):
            occluded[index :: len(patches), row : row + patch_size, column : column + patch_size, :] = value
        probability = probabilities(occluded).reshape(len(chunk), len(patches), -1)
        classes = chosen[start : start + len(chunk)]
        drop = base_probability[start : start + len(chunk), None] - probability[
            np.arange(len(chunk)), :, classes
        ]
        for index, (row, column) in enumerate(patches):
            drops[start : start + len(chunk), row : row + patch_size, column : column + patch_size] += drop[
                :, index, None, None
            ]
    return (drops / counts).astype("float32")


def region_share(maps: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Fraction of each map's total (positive) mass that lies inside ``region``.

    Introduced in notebook 01. Compare it with ``region.mean()``, the share a
    map spread evenly over the image would give.

    Returns:
        One fraction per map, shape ``(n,)`` (0 for an all-zero map).
    """
    maps = np.asarray(maps, dtype="float64")
    region = np.asarray(region)
    if maps.ndim != 3:
        raise ValueError(f"maps must have shape (n, height, width), got {maps.shape}.")
    if region.dtype != bool or region.shape != maps.shape[1:]:
        raise ValueError(f"region must be a boolean mask of shape {maps.shape[1:]}, got {region.shape}.")
    positive = np.clip(maps, 0.0, None)
    totals = positive.sum(axis=(1, 2))
    inside = positive[:, region].sum(axis=1)
    return np.where(totals > 0, inside / np.where(totals > 0, totals, 1.0), 0.0)
