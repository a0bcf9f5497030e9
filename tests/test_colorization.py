"""Tests of helpers.colorization (notebook 04)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color

from helpers import colorization


def _random_images(seed: int = 0, shape: tuple[int, ...] = (4, 8, 8, 3)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype("float32")


def _bins(seed: int = 0) -> colorization.ABBins:
    _, ab = colorization.lightness_and_ab(_random_images(seed, (16, 16, 16, 3)))
    return colorization.fit_ab_bins(ab, grid_size=10.0)


# --------------------------------------------------------------------------- colour spaces


def test_rgb_lab_rgb_round_trip():
    images = _random_images()
    lab = colorization.rgb_to_lab(images)
    assert lab.shape == images.shape
    np.testing.assert_allclose(colorization.lab_to_rgb(lab), images, atol=1e-4)


def test_rgb_to_lab_matches_scikit_image_and_known_colours():
    images = _random_images(1)
    np.testing.assert_allclose(colorization.rgb_to_lab(images), color.rgb2lab(images), atol=1e-3)
    white_black_red = np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    lab = colorization.rgb_to_lab(white_black_red)
    np.testing.assert_allclose(lab[0, 0], [100.0, 0.0, 0.0], atol=1e-2)
    np.testing.assert_allclose(lab[0, 1], [0.0, 0.0, 0.0], atol=1e-2)
    np.testing.assert_allclose(lab[0, 2], [53.24, 80.09, 67.20], atol=0.05)


def test_lightness_and_ab_recombine():
    images = _random_images(2)
    lightness, ab = colorization.lightness_and_ab(images)
    assert lightness.shape == (4, 8, 8, 1) and ab.shape == (4, 8, 8, 2)
    np.testing.assert_allclose(colorization.combine_lab(lightness, ab), images, atol=1e-4)


@pytest.mark.parametrize(
    "bad",
    [np.zeros((4, 4, 2)), np.full((2, 2, 3), 2.0), np.zeros((2, 2, 3), dtype=np.uint8), np.full((2, 2, 3), np.nan)],
)
def test_rgb_to_lab_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        colorization.rgb_to_lab(bad)


def test_combine_lab_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        colorization.combine_lab(np.zeros((2, 2, 1)), np.zeros((3, 2, 2)))


# --------------------------------------------------------------------------- bins


def test_fit_ab_bins_keeps_only_occupied_bins():
    ab = np.array([[12.0, -3.0], [14.0, -8.0], [-52.0, 72.0]])
    bins = colorization.fit_ab_bins(ab, grid_size=10.0, ab_range=110.0)
    assert bins.num_bins == 2
    np.testing.assert_allclose(sorted(map(tuple, bins.centers)), [(-55.0, 75.0), (15.0, -5.0)])
    assert bins.counts.sum() == 3
    np.testing.assert_allclose(bins.probabilities.sum(), 1.0)


def test_hard_encoding_finds_own_bin_or_nearest_kept():
    ab = np.array([[12.0, -3.0], [-52.0, 72.0]])
    bins = colorization.fit_ab_bins(ab)
    codes = colorization.encode_ab(ab, bins)
    np.testing.assert_allclose(bins.centers[codes], [[15.0, -5.0], [-55.0, 75.0]])
    # a colour in an unkept bin goes to the nearest kept centre
    far = colorization.encode_ab(np.array([[30.0, -10.0], [-60.0, 90.0]]), bins)
    np.testing.assert_allclose(bins.centers[far], [[15.0, -5.0], [-55.0, 75.0]])


def test_soft_encoding_is_a_distribution_peaked_at_own_bin():
    bins = _bins()
    ab = bins.centers[:7] + 1.0
    soft = colorization.encode_ab(ab, bins, soft=True, num_neighbours=5)
    assert soft.shape == (7, bins.num_bins)
    np.testing.assert_allclose(soft.sum(axis=-1), 1.0, atol=1e-6)
    assert np.all((soft > 0).sum(axis=-1) == 5)
    np.testing.assert_array_equal(soft.argmax(axis=-1), np.arange(7))


def test_fit_ab_bins_rejects_bad_input():
    with pytest.raises(ValueError):
        colorization.fit_ab_bins(np.zeros((4, 3)))
    with pytest.raises(ValueError):
        colorization.fit_ab_bins(np.zeros((4, 2)), grid_size=0)
    with pytest.raises(ValueError):
        colorization.fit_ab_bins(np.zeros((4, 2)), grid_size=7.0)


# --------------------------------------------------------------------------- decoding


def test_decoding_one_hot_returns_bin_centre_at_any_temperature():
    bins = _bins()
    one_hot = np.eye(bins.num_bins)
    for temperature in (1.0, 0.38, 0.01):
        np.testing.assert_allclose(
            colorization.annealed_mean(one_hot, bins, temperature), bins.centers, atol=1e-4
        )


def test_annealed_mean_goes_from_mean_to_mode():
    bins = _bins()
    probabilities = np.zeros(bins.num_bins)
    probabilities[[0, 1]] = [0.7, 0.3]
    mean = 0.7 * bins.centers[0] + 0.3 * bins.centers[1]
    np.testing.assert_allclose(colorization.annealed_mean(probabilities, bins, 1.0), mean, atol=1e-4)
    np.testing.assert_allclose(colorization.annealed_mean(probabilities, bins, 0.01), bins.centers[0], atol=1e-3)


def test_annealed_mean_rejects_bad_input():
    bins = _bins()
    with pytest.raises(ValueError):
        colorization.annealed_mean(np.ones((3, bins.num_bins + 1)), bins)
    with pytest.raises(ValueError):
        colorization.annealed_mean(np.ones((3, bins.num_bins)), bins, temperature=0.0)


def test_sampling_follows_the_distribution_and_is_reproducible():
    bins = _bins()
    probabilities = np.zeros((2, 40, 40, bins.num_bins))
    probabilities[..., 0], probabilities[..., 3] = 0.25, 0.75
    draws = colorization.sample_ab(probabilities, bins, seed=1)
    assert draws.shape == (2, 40, 40, 2)
    picked_three = np.all(draws == bins.centers[3], axis=-1)
    assert np.all(picked_three | np.all(draws == bins.centers[0], axis=-1))
    assert abs(picked_three.mean() - 0.75) < 0.05
    np.testing.assert_array_equal(draws, colorization.sample_ab(probabilities, bins, seed=1))
    smooth = colorization.sample_ab(probabilities, bins, seed=1, spatial_sigma=3.0)
    assert abs(np.all(smooth == bins.centers[3], axis=-1).mean() - 0.75) < 0.2
    with pytest.raises(ValueError):
        colorization.sample_ab(probabilities[0], bins)


# --------------------------------------------------------------------------- rebalancing


def test_rebalancing_weights_have_mean_one_under_empirical_distribution():
    bins = _bins()
    for mix, sigma in ((0.5, 5.0), (0.0, 0.0), (1.0, 5.0)):
        weights = colorization.rebalancing_weights(bins, mix=mix, sigma=sigma)
        assert weights.shape == (bins.num_bins,)
        np.testing.assert_allclose(np.sum(bins.probabilities * weights), 1.0, rtol=1e-5)


def test_rebalancing_boosts_rare_bins():
    ab = np.array([[0.0, 0.0]] * 90 + [[60.0, 60.0]] * 10)
    bins = colorization.fit_ab_bins(ab)
    weights = colorization.rebalancing_weights(bins, mix=0.5, sigma=5.0)
    rare = np.argmin(bins.counts)
    assert weights[rare] > weights[1 - rare]
    # lambda = 1 is the uniform prior: every bin weighs the same
    np.testing.assert_allclose(colorization.rebalancing_weights(bins, mix=1.0), 1.0)
    # lambda = 0, no smoothing: weights are 1 / (K p), the inverse frequencies
    np.testing.assert_allclose(
        colorization.rebalancing_weights(bins, mix=0.0, sigma=0.0), 1.0 / (2 * bins.probabilities), rtol=1e-5
    )


def test_rebalancing_rejects_bad_input():
    bins = _bins()
    with pytest.raises(ValueError):
        colorization.rebalancing_weights(bins, mix=1.5)
    with pytest.raises(ValueError):
        colorization.rebalancing_weights(bins, sigma=-1.0)


# --------------------------------------------------------------------------- colourfulness


def test_colourfulness_ratio():
    true_ab = np.array([[3.0, 4.0], [0.0, 10.0]])  # chroma 5 and 10
    assert colorization.colourfulness(true_ab) == pytest.approx(7.5)
    assert colorization.colourfulness_ratio(true_ab, true_ab) == pytest.approx(1.0)
    assert colorization.colourfulness_ratio(0.5 * true_ab, true_ab) == pytest.approx(0.5)
    assert colorization.colourfulness_ratio(np.zeros_like(true_ab), true_ab) == 0.0


def test_colourfulness_ratio_rejects_bad_input():
    with pytest.raises(ValueError):
        colorization.colourfulness_ratio(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError):
        colorization.colourfulness_ratio(np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError):
        colorization.colourfulness(np.ones((3, 3)))


# --------------------------------------------------------------------------- temperature and the rebalanced prior


def test_annealing_raises_the_probabilities_to_the_power_one_over_temperature():
    bins = _bins()
    probabilities = np.random.default_rng(3).dirichlet(np.ones(bins.num_bins), size=(2, 3))
    for temperature in (2.0, 1.0, 0.38, 0.1):
        sharpened = probabilities ** (1 / temperature)
        sharpened /= sharpened.sum(axis=-1, keepdims=True)
        np.testing.assert_allclose(colorization.anneal(probabilities, temperature), sharpened, rtol=1e-6)
        np.testing.assert_allclose(
            colorization.annealed_mean(probabilities, bins, temperature), sharpened @ bins.centers, atol=1e-3
        )


def test_annealed_mean_gets_more_colourful_as_temperature_falls_between_competing_colours():
    # a pixel torn between red and blue: the mean is a dull purple, the annealed mean moves to red
    ab = np.array([[60.0, 40.0]] * 6 + [[20.0, -60.0]] * 4)
    bins = colorization.fit_ab_bins(ab)
    red = int(np.argmax(bins.counts))
    probabilities = np.where(np.arange(bins.num_bins) == red, 0.6, 0.4)
    chroma = [
        colorization.colourfulness(colorization.annealed_mean(probabilities, bins, temperature)[None])
        for temperature in (1.0, 0.77, 0.58, 0.38, 0.14, 0.05)
    ]
    assert np.all(np.diff(chroma) > 0), chroma
    assert chroma[-1] == pytest.approx(np.hypot(*bins.centers[red]), rel=1e-3)


def test_rebalanced_prior_minimizes_the_weighted_cross_entropy():
    bins = _bins()
    weights = colorization.rebalancing_weights(bins)
    prior = colorization.rebalanced_prior(bins)
    assert prior.shape == (bins.num_bins,)
    np.testing.assert_allclose(prior.sum(), 1.0)
    np.testing.assert_allclose(prior, bins.probabilities * weights / np.sum(bins.probabilities * weights), rtol=1e-5)

    def loss(r):
        return -np.sum(bins.probabilities * weights * np.log(r))

    generator = np.random.default_rng(0)
    for _ in range(20):
        other = prior * np.exp(0.3 * generator.standard_normal(bins.num_bins))
        assert loss(prior) < loss(other / other.sum())
    # without rebalancing (lambda = 1) the prior is the empirical distribution
    np.testing.assert_allclose(colorization.rebalanced_prior(bins, mix=1.0), bins.probabilities, rtol=1e-5)


def test_rebalanced_prior_of_mostly_grey_data_is_a_tint_that_annealing_removes():
    # many grey pixels, a few saturated yellow ones: rebalancing lifts the yellow bins, so the
    # temperature-1 mean of the prior is a yellow tint, while annealing returns to the grey mode.
    # This is why a broad (undertrained) rebalanced model can look *more* colourful at T = 1
    # than at T = 0.38: the colour is a uniform tint, not a prediction.
    ab = np.array([[1.0, 1.0]] * 900 + [[5.0, 45.0]] * 50 + [[15.0, 65.0]] * 50)
    bins = colorization.fit_ab_bins(ab)
    prior = colorization.rebalanced_prior(bins, mix=0.5)
    plain = colorization.colourfulness(colorization.annealed_mean(bins.probabilities, bins, 1.0)[None])
    tint = colorization.colourfulness(colorization.annealed_mean(prior, bins, 1.0)[None])
    annealed = colorization.colourfulness(colorization.annealed_mean(prior, bins, 0.38)[None])
    assert tint > 1.5 * plain  # rebalancing pulls the mean towards the rare yellow
    assert annealed < 0.5 * tint  # annealing goes back towards the grey mode


def test_colour_metrics_keys_and_values():
    true_ab = np.array([[3.0, 4.0], [0.0, 10.0]])
    metrics = colorization.colour_metrics("distribution_T0.38", 0.5 * true_ab, true_ab)
    assert set(metrics) == {"distribution_T0.38.ab_mse", "distribution_T0.38.colourfulness", "distribution_T0.38.auc"}
    assert metrics["distribution_T0.38.colourfulness"] == pytest.approx(0.5)
    assert metrics["distribution_T0.38.ab_mse"] == pytest.approx(np.mean((0.5 * true_ab) ** 2))
    with pytest.raises(ValueError):
        colorization.colour_metrics("", true_ab, true_ab)
    with pytest.raises(ValueError):
        colorization.colour_metrics("x", true_ab[:1], true_ab)


def test_colour_metrics_with_bins_add_the_rebalanced_auc():
    true_ab = np.array([[3.0, 4.0], [0.0, 10.0], [60.0, 0.0]])
    bins = colorization.fit_ab_bins(true_ab)
    metrics = colorization.colour_metrics("m", true_ab, true_ab, bins=bins)
    assert metrics["m.auc"] == pytest.approx(1.0) and metrics["m.rebalanced_auc"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- lightness and AuC


def test_lightness_equals_the_l_channel_of_scikit_image():
    images = _random_images(5, (3, 6, 6, 3))
    np.testing.assert_allclose(colorization.lightness(images), color.rgb2lab(images)[..., :1], atol=1e-3)
    dark = np.full((1, 1, 3), 0.01)  # the linear branch of both formulas
    np.testing.assert_allclose(colorization.lightness(dark), color.rgb2lab(dark)[..., :1], atol=1e-3)
    with pytest.raises(ValueError):
        colorization.lightness(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError):
        colorization.lightness(np.zeros((2, 2, 1)))


def _auc_by_brute_force(predicted, true, weights, thresholds):
    distances = np.sqrt(np.sum((predicted - true) ** 2, axis=-1)).ravel()
    shares = [np.sum(weights * (distances <= threshold)) / np.sum(weights) for threshold in thresholds]
    return float(np.mean(shares))


def test_ab_accuracy_auc_matches_a_threshold_sweep():
    generator = np.random.default_rng(7)
    true = generator.uniform(-60, 60, size=(5, 4, 4, 2))
    predicted = true + generator.normal(0, 20, size=true.shape)
    thresholds = np.arange(0, 151)
    expected = _auc_by_brute_force(predicted, true, np.ones(80), thresholds)
    assert colorization.ab_accuracy_auc(predicted, true) == pytest.approx(expected, abs=1e-12)
    bins = colorization.fit_ab_bins(true)
    codes = colorization.encode_ab(true, bins).ravel()
    weights = 1.0 / np.bincount(codes)[codes]
    expected = _auc_by_brute_force(predicted, true, weights, thresholds)
    assert colorization.ab_accuracy_auc(predicted, true, bins) == pytest.approx(expected, abs=1e-12)
    coarse = _auc_by_brute_force(predicted, true, np.ones(80), np.arange(0, 101, 5))
    assert colorization.ab_accuracy_auc(predicted, true, max_distance=100, step=5) == pytest.approx(coarse, abs=1e-12)


def test_rebalanced_auc_stops_rewarding_grey():
    # 98 grey pixels and 2 red ones: grey is nearly perfect raw, but misses half the colours
    true = np.array([[0.0, 0.0]] * 98 + [[80.0, 60.0]] * 2)
    grey = np.zeros_like(true)
    bins = colorization.fit_ab_bins(true)
    distance_red = 100.0  # |(80, 60)|: passes thresholds 100 .. 150, 51 of 151
    assert colorization.ab_accuracy_auc(grey, true) == pytest.approx((98 + 2 * 51 / 151) / 100)
    assert colorization.ab_accuracy_auc(grey, true, bins) == pytest.approx((1 + 51 / 151) / 2)
    assert colorization.ab_accuracy_auc(true, true, bins) == pytest.approx(1.0)
    assert distance_red == pytest.approx(np.hypot(80, 60))


def test_ab_accuracy_auc_rejects_bad_input():
    ab = np.zeros((2, 2))
    with pytest.raises(ValueError):
        colorization.ab_accuracy_auc(ab, np.zeros((3, 2)))
    with pytest.raises(ValueError):
        colorization.ab_accuracy_auc(ab, ab, max_distance=0)
    with pytest.raises(ValueError):
        colorization.ab_accuracy_auc(ab, ab, step=200)
