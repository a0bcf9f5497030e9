"""Tests of helpers.shortcuts: markers, masking, saliency and occlusion maps (notebook 01)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import shortcuts

# --------------------------------------------------------------------------- positions


def test_marker_positions_fit_do_not_overlap_and_avoid_the_digit_box():
    positions = shortcuts.marker_positions(10, image_size=28, marker_size=3, gap=2, border=1)
    assert positions.shape == (10, 2)
    assert positions.tolist() == [
        [1, 2], [1, 7], [1, 12], [1, 17], [1, 22],
        [24, 2], [24, 7], [24, 12], [24, 17], [24, 22],
    ]
    region = shortcuts.marker_region((28, 28), positions, marker_size=3)
    assert region.sum() == 10 * 9  # ten disjoint 3x3 squares
    assert not region[4:24].any()  # the rows MNIST's centred 20x20 digit box uses stay free


def test_marker_positions_odd_count_and_errors():
    positions = shortcuts.marker_positions(3, image_size=16, marker_size=2, gap=1, border=0)
    assert positions.tolist() == [[0, 5], [0, 8], [14, 5]]
    with pytest.raises(ValueError, match="need"):
        shortcuts.marker_positions(10, image_size=12, marker_size=3)
    with pytest.raises(ValueError, match="positive"):
        shortcuts.marker_positions(0)
    with pytest.raises(ValueError, match="non-negative"):
        shortcuts.marker_positions(4, gap=-1)


# --------------------------------------------------------------------------- marker indices


def test_marker_indices_agree_for_exactly_the_requested_fraction():
    labels = np.repeat(np.arange(10), 50)
    indices = shortcuts.marker_indices(labels, agreement=0.9, num_positions=10, seed=3)
    assert indices.shape == labels.shape and indices.dtype == np.int64
    assert np.sum(indices == labels) == 450
    assert indices.min() >= 0 and indices.max() <= 9
    np.testing.assert_array_equal(indices, shortcuts.marker_indices(labels, 0.9, 10, seed=3))


def test_marker_indices_extremes_and_independence():
    labels = np.repeat(np.arange(10), 200)
    np.testing.assert_array_equal(shortcuts.marker_indices(labels, 1.0), labels)
    never = shortcuts.marker_indices(labels, 0.0, seed=1)
    assert not np.any(never == labels)
    # agreement 1/10: the disagreeing positions are spread over all nine other positions
    random = shortcuts.marker_indices(labels, 0.1, seed=2)
    assert np.mean(random == labels) == pytest.approx(0.1)
    counts = np.bincount(random, minlength=10)
    assert counts.min() > 120 and counts.max() < 280


@pytest.mark.parametrize(
    "labels, agreement, match",
    [([0, 1], 1.5, "fraction"), ([0, 10], 0.5, "0..9"), ([-1, 2], 0.5, "0..9"), ([], 0.5, "no labels")],
)
def test_marker_indices_rejects_bad_input(labels, agreement, match):
    with pytest.raises(ValueError, match=match):
        shortcuts.marker_indices(np.array(labels, dtype=int), agreement)


# --------------------------------------------------------------------------- stamping and masking


def test_stamp_markers_sets_exactly_the_marker_pixels():
    images = np.full((3, 8, 8, 1), 0.25, dtype="float32")
    positions = np.array([[0, 0], [5, 6]])
    stamped = shortcuts.stamp_markers(images, np.array([0, 1, -1]), positions, marker_size=2, value=1.0)
    expected = images.copy()
    expected[0, 0:2, 0:2] = 1.0
    expected[1, 5:7, 6:8] = 1.0
    np.testing.assert_array_equal(stamped, expected)
    assert np.all(images == 0.25)  # the input is not modified


def test_stamp_markers_colours_every_channel():
    images = np.zeros((1, 6, 6, 3), dtype="float32")
    stamped = shortcuts.stamp_markers(images, [0], np.array([[2, 3]]), marker_size=2, value=0.5)
    assert np.all(stamped[0, 2:4, 3:5, :] == 0.5)
    assert stamped.sum() == pytest.approx(0.5 * 2 * 2 * 3)


def test_stamp_markers_rejects_bad_input():
    images = np.zeros((2, 8, 8, 1))
    positions = np.array([[0, 0], [4, 4]])
    with pytest.raises(ValueError, match="indices for 2 images"):
        shortcuts.stamp_markers(images, [0], positions, marker_size=2)
    with pytest.raises(ValueError, match="-1..1"):
        shortcuts.stamp_markers(images, [0, 2], positions, marker_size=2)
    with pytest.raises(ValueError, match="do not fit"):
        shortcuts.stamp_markers(images, [0, 1], np.array([[0, 0], [7, 7]]), marker_size=2)
    with pytest.raises(ValueError, match=r"\(n, height, width, channels\)"):
        shortcuts.stamp_markers(np.zeros((8, 8)), [0], positions)


def test_mask_region_blacks_out_the_region_on_every_image():
    generator = np.random.default_rng(0)
    images = generator.uniform(0.1, 1.0, size=(4, 6, 6, 2)).astype("float32")
    positions = np.array([[0, 0], [0, 4]])
    region = shortcuts.marker_region((6, 6), positions, marker_size=2)
    masked = shortcuts.mask_region(images, region)
    reference = images.copy()
    reference[:, 0:2, 0:2, :] = 0.0
    reference[:, 0:2, 4:6, :] = 0.0
    np.testing.assert_array_equal(masked, reference)
    # a marker stamped anywhere in the region disappears after masking
    stamped = shortcuts.stamp_markers(images, [0, 1, 0, -1], positions, marker_size=2)
    np.testing.assert_array_equal(shortcuts.mask_region(stamped, region), reference)


def test_mask_region_rejects_a_wrong_mask():
    images = np.zeros((1, 6, 6, 1))
    with pytest.raises(ValueError, match="boolean mask"):
        shortcuts.mask_region(images, np.zeros((5, 6), dtype=bool))
    with pytest.raises(ValueError, match="boolean mask"):
        shortcuts.mask_region(images, np.zeros((6, 6)))


# --------------------------------------------------------------------------- where a model looks


def test_region_share_against_hand_computed_values():
    maps = np.zeros((3, 2, 2))
    maps[0] = [[3.0, 1.0], [0.0, 0.0]]
    maps[1] = [[-5.0, 0.0], [0.0, 2.0]]  # negative values do not count
    region = np.array([[True, False], [False, False]])
    np.testing.assert_allclose(shortcuts.region_share(maps, region), [0.75, 0.0, 0.0])
    with pytest.raises(ValueError, match="boolean mask"):
        shortcuts.region_share(maps, np.ones((3, 3), dtype=bool))


class _LinearScores:
    """A stand-in model: scores = flattened image @ weights (its gradient is a weight column)."""

    def __init__(self, weights: np.ndarray, softmax: bool = False):
        self.weights = weights.astype("float32")
        self.softmax = softmax

    def _scores(self, images):
        import tensorflow as tf

        flat = tf.reshape(tf.convert_to_tensor(images, dtype="float32"), (len(images), -1))
        scores = flat @ self.weights
        return tf.nn.softmax(scores) if self.softmax else scores

    def __call__(self, images, training=False):
        return self._scores(images)

    def predict(self, images, batch_size=None, verbose=0):
        return self._scores(images).numpy()


def test_gradient_saliency_equals_the_weights_of_a_linear_model():
    generator = np.random.default_rng(1)
    weights = generator.normal(size=(4 * 4 * 2, 3))
    images = generator.uniform(size=(2, 4, 4, 2)).astype("float32")
    model = _LinearScores(weights)
    maps = shortcuts.gradient_saliency(model, images, class_indices=np.array([2, 0]))
    for image, cls in zip(range(2), [2, 0], strict=True):
        expected = np.max(np.abs(weights[:, cls].reshape(4, 4, 2)), axis=-1)
        np.testing.assert_allclose(maps[image], expected, rtol=1e-5)
    # default: the predicted class
    predicted = np.argmax(images.reshape(2, -1) @ weights, axis=1)
    np.testing.assert_allclose(
        shortcuts.gradient_saliency(model, images), shortcuts.gradient_saliency(model, images, predicted)
    )
    with pytest.raises(ValueError, match="class indices"):
        shortcuts.gradient_saliency(model, images, class_indices=np.array([0]))


def test_occlusion_map_finds_the_only_pixel_the_model_uses():
    # class 1's score is 10 * pixel (1, 1); class 0's score is 0: occluding that pixel
    # with 0 drops p(class 1) from sigmoid(10) to 0.5, every other patch changes nothing
    weights = np.zeros((4 * 4 * 1, 2))
    weights[1 * 4 + 1, 1] = 10.0
    model = _LinearScores(weights, softmax=True)
    images = np.ones((1, 4, 4, 1), dtype="float32")
    maps = shortcuts.occlusion_map(model, images, patch_size=1, stride=1)
    expected = np.zeros((4, 4))
    expected[1, 1] = 1 / (1 + np.exp(-10.0)) - 0.5
    np.testing.assert_allclose(maps[0], expected, atol=1e-6)
    # patches of 2 with stride 2: the top-left patch covers the pixel, averaged over one patch
    coarse = shortcuts.occlusion_map(model, images, patch_size=2, stride=2)
    assert np.allclose(coarse[0, :2, :2], expected[1, 1]) and np.allclose(coarse[0, 2:, :], 0, atol=1e-6)


def test_occlusion_map_rejects_bad_settings():
    model = _LinearScores(np.zeros((16, 2)), softmax=True)
    images = np.ones((1, 4, 4, 1), dtype="float32")
    with pytest.raises(ValueError, match="patch_size"):
        shortcuts.occlusion_map(model, images, patch_size=5)
    with pytest.raises(ValueError, match="stride"):
        shortcuts.occlusion_map(model, images, stride=0)
    with pytest.raises(ValueError, match="class_indices"):
        shortcuts.occlusion_map(model, images, patch_size=2, class_indices=np.array([3]))


def test_occlusion_map_matches_a_brute_force_loop_for_several_images():
    generator = np.random.default_rng(4)
    model = _LinearScores(generator.normal(size=(6 * 6 * 1, 3)), softmax=True)
    images = generator.uniform(size=(5, 6, 6, 1)).astype("float32")
    classes = np.array([0, 2, 1, 1, 0])
    maps = shortcuts.occlusion_map(model, images, patch_size=3, stride=2, value=0.5, class_indices=classes, batch_size=2)
    base = model.predict(images)[np.arange(5), classes]
    expected = np.zeros((5, 6, 6))
    counts = np.zeros((6, 6))
    for row in (0, 2, 3):  # the grid 0, 2 plus the last position 3 so the border is covered
        for column in (0, 2, 3):
            occluded = images.copy()
            occluded[:, row : row + 3, column : column + 3] = 0.5
            drop = base - model.predict(occluded)[np.arange(5), classes]
            expected[:, row : row + 3, column : column + 3] += drop[:, None, None]
            counts[row : row + 3, column : column + 3] += 1
    np.testing.assert_allclose(maps, expected / counts, atol=1e-5)


def test_occlusion_map_from_logits_equals_the_map_of_the_softmax_model():
    generator = np.random.default_rng(5)
    weights = generator.normal(size=(5 * 5 * 1, 4))
    images = generator.uniform(size=(3, 5, 5, 1)).astype("float32")
    on_logits = shortcuts.occlusion_map(_LinearScores(weights), images, patch_size=2, stride=1, from_logits=True)
    on_probabilities = shortcuts.occlusion_map(_LinearScores(weights, softmax=True), images, patch_size=2, stride=1)
    np.testing.assert_allclose(on_logits, on_probabilities, atol=1e-6)
    assert np.abs(on_logits).max() > 1e-3  # the maps are not trivially zero


def test_saliency_of_a_saturated_probability_vanishes_while_the_logit_keeps_it():
    # one pixel drives class 1's logit to 40 * pixel: on a bright pixel the softmax is saturated
    weights = np.zeros((2 * 2 * 1, 2))
    weights[0, 1] = 40.0
    images = np.ones((1, 2, 2, 1), dtype="float32")
    on_logits = shortcuts.gradient_saliency(_LinearScores(weights), images)
    on_probabilities = shortcuts.gradient_saliency(_LinearScores(weights, softmax=True), images)
    assert on_logits[0, 0, 0] == pytest.approx(40.0)
    assert on_probabilities[0, 0, 0] < 1e-10  # 40 * p * (1 - p) with p = sigmoid(40)
