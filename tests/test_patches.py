"""Tests of helpers.pretext.patches (notebook 09): relative patch pairs, chromatic aberration, remedies."""

import keras
import numpy as np
import pytest

from helpers import evaluation
from helpers.pretext import patches
from helpers.pretext.patches import (
    NEIGHBOUR_OFFSETS,
    PretextBatches,
    absolute_patches,
    chromatic_aberration,
    drop_channels,
    grid_extent,
    grid_patches,
    patch_grid_model,
    project_out_green_magenta,
    relative_patch_pairs,
    to_grayscale,
)


def coordinate_images(n=4, height=32, width=32):
    """Channel 0 holds each pixel's row, channel 1 its column, channel 2 the image's number."""
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    image = np.stack([rows, columns, np.zeros_like(rows)], axis=-1).astype("float32")
    images = np.repeat(image[None], n, axis=0)
    images[..., 2] = np.arange(n)[:, None, None]
    return images


def corner(patch):
    """(top, left) of a patch of coordinate_images, checking it is an unresampled block."""
    top, left = int(patch[0, 0, 0]), int(patch[0, 0, 1])
    size = patch.shape[0]
    np.testing.assert_array_equal(patch[:, :, 0], top + np.arange(size)[:, None] + 0 * np.arange(size))
    np.testing.assert_array_equal(patch[:, :, 1], left + np.arange(size)[None, :] + 0 * np.arange(size)[:, None])
    return top, left


def test_public_names_are_reexported_by_the_package():
    import helpers.pretext as pretext

    for name in patches.__all__:
        assert hasattr(pretext, name), name
    assert {"relative_patch_pairs", "chromatic_aberration", "patch_grid_model"} <= set(patches.__all__)


def test_neighbours_are_numbered_row_by_row_like_doersch():
    brute_force = [(row, column) for row in (-1, 0, 1) for column in (-1, 0, 1) if (row, column) != (0, 0)]
    assert list(NEIGHBOUR_OFFSETS) == brute_force
    assert patches.POSITION_NAMES[1] == "top" and patches.POSITION_NAMES[6] == "bottom"
    assert patches.POSITION_NAMES[3] == "left" and patches.POSITION_NAMES[4] == "right"


def test_grid_extent_counts_patches_gaps_and_jitter():
    assert grid_extent(8, gap=2, jitter=1) == 3 * 8 + 2 * 2 + 2 * 1
    assert grid_extent(10) == 30
    assert grid_extent(14, gap=2, grid=2) == 30


def test_pairs_without_jitter_sit_exactly_one_pitch_apart():
    size = grid_extent(8, gap=2, jitter=0)  # the grid fills the image: no random placement
    images = coordinate_images(n=40, height=size, width=size)
    pairs = relative_patch_pairs(images, patch_size=8, gap=2, jitter=0, seed=3)
    assert pairs.centre.shape == (40, 8, 8, 3) and pairs.neighbour.shape == (40, 8, 8, 3)
    assert pairs.position.dtype == np.int64 and set(pairs.position) <= set(range(8))
    for n in range(40):
        assert corner(pairs.centre[n]) == (10, 10)
        row, column = NEIGHBOUR_OFFSETS[pairs.position[n]]
        assert corner(pairs.neighbour[n]) == (10 + 10 * row, 10 + 10 * column)
        assert pairs.centre[n, 0, 0, 2] == n and pairs.neighbour[n, 0, 0, 2] == n  # from its own image


def test_jitter_moves_each_patch_by_at_most_jitter_pixels():
    size = grid_extent(6, gap=2, jitter=2)
    images = coordinate_images(n=300, height=size, width=size)
    pairs = relative_patch_pairs(images, patch_size=6, gap=2, jitter=2, seed=0)
    centre_offsets, neighbour_offsets = [], []
    for n in range(300):
        top, left = corner(pairs.centre[n])
        centre_offsets += [top - 10, left - 10]  # cell (1, 1) starts at jitter + pitch = 2 + 8
        row, column = NEIGHBOUR_OFFSETS[pairs.position[n]]
        top, left = corner(pairs.neighbour[n])
        neighbour_offsets += [top - (10 + 8 * row), left - (10 + 8 * column)]
    for offsets in (centre_offsets, neighbour_offsets):
        assert min(offsets) == -2 and max(offsets) == 2


def test_pairs_are_deterministic_per_seed_and_keep_the_input():
    images = coordinate_images(n=10)
    before = images.copy()
    first = relative_patch_pairs(images, 8, 2, 1, seed=5)
    again = relative_patch_pairs(images, 8, 2, 1, seed=5)
    other = relative_patch_pairs(images, 8, 2, 1, seed=6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    np.testing.assert_array_equal(images, before)


def test_pairs_refuse_a_grid_that_does_not_fit():
    images = coordinate_images(n=2)
    relative_patch_pairs(images, patch_size=8, gap=3, jitter=1, seed=0)  # 24 + 6 + 2 = 32: fits exactly
    with pytest.raises(ValueError, match="needs 33x33"):
        relative_patch_pairs(images, patch_size=9, gap=2, jitter=1, seed=0)  # 27 + 4 + 2 = 33
    with pytest.raises(ValueError, match="batch"):
        relative_patch_pairs(images[0], 8, 2, 1)
    with pytest.raises(ValueError, match="gap"):
        relative_patch_pairs(images, 8, -1, 1)


def test_absolute_patches_come_from_the_cell_they_are_labelled_with():
    size = grid_extent(8, gap=2, jitter=0)
    images = coordinate_images(n=60, height=size, width=size)
    cut, cell = absolute_patches(images, patch_size=8, gap=2, jitter=0, seed=1)
    assert cut.shape == (60, 8, 8, 3) and set(cell) <= set(range(9))
    for n in range(60):
        assert corner(cut[n]) == (10 * (cell[n] // 3), 10 * (cell[n] % 3))


def test_grid_patches_cut_a_centred_fixed_grid():
    images = coordinate_images(n=2)
    cut = grid_patches(images, patch_size=8, stride=10, grid=3)
    assert cut.shape == (2, 9, 8, 8, 3)
    for k in range(9):
        assert corner(cut[0, k]) == (2 + 10 * (k // 3), 2 + 10 * (k % 3))  # 28 pixels centred in 32
    with pytest.raises(ValueError, match="spans"):
        grid_patches(images, patch_size=12, stride=12, grid=3)


def flatten_encoder(size=8, channels=3):
    inputs = keras.Input((size, size, channels))
    return keras.Model(inputs, keras.layers.Flatten()(inputs), name="flatten_encoder")


def test_patch_grid_model_averages_the_encoded_grid():
    images = np.random.default_rng(0).random((3, 32, 32, 3)).astype("float32")
    model = patch_grid_model(flatten_encoder(), (32, 32, 3), patch_size=8, stride=10)
    expected = grid_patches(images, 8, 10).reshape(3, 9, -1).mean(axis=1)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_patch_grid_model_can_normalize_each_patch():
    from helpers.pretext import jigsaw

    images = np.random.default_rng(1).random((2, 32, 32, 3)).astype("float32")
    model = patch_grid_model(flatten_encoder(), (32, 32, 3), patch_size=8, stride=10, normalize=True)
    expected = jigsaw.normalize_tiles(grid_patches(images, 8, 10)).reshape(2, 9, -1).mean(axis=1)
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-4, atol=1e-4)


def test_the_random_twin_of_a_patch_grid_model_has_fresh_weights():
    inputs = keras.Input((8, 8, 3))
    dense = keras.layers.Dense(5)(keras.layers.Flatten()(inputs))
    encoder = keras.Model(inputs, dense, name="tiny")
    model = patch_grid_model(encoder, (32, 32, 3), patch_size=8, stride=10)
    twin = evaluation.random_twin(model, seed=0)
    images = np.random.default_rng(2).random((4, 32, 32, 3)).astype("float32")
    assert twin.output_shape == model.output_shape == (None, 5)
    assert [w.shape for w in twin.weights] == [w.shape for w in model.weights]
    assert not np.allclose(twin.predict(images, verbose=0), model.predict(images, verbose=0))


def test_patch_grid_model_checks_the_encoder_input():
    with pytest.raises(ValueError, match="inputs"):
        patch_grid_model(flatten_encoder(size=10), (32, 32, 3), patch_size=8, stride=10)


def test_chromatic_aberration_magnifies_one_channel_about_the_centre():
    size, strength = 21, 0.2
    ramp = np.tile(np.arange(size, dtype="float32"), (size, 1))  # value = column
    images = np.stack([ramp, ramp, ramp], axis=-1)[None]
    out = chromatic_aberration(images, strength)
    centre = (size - 1) / 2
    expected = np.clip(centre + (np.arange(size) - centre) / (1 + strength), 0, size - 1)
    np.testing.assert_allclose(out[0, 3, :, 1], expected, rtol=1e-5)  # bilinear is exact on a ramp
    np.testing.assert_array_equal(out[..., 0], images[..., 0])
    np.testing.assert_array_equal(out[..., 2], images[..., 2])
    assert out[0, 10, 10, 1] == images[0, 10, 10, 1]  # the centre does not move
    # fringes point away from the centre: green lags behind red on the left, leads on the right
    difference = out[0, 3, :, 1] - out[0, 3, :, 0]
    assert np.all(difference[:10] > 0) and np.all(difference[11:] < 0)


def test_chromatic_aberration_of_strength_zero_is_the_identity():
    images = np.random.default_rng(0).random((2, 9, 9, 3)).astype("float32")
    np.testing.assert_allclose(chromatic_aberration(images, 0.0), images, atol=1e-7)
    with pytest.raises(ValueError, match="3 channels"):
        chromatic_aberration(images[..., :1], 0.1)
    with pytest.raises(ValueError, match="strength"):
        chromatic_aberration(images, -1.0)


def test_projection_removes_green_magenta_and_keeps_grey_and_red_blue():
    images = np.array([[[[0.0, 1.0, 0.0], [0.5, 0.5, 0.5], [1.0, 0.0, 0.0]]]], dtype="float32")
    out = project_out_green_magenta(images)
    np.testing.assert_allclose(out @ patches.GREEN_MAGENTA_AXIS, 0.0, atol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0], [1 / 3, 1 / 3, 1 / 3], atol=1e-6)  # pure green -> grey
    np.testing.assert_allclose(out[0, 0, 1], [0.5, 0.5, 0.5], atol=1e-6)  # grey stays
    red = out[0, 0, 2]
    assert red[0] - red[2] == pytest.approx(1.0)  # red against blue survives


def test_drop_channels_keeps_one_channel_and_replaces_two_with_faint_noise():
    images = np.random.default_rng(0).random((6, 16, 16, 3)).astype("float32")
    silent = drop_channels(images, noise_scale=0.0, seed=2)
    for n in range(6):
        kept = [c for c in range(3) if np.array_equal(silent[n, ..., c], images[n, ..., c])]
        assert len(kept) == 1
        assert np.all(np.delete(silent[n], kept[0], axis=-1) == 0)
    noisy = drop_channels(images, noise_scale=0.01, seed=2)
    np.testing.assert_array_equal(noisy, drop_channels(images, noise_scale=0.01, seed=2))
    for n in range(6):
        kept = [c for c in range(3) if np.array_equal(noisy[n, ..., c], images[n, ..., c])]
        assert len(kept) == 1
        dropped = np.delete(noisy[n], kept[0], axis=-1)
        assert 0 < dropped.std() < 0.05 * images[n, ..., kept[0]].std()


def test_to_grayscale_uses_luma_weights_on_every_channel():
    images = np.array([[[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]], dtype="float32")
    out = to_grayscale(images)
    np.testing.assert_allclose(out[0, 0, :, 0], [0.299, 0.587, 0.114], rtol=1e-6)
    assert out.shape == images.shape and np.all(out[..., 0] == out[..., 2])


def make_pairs(batch, seed):
    pairs = relative_patch_pairs(batch, 8, 2, 1, seed=seed)
    return (pairs.centre, pairs.neighbour), pairs.position


def test_pretext_batches_are_fresh_per_step_and_deterministic():
    images = coordinate_images(n=50)
    batches = PretextBatches(images, make_pairs, batch_size=16, num_steps=5, seed=1)
    assert len(batches) == 5
    (centre, neighbour), position = batches[2]
    assert centre.shape == (16, 8, 8, 3) and position.shape == (16,)
    assert len(set(centre[:, 0, 0, 2])) == 16  # sixteen different images
    (again, _), _ = PretextBatches(images, make_pairs, batch_size=16, num_steps=5, seed=1)[2]
    np.testing.assert_array_equal(centre, again)
    (other, _), _ = batches[3]
    assert not np.array_equal(centre, other)
    with pytest.raises(IndexError):
        batches[5]
    with pytest.raises(ValueError, match="batch_size"):
        PretextBatches(images, make_pairs, batch_size=51, num_steps=5)


def test_absolute_patches_can_cut_given_cells():
    size = grid_extent(8, gap=2, jitter=0)
    images = coordinate_images(n=9, height=size, width=size)
    cut, cell = absolute_patches(images, patch_size=8, gap=2, jitter=0, seed=0, cell=np.arange(9))
    np.testing.assert_array_equal(cell, np.arange(9))
    assert [corner(p) for p in cut] == [(10 * (k // 3), 10 * (k % 3)) for k in range(9)]
    with pytest.raises(ValueError, match="one cell"):
        absolute_patches(images, 8, 2, 0, cell=np.full(9, 9))


def test_relative_position_network_shares_one_encoder_between_the_patches():
    keras.utils.set_random_seed(0)
    encoder = keras.Model(inputs := keras.Input((8, 8, 3)), keras.layers.Dense(4)(keras.layers.Flatten()(inputs)))
    network = patches.relative_position_network(encoder, hidden=6)
    assert network.output_shape == (None, 8)
    head = 2 * 4 * 6 + 6 + 6 * 8 + 8
    assert network.count_params() == encoder.count_params() + head  # the encoder's weights appear once
    centre, neighbour = np.random.default_rng(0).random((2, 5, 8, 8, 3)).astype("float32")
    probabilities = network.predict([centre, neighbour], verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(probabilities, network.predict([neighbour, centre], verbose=0))  # order matters
