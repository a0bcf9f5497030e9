"""Tests of helpers.pretext.exemplar (notebook 12)."""

import numpy as np
import pytest

from helpers import augment, pretext
from helpers.pretext import exemplar
from helpers.pretext.exemplar import (
    DISTORTION_FAMILIES,
    SurrogateBatches,
    exemplar_augmenter,
    exemplar_positions,
    exemplar_seeds,
    gradient_energy,
    patch_energy,
    placement_probabilities,
    surrogate_samples,
    surrogate_schedule,
)


def _images(n=6, height=10, width=10, channels=3, seed=0):
    return np.random.default_rng(seed).random((n, height, width, channels)).astype("float32")


def _textured_corner(n=50, size=12, texture=4, seed=0):
    """Flat grey images with random texture in the top-left ``texture x texture`` corner only."""
    images = np.full((n, size, size, 1), 0.5, dtype="float32")
    images[:, :texture, :texture, :] = np.random.default_rng(seed).random((n, texture, texture, 1))
    return images


def test_the_package_re_exports_the_public_names():
    for name in exemplar.__all__:
        assert hasattr(pretext, name)
    assert set(DISTORTION_FAMILIES) == {"translation", "scale", "rotation", "contrast", "colour"}


def test_gradient_energy_of_a_vertical_edge():
    image = np.zeros((1, 4, 6, 1))
    image[..., 3:, :] = 1.0  # columns 3-5 are white
    energy = gradient_energy(image)[0]
    # np.gradient: central differences inside, so columns 2 and 3 see a step of 0.5 each
    np.testing.assert_allclose(energy, np.tile([0, 0, 0.25, 0.25, 0, 0], (4, 1)))


def test_gradient_energy_sums_channels_of_central_differences():
    images = _images(n=2, channels=3)
    expected = np.zeros(images.shape[:3])
    for channel in range(3):
        dy, dx = np.gradient(images[..., channel].astype("float64"), axis=(1, 2))
        expected += dy**2 + dx**2
    np.testing.assert_allclose(gradient_energy(images), expected)


def test_patch_energy_matches_brute_force_window_means():
    images = _images(n=3, height=9, width=7)
    energy = gradient_energy(images)
    result = patch_energy(images, 4)
    assert result.shape == (3, 6, 4)
    for i in range(3):
        for top in range(6):
            for left in range(4):
                assert result[i, top, left] == pytest.approx(energy[i, top : top + 4, left : left + 4].mean())


def test_gradient_placement_probabilities_are_proportional_to_patch_energy():
    images = _images(n=4, height=8, width=8)
    probabilities = placement_probabilities(images, 3, "gradient")
    energy = patch_energy(images, 3).reshape(4, -1)
    np.testing.assert_allclose(probabilities, energy / energy.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(placement_probabilities(images, 3, "uniform"), np.full((4, 36), 1 / 36))


def test_an_image_without_gradient_falls_back_to_uniform():
    flat = np.full((2, 6, 6, 3), 0.3, dtype="float32")
    np.testing.assert_allclose(placement_probabilities(flat, 2, "gradient"), np.full((2, 25), 1 / 25))
    positions = exemplar_positions(flat, 2, 2, seed=0)
    assert np.all((0 <= positions.top) & (positions.top <= 4))


def test_gradient_placement_never_picks_a_patch_without_gradient():
    images = _textured_corner()
    positions = exemplar_positions(images, 50, 4, seed=3, placement="gradient")
    # a 4x4 patch has gradient only if it reaches the textured corner (rows/columns 0-4 with borders)
    assert np.all(positions.top <= 4) and np.all(positions.left <= 4)
    uniform = exemplar_positions(images, 50, 4, seed=3, placement="uniform")
    assert np.any((uniform.top > 4) | (uniform.left > 4))


def test_seeds_come_from_different_images_at_their_positions():
    images = _images(n=8, height=10, width=10)
    positions = exemplar_positions(images, 5, 4, seed=1)
    assert len(set(positions.image_index.tolist())) == 5
    patches = exemplar_seeds(images, 5, 4, seed=1)
    assert patches.shape == (5, 4, 4, 3)
    for patch, index, top, left in zip(patches, *positions):
        np.testing.assert_array_equal(patch, images[index, top : top + 4, left : left + 4])


def test_seeds_are_deterministic_per_seed_and_leave_the_input_alone():
    images = _images(n=20)
    before = images.copy()
    first = exemplar_seeds(images, 10, 5, seed=4)
    np.testing.assert_array_equal(first, exemplar_seeds(images, 10, 5, seed=4))
    assert not np.array_equal(first, exemplar_seeds(images, 10, 5, seed=5))
    np.testing.assert_array_equal(images, before)


def test_more_seeds_than_images_and_bad_arguments_are_refused():
    images = _images(n=4)
    with pytest.raises(ValueError, match="only 4 images"):
        exemplar_seeds(images, 5, 3)
    with pytest.raises(ValueError, match="patch_size"):
        exemplar_seeds(images, 2, 11)
    with pytest.raises(ValueError, match="placement"):
        exemplar_seeds(images, 2, 3, placement="centre")
    with pytest.raises(ValueError, match="num_seeds"):
        exemplar_seeds(images, 0, 3)
    with pytest.raises(ValueError, match="batch"):
        gradient_energy(np.zeros((4, 4)))


def test_augmenter_families_map_to_the_augment_layers():
    full = exemplar_augmenter(seed=0)
    geometry, colour = full.layers
    assert isinstance(geometry, augment.RandomAffine) and isinstance(colour, augment.RandomColorJitter)
    assert geometry.translation == 0.2 and geometry.rotation_degrees == 20.0 and geometry.zoom_range == (0.7, 1.4)
    assert (colour.contrast, colour.brightness, colour.saturation, colour.hue) == (0.5, 0.1, 0.5, 0.1)
    without_rotation = exemplar_augmenter([f for f in DISTORTION_FAMILIES if f != "rotation"], seed=0)
    assert without_rotation.layers[0].rotation_degrees == 0.0 and without_rotation.layers[0].translation == 0.2
    colour_only = exemplar_augmenter(["colour"], seed=0)
    assert len(colour_only.layers) == 1 and colour_only.layers[0].contrast == 0.0
    with pytest.raises(ValueError, match="Unknown distortion"):
        exemplar_augmenter(["blur"])


def test_augmenter_is_seeded_and_inactive_outside_training():
    patches = _images(n=4, height=16, width=16)
    first = np.asarray(exemplar_augmenter(seed=7)(patches, training=True))
    second = np.asarray(exemplar_augmenter(seed=7)(patches, training=True))
    np.testing.assert_allclose(first, second)
    assert not np.allclose(first, patches)
    np.testing.assert_array_equal(np.asarray(exemplar_augmenter(seed=7)(patches, training=False)), patches)
    np.testing.assert_array_equal(np.asarray(exemplar_augmenter([], seed=7)(patches, training=True)), patches)


def test_colour_distortions_keep_the_geometry_of_a_grey_image():
    """Contrast and colour change values, never positions: a grey image's edges stay in place."""
    image = np.zeros((1, 8, 8, 3), dtype="float32")
    image[:, :, 4:, :] = 0.8
    result = np.asarray(exemplar_augmenter(["contrast", "colour"], seed=1)(image, training=True))
    np.testing.assert_allclose(result[:, :, :4], result[:, :, :1].repeat(4, axis=2), atol=1e-6)
    assert np.all(result[:, :, 4:].mean() > result[:, :, :4].mean())


def test_schedule_shows_every_item_equally_often():
    schedule = surrogate_schedule(10, 4, 25, seed=0)
    assert schedule.shape == (25, 4)
    np.testing.assert_array_equal(np.bincount(schedule.ravel(), minlength=10), np.full(10, 10))
    partial = surrogate_schedule(7, 3, 5, seed=1)
    counts = np.bincount(partial.ravel(), minlength=7)
    assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(surrogate_schedule(7, 3, 5, seed=1), partial)
    with pytest.raises(ValueError, match="steps"):
        surrogate_schedule(7, 3, 0)


def test_surrogate_batches_follow_the_schedule():
    patches = _images(n=6)
    labels = np.arange(6)
    batches = SurrogateBatches(patches, labels, batch_size=4, steps=3, seed=2)
    assert len(batches) == 3
    schedule = surrogate_schedule(6, 4, 3, seed=2)
    for step in range(3):
        images, classes = batches[step]
        np.testing.assert_array_equal(classes, schedule[step])
        np.testing.assert_array_equal(images, patches[schedule[step]])
    with pytest.raises(ValueError, match="one label per image"):
        SurrogateBatches(patches, labels[:5], batch_size=4, steps=3)


def test_surrogate_samples_are_class_by_class_distortions():
    patches = _images(n=3, height=12, width=12)
    images, labels = surrogate_samples(patches, 4, exemplar_augmenter(seed=3))
    assert images.shape == (12, 12, 12, 3)
    np.testing.assert_array_equal(labels, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    assert not np.allclose(images[0], images[1])  # two distortions of one seed differ
    again, _ = surrogate_samples(patches, 4, exemplar_augmenter(seed=3))
    np.testing.assert_allclose(images, again)
    identity, _ = surrogate_samples(patches, 2, exemplar_augmenter([], seed=3))
    np.testing.assert_array_equal(identity, np.repeat(patches, 2, axis=0))
    with pytest.raises(ValueError, match="samples_per_class"):
        surrogate_samples(patches, 0, exemplar_augmenter(seed=3))
