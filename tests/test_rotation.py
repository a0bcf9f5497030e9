"""Tests of helpers.pretext.rotation (notebook 07)."""

import numpy as np
import pytest

from helpers.pretext import rotation
from helpers.pretext.rotation import ROTATION_DEGREES, rotate_images, rotation_dataset


def _batch(n=5, size=4, channels=2, seed=0):
    return np.random.default_rng(seed).random((n, size, size, channels)).astype("float32")


def test_star_import_names_the_public_functions():
    import helpers.pretext as pretext

    for name in rotation.__all__:
        assert hasattr(pretext, name)
    assert {"rotate_images", "rotation_dataset"} <= set(rotation.__all__)
    assert ROTATION_DEGREES == (0, 90, 180, 270)


def test_rotate_images_matches_np_rot90_per_image():
    images = _batch(n=6)
    turns = np.array([0, 1, 2, 3, -1, 5])
    rotated = rotate_images(images, turns)
    assert rotated.shape == images.shape and rotated.dtype == images.dtype
    for image, turn, result in zip(images, turns, rotated):
        np.testing.assert_array_equal(result, np.rot90(image, k=turn, axes=(0, 1)))


def test_rotate_images_known_array_is_counter_clockwise():
    image = np.array([[1, 2], [3, 4]])[None, :, :, None]
    rotated = rotate_images(image, 1)[0, :, :, 0]
    # 90 degrees counter-clockwise: the top-right corner moves to the top-left.
    np.testing.assert_array_equal(rotated, [[2, 4], [1, 3]])
    np.testing.assert_array_equal(rotate_images(image, 2)[0, :, :, 0], [[4, 3], [2, 1]])


def test_rotate_images_four_turns_is_identity_and_input_unchanged():
    images = _batch()
    copy = images.copy()
    once = rotate_images(images, 1)
    np.testing.assert_array_equal(rotate_images(rotate_images(rotate_images(once, 1), 1), 1), images)
    np.testing.assert_array_equal(images, copy)


def test_rotate_images_rejects_bad_input():
    with pytest.raises(ValueError, match="batch"):
        rotate_images(np.zeros((4, 4)), 1)
    with pytest.raises(ValueError, match="one per image"):
        rotate_images(_batch(n=3), [0, 1])
    with pytest.raises(ValueError, match="integers"):
        rotate_images(_batch(n=2), [0.5, 1.0])
    non_square = np.zeros((2, 4, 6, 1))
    with pytest.raises(ValueError, match="square"):
        rotate_images(non_square, [0, 1])
    # 180 degrees keeps the shape of a non-square image, so it is allowed.
    np.testing.assert_array_equal(rotate_images(non_square, 2), non_square)


def test_rotation_dataset_all_mode_yields_every_rotation_of_every_image():
    images = _batch(n=4)
    data = rotation_dataset(images, mode="all", seed=3)
    assert data.images.shape == (16, 4, 4, 2)
    assert data.labels.dtype == np.int64 and data.source_index.dtype == np.int64
    pairs = sorted(zip(data.source_index.tolist(), data.labels.tolist()))
    assert pairs == [(i, r) for i in range(4) for r in range(4)]
    for image, label, source in zip(*data):
        np.testing.assert_array_equal(image, np.rot90(images[source], k=label, axes=(0, 1)))


def test_rotation_dataset_unshuffled_order_and_subset_of_rotations():
    images = _batch(n=3)
    data = rotation_dataset(images, rotations=(0, 2), shuffle=False)
    np.testing.assert_array_equal(data.source_index, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(data.labels, [0, 1, 0, 1, 0, 1])
    # label 1 means the second rotation listed: 2 quarter turns (180 degrees).
    np.testing.assert_array_equal(data.images[1], np.rot90(images[0], k=2, axes=(0, 1)))


def test_rotation_dataset_random_mode_one_rotation_per_image_and_balanced():
    images = _batch(n=400, size=2, channels=1)
    data = rotation_dataset(images, mode="random", seed=1)
    assert len(data.labels) == 400
    np.testing.assert_array_equal(np.sort(data.source_index), np.arange(400))
    counts = np.bincount(data.labels, minlength=4)
    assert counts.min() > 60  # about 100 each
    for image, label, source in zip(*data):
        np.testing.assert_array_equal(image, np.rot90(images[source], k=label, axes=(0, 1)))


def test_rotation_dataset_is_deterministic_per_seed():
    images = _batch(n=20)
    for mode in ("all", "random"):
        first = rotation_dataset(images, mode=mode, seed=7)
        again = rotation_dataset(images, mode=mode, seed=7)
        other = rotation_dataset(images, mode=mode, seed=8)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(first.labels, other.labels) or not np.array_equal(
            first.source_index, other.source_index
        )


def test_rotation_dataset_rejects_bad_arguments():
    images = _batch(n=2)
    with pytest.raises(ValueError, match="distinct"):
        rotation_dataset(images, rotations=(0, 0))
    with pytest.raises(ValueError, match="distinct"):
        rotation_dataset(images, rotations=(0, 4))
    with pytest.raises(ValueError, match="distinct"):
        rotation_dataset(images, rotations=(1,))
    with pytest.raises(ValueError, match="mode"):
        rotation_dataset(images, mode="some")
    with pytest.raises(ValueError, match="no images"):
        rotation_dataset(images[:0])
    with pytest.raises(ValueError, match="square"):
        rotation_dataset(np.zeros((2, 3, 5, 1)))


def test_rotation_batches_hold_every_rotation_of_each_image():
    images = _batch(n=10, size=4, channels=1)
    batches = rotation.RotationBatches(images, images_per_batch=3, steps=7, seed=2)
    assert len(batches) == 7
    for index in range(len(batches)):
        batch_images, labels = batches[index]
        sources = batches.source_index(index)
        assert batch_images.shape == (12, 4, 4, 1) and labels.dtype == np.int64
        assert len(set(sources.tolist())) == 3  # three different images ...
        np.testing.assert_array_equal(labels, np.tile(np.arange(4), 3))  # ... each in all four rotations
        for position, (image, label) in enumerate(zip(batch_images, labels)):
            np.testing.assert_array_equal(image, np.rot90(images[sources[position // 4]], k=label, axes=(0, 1)))


def test_rotation_batches_visit_every_image_once_per_pass_and_are_deterministic():
    images = _batch(n=10, size=2, channels=1)
    batches = rotation.RotationBatches(images, images_per_batch=3, steps=6, seed=5)
    assert batches.batches_per_pass == 3  # the tenth image is left out of each pass
    first_pass = np.concatenate([batches.source_index(i) for i in range(3)])
    second_pass = np.concatenate([batches.source_index(i) for i in range(3, 6)])
    assert len(set(first_pass.tolist())) == 9 and len(set(second_pass.tolist())) == 9
    assert not np.array_equal(first_pass, second_pass)  # a fresh order per pass
    again = rotation.RotationBatches(images, images_per_batch=3, steps=6, seed=5)
    for index in (5, 0, 3):  # any order of access gives the same batches
        np.testing.assert_array_equal(again[index][0], batches[index][0])


def test_rotation_batches_with_two_rotations_and_bad_arguments():
    images = _batch(n=4)
    batch_images, labels = rotation.RotationBatches(images, 2, steps=1, rotations=(0, 2))[0]
    np.testing.assert_array_equal(labels, [0, 1, 0, 1])
    np.testing.assert_array_equal(batch_images[1], np.rot90(batch_images[0], k=2, axes=(0, 1)))
    with pytest.raises(ValueError, match="images_per_batch"):
        rotation.RotationBatches(images, 5, steps=1)
    with pytest.raises(ValueError, match="steps"):
        rotation.RotationBatches(images, 2, steps=0)
    with pytest.raises(ValueError, match="distinct"):
        rotation.RotationBatches(images, 2, steps=1, rotations=(1, 1))
    with pytest.raises(ValueError, match="batch index"):
        rotation.RotationBatches(images, 2, steps=1).source_index(1)
