"""Tests of helpers.pretext.inpainting and helpers.losses.reconstruction (notebook 11)."""

import numpy as np
import pytest

from helpers import losses, pretext
from helpers.losses import reconstruction
from helpers.pretext import inpainting
from helpers.pretext.inpainting import MASK_KINDS, fill_value, mask_regions, overlap_band


def _images(n=6, height=12, width=12, channels=3, seed=0):
    return np.random.default_rng(seed).random((n, height, width, channels)).astype("float32")


def _band_by_brute_force(mask, width):
    """Context pixels with a hole pixel at Chebyshev distance <= width (mask: 2-D, 0/1)."""
    height, image_width = mask.shape
    band = np.zeros_like(mask)
    for y in range(height):
        for x in range(image_width):
            if mask[y, x]:
                continue
            window = mask[max(0, y - width) : y + width + 1, max(0, x - width) : x + width + 1]
            band[y, x] = float(window.any())
    return band


def _hole_loss_reference(targets, predictions, masks, overlap, overlap_weight):
    """The weighted mean squared error written with loops over pixels."""
    total, weight_sum = 0.0, 0.0
    for target, prediction, mask in zip(targets, predictions, masks[..., 0]):
        band = _band_by_brute_force(mask, overlap) if overlap else np.zeros_like(mask)
        for y in range(mask.shape[0]):
            for x in range(mask.shape[1]):
                weight = 1.0 if mask[y, x] else overlap_weight * band[y, x]
                total += weight * np.mean((target[y, x] - prediction[y, x]) ** 2)
                weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


def test_the_packages_re_export_the_public_names():
    for name in inpainting.__all__:
        assert hasattr(pretext, name)
    for name in reconstruction.__all__:
        assert hasattr(losses, name)
    assert set(MASK_KINDS) == {"centre", "random_block", "random_region"}


def test_centre_mask_is_the_central_square_filled_with_the_value():
    images = _images(n=2, height=8, width=8)
    masked, masks = mask_regions(images, "centre", 4, fill=0.5)
    assert masks.shape == (2, 8, 8, 1) and masks.dtype == np.float32
    expected = np.zeros((8, 8))
    expected[2:6, 2:6] = 1.0
    for mask in masks:
        np.testing.assert_array_equal(mask[..., 0], expected)
    np.testing.assert_array_equal(masked[:, 2:6, 2:6, :], 0.5)
    outside = masks[..., 0] == 0
    np.testing.assert_array_equal(masked[outside], images[outside])


def test_centre_of_an_odd_margin_rounds_towards_the_top_left():
    _, masks = mask_regions(_images(n=1, height=7, width=9), "centre", 4)
    rows, columns = np.nonzero(masks[0, ..., 0])
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (1, 4, 2, 5)


def test_default_fill_is_the_per_channel_mean_of_the_images():
    images = _images(n=5, channels=3)
    masked, masks = mask_regions(images, "centre", 6)
    mean = images.mean(axis=(0, 1, 2))
    np.testing.assert_allclose(fill_value(images), mean, rtol=1e-6)
    np.testing.assert_allclose(masked[masks[..., 0] == 1], np.broadcast_to(mean, (5 * 36, 3)), rtol=1e-6)


def test_per_channel_fill_and_input_left_unchanged():
    images = _images(n=3)
    before = images.copy()
    masked, masks = mask_regions(images, "random_block", 5, seed=3, fill=[0.1, 0.2, 0.3])
    np.testing.assert_array_equal(images, before)
    np.testing.assert_allclose(masked[masks[..., 0] == 1], np.tile([0.1, 0.2, 0.3], (3 * 25, 1)), rtol=1e-6)


def test_random_blocks_are_whole_squares_inside_the_image_at_varying_positions():
    images = _images(n=40, height=10, width=10, channels=1)
    _, masks = mask_regions(images, "random_block", 4, seed=7)
    corners = set()
    for mask in masks[..., 0]:
        rows, columns = np.nonzero(mask)
        assert len(rows) == 16
        top, left = rows.min(), columns.min()
        expected = np.zeros_like(mask)
        expected[top : top + 4, left : left + 4] = 1.0
        np.testing.assert_array_equal(mask, expected)
        corners.add((top, left))
    assert len(corners) > 10


def test_random_regions_cover_the_asked_fraction_and_differ_between_images():
    images = _images(n=8, height=32, width=32)
    _, masks = mask_regions(images, "random_region", 8, seed=0)
    np.testing.assert_array_equal(masks.sum(axis=(1, 2, 3)), np.full(8, 256.0))
    _, tenth = mask_regions(images, "random_region", 8, seed=0, coverage=0.1)
    np.testing.assert_array_equal(tenth.sum(axis=(1, 2, 3)), np.full(8, round(0.1 * 1024)))
    assert not np.array_equal(masks[0], masks[1])


def test_random_regions_are_blobs_not_scattered_pixels():
    """A hole pixel's 4 neighbours are mostly hole pixels too (independent pixels: a quarter)."""
    _, masks = mask_regions(_images(n=8, height=32, width=32), "random_region", 8, seed=1)
    hole = masks[..., 0] == 1
    neighbours_in_hole = (hole[:, 1:, :] & hole[:, :-1, :]).sum() + (hole[:, :, 1:] & hole[:, :, :-1]).sum()
    pairs = hole[:, 1:, :].sum() + hole[:, :, 1:].sum()
    assert neighbours_in_hole / pairs > 0.7


def test_masks_are_deterministic_per_seed():
    images = _images()
    for kind, size in (("random_block", 5), ("random_region", 4)):
        first = mask_regions(images, kind, size, seed=11)
        again = mask_regions(images, kind, size, seed=11)
        other = mask_regions(images, kind, size, seed=12)
        np.testing.assert_array_equal(first[0], again[0])
        np.testing.assert_array_equal(first[1], again[1])
        assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize("size", [0, 13, -2, 2.5, True])
def test_a_hole_that_does_not_fit_is_refused(size):
    with pytest.raises(ValueError, match="does not fit"):
        mask_regions(_images(), "centre", size)


def test_bad_kind_shape_coverage_and_fill_are_refused():
    with pytest.raises(ValueError, match="Unknown mask kind"):
        mask_regions(_images(), "circle", 4)
    with pytest.raises(ValueError, match="batch"):
        mask_regions(np.zeros((12, 12, 3)), "centre", 4)
    with pytest.raises(ValueError, match="coverage"):
        mask_regions(_images(), "random_region", 4, coverage=1.0)
    with pytest.raises(ValueError, match="fill"):
        mask_regions(_images(), "centre", 4, fill=[0.1, 0.2])


def test_overlap_band_matches_brute_force():
    _, masks = mask_regions(_images(n=4, height=12, width=12), "random_region", 4, seed=2)
    for width in (0, 1, 2):
        band = overlap_band(masks, width)
        for mask, result in zip(masks[..., 0], band[..., 0]):
            np.testing.assert_array_equal(result, _band_by_brute_force(mask, width))


def test_overlap_band_of_a_square_is_a_frame():
    _, masks = mask_regions(_images(n=1, height=10, width=10), "centre", 4)
    band = overlap_band(masks, 1)[0, ..., 0]
    assert band.sum() == 6 * 6 - 4 * 4
    assert band[2, 2] == 1 and band[3, 3] == 0 and band[1, 1] == 0


def test_hole_loss_without_band_is_the_mean_squared_error_of_the_hole():
    targets, predictions = _images(n=3, seed=1), _images(n=3, seed=2)
    _, masks = mask_regions(targets, "random_block", 5, seed=0)
    hole = masks[..., 0] == 1
    expected = np.mean((targets[hole] - predictions[hole]) ** 2)
    assert float(losses.hole_loss(targets, predictions, masks)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind,size,overlap,weight", [("centre", 4, 1, 10.0), ("random_region", 4, 2, 10.0), ("random_block", 3, 1, 3.0)])
def test_hole_loss_with_band_matches_a_numpy_reference(kind, size, overlap, weight):
    targets, predictions = _images(n=2, height=10, width=10, seed=3), _images(n=2, height=10, width=10, seed=4)
    _, masks = mask_regions(targets, kind, size, seed=5)
    value = float(losses.hole_loss(targets, predictions, masks, overlap=overlap, overlap_weight=weight))
    assert value == pytest.approx(_hole_loss_reference(targets, predictions, masks, overlap, weight), rel=1e-5)


def test_hole_weights_are_one_in_the_hole_and_the_weight_in_the_band():
    _, masks = mask_regions(_images(n=2), "centre", 4)
    weights = np.asarray(losses.hole_weights(masks, overlap=2, overlap_weight=10.0))
    expected = masks + 10.0 * overlap_band(masks, 2)
    np.testing.assert_allclose(weights, expected)


def test_hole_loss_ignores_the_context_and_is_zero_for_a_perfect_fill():
    targets = _images(n=2, seed=5)
    _, masks = mask_regions(targets, "centre", 6)
    wrong_context = np.where(masks == 1, targets, 1.0 - targets)
    assert float(losses.hole_loss(targets, wrong_context, masks)) == pytest.approx(0.0, abs=1e-7)
    assert float(losses.hole_loss(targets, targets * 0, np.zeros_like(masks))) == 0.0


def test_hole_loss_refuses_mismatched_shapes_and_bad_overlaps():
    targets = _images(n=2)
    _, masks = mask_regions(targets, "centre", 4)
    with pytest.raises(ValueError, match="one shape"):
        losses.hole_loss(targets, targets[:1], masks)
    with pytest.raises(ValueError, match="masks"):
        losses.hole_loss(targets, targets, masks[..., :6, :6, :])
    with pytest.raises(ValueError, match="overlap"):
        losses.hole_loss(targets, targets, masks, overlap=-1)
    with pytest.raises(ValueError, match="overlap_weight"):
        losses.hole_loss(targets, targets, masks, overlap=1, overlap_weight=-1.0)
