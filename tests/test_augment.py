"""Tests of helpers.augment (notebook 08)."""

import colorsys

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


def test_color_jitter_probability_zero_is_identity_and_one_changes_every_image():
    batch = colour(8)
    untouched = run(augment.RandomColorJitter(brightness=0.5, hue=0.3, probability=0.0, seed=0), batch)
    np.testing.assert_array_equal(untouched, batch)
    changed = run(augment.RandomColorJitter(brightness=0.5, hue=0.3, probability=1.0, seed=0), batch)
    assert all(np.abs(view - image).max() > 0.01 for view, image in zip(changed, batch))


def test_color_jitter_probability_picks_whole_images():
    # The coin is drawn after the jitter: with the same seed, each image is either the
    # original or exactly the always-jittered view.
    batch = colour(32)
    settings = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, seed=5)
    always = run(augment.RandomColorJitter(probability=1.0, **settings), batch)
    sometimes = run(augment.RandomColorJitter(probability=0.8, **settings), batch)
    kept = [np.array_equal(view, image) for view, image in zip(sometimes, batch)]
    jittered = [np.allclose(view, full, atol=1e-6) for view, full in zip(sometimes, always)]
    assert all(k or j for k, j in zip(kept, jittered))
    assert any(kept) and any(jittered)


def test_grayscale_is_independent_of_the_jitter_probability():
    batch = colour(8)
    grey = run(augment.RandomColorJitter(brightness=0.5, probability=0.0, grayscale=1.0, seed=0), batch)
    np.testing.assert_allclose(grey[..., 0], batch @ np.array([0.299, 0.587, 0.114], "float32"), atol=1e-5)


def test_hue_shift_matches_colorsys():
    # NumPy/colorsys reference: each image's hue moves by one amount in [-hue, hue]
    # while saturation and value stay.
    rng = np.random.default_rng(2)
    batch = rng.uniform(0.1, 0.9, (6, 5, 5, 3)).astype("float32")
    shifted = run(augment.RandomColorJitter(hue=0.3, seed=4), batch)
    shifts = []
    for image, view in zip(batch, shifted):
        hsv_in = np.array([colorsys.rgb_to_hsv(*pixel) for pixel in image.reshape(-1, 3)])
        hsv_out = np.array([colorsys.rgb_to_hsv(*pixel) for pixel in view.reshape(-1, 3)])
        most_saturated = np.argmax(hsv_in[:, 1])
        shift = (hsv_out[most_saturated, 0] - hsv_in[most_saturated, 0] + 0.5) % 1.0 - 0.5
        assert abs(shift) <= 0.3 + 1e-4
        reference = np.array([colorsys.hsv_to_rgb((h + shift) % 1.0, s, v) for h, s, v in hsv_in])
        np.testing.assert_allclose(view.reshape(-1, 3), reference, atol=1e-4)
        shifts.append(shift)
    assert np.ptp(shifts) > 0.05


def test_jitter_on_greyscale_images_only_touches_brightness_and_contrast():
    batch = digits(4) * 0.5 + 0.25
    view = run(augment.RandomColorJitter(saturation=1.0, hue=0.5, grayscale=1.0, seed=0), batch)
    np.testing.assert_array_equal(view, batch)
    contrast = run(augment.RandomColorJitter(contrast=0.5, seed=0), batch)
    np.testing.assert_allclose(contrast.mean(axis=(1, 2)), batch.mean(axis=(1, 2)), atol=1e-5)


def ramp(n=8, side=32):
    """Channel 0 holds each pixel's column, channel 1 its row: bilinear sampling keeps them exact."""
    columns, rows = np.meshgrid(np.arange(side, dtype="float32"), np.arange(side, dtype="float32"))
    return np.broadcast_to(np.stack([columns, rows, rows * 0], axis=-1), (n, side, side, 3)).copy()


def test_resized_crop_full_area_is_identity():
    batch = colour(4)
    crop = augment.RandomResizedCrop(area_range=(1.0, 1.0), aspect_ratio_range=(1.0, 1.0), flip=False, seed=0)
    np.testing.assert_allclose(run(crop, batch), batch, atol=1e-5)


def test_resized_crop_stays_inside_with_the_drawn_area_and_aspect_ratio():
    batch = ramp(16)
    views = run(augment.RandomResizedCrop(area_range=(0.2, 0.6), aspect_ratio_range=(0.75, 4 / 3), seed=3), batch)
    last = batch.shape[1] - 1
    flips = []
    for view in views:
        columns, rows = view[..., 0], view[..., 1]
        # Inside the image: no pixel is sampled outside it, so nothing is filled.
        assert columns.min() >= -1e-4 and columns.max() <= last + 1e-4
        assert rows.min() >= -1e-4 and rows.max() <= last + 1e-4
        slope_x = (columns[0, -1] - columns[0, 0]) / last  # +-width fraction
        slope_y = (rows[-1, 0] - rows[0, 0]) / last  # height fraction
        np.testing.assert_allclose(np.diff(columns, axis=1), slope_x, atol=1e-3)  # a resize: constant step
        width, height = abs(slope_x), slope_y
        assert 0.2 - 1e-3 <= width * height <= 0.6 + 1e-3
        assert 0.75 - 1e-3 <= width / height <= 4 / 3 + 1e-3
        flips.append(slope_x < 0)
    assert any(flips) and not all(flips)


def test_cifar_recipe_follows_simclr():
    augmenter = augment.cifar_augmenter(seed=0)
    crop, jitter = augmenter.layers
    assert isinstance(crop, augment.RandomResizedCrop) and crop.area_range == (0.08, 1.0) and crop.flip
    assert (jitter.brightness, jitter.contrast, jitter.saturation) == pytest.approx((0.4, 0.4, 0.4))
    assert jitter.hue == pytest.approx(0.1)
    assert (jitter.probability, jitter.grayscale) == (0.8, 0.2)


def test_bad_settings():
    with pytest.raises(ValueError, match="hue"):
        augment.RandomColorJitter(hue=0.6)
    with pytest.raises(ValueError, match="probability"):
        augment.RandomColorJitter(probability=1.5)
    with pytest.raises(ValueError, match="area_range"):
        augment.RandomResizedCrop(area_range=(0.5, 1.2))
    with pytest.raises(ValueError, match="aspect_ratio_range"):
        augment.RandomResizedCrop(aspect_ratio_range=(2.0, 1.0))
    with pytest.raises(ValueError, match="strength"):
        augment.cifar_augmenter(strength=-0.5)
    with pytest.raises(ValueError, match="zoom_range"):
        augment.RandomAffine(zoom_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="translation"):
        augment.digit_augmenter(translation=0.9)
    with pytest.raises(ValueError, match="seed"):
        augment.cifar_augmenter(seed=-1)
    with pytest.raises(ValueError, match="brightness"):
        augment.RandomColorJitter(brightness=2.0)
