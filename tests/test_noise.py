"""Tests of helpers.pretext.noise: value range, determinism, the noise statistics."""

import numpy as np
import pytest

from helpers.pretext import noise


@pytest.fixture
def images():
    return np.random.default_rng(0).random((20, 8, 8, 1)).astype("float32")


@pytest.mark.parametrize("kind, level", [("gaussian", 0.5), ("gaussian", 2.0), ("masking", 0.3), ("masking", 1.0)])
def test_corruption_keeps_value_range_shape_and_dtype(images, kind, level):
    noisy = noise.corrupt(images, kind, level, seed=1)
    assert noisy.shape == images.shape
    assert noisy.dtype == np.float32
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_deterministic_per_seed_and_different_across_seeds(images, kind):
    first = noise.corrupt(images, kind, 0.3, seed=7)
    again = noise.corrupt(images, kind, 0.3, seed=7)
    other = noise.corrupt(images, kind, 0.3, seed=8)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_input_is_not_modified(images):
    copy = images.copy()
    noise.gaussian_noise(images, 0.5, seed=0)
    noise.masking_noise(images, 0.5, seed=0)
    np.testing.assert_array_equal(images, copy)


def test_gaussian_noise_matches_numpy_reference_and_stddev():
    images = np.full((4000, 5, 5, 1), 0.5, dtype="float32")
    noisy = noise.gaussian_noise(images, 0.1, seed=3)
    reference = np.clip(images + 0.1 * np.random.default_rng(3).standard_normal(images.shape, dtype="float32"), 0, 1)
    np.testing.assert_allclose(noisy, reference, atol=1e-6)
    # at 0.5 a stddev of 0.1 is almost never clipped: the added noise has the asked spread
    assert abs(float(np.std(noisy - images)) - 0.1) < 0.002
    assert abs(float(np.mean(noisy - images))) < 0.002


def test_gaussian_noise_of_zero_is_identity(images):
    np.testing.assert_array_equal(noise.gaussian_noise(images, 0.0), images)


def test_masking_zeroes_the_asked_fraction_and_keeps_the_rest():
    images = np.full((200, 10, 10, 1), 0.7, dtype="float32")
    noisy = noise.masking_noise(images, 0.25, seed=0)
    masked = noisy == 0.0
    assert abs(float(masked.mean()) - 0.25) < 0.01
    np.testing.assert_array_equal(noisy[~masked], np.float32(0.7))  # no 1/(1-p) rescaling, unlike Dropout
    assert np.all(noise.masking_noise(images, 1.0) == 0.0)
    np.testing.assert_array_equal(noise.masking_noise(images, 0.0), images)


def test_masking_zeroes_all_channels_of_a_pixel_together():
    images = np.full((50, 6, 6, 3), 0.5, dtype="float32")
    noisy = noise.masking_noise(images, 0.5, seed=2)
    zero_channels = (noisy == 0).sum(axis=-1)
    assert set(np.unique(zero_channels)) == {0, 3}


@pytest.mark.parametrize(
    "call",
    [
        lambda x: noise.gaussian_noise(x, -0.1),
        lambda x: noise.masking_noise(x, 1.5),
        lambda x: noise.corrupt(x, "salt", 0.1),
        lambda x: noise.gaussian_noise(x * 255, 0.1),
        lambda x: noise.masking_noise(x[:0], 0.1),
    ],
)
def test_bad_input_raises_value_error(images, call):
    with pytest.raises(ValueError):
        call(images)


def test_corrupt_none_is_a_copy_and_public_names_reexported(images):
    clean = noise.corrupt(images, "none", 0.9)
    np.testing.assert_array_equal(clean, images)
    assert clean is not images
    import helpers.pretext as pretext

    for name in noise.__all__:
        assert hasattr(pretext, name)
