"""Colorization as a pretext task: Lab colours, quantized ab bins, annealed-mean decoding.

Introduced in notebook 04.

The recipe of Zhang, Isola and Efros (2016), "Colorful Image Colorization":

* convert RGB to CIE Lab; the network sees the lightness L and predicts the
  two colour channels ab;
* quantize the ab plane into a grid of square bins and keep the bins that
  occur in the training data (``fit_ab_bins``); each pixel's target is a bin
  (``encode_ab``, hard or soft);
* train with per-pixel cross-entropy, weighting each pixel by the rarity of its
  colour (``rebalancing_weights``) so that saturated colours are not drowned
  by the many greyish pixels;
* decode the predicted distribution with the *annealed mean*
  (``annealed_mean``): temperature 1 is the mean, a temperature near 0 the
  mode, and 0.38 the paper's compromise; or draw colourings
  (``sample_ab``);
* measure how colourful a prediction is relative to the truth
  (``colourfulness_ratio``) and how close its colours are: the paper's raw
  accuracy (``ab_accuracy_auc``, the area under the share of pixels within a
  distance of the true ab, for distances 0 to 150) and its class-rebalanced
  version, in which every colour bin counts equally.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The ab channels of sRGB colours lie within about [-110, 110].
AB_RANGE = 110.0


# --------------------------------------------------------------------------- colour spaces


def _check_images(images: np.ndarray, what: str, channels: int = 3) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim < 1 or images.shape[-1] != channels:
        raise ValueError(
            f"{what} must have {channels} channels on the last axis, e.g. (n, h, w, {channels}); "
            f"got shape {images.shape}."
        )
    if images.size == 0:
        raise ValueError(f"{what} is empty.")
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{what} contains NaN or infinity.")
    return images


def rgb_to_lab(images: np.ndarray) -> np.ndarray:
    """RGB images (floats in [0, 1], channels last) to CIE Lab with scikit-image.

    Introduced in notebook 04. Returns float32 with L in [0, 100] and a, b in
    about [-110, 110]. Accepts any leading shape: ``(h, w, 3)``, ``(n, h, w, 3)``.
    """
    from skimage import color

    images = _check_images(images, "RGB images")
    if images.dtype == np.uint8:
        raise ValueError("rgb_to_lab expects floats in [0, 1], got uint8: divide by 255 first.")
    if images.min() < -1e-6 or images.max() > 1 + 1e-6:
        raise ValueError(
            f"RGB values must lie in [0, 1], got [{images.min():.3g}, {images.max():.3g}]."
        )
    return color.rgb2lab(np.clip(images, 0.0, 1.0).astype("float64")).astype("float32")


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIE Lab (channels last) back to RGB floats in [0, 1] with scikit-image.

    Introduced in notebook 04. Colours outside the sRGB gamut are clipped.
    """
    import warnings

    from skimage import color

    lab = _check_images(lab, "Lab images")
    with warnings.catch_warnings():  # "negative Z values" for out-of-gamut colours: clipped
        warnings.simplefilter("ignore", UserWarning)
        rgb = color.lab2rgb(lab.astype("float64"))
    return np.clip(rgb, 0.0, 1.0).astype("float32")


def lightness(images: np.ndarray) -> np.ndarray:
    """The lightness L of RGB images (floats in [0, 1]), ``(..., 1)`` in [0, 100], without a full Lab conversion.

    Introduced in notebook 04: the grey input of a colorization encoder. The same L as
    ``rgb_to_lab`` (scikit-image's sRGB, D65): linearize each channel, take the luminance
    ``Y = 0.212671 R + 0.715160 G + 0.072169 B`` and ``L = 116 f(Y) - 16``.
    """
    images = _check_images(images, "RGB images")
    if images.dtype == np.uint8:
        raise ValueError("lightness expects floats in [0, 1], got uint8: divide by 255 first.")
    if images.min() < -1e-6 or images.max() > 1 + 1e-6:
        raise ValueError(f"RGB values must lie in [0, 1], got [{images.min():.3g}, {images.max():.3g}].")
    rgb = np.clip(images, 0.0, 1.0).astype("float64")
    linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    luminance = linear @ np.array([0.212671, 0.715160, 0.072169])
    cube_root = np.where(luminance > 0.008856, np.cbrt(luminance), 7.787 * luminance + 16.0 / 116.0)
    return (116.0 * cube_root - 16.0)[..., None].astype("float32")


def lightness_and_ab(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split RGB images into the network's input L and target ab, in Lab units.

    Introduced in notebook 04. Returns ``(lightness, ab)`` with shapes
    ``(..., 1)`` and ``(..., 2)``.
    """
    lab = rgb_to_lab(images)
    return lab[..., :1], lab[..., 1:]


def combine_lab(lightness: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Join L ``(..., 1)`` and ab ``(..., 2)`` and convert to RGB in [0, 1].

    Introduced in notebook 04.
    """
    lightness, ab = np.asarray(lightness), np.asarray(ab)
    if lightness.shape[-1:] != (1,) or ab.shape[-1:] != (2,) or lightness.shape[:-1] != ab.shape[:-1]:
        raise ValueError(
            f"Expected lightness (..., 1) and ab (..., 2) of the same leading shape, "
            f"got {lightness.shape} and {ab.shape}."
        )
    return lab_to_rgb(np.concatenate([lightness, ab], axis=-1))


# --------------------------------------------------------------------------- quantized ab bins


@dataclass(frozen=True)
class ABBins:
    """The kept bins of a square grid over the ab plane.

    Introduced in notebook 04.

    Attributes:
        centers: ``(K, 2)`` ab centre of each kept bin.
        counts: ``(K,)`` training pixels that fell in each kept bin.
        grid_size: width of a bin in ab units.
        ab_range: the grid covers ``[-ab_range, ab_range)`` on both axes.
        nearest: for every cell of the full grid (row-major, ``a`` then ``b``),
            the index of the nearest kept bin: the lookup of hard encoding.
    """

    centers: np.ndarray
    counts: np.ndarray
    grid_size: float
    ab_range: float
    nearest: np.ndarray

    @property
    def num_bins(self) -> int:
        return int(len(self.centers))

    @property
    def probabilities(self) -> np.ndarray:
        """The empirical distribution of training pixels over the kept bins."""
        return self.counts / self.counts.sum()

    @property
    def cells_per_axis(self) -> int:
        return int(round(2 * self.ab_range / self.grid_size))


def _check_ab(ab: np.ndarray, what: str = "ab") -> np.ndarray:
    return _check_images(ab, what, channels=2).astype("float64", copy=False)


def _grid_index(ab: np.ndarray, grid_size: float, ab_range: float) -> np.ndarray:
    cells = int(round(2 * ab_range / grid_size))
    cell = np.floor((ab + ab_range) / grid_size).astype("int64")
    cell = np.clip(cell, 0, cells - 1)
    return cell[..., 0] * cells + cell[..., 1]


def fit_ab_bins(
    ab: np.ndarray, grid_size: float = 10.0, ab_range: float = AB_RANGE, min_count: int = 1
) -> ABBins:
    """Quantize the ab plane into square bins and keep those that occur in ``ab``.

    Introduced in notebook 04. ``ab`` holds training pixels, any shape ``(..., 2)``;
    bins with fewer than ``min_count`` pixels are dropped (Zhang et al. keep the
    313 in-gamut bins of a grid of 10).
    """
    ab = _check_ab(ab)
    if grid_size <= 0 or ab_range <= 0:
        raise ValueError(f"grid_size and ab_range must be positive, got {grid_size} and {ab_range}.")
    cells = 2 * ab_range / grid_size
    if abs(cells - round(cells)) > 1e-9:
        raise ValueError(f"2 * ab_range ({2 * ab_range}) must be a multiple of grid_size ({grid_size}).")
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}.")
    cells = int(round(cells))
    histogram = np.bincount(_grid_index(ab, grid_size, ab_range).ravel(), minlength=cells * cells)
    kept = np.flatnonzero(histogram >= min_count)
    if len(kept) == 0:
        raise ValueError(f"No bin holds {min_count} or more pixels: lower min_count.")
    axis_centers = -ab_range + grid_size * (np.arange(cells) + 0.5)
    all_centers = np.stack(np.meshgrid(axis_centers, axis_centers, indexing="ij"), axis=-1).reshape(-1, 2)
    centers = all_centers[kept]
    distances = np.sum((all_centers[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
    return ABBins(
        centers=centers.astype("float32"),
        counts=histogram[kept].astype("float64"),
        grid_size=float(grid_size),
        ab_range=float(ab_range),
        nearest=np.argmin(distances, axis=1).astype("int32"),
    )


def encode_ab(
    ab: np.ndarray,
    bins: ABBins,
    soft: bool = False,
    sigma: float = 5.0,
    num_neighbours: int = 5,
) -> np.ndarray:
    """Encode ab values as bin targets.

    Introduced in notebook 04.

    Hard (default): the index ``(...,)`` of the pixel's bin, or of the nearest
    kept bin when its own bin was not kept. Soft (Zhang et al.): a
    distribution ``(..., K)`` over the ``num_neighbours`` nearest kept centres
    with Gaussian weights of width ``sigma``.
    """
    ab = _check_ab(ab)
    if not soft:
        return bins.nearest[_grid_index(ab, bins.grid_size, bins.ab_range)].astype("int32")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}.")
    if not 1 <= num_neighbours <= bins.num_bins:
        raise ValueError(f"num_neighbours must be between 1 and {bins.num_bins}, got {num_neighbours}.")
    flat = ab.reshape(-1, 2)
    encoded = np.zeros((len(flat), bins.num_bins), dtype="float32")
    for start in range(0, len(flat), 65_536):
        chunk = flat[start : start + 65_536]
        distances = np.sum((chunk[:, None, :] - bins.centers[None, :, :]) ** 2, axis=-1)
        neighbours = np.argpartition(distances, num_neighbours - 1, axis=1)[:, :num_neighbours]
        weights = np.exp(-np.take_along_axis(distances, neighbours, axis=1) / (2 * sigma**2))
        weights /= weights.sum(axis=1, keepdims=True)
        np.put_along_axis(encoded[start : start + len(chunk)], neighbours, weights.astype("float32"), axis=1)
    return encoded.reshape(*ab.shape[:-1], bins.num_bins)


def _check_distribution(probabilities: np.ndarray, bins: ABBins) -> np.ndarray:
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim < 1 or probabilities.shape[-1] != bins.num_bins:
        raise ValueError(
            f"Expected probabilities (..., {bins.num_bins}) over the kept bins, got shape {probabilities.shape}."
        )
    if not np.all(np.isfinite(probabilities)) or probabilities.min() < 0:
        raise ValueError("Probabilities must be finite and non-negative.")
    return probabilities


def anneal(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Re-sharpen a distribution: ``p ** (1 / T)``, renormalized (a softmax of ``log p / T``).

    Introduced in notebook 04. ``T = 1`` leaves it unchanged; ``T -> 0`` tends to the mode.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}.")
    probabilities = np.asarray(probabilities, dtype="float64")
    logits = np.log(np.maximum(probabilities, 1e-30)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    annealed = np.exp(logits)
    return annealed / annealed.sum(axis=-1, keepdims=True)


def annealed_mean(probabilities: np.ndarray, bins: ABBins, temperature: float = 0.38) -> np.ndarray:
    """Decode per-pixel distributions over the kept bins into ab values: the annealed mean.

    Introduced in notebook 04. ``probabilities`` has shape ``(..., K)``; the
    result ``(..., 2)`` is the mean of the bin centres under the distribution
    annealed to ``temperature`` (1: the mean, near 0: the mode; Zhang et al. use 0.38).
    """
    probabilities = _check_distribution(probabilities, bins)
    return (anneal(probabilities, temperature) @ bins.centers.astype("float64")).astype("float32")


def sample_ab(
    probabilities: np.ndarray,
    bins: ABBins,
    temperature: float = 1.0,
    seed: int = 0,
    spatial_sigma: float = 0.0,
) -> np.ndarray:
    """Draw one colouring: a bin centre per pixel, sampled from its (annealed) distribution.

    Introduced in notebook 04. ``probabilities`` has shape ``(n, h, w, K)``.
    With ``spatial_sigma = 0`` every pixel draws independently (speckled);
    with ``spatial_sigma > 0`` the uniform numbers of the inverse-CDF draw
    come from a Gaussian-smoothed noise field, so neighbouring pixels with
    similar distributions pick the same colour and each draw is a coherent
    colouring.
    """
    from scipy import ndimage, special

    probabilities = _check_distribution(probabilities, bins)
    if probabilities.ndim != 4:
        raise ValueError(f"Expected probabilities of shape (n, h, w, K), got {probabilities.shape}.")
    if spatial_sigma < 0:
        raise ValueError(f"spatial_sigma must be non-negative, got {spatial_sigma}.")
    generator = np.random.default_rng(seed)
    if spatial_sigma == 0:
        uniform = generator.random(probabilities.shape[:-1])
    else:
        noise = generator.standard_normal(probabilities.shape[:-1])
        noise = ndimage.gaussian_filter(noise, sigma=(0, spatial_sigma, spatial_sigma))
        noise /= noise.std(axis=(1, 2), keepdims=True) + 1e-12
        uniform = special.ndtr(noise)  # standard normal CDF: back to uniform in (0, 1)
    cumulative = np.cumsum(anneal(probabilities, temperature), axis=-1)
    choice = np.sum(cumulative < uniform[..., None], axis=-1)
    choice = np.minimum(choice, bins.num_bins - 1)
    return bins.centers[choice].astype("float32")


# --------------------------------------------------------------------------- class rebalancing


def rebalancing_weights(bins: ABBins, mix: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """Per-bin loss weights that boost rare colours (Zhang et al. 2016, eq. 4).

    Introduced in notebook 04. The empirical bin distribution ``p`` is smoothed
    with a Gaussian of width ``sigma`` (ab units) over the bin centres, mixed
    with the uniform distribution, ``(1 - mix) * p_smooth + mix / K``, and
    inverted. The weights are normalized so that their mean under the empirical
    distribution is 1, ``sum(p * w) = 1``: the average training pixel keeps
    weight 1 and the loss keeps its scale (the paper normalizes under the
    smoothed ``p``; the difference is small).
    """
    if not 0 <= mix <= 1:
        raise ValueError(f"mix (lambda) must lie in [0, 1], got {mix}.")
    if sigma < 0:
        raise ValueError(f"sigma must be non-negative, got {sigma}.")
    probabilities = bins.probabilities
    if sigma > 0:
        centers = bins.centers.astype("float64")
        distances = np.sum((centers[:, None, :] - centers[None, :, :]) ** 2, axis=-1)
        kernel = np.exp(-distances / (2 * sigma**2))
        smoothed = kernel @ probabilities
        smoothed /= smoothed.sum()
    else:
        smoothed = probabilities
    weights = 1.0 / ((1 - mix) * smoothed + mix / bins.num_bins)
    return (weights / np.sum(probabilities * weights)).astype("float32")


def rebalanced_prior(bins: ABBins, mix: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """The distribution a rebalanced model predicts when the image tells it nothing.

    Introduced in notebook 04. Minimizing the weighted cross-entropy
    ``sum_q p_q w_q (-log r_q)`` over distributions ``r`` gives ``r ∝ p * w``:
    rebalancing shifts the predicted distribution towards rare (saturated)
    colours. Its mean is not grey but a tint (for CIFAR-10 a yellowish one),
    which is what an undertrained model's temperature-1 annealed mean drifts
    towards: a colourful-looking but uninformative prediction.
    """
    prior = bins.probabilities * rebalancing_weights(bins, mix=mix, sigma=sigma)
    return (prior / prior.sum()).astype("float64")


# --------------------------------------------------------------------------- colourfulness


def colourfulness(ab: np.ndarray) -> float:
    """Mean chroma ``sqrt(a**2 + b**2)`` over all pixels of ab values ``(..., 2)``.

    Introduced in notebook 04.
    """
    ab = _check_ab(ab)
    return float(np.mean(np.sqrt(np.sum(ab**2, axis=-1))))


def colourfulness_ratio(predicted_ab: np.ndarray, true_ab: np.ndarray) -> float:
    """Mean chroma of a prediction divided by that of the ground truth: 1 is right, 0 grey.

    Introduced in notebook 04.
    """
    predicted_ab, true_ab = _check_ab(predicted_ab, "predicted ab"), _check_ab(true_ab, "true ab")
    if predicted_ab.shape != true_ab.shape:
        raise ValueError(
            f"Predicted and true ab must have the same shape, got {predicted_ab.shape} and {true_ab.shape}."
        )
    reference = colourfulness(true_ab)
    if reference == 0:
        raise ValueError("The ground truth has no colour at all (chroma 0): the ratio is undefined.")
    return colourfulness(predicted_ab) / reference


def ab_accuracy_auc(
    predicted_ab: np.ndarray,
    true_ab: np.ndarray,
    bins: ABBins | None = None,
    max_distance: float = 150.0,
    step: float = 1.0,
) -> float:
    """Zhang et al.'s raw accuracy: the area under the share of pixels within ``d`` of the true ab.

    Introduced in notebook 04. For every threshold ``d`` in ``0, step, ..., max_distance`` take
    the share of pixels whose predicted ab lies within an L2 distance ``d`` of the true ab, and
    average over the thresholds: 1 is perfect, and predicting grey everywhere already scores
    high, because most pixels are nearly grey. With ``bins`` the share is **class-rebalanced**:
    each pixel is weighted by the inverse of the number of evaluated pixels whose true colour
    falls in its bin (``encode_ab``), so every colour present counts equally and a grey
    prediction no longer wins by default.
    """
    predicted_ab, true_ab = _check_ab(predicted_ab, "predicted ab"), _check_ab(true_ab, "true ab")
    if predicted_ab.shape != true_ab.shape:
        raise ValueError(
            f"Predicted and true ab must have the same shape, got {predicted_ab.shape} and {true_ab.shape}."
        )
    if not max_distance > 0 or not 0 < step <= max_distance:
        raise ValueError(f"Need max_distance > 0 and 0 < step <= max_distance, got {max_distance} and {step}.")
    thresholds = np.arange(0.0, max_distance + step / 2, step)
    distances = np.sqrt(np.sum((predicted_ab - true_ab) ** 2, axis=-1)).ravel()
    # how many thresholds each pixel passes: those d >= its distance
    passed = len(thresholds) - np.searchsorted(thresholds, distances, side="left")
    if bins is None:
        weights = np.ones_like(distances)
    else:
        true_bins = encode_ab(true_ab, bins).ravel()
        weights = 1.0 / np.bincount(true_bins, minlength=bins.num_bins)[true_bins]
    return float(np.sum(weights * passed) / (np.sum(weights) * len(thresholds)))


def colour_metrics(
    method: str, predicted_ab: np.ndarray, true_ab: np.ndarray, bins: ABBins | None = None
) -> dict[str, float]:
    """``{"<method>.ab_mse": ..., "<method>.colourfulness": ..., "<method>.auc": ...}`` of one prediction.

    Introduced in notebook 04. ``ab_mse`` is the mean squared ab error per channel (Lab units
    squared); ``colourfulness`` the ``colourfulness_ratio``; ``auc`` the raw accuracy of
    ``ab_accuracy_auc``; with ``bins`` also ``rebalanced_auc``, its class-rebalanced version.
    """
    if not method or method != method.strip():
        raise ValueError(f"method must be a non-empty name without surrounding spaces, got {method!r}.")
    predicted_ab, true_ab = _check_ab(predicted_ab, "predicted ab"), _check_ab(true_ab, "true ab")
    if predicted_ab.shape != true_ab.shape:
        raise ValueError(
            f"Predicted and true ab must have the same shape, got {predicted_ab.shape} and {true_ab.shape}."
        )
    metrics = {
        f"{method}.ab_mse": float(np.mean((predicted_ab - true_ab) ** 2)),
        f"{method}.colourfulness": colourfulness_ratio(predicted_ab, true_ab),
        f"{method}.auc": ab_accuracy_auc(predicted_ab, true_ab),
    }
    if bins is not None:
        metrics[f"{method}.rebalanced_auc"] = ab_accuracy_auc(predicted_ab, true_ab, bins)
    return metrics
