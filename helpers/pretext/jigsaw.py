"""Jigsaw puzzles: permutation sets and tiles (notebook 10).

Introduced in notebook 10.

The pretext task of Noroozi and Favaro (2016): cut an image into a grid of tiles, shuffle them
with one permutation from a fixed set, and ask a network that sees every tile through the same
encoder which permutation it was. The set is chosen greedily so that its permutations are far
apart in Hamming distance (the number of slots in which two permutations differ), which keeps
the task unambiguous.

Convention: grid cells are numbered row by row from 0; for permutation ``p``, output slot ``i``
holds the tile of cell ``p[i]``. ``normalize_tiles``, ``jitter_channels`` and ``random_grayscale``
take away the low-level cues (brightness, contrast, colour fringes) that notebook 09 measured.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from helpers.pretext.patches import NORMALIZATION_EPSILON

__all__ = [
    "MAX_ENUMERATED_TILES",
    "TILE_EPSILON",
    "select_permutations",
    "random_permutations",
    "hamming_distances",
    "jigsaw_network",
    "jigsaw_tiles",
    "jigsaw_puzzles",
    "normalize_tiles",
    "jitter_channels",
    "random_grayscale",
]

#: The epsilon of per-tile normalisation (``normalize_tiles`` and the networks' ``LayerNormalization``).
TILE_EPSILON = NORMALIZATION_EPSILON
#: ``select_permutations`` enumerates all ``num_tiles!`` permutations: 10 tiles (3.6 million) at most.
MAX_ENUMERATED_TILES = 10


def _check_counts(num_permutations: int, num_tiles: int) -> None:
    if isinstance(num_tiles, bool) or not isinstance(num_tiles, (int, np.integer)) or num_tiles < 2:
        raise ValueError(f"num_tiles must be an integer >= 2, got {num_tiles!r}.")
    if isinstance(num_permutations, bool) or not isinstance(num_permutations, (int, np.integer)) or num_permutations < 1:
        raise ValueError(f"num_permutations must be a positive integer, got {num_permutations!r}.")
    total = math.factorial(num_tiles)
    if num_permutations > total:
        raise ValueError(
            f"{num_tiles} tiles have only {total:,} permutations; {num_permutations:,} were asked for."
        )


def _all_permutations(num_tiles: int) -> np.ndarray:
    """Every permutation of ``range(num_tiles)`` as ``int8`` rows (built by inserting 0, 1, 2, ... in turn)."""
    if num_tiles > MAX_ENUMERATED_TILES:
        raise ValueError(
            f"select_permutations enumerates all {num_tiles}! permutations, too many for {num_tiles} tiles "
            f"(at most {MAX_ENUMERATED_TILES}); use random_permutations instead."
        )
    every = np.zeros((1, 0), dtype=np.int8)
    for size in range(1, num_tiles + 1):
        count = len(every)
        grown = np.empty((count * size, size), dtype=np.int8)
        for position in range(size):
            block = grown[position * count : (position + 1) * count]
            block[:, :position] = every[:, :position]
            block[:, position] = size - 1
            block[:, position + 1 :] = every[:, position:]
        every = grown
    return every


def _matches(columns: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """How many slots each candidate (a column of ``columns``, shape (tiles, candidates)) shares with ``permutation``."""
    same = np.zeros(columns.shape[1], dtype=np.int8)
    for slot, value in enumerate(permutation):
        same += columns[slot] == value
    return same


def select_permutations(
    num_permutations: int, num_tiles: int = 9, seed: int = 0, farthest: bool = True
) -> np.ndarray:
    """Permutations chosen greedily to maximise the minimum Hamming distance to those already chosen.

    Introduced in notebook 10 (Noroozi and Favaro's selection). The first permutation is drawn at
    random; each next one is a permutation whose smallest Hamming distance to the chosen set is
    the largest (ties go to a random one). A running minimum per candidate keeps each step to one
    pass over the ``num_tiles!`` candidates (well under a second for 9 tiles and 100 permutations).
    ``farthest=False`` builds the opposite, a tight cluster: each next permutation is one whose
    *largest* distance to the chosen set is the smallest (a running maximum), so that many pairs
    differ in only two or three slots. Deterministic per ``seed``. Returns ``int64`` of shape
    ``(num_permutations, num_tiles)``.

    Raises:
        ValueError: more permutations than exist, or too many tiles to enumerate.
    """
    _check_counts(num_permutations, num_tiles)
    if not farthest:
        return _closest_permutations(num_permutations, num_tiles, seed)
    generator = np.random.default_rng(seed)
    candidates = _all_permutations(num_tiles)
    candidates = candidates[generator.permutation(len(candidates))]  # random order: random tie-breaks
    columns = np.ascontiguousarray(candidates.T)  # one contiguous row per slot: fast comparisons
    chosen = [0]
    nearest = (num_tiles - _matches(columns, candidates[0])).astype(np.int8)
    for _ in range(num_permutations - 1):
        index = int(np.argmax(nearest))  # already chosen candidates have distance 0
        chosen.append(index)
        np.minimum(nearest, num_tiles - _matches(columns, candidates[index]), out=nearest)
    return candidates[chosen].astype("int64")


def _closest_permutations(num_permutations: int, num_tiles: int, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    candidates = _all_permutations(num_tiles)
    candidates = candidates[generator.permutation(len(candidates))]
    columns = np.ascontiguousarray(candidates.T)
    chosen = [0]
    taken = np.zeros(len(candidates), dtype=bool)
    taken[0] = True
    farthest = (num_tiles - _matches(columns, candidates[0])).astype(np.int8)
    for _ in range(num_permutations - 1):
        index = int(np.argmin(np.where(taken, np.int8(num_tiles + 1), farthest)))
        chosen.append(index)
        taken[index] = True
        np.maximum(farthest, num_tiles - _matches(columns, candidates[index]), out=farthest)
    return candidates[chosen].astype("int64")


def random_permutations(num_permutations: int, num_tiles: int = 9, seed: int = 0) -> np.ndarray:
    """``num_permutations`` distinct permutations of ``range(num_tiles)`` drawn uniformly at random.

    Introduced in notebook 10: the baseline set of the same size as ``select_permutations``.
    Deterministic per ``seed``.
    """
    _check_counts(num_permutations, num_tiles)
    generator = np.random.default_rng(seed)
    if math.factorial(num_tiles) <= 4 * num_permutations:
        every = _all_permutations(num_tiles)
        return every[np.sort(generator.choice(len(every), num_permutations, replace=False))].astype("int64")
    chosen: dict[tuple[int, ...], None] = {}
    while len(chosen) < num_permutations:
        chosen.setdefault(tuple(int(v) for v in generator.permutation(num_tiles)), None)
    return np.array(list(chosen), dtype="int64")


def hamming_distances(permutations: np.ndarray) -> np.ndarray:
    """The ``(P, P)`` matrix of Hamming distances: in how many slots two permutations differ.

    Introduced in notebook 10.
    """
    permutations = np.asarray(permutations)
    if permutations.ndim != 2:
        raise ValueError(f"permutations must be a 2-D array (P, num_tiles), got shape {permutations.shape}.")
    return np.sum(permutations[:, None, :] != permutations[None, :, :], axis=2)


def _check_permutations(permutations: np.ndarray, num_tiles: int) -> np.ndarray:
    permutations = np.asarray(permutations)
    if permutations.ndim != 2 or permutations.shape[1] != num_tiles:
        raise ValueError(f"permutations must have shape (P, {num_tiles}) for this grid, got {permutations.shape}.")
    if not np.all(np.sort(permutations, axis=1) == np.arange(num_tiles)):
        raise ValueError(f"Every row of permutations must be a permutation of range({num_tiles}).")
    return permutations.astype("int64")


def jigsaw_network(
    encoder: Any, num_tiles: int, num_permutations: int, hidden: int = 128, normalize: bool = True,
    name: str = "jigsaw",
) -> Any:
    """Noroozi and Favaro's network: every tile through one shared encoder, features concatenated in slot order.

    Introduced in notebook 10. Input ``(num_tiles, height, width, channels)`` tiles; with
    ``normalize`` each tile is standardized first (``LayerNormalization`` over its pixels and
    channels, the formula of ``normalize_tiles``); ``TimeDistributed`` reshapes the tiles to one
    batch for the encoder; a hidden layer and a softmax over the ``num_permutations``
    permutations follow.
    """
    import keras
    from keras import layers

    if num_tiles < 2 or num_permutations < 2 or hidden < 1:
        raise ValueError(
            f"num_tiles and num_permutations must be >= 2 and hidden >= 1, got {num_tiles}, {num_permutations}, {hidden}."
        )
    inputs = keras.Input(shape=(num_tiles, *encoder.input_shape[1:]), name="tiles")
    tiles = inputs
    if normalize:
        tiles = layers.LayerNormalization(
            axis=(-3, -2, -1), center=False, scale=False, epsilon=TILE_EPSILON, name="tile_normalization"
        )(tiles)
    features = layers.TimeDistributed(encoder, name="shared_encoder")(tiles)
    features = layers.Flatten(name="slots_in_order")(features)
    features = layers.Dense(hidden, activation="relu", name="jigsaw_hidden")(features)
    outputs = layers.Dense(num_permutations, activation="softmax", name="permutation")(features)
    return keras.Model(inputs, outputs, name=name)


def jigsaw_tiles(
    images: np.ndarray,
    permutations: np.ndarray,
    permutation_index: np.ndarray,
    grid: int = 3,
    tile_size: int = 8,
    jitter: int = 1,
    seed: int = 0,
) -> np.ndarray:
    """Shuffled tiles of each image: ``(n, grid*grid, tile_size, tile_size, channels)``.

    Introduced in notebook 10. The image's centred ``grid x grid`` cells have
    ``min(height, width) // grid`` pixels; each tile is cut from its cell without resampling,
    ``tile_size`` pixels wide, at a random offset of 0 to ``jitter`` pixels (per axis) from the
    cell's centred position. Output slot ``i`` of image ``n`` holds the tile of cell
    ``permutations[permutation_index[n], i]`` (cells numbered row by row). Deterministic per
    ``seed``.

    Raises:
        ValueError: not a batch of images, a tile with its jitter larger than a cell, permutations
            of the wrong length, or indices outside the permutation set.
    """
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty batch (n, height, width, channels), got shape {images.shape}.")
    if grid < 1 or tile_size < 1 or jitter < 0:
        raise ValueError(f"grid and tile_size must be positive and jitter >= 0, got {grid}, {tile_size}, {jitter}.")
    num_tiles = grid * grid
    permutations = _check_permutations(permutations, num_tiles)
    permutation_index = np.asarray(permutation_index).reshape(-1)
    if len(permutation_index) != len(images):
        raise ValueError(f"Give one permutation index per image: {len(permutation_index)} for {len(images)} images.")
    if permutation_index.min() < 0 or permutation_index.max() >= len(permutations):
        raise ValueError(f"permutation_index must lie in [0, {len(permutations)}).")
    cell = min(images.shape[1], images.shape[2]) // grid
    if tile_size + jitter > cell:
        raise ValueError(
            f"A {tile_size}-pixel tile with up to {jitter} pixels of jitter does not fit a {cell}-pixel cell "
            f"({images.shape[1]}x{images.shape[2]} images, a {grid}x{grid} grid)."
        )
    generator = np.random.default_rng(seed)
    count = len(images)
    margin_top = (images.shape[1] - grid * cell) // 2
    margin_left = (images.shape[2] - grid * cell) // 2
    base = (cell - tile_size - jitter) // 2
    cells = np.arange(num_tiles)
    top = margin_top + cell * (cells // grid) + base + generator.integers(0, jitter + 1, size=(count, num_tiles))
    left = margin_left + cell * (cells % grid) + base + generator.integers(0, jitter + 1, size=(count, num_tiles))
    source = permutations[permutation_index]  # (n, slots): the cell each slot shows
    top = np.take_along_axis(top, source, axis=1)
    left = np.take_along_axis(left, source, axis=1)
    steps = np.arange(tile_size)
    rows = (top[:, :, None] + steps)[:, :, :, None]
    columns = (left[:, :, None] + steps)[:, :, None, :]
    return images[np.arange(count)[:, None, None, None], rows, columns]


def jigsaw_puzzles(
    images: np.ndarray,
    permutations: np.ndarray,
    grid: int = 3,
    tile_size: int = 8,
    jitter: int = 1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """One puzzle per image: ``(tiles, permutation_index)`` with the index drawn uniformly.

    Introduced in notebook 10; ``jigsaw_tiles`` with random labels. Deterministic per ``seed``.
    """
    permutations = np.asarray(permutations)
    generator = np.random.default_rng(seed)
    index = generator.integers(0, len(permutations), size=len(images))
    tiles = jigsaw_tiles(images, permutations, index, grid, tile_size, jitter, seed=int(generator.integers(2**31)))
    return tiles, index.astype("int64")


def normalize_tiles(tiles: np.ndarray, epsilon: float = TILE_EPSILON) -> np.ndarray:
    """Each tile standardized on its own: mean 0 and variance 1 over its pixels and channels.

    Introduced in notebook 10 (Noroozi and Favaro normalize every tile independently, so that
    brightness and contrast cannot tell neighbouring tiles). ``(x - mean) / sqrt(var + epsilon)``
    over the last three axes, the formula of ``keras.layers.LayerNormalization(axis=(-3, -2, -1),
    center=False, scale=False, epsilon=epsilon)``. Returns ``float32``.
    """
    tiles = np.asarray(tiles, dtype="float32")
    if tiles.ndim < 3:
        raise ValueError(f"tiles must end with (height, width, channels), got shape {tiles.shape}.")
    mean = tiles.mean(axis=(-3, -2, -1), keepdims=True)
    variance = tiles.var(axis=(-3, -2, -1), keepdims=True)
    return (tiles - mean) / np.sqrt(variance + epsilon)


def jitter_channels(tiles: np.ndarray, max_shift: int = 1, seed: int = 0) -> np.ndarray:
    """Shift every colour channel of every tile by its own random offset of up to ``max_shift`` pixels.

    Introduced in notebook 10 (Noroozi and Favaro's colour-channel jitter): offsets between the
    channels then vary at random and no longer reveal where a tile was cut (the chromatic
    aberration of notebook 09). Pixels shifted in from outside repeat the edge. Deterministic per
    ``seed``; the output has the input's shape and dtype.
    """
    tiles = np.asarray(tiles)
    if tiles.ndim < 3:
        raise ValueError(f"tiles must end with (height, width, channels), got shape {tiles.shape}.")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}.")
    shape = tiles.shape
    height, width, channels = shape[-3:]
    flat = tiles.reshape(-1, height, width, channels)
    generator = np.random.default_rng(seed)
    shift_rows = generator.integers(-max_shift, max_shift + 1, size=(len(flat), channels))
    shift_columns = generator.integers(-max_shift, max_shift + 1, size=(len(flat), channels))
    rows = np.clip(np.arange(height)[None, :, None] - shift_rows[:, None, :], 0, height - 1)  # (m, h, c)
    columns = np.clip(np.arange(width)[None, :, None] - shift_columns[:, None, :], 0, width - 1)  # (m, w, c)
    shifted = flat[
        np.arange(len(flat))[:, None, None, None], rows[:, :, None, :], columns[:, None, :, :], np.arange(channels)
    ]
    return shifted.reshape(shape)


def random_grayscale(tiles: np.ndarray, probability: float = 0.3, seed: int = 0) -> np.ndarray:
    """Turn each tile grey (the mean of its channels, on every channel) with ``probability``.

    Introduced in notebook 10. Deterministic per ``seed``; returns ``float32``.
    """
    tiles = np.asarray(tiles, dtype="float32")
    if tiles.ndim < 3:
        raise ValueError(f"tiles must end with (height, width, channels), got shape {tiles.shape}.")
    if not 0 <= probability <= 1:
        raise ValueError(f"probability must lie in [0, 1], got {probability}.")
    shape = tiles.shape
    flat = tiles.reshape(-1, *shape[-3:]).copy()
    grey = np.random.default_rng(seed).random(len(flat)) < probability
    flat[grey] = flat[grey].mean(axis=-1, keepdims=True)
    return flat.reshape(shape)
