"""Tests of helpers.augment (notebook 08)."""

import numpy as np
import pytest
from keras import ops

from helpers import augment


def digits(n=16):
    images = np.zeros((n, 28, 28, 1), "float32")
    images[:, 8:20, 12:16, 0] = 1.0  # a bar, like a "1"
    return images


def colour(n=16):
    return np.random.default_rng(0).random((n, 32, 32, 3)).astype("float32")


def run(layer, images, training=True):
    return ops.convert_to_numpy(layer(images, training=training))


@pytest.mark.parametrize("make, images", [(augment.digit_augmenter, digits), (augment.cifar_augmenter, colour)])
def test_shape_range_and_change(make, images):
    batch = images()
    views = run(make(seed=1), batch)
    assert views.shape == batch.shape
    assert views.dtype == np.float32
    assert views.min() >= 0.0 and views.max() <= 1.0
    assert np.abs(views - batch).mean() > 0.01


@pytest.mark.parametrize("make, images", [(augment.digit_augmenter, digits), (augment.cifar_augmenter, colour)])
def test_deterministic_per_seed(make, images):
    batch = images()
    first, second, other = run(make(seed=7), batch), run(make(seed=7), batch), run(make(seed=8), batch)
    np.testing.assert_array_equal(first, second)
    assert np.abs(first - other).max() > 0.1


def test_two_views_differ_and_inference_is_identity():
    batch = digits()
    augmenter = augment.digit_augmenter(seed=3)
    view_a, view_b = (ops.convert_to_numpy(v) for v in augment.two_views(augmenter, batch))
    assert np.abs(view_a - view_b).max() > 0.1
    np.testing.assert_array_equal(run(augmenter, batch, training=False), batch)


def test_identity_affine_and_pure_flip():
    batch = colour(8)
    identity = augment.RandomAffine(seed=0)
    np.testing.assert_allclose(run(identity, batch), batch, atol=1e-5)
    flipped = run(augment.RandomAffine(flip=True, seed=0), batch)
    for original, view in zip(batch, flipped):
        assert np.allclose(view, original, atol=1e-5) or np.allclose(view, original[:, ::-1], atol=1e-5)


def test_zoom_in_keeps_the_centre_pixel():
    batch = np.random.default_rng(1).random((4, 29, 29, 1)).astype("float32")
    zoomed = run(augment.RandomAffine(zoom_range=(2.0, 2.0), seed=0), batch)
    np.testing.assert_allclose(zoomed[:, 14, 14], batch[:, 14, 14], atol=1e-5)
    # Magnification 2: the pixel 2 right of the centre shows the one 1 right of it.
    np.testing.assert_allclose(zoomed[:, 14, 16], batch[:, 14, 15], atol=1e-5)


def test_color_jitter_grayscale_and_range():
    batch = colour(8)
    grey = run(augment.RandomColorJitter(grayscale=1.0, seed=0), batch)
    np.testing.assert_allclose(grey[..., 0], grey[..., 1], atol=1e-6)
    np.testing.assert_allclose(grey[..., 0], batch @ np.array([0.299, 0.587, 0.114], "float32"), atol=1e-5)
    strong = run(augment.RandomColorJitter(brightness=1.0, contrast=1.0, saturation=1.0, seed=0), batch)
    assert strong.min() >= 0.0 and strong.max() <= 1.0


def test_bad_settings():
    with pytest.raises(ValueError, match="zoom_range"):
        augment.RandomAffine(zoom_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="translation"):
        augment.digit_augmenter(translation=0.9)
    with pytest.raises(ValueError, match="seed"):
        augment.cifar_augmenter(seed=-1)
    with pytest.raises(ValueError, match="brightness"):
        augment.RandomColorJitter(brightness=2.0)
