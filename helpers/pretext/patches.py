"""Relative patch positions and the chromatic-aberration shortcut (notebook 09).

Introduced in notebook 09.

The pretext task of Doersch, Gupta and Efros (2015): cut a centre patch and one of its 8
neighbours from a 3x3 grid of an image and ask a network which neighbour it is. The grid has
``gap`` pixels between neighbouring cells and every patch moves by up to ``jitter`` pixels, so
that lines cannot simply be continued across the border. Patches are cut from the image without
resampling.

Neighbours are numbered row by row, as in Doersch's figure::

    0 1 2
    3 . 4
    5 6 7

Chromatic aberration (a lens magnifies one colour channel slightly more than the others) gives
every patch colour fringes that point away from the centre of the frame: a trivial cue to where
the patch was cut. ``chromatic_aberration`` synthesizes it; ``project_out_green_magenta``,
``drop_channels`` and ``to_grayscale`` are the remedies. ``patch_grid_model`` turns a patch
encoder into a whole-image feature model (a grid of patches, averaged: Kolesnikov et al. 2019),
and ``PretextBatches`` makes fresh patches for every training step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from helpers import checks

__all__ = [
    "NEIGHBOUR_OFFSETS",
    "POSITION_NAMES",
    "GREEN_MAGENTA_AXIS",
    "GRAYSCALE_WEIGHTS",
    "NORMALIZATION_EPSILON",
    "PatchPairs",
    "grid_extent",
    "relative_patch_pairs",
    "absolute_patches",
    "grid_patches",
    "patch_grid_model",
    "relative_position_network",
    "chromatic_aberration",
    "project_out_green_magenta",
    "drop_channels",
    "to_grayscale",
    "PretextBatches",
]

#: (row, column) offset of neighbour ``k`` from the centre cell, numbered row by row (Doersch's layout).
NEIGHBOUR_OFFSETS: tuple[tuple[int, int], ...] = (
    (-1, -1), (-1, 0), (-1, 1),
    (0, -1), (0, 1),
    (1, -1), (1, 0), (1, 1),
)
POSITION_NAMES: tuple[str, ...] = (
    "top-left", "top", "top-right", "left", "right", "bottom-left", "bottom", "bottom-right",
)
#: The green-magenta colour axis (1, -2, 1) / sqrt(6): green against red and blue.
GREEN_MAGENTA_AXIS = np.array([1.0, -2.0, 1.0]) / np.sqrt(6.0)
#: The epsilon of per-patch normalisation, ``(x - mean) / sqrt(var + epsilon)``, shared with the jigsaw tiles.
NORMALIZATION_EPSILON = 1e-3
#: Luma weights of ITU-R BT.601 (what ``tf.image.rgb_to_grayscale`` uses).
GRAYSCALE_WEIGHTS = np.array([0.299, 0.587, 0.114])


class PatchPairs(NamedTuple):
    """A centre patch, one of its neighbours and the neighbour's position (0-7) per image."""

    centre: np.ndarray
    neighbour: np.ndarray
    position: np.ndarray




def _check_sizes(patch_size: int, gap: int, jitter: int) -> None:
    for name, value, smallest in (("patch_size", patch_size, 1), ("gap", gap, 0), ("jitter", jitter, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < smallest:
            raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}.")


def grid_extent(patch_size: int, gap: int = 0, jitter: int = 0, grid: int = 3) -> int:
    """Pixels a ``grid x grid`` layout of patches needs along one side, gaps and jitter included.

    Introduced in notebook 09: ``grid * patch_size + (grid - 1) * gap + 2 * jitter``.
    """
    _check_sizes(patch_size, gap, jitter)
    if grid < 1:
        raise ValueError(f"grid must be at least 1, got {grid}.")
    return grid * patch_size + (grid - 1) * gap + 2 * jitter


def _grid_origins(
    images: np.ndarray, patch_size: int, gap: int, jitter: int, grid: int, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Top-left pixel of cell (0, 0) of each image's grid (without jitter), placed at random where it fits."""
    extent = grid_extent(patch_size, gap, jitter, grid)
    height, width = images.shape[1], images.shape[2]
    if extent > min(height, width):
        raise ValueError(
            f"A {grid}x{grid} grid of {patch_size}-pixel patches with {gap}-pixel gaps and up to "
            f"{jitter} pixels of jitter needs {extent}x{extent} pixels, more than the {height}x{width} "
            "images have. Use smaller patches, a smaller gap or less jitter."
        )
    top = generator.integers(0, height - extent + 1, size=len(images)) + jitter
    left = generator.integers(0, width - extent + 1, size=len(images)) + jitter
    return top, left


def _cut(images: np.ndarray, top: np.ndarray, left: np.ndarray, size: int) -> np.ndarray:
    """``images[n, top[n]:top[n]+size, left[n]:left[n]+size]`` for every ``n`` (no resampling)."""
    steps = np.arange(size)
    rows = (top[:, None] + steps)[:, :, None]
    columns = (left[:, None] + steps)[:, None, :]
    return images[np.arange(len(images))[:, None, None], rows, columns]


def relative_patch_pairs(
    images: np.ndarray, patch_size: int, gap: int, jitter: int, seed: int = 0
) -> PatchPairs:
    """For each image a centre patch, one of its 8 neighbours on a 3x3 grid, and which one.

    Introduced in notebook 09. The grid's cells are ``patch_size`` pixels with ``gap`` pixels
    between neighbouring cells; the grid is placed at random where it fits, every patch moves by
    up to ``jitter`` pixels in each direction (independently for the two patches), and patches
    are cut without resampling. ``position`` numbers the neighbours row by row (0 top-left,
    1 top, ..., 7 bottom-right: ``NEIGHBOUR_OFFSETS``), drawn uniformly. Deterministic per
    ``seed``.

    Raises:
        ValueError: not a batch of images, bad sizes, or a grid that does not fit the images.
    """
    images = checks.image_batch(images)
    _check_sizes(patch_size, gap, jitter)
    generator = np.random.default_rng(seed)
    top, left = _grid_origins(images, patch_size, gap, jitter, 3, generator)
    count = len(images)
    position = generator.integers(0, 8, size=count)
    offsets = np.array(NEIGHBOUR_OFFSETS)[position]
    pitch = patch_size + gap
    shifts = generator.integers(-jitter, jitter + 1, size=(4, count))
    centre = _cut(images, top + pitch + shifts[0], left + pitch + shifts[1], patch_size)
    neighbour = _cut(
        images, top + pitch * (1 + offsets[:, 0]) + shifts[2], left + pitch * (1 + offsets[:, 1]) + shifts[3], patch_size
    )
    return PatchPairs(centre, neighbour, position.astype("int64"))


def absolute_patches(
    images: np.ndarray,
    patch_size: int,
    gap: int,
    jitter: int,
    seed: int = 0,
    grid: int = 3,
    cell: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One patch per image from a cell of a ``grid x grid`` layout, and that cell's number.

    Introduced in notebook 09 (the chromatic-aberration experiment: can a network tell where in
    the frame a single patch was cut?). The layout is the one of ``relative_patch_pairs``
    (gaps, jitter, random placement); cells are numbered row by row from 0 and drawn uniformly
    unless ``cell`` gives one per image. Deterministic per ``seed``. Returns ``(patches, cell)``.
    """
    images = checks.image_batch(images)
    _check_sizes(patch_size, gap, jitter)
    generator = np.random.default_rng(seed)
    top, left = _grid_origins(images, patch_size, gap, jitter, grid, generator)
    drawn = generator.integers(0, grid * grid, size=len(images))
    if cell is None:
        cell = drawn
    else:
        cell = np.asarray(cell).reshape(-1)
        if len(cell) != len(images) or cell.min() < 0 or cell.max() >= grid * grid:
            raise ValueError(f"cell must give one cell in [0, {grid * grid}) per image.")
    shifts = generator.integers(-jitter, jitter + 1, size=(2, len(images)))
    pitch = patch_size + gap
    patches = _cut(images, top + pitch * (cell // grid) + shifts[0], left + pitch * (cell % grid) + shifts[1], patch_size)
    return patches, cell.astype("int64")


def _grid_corner(image_size: int, patch_size: int, stride: int, grid: int) -> int:
    extent = (grid - 1) * stride + patch_size
    if patch_size < 1 or stride < 1 or grid < 1:
        raise ValueError(f"patch_size, stride and grid must be positive, got {patch_size}, {stride}, {grid}.")
    if extent > image_size:
        raise ValueError(
            f"A {grid}x{grid} grid of {patch_size}-pixel patches {stride} pixels apart spans {extent} "
            f"pixels, more than the image's {image_size}."
        )
    return (image_size - extent) // 2


def grid_patches(images: np.ndarray, patch_size: int, stride: int, grid: int = 3) -> np.ndarray:
    """The ``grid x grid`` patches of a fixed layout centred in each image: ``(n, grid*grid, p, p, c)``.

    Introduced in notebook 09. Patch ``k`` (row by row) has its top-left corner at
    ``corner + stride * (k // grid, k % grid)``; no jitter, no resampling. This is what
    ``patch_grid_model`` feeds its encoder.
    """
    images = checks.image_batch(images)
    top = _grid_corner(images.shape[1], patch_size, stride, grid)
    left = _grid_corner(images.shape[2], patch_size, stride, grid)
    cells = [
        images[:, top + stride * row : top + stride * row + patch_size, left + stride * column : left + stride * column + patch_size]
        for row in range(grid)
        for column in range(grid)
    ]
    return np.stack(cells, axis=1)


def patch_grid_model(
    encoder: Any,
    image_shape: Sequence[int],
    patch_size: int,
    stride: int,
    grid: int = 3,
    normalize: bool = False,
    name: str | None = None,
) -> Any:
    """A whole-image feature model from a patch encoder: encode a grid of patches, average them.

    Introduced in notebook 09 (probing a patch-trained encoder; Kolesnikov et al. 2019 evaluate
    relative-patch-location and jigsaw models this way). The patches are those of
    ``grid_patches``; ``normalize`` standardizes each patch (mean 0, variance 1 over its pixels
    and channels, as ``jigsaw.normalize_tiles``) before the encoder. Built from standard Keras
    layers (``Cropping2D``, ``LayerNormalization``, ``Average``), so ``keras.models.clone_model``
    (the protocol's random twin) gives the same model with fresh weights.
    """
    from keras import layers

    height, width = int(image_shape[0]), int(image_shape[1])
    top = _grid_corner(height, patch_size, stride, grid)
    left = _grid_corner(width, patch_size, stride, grid)
    expected = (patch_size, patch_size)
    if tuple(encoder.input_shape[1:3]) != expected:
        raise ValueError(f"The encoder takes {encoder.input_shape[1:3]} inputs, the patches are {expected}.")
    inputs = keras.Input(shape=tuple(image_shape), name="image")
    normalization = (
        layers.LayerNormalization(axis=(-3, -2, -1), center=False, scale=False, epsilon=NORMALIZATION_EPSILON, name="patch_normalization")
        if normalize else None
    )
    features = []
    for row in range(grid):
        for column in range(grid):
            row_start, column_start = top + stride * row, left + stride * column
            patch = layers.Cropping2D(
                ((row_start, height - row_start - patch_size), (column_start, width - column_start - patch_size)),
                name=f"patch_{row}_{column}",
            )(inputs)
            if normalization is not None:
                patch = normalization(patch)
            features.append(encoder(patch))
    pooled = layers.Average(name="patch_average")(features) if len(features) > 1 else features[0]
    return keras.Model(inputs, pooled, name=name or f"{encoder.name}_patch_grid")


def relative_position_network(encoder: Any, hidden: int = 128, name: str = "context_prediction") -> Any:
    """Doersch's pair network: one shared encoder on both patches, features concatenated, an 8-way head.

    Introduced in notebook 09. Inputs ``centre`` and ``neighbour`` (the encoder's input shape);
    output the probabilities of the 8 positions (``NEIGHBOUR_OFFSETS``). The encoder's weights
    are the only weights the two patches go through.
    """
    from keras import layers

    if hidden < 1:
        raise ValueError(f"hidden must be a positive number of units, got {hidden}.")
    shape = tuple(encoder.input_shape[1:])
    centre = keras.Input(shape=shape, name="centre")
    neighbour = keras.Input(shape=shape, name="neighbour")
    features = layers.Concatenate(name="both_patches")([encoder(centre), encoder(neighbour)])
    features = layers.Dense(hidden, activation="relu", name="pair_hidden")(features)
    outputs = layers.Dense(len(NEIGHBOUR_OFFSETS), activation="softmax", name="position")(features)
    return keras.Model([centre, neighbour], outputs, name=name)


def _check_colour(images: np.ndarray, what: str) -> np.ndarray:
    images = checks.image_batch(images)
    if images.shape[-1] != 3:
        raise ValueError(f"{what} needs colour images with 3 channels, got {images.shape[-1]}.")
    return images


def chromatic_aberration(images: np.ndarray, strength: float, channel: int = 1) -> np.ndarray:
    """Synthetic lens aberration: one colour channel magnified by ``1 + strength`` about the image centre.

    Introduced in notebook 09. Output pixel ``x`` of ``channel`` takes the value at
    ``centre + (x - centre) / (1 + strength)`` (bilinear interpolation, edges clamped); the other
    channels are unchanged. With the default ``channel=1`` (green) a grey edge gets green and
    magenta fringes whose offset grows linearly toward the borders and points away from the
    centre, so a patch's fringes reveal where it was cut. Returns ``float32`` images.

    Raises:
        ValueError: images without 3 channels, ``strength <= -1`` or a channel outside 0-2.
    """
    images = _check_colour(images, "chromatic_aberration")
    if not strength > -1:
        raise ValueError(f"strength must be > -1 (a magnification 1 + strength > 0), got {strength}.")
    if channel not in (0, 1, 2):
        raise ValueError(f"channel must be 0 (red), 1 (green) or 2 (blue), got {channel}.")
    result = images.astype("float32", copy=True)
    height, width = images.shape[1], images.shape[2]

    def source(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        centre = (size - 1) / 2
        coordinate = np.clip(centre + (np.arange(size) - centre) / (1 + strength), 0, size - 1)
        low = np.floor(coordinate).astype(int)
        high = np.minimum(low + 1, size - 1)
        return low, high, (coordinate - low).astype("float32")

    row_low, row_high, row_weight = source(height)
    column_low, column_high, column_weight = source(width)
    plane = images[..., channel].astype("float32")
    top = plane[:, row_low][:, :, column_low] * (1 - column_weight) + plane[:, row_low][:, :, column_high] * column_weight
    bottom = plane[:, row_high][:, :, column_low] * (1 - column_weight) + plane[:, row_high][:, :, column_high] * column_weight
    result[..., channel] = top * (1 - row_weight[:, None]) + bottom * row_weight[:, None]
    return result


def project_out_green_magenta(images: np.ndarray) -> np.ndarray:
    """Remove each pixel's component along the green-magenta axis (Doersch's "projection" remedy).

    Introduced in notebook 09. ``x - (x . u) u`` with ``u = (1, -2, 1) / sqrt(6)``: green against
    red and blue is gone, red against blue and brightness stay. Returns ``float32`` images.
    """
    images = _check_colour(images, "project_out_green_magenta").astype("float32")
    axis = GREEN_MAGENTA_AXIS.astype("float32")
    return images - (images @ axis)[..., None] * axis


def drop_channels(images: np.ndarray, noise_scale: float = 0.01, seed: int = 0) -> np.ndarray:
    """Keep one random colour channel per image, replace the other two with Gaussian noise.

    Introduced in notebook 09 (Doersch's "colour dropping"): the noise has a standard deviation of
    ``noise_scale`` times the kept channel's (per image), so no two channels can be compared.
    Deterministic per ``seed``. Returns ``float32`` images.
    """
    images = _check_colour(images, "drop_channels").astype("float32")
    if noise_scale < 0:
        raise ValueError(f"noise_scale must be >= 0, got {noise_scale}.")
    generator = np.random.default_rng(seed)
    kept = generator.integers(0, 3, size=len(images))
    kept_plane = images[np.arange(len(images)), :, :, kept]
    scale = noise_scale * kept_plane.reshape(len(images), -1).std(axis=1)
    result = generator.normal(size=images.shape).astype("float32") * scale[:, None, None, None].astype("float32")
    result[np.arange(len(images)), :, :, kept] = kept_plane
    return result


def to_grayscale(images: np.ndarray, channels: int = 3) -> np.ndarray:
    """Luma (ITU-R BT.601 weights) repeated on ``channels`` channels, so a colour network can take it.

    Introduced in notebook 09. Returns ``float32`` images.
    """
    images = _check_colour(images, "to_grayscale").astype("float32")
    if channels < 1:
        raise ValueError(f"channels must be at least 1, got {channels}.")
    luma = images @ GRAYSCALE_WEIGHTS.astype("float32")
    return np.repeat(luma[..., None], channels, axis=-1)


class PretextBatches(keras.utils.PyDataset):
    """Training batches of a pretext task made afresh at every step (new images, patches, labels).

    Introduced in notebook 09. Batch ``i`` draws ``batch_size`` different images from ``images``
    and calls ``make_batch(batch_images, batch_seed)``, which returns ``(inputs, labels)``; both
    the images and ``batch_seed`` depend only on ``(seed, i)``, so training is deterministic in any
    order. It holds ``num_steps`` batches: pass ``epochs=E, steps_per_epoch=num_steps // E`` (and
    ``shuffle=False``) to ``fit`` to see the history ``E`` times along the way.
    """

    def __init__(
        self,
        images: np.ndarray,
        make_batch: Callable[[np.ndarray, int], tuple[Any, np.ndarray]],
        batch_size: int,
        num_steps: int,
        seed: int = 0,
    ):
        super().__init__()
        images = checks.image_batch(images)
        if not 1 <= batch_size <= len(images):
            raise ValueError(f"batch_size must be between 1 and the {len(images)} images, got {batch_size}.")
        if num_steps < 1:
            raise ValueError(f"num_steps must be at least 1, got {num_steps}.")
        self.images = images
        self.make_batch = make_batch
        self.batch_size = int(batch_size)
        self.num_steps = int(num_steps)
        self.seed = int(seed)

    def __len__(self) -> int:
        return self.num_steps

    def __getitem__(self, index: int) -> tuple[Any, np.ndarray]:
        if not 0 <= index < self.num_steps:
            raise IndexError(f"batch {index} of {self.num_steps}")
        generator = np.random.default_rng([self.seed, int(index)])
        chosen = np.sort(generator.choice(len(self.images), size=self.batch_size, replace=False))
        return self.make_batch(self.images[chosen], int(generator.integers(2**31)))
