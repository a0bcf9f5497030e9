"""Tests of helpers.pretext.jigsaw (notebook 10): permutation sets, tiles, per-tile normalisation."""

import itertools
import math

import keras
import numpy as np
import pytest

from helpers.pretext import jigsaw
from helpers.pretext.jigsaw import (
    hamming_distances,
    jigsaw_puzzles,
    jigsaw_tiles,
    jitter_channels,
    normalize_tiles,
    random_grayscale,
    random_permutations,
    select_permutations,
)


def coordinate_images(n=3, size=32):
    """Channel 0 holds each pixel's row, channel 1 its column, channel 2 the image's number."""
    rows, columns = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    images = np.repeat(np.stack([rows, columns, 0 * rows], axis=-1)[None].astype("float32"), n, axis=0)
    images[..., 2] = np.arange(n)[:, None, None]
    return images


def is_permutation_set(permutations, num_tiles):
    rows = {tuple(row) for row in permutations}
    return len(rows) == len(permutations) and all(sorted(row) == list(range(num_tiles)) for row in rows)


def test_public_names_are_reexported_by_the_package():
    import helpers.pretext as pretext

    for name in jigsaw.__all__:
        assert hasattr(pretext, name), name


def test_hamming_distances_of_known_permutations():
    permutations = np.array([[0, 1, 2, 3], [1, 0, 2, 3], [3, 2, 1, 0]])
    np.testing.assert_array_equal(hamming_distances(permutations), [[0, 2, 4], [2, 0, 4], [4, 4, 0]])


def brute_force_check_greedy(permutations, num_tiles):
    """Each chosen permutation maximises the minimum distance to the ones chosen before it."""
    every = np.array(list(itertools.permutations(range(num_tiles))))
    for k in range(1, len(permutations)):
        before = permutations[:k]
        distance_to_set = np.min(np.sum(every[:, None, :] != before[None, :, :], axis=2), axis=1)
        chosen = np.min(np.sum(before != permutations[k], axis=1))
        assert chosen == distance_to_set.max(), f"step {k}: {chosen} < best {distance_to_set.max()}"


def test_select_permutations_is_the_greedy_max_min_hamming_set():
    for num_tiles, count in ((4, 24), (4, 10), (5, 30)):
        chosen = select_permutations(count, num_tiles=num_tiles, seed=3)
        assert chosen.shape == (count, num_tiles) and chosen.dtype == np.int64
        assert is_permutation_set(chosen, num_tiles)
        brute_force_check_greedy(chosen, num_tiles)


def test_select_permutations_for_nine_tiles_matches_brute_force_and_beats_random():
    chosen = select_permutations(12, num_tiles=9, seed=0)
    assert is_permutation_set(chosen, 9)
    brute_force_check_greedy(chosen, 9)
    off_diagonal = ~np.eye(12, dtype=bool)
    random_set = random_permutations(12, num_tiles=9, seed=0)
    assert hamming_distances(chosen)[off_diagonal].min() > hamming_distances(random_set)[off_diagonal].min()


def test_select_permutations_is_deterministic_per_seed():
    np.testing.assert_array_equal(select_permutations(30, seed=1), select_permutations(30, seed=1))
    assert not np.array_equal(select_permutations(30, seed=1), select_permutations(30, seed=2))


def test_permutation_sets_refuse_impossible_requests():
    assert len(select_permutations(math.factorial(4), num_tiles=4)) == 24
    with pytest.raises(ValueError, match="only 24"):
        select_permutations(25, num_tiles=4)
    with pytest.raises(ValueError, match="only 6"):
        random_permutations(7, num_tiles=3)
    with pytest.raises(ValueError, match="too many"):
        select_permutations(5, num_tiles=11)
    with pytest.raises(ValueError, match="positive"):
        select_permutations(0)


def test_random_permutations_are_distinct_and_deterministic():
    for num_tiles, count in ((3, 6), (9, 100)):
        drawn = random_permutations(count, num_tiles=num_tiles, seed=4)
        assert drawn.shape == (count, num_tiles) and is_permutation_set(drawn, num_tiles)
        np.testing.assert_array_equal(drawn, random_permutations(count, num_tiles=num_tiles, seed=4))


def corner(tile):
    top, left = int(tile[0, 0, 0]), int(tile[0, 0, 1])
    size = tile.shape[0]
    np.testing.assert_array_equal(tile[:, :, 0], np.repeat((top + np.arange(size))[:, None], size, axis=1))
    np.testing.assert_array_equal(tile[:, :, 1], np.repeat((left + np.arange(size))[None, :], size, axis=0))
    return top, left


def test_identity_permutation_cuts_the_cells_row_by_row():
    images = coordinate_images(n=2)
    identity = np.arange(9)[None]
    tiles = jigsaw_tiles(images, identity, np.zeros(2, int), grid=3, tile_size=8, jitter=0)
    assert tiles.shape == (2, 9, 8, 8, 3)
    for cell in range(9):  # cells of 10 pixels, 30 pixels centred in 32, tiles centred in cells
        assert corner(tiles[0, cell]) == (1 + 1 + 10 * (cell // 3), 1 + 1 + 10 * (cell % 3))


def test_slot_i_holds_the_tile_of_cell_permutation_i():
    images = coordinate_images(n=4)
    permutations = select_permutations(5, seed=0)
    index = np.array([0, 3, 4, 1])
    shuffled = jigsaw_tiles(images, permutations, index, grid=3, tile_size=8, jitter=0)
    ordered = jigsaw_tiles(images, np.arange(9)[None], np.zeros(4, int), grid=3, tile_size=8, jitter=0)
    for n in range(4):
        for slot in range(9):
            np.testing.assert_array_equal(shuffled[n, slot], ordered[n, permutations[index[n], slot]])


def test_jitter_keeps_each_tile_inside_its_cell():
    images = coordinate_images(n=200)
    identity = np.arange(4)[None]
    tiles = jigsaw_tiles(images, identity, np.zeros(200, int), grid=2, tile_size=13, jitter=3, seed=0)
    offsets = set()
    for n in range(200):
        for cell in range(4):
            top, left = corner(tiles[n, cell])
            offsets.add(top - 16 * (cell // 2))
            offsets.add(left - 16 * (cell % 2))
    assert offsets == {0, 1, 2, 3}  # cell 16, tile 13, jitter 3: every offset from 0 to 3 occurs
    np.testing.assert_array_equal(tiles, jigsaw_tiles(images, identity, np.zeros(200, int), 2, 13, 3, seed=0))


def test_jigsaw_tiles_check_their_arguments():
    images = coordinate_images(n=2)
    permutations = select_permutations(3)
    with pytest.raises(ValueError, match="does not fit"):
        jigsaw_tiles(images, permutations, [0, 1], grid=3, tile_size=9, jitter=2)
    with pytest.raises(ValueError, match="shape"):
        jigsaw_tiles(images, permutations[:, :4], [0, 1], grid=3)
    with pytest.raises(ValueError, match="permutation_index"):
        jigsaw_tiles(images, permutations, [0, 3], grid=3)
    with pytest.raises(ValueError, match="one permutation index per image"):
        jigsaw_tiles(images, permutations, [0], grid=3)


def test_jigsaw_puzzles_draw_labels_and_tiles_to_match():
    images = coordinate_images(n=20)
    permutations = select_permutations(10)
    tiles, index = jigsaw_puzzles(images, permutations, grid=3, tile_size=8, jitter=0, seed=1)
    assert tiles.shape == (20, 9, 8, 8, 3) and index.shape == (20,) and index.max() < 10
    expected = jigsaw_tiles(images, permutations, index, grid=3, tile_size=8, jitter=0)
    np.testing.assert_array_equal(tiles, expected)


def test_normalize_tiles_matches_keras_layer_normalization():
    tiles = np.random.default_rng(0).random((3, 9, 8, 8, 3)).astype("float32") * 5 + 2
    out = normalize_tiles(tiles)
    np.testing.assert_allclose(out.mean(axis=(-3, -2, -1)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(-3, -2, -1)), tiles.var(axis=(-3, -2, -1)) / (tiles.var(axis=(-3, -2, -1)) + 1e-3), rtol=1e-4)
    layer = keras.layers.LayerNormalization(axis=(-3, -2, -1), center=False, scale=False, epsilon=1e-3)
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(layer(tiles)), rtol=1e-4, atol=1e-4)


def edge_shift(channel, row_shift, column_shift):
    """Brute force: output[y, x] = input[clip(y - dy), clip(x - dx)]."""
    size = channel.shape[0]
    rows = np.clip(np.arange(size) - row_shift, 0, size - 1)
    columns = np.clip(np.arange(channel.shape[1]) - column_shift, 0, channel.shape[1] - 1)
    return channel[rows][:, columns]


def test_jitter_channels_shifts_each_channel_by_a_small_offset():
    tiles = np.random.default_rng(0).random((2, 4, 6, 6, 3)).astype("float32")
    np.testing.assert_array_equal(jitter_channels(tiles, max_shift=0), tiles)
    out = jitter_channels(tiles, max_shift=1, seed=3)
    assert out.shape == tiles.shape and out.dtype == tiles.dtype
    shifts_seen = set()
    for index in np.ndindex(2, 4):
        for channel in range(3):
            matches = [
                (dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                if np.array_equal(out[index][..., channel], edge_shift(tiles[index][..., channel], dy, dx))
            ]
            assert len(matches) == 1
            shifts_seen.add(matches[0])
    assert len(shifts_seen) > 1
    np.testing.assert_array_equal(out, jitter_channels(tiles, max_shift=1, seed=3))


def test_random_grayscale_turns_whole_tiles_grey():
    tiles = np.random.default_rng(0).random((5, 9, 4, 4, 3)).astype("float32")
    np.testing.assert_array_equal(random_grayscale(tiles, probability=0.0), tiles)
    grey = random_grayscale(tiles, probability=1.0)
    np.testing.assert_allclose(grey, np.repeat(tiles.mean(axis=-1, keepdims=True), 3, axis=-1), rtol=1e-6)
    some = random_grayscale(tiles, probability=0.5, seed=1).reshape(-1, 4, 4, 3)
    flat = tiles.reshape(-1, 4, 4, 3)
    changed = [not np.array_equal(a, b) for a, b in zip(some, flat)]
    for a, b, was_changed in zip(some, flat, changed):
        np.testing.assert_allclose(a, np.repeat(b.mean(axis=-1, keepdims=True), 3, axis=-1) if was_changed else b, rtol=1e-6)
    with pytest.raises(ValueError, match="probability"):
        random_grayscale(tiles, probability=1.5)


def test_closest_permutations_form_a_tight_cluster():
    for num_tiles, count in ((4, 8), (5, 12)):
        close = select_permutations(count, num_tiles=num_tiles, seed=2, farthest=False)
        assert is_permutation_set(close, num_tiles)
        every = np.array(list(itertools.permutations(range(num_tiles))))
        for k in range(1, count):  # brute force: each step minimises the largest distance to the set
            before = close[:k]
            remaining = np.array([p for p in every if not any(np.array_equal(p, q) for q in before)])
            spread = np.max(np.sum(remaining[:, None, :] != before[None, :, :], axis=2), axis=1)
            assert np.max(np.sum(before != close[k], axis=1)) == spread.min()
    off_diagonal = ~np.eye(30, dtype=bool)
    close, far = select_permutations(30, farthest=False), select_permutations(30)
    assert hamming_distances(close)[off_diagonal].mean() < hamming_distances(far)[off_diagonal].mean()
    assert hamming_distances(close)[off_diagonal].min() == 2


def test_jigsaw_network_reads_every_slot_through_one_encoder():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    encoder = keras.Model(inputs, keras.layers.Dense(4)(keras.layers.Flatten()(inputs)))
    network = jigsaw.jigsaw_network(encoder, num_tiles=9, num_permutations=10, hidden=6)
    assert network.output_shape == (None, 10)
    assert network.count_params() == encoder.count_params() + (9 * 4 * 6 + 6) + (6 * 10 + 10)
    tiles = np.random.default_rng(0).random((3, 9, 8, 8, 3)).astype("float32")
    probabilities = network.predict(tiles, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(probabilities, network.predict(tiles[:, ::-1], verbose=0))  # slot order matters
    # per-tile normalisation: brightness and contrast of a tile change (almost: epsilon) nothing
    np.testing.assert_allclose(network.predict(3 * tiles + 1, verbose=0), probabilities, atol=2e-3)
