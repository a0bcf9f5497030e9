"""Exemplar seeds and surrogate classes (Exemplar-CNN, Dosovitskiy et al. 2014).

Introduced in notebook 12.

The pretext task: take N patches ("seeds") from N different images, preferring regions with strong
gradients (flat sky teaches nothing); distort each seed with many random transformations
(translation, scale, rotation, contrast, colour); all distortions of one seed form one *surrogate
class*, and a classifier learns to tell the N classes apart. Any number of classes can be made.

* ``gradient_energy`` and ``patch_energy``: where an image has strong gradients;
* ``exemplar_positions`` and ``exemplar_seeds``: one patch per chosen image, placed with
  probability proportional to its gradient energy (or uniformly, to compare);
* ``exemplar_augmenter``: the distortions, one family at a time switchable, built from
  ``helpers.augment``'s Keras layers (``RandomAffine`` for translation, scale and rotation,
  ``RandomColorJitter`` for contrast and hue, saturation and value) so they run inside a model;
* ``surrogate_schedule``, ``SurrogateBatches`` and ``surrogate_samples``: the surrogate-class
  data, either a stream of fresh distortions (the augmenter inside the model) or a fixed set of
  ``samples_per_class`` distortions per seed (the paper's setting).

Everything is deterministic per ``seed``; no function modifies its input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from helpers import checks

__all__ = [
    "DISTORTION_FAMILIES",
    "PLACEMENTS",
    "SeedPositions",
    "gradient_energy",
    "patch_energy",
    "placement_probabilities",
    "exemplar_positions",
    "exemplar_seeds",
    "exemplar_augmenter",
    "surrogate_schedule",
    "SurrogateBatches",
    "surrogate_samples",
]

#: The distortion families of Dosovitskiy et al. and the strength of each here: translation as a
#: fraction of the side, scale as a magnification range, rotation in degrees; contrast scales each
#: channel's spread by a factor in ``[1 - x, 1 + x]``; colour shifts value (brightness) and hue
#: and scales saturation.
DISTORTION_FAMILIES: dict[str, dict[str, Any]] = {
    "translation": {"translation": 0.2},
    "scale": {"zoom_range": (0.7, 1.4)},
    "rotation": {"rotation_degrees": 20.0},
    "contrast": {"contrast": 0.5},
    "colour": {"brightness": 0.1, "saturation": 0.5, "hue": 0.1},
}
#: Where ``exemplar_positions`` puts a patch: in proportion to gradient energy, or uniformly.
PLACEMENTS = ("gradient", "uniform")


class SeedPositions(NamedTuple):
    """Where the seeds come from: image index, top row and left column of each patch."""

    image_index: np.ndarray
    top: np.ndarray
    left: np.ndarray




def gradient_energy(images: np.ndarray) -> np.ndarray:
    """Squared gradient magnitude per pixel, summed over channels: ``(n, height, width)``.

    Introduced in notebook 12. The gradient is ``np.gradient`` along height and width (central
    differences inside, one-sided at the border).
    """
    images = checks.image_batch(images).astype("float64")
    along_height, along_width = np.gradient(images, axis=(1, 2))
    return np.sum(along_height**2 + along_width**2, axis=-1)


def patch_energy(images: np.ndarray, patch_size: int) -> np.ndarray:
    """Mean gradient energy of every ``patch_size`` window: ``(n, height - p + 1, width - p + 1)``.

    Introduced in notebook 12. Entry ``[i, t, l]`` is the mean of ``gradient_energy`` over the
    patch of image ``i`` whose top-left pixel is ``(t, l)`` (computed with an integral image).
    """
    images = checks.image_batch(images)
    _check_patch_size(patch_size, images.shape[1], images.shape[2])
    energy = gradient_energy(images)
    integral = np.pad(energy.cumsum(axis=1).cumsum(axis=2), ((0, 0), (1, 0), (1, 0)))
    p = patch_size
    sums = integral[:, p:, p:] - integral[:, :-p, p:] - integral[:, p:, :-p] + integral[:, :-p, :-p]
    return sums / (p * p)


def _check_patch_size(patch_size: int, height: int, width: int) -> None:
    if isinstance(patch_size, bool) or not isinstance(patch_size, (int, np.integer)) or not 1 <= patch_size <= min(height, width):
        raise ValueError(
            f"patch_size must be an integer from 1 to {min(height, width)} for {height}x{width} images, got {patch_size!r}."
        )


def placement_probabilities(images: np.ndarray, patch_size: int, placement: str = "gradient") -> np.ndarray:
    """The probability of every patch position of each image: ``(n, positions)``, rows summing to 1.

    Introduced in notebook 12. Positions are top-left corners in row-major order
    (``(height - p + 1) * (width - p + 1)`` of them). ``"gradient"``: proportional to
    ``patch_energy`` (uniform for an image without any gradient); ``"uniform"``: all equal.
    """
    images = checks.image_batch(images)
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}.")
    _check_patch_size(patch_size, images.shape[1], images.shape[2])
    positions = (images.shape[1] - patch_size + 1) * (images.shape[2] - patch_size + 1)
    if placement == "uniform":
        return np.full((len(images), positions), 1.0 / positions)
    weights = patch_energy(images, patch_size).reshape(len(images), -1)
    totals = weights.sum(axis=1, keepdims=True)
    return np.where(totals > 0, weights / np.where(totals > 0, totals, 1.0), 1.0 / positions)


def exemplar_positions(
    images: np.ndarray, num_seeds: int, patch_size: int, seed: int = 0, placement: str = "gradient"
) -> SeedPositions:
    """Choose ``num_seeds`` different images and one patch position in each.

    Introduced in notebook 12. The images are drawn uniformly without replacement. With
    ``placement="gradient"`` the patch's top-left corner is drawn with probability proportional
    to the patch's gradient energy (``patch_energy``), as Dosovitskiy et al. sample "regions
    containing considerable gradients"; an image without any gradient falls back to uniform.
    ``placement="uniform"`` draws every position with the same probability.

    Raises:
        ValueError: more seeds asked for than there are images, a patch larger than the images,
            or an unknown placement.
    """
    images = checks.image_batch(images)
    if isinstance(num_seeds, bool) or not isinstance(num_seeds, (int, np.integer)) or num_seeds < 1:
        raise ValueError(f"num_seeds must be a positive integer, got {num_seeds!r}.")
    if num_seeds > len(images):
        raise ValueError(
            f"{num_seeds:,} seeds were asked for but there are only {len(images):,} images: every seed "
            "comes from a different image, so give more images or ask for fewer seeds."
        )
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, got {placement!r}.")
    _check_patch_size(patch_size, images.shape[1], images.shape[2])
    generator = np.random.default_rng(seed)
    chosen = np.sort(generator.choice(len(images), size=num_seeds, replace=False))
    columns = images.shape[2] - patch_size + 1
    tops = np.empty(num_seeds, dtype="int64")
    lefts = np.empty(num_seeds, dtype="int64")
    for start in range(0, num_seeds, 1024):
        block = chosen[start : start + 1024]
        cumulative = np.cumsum(placement_probabilities(images[block], patch_size, placement), axis=1)
        draws = generator.random((len(block), 1)) * cumulative[:, -1:]
        flat = np.minimum(np.sum(cumulative <= draws, axis=1), cumulative.shape[1] - 1)
        tops[start : start + len(block)], lefts[start : start + len(block)] = np.divmod(flat, columns)
    return SeedPositions(chosen, tops, lefts)


def exemplar_seeds(
    images: np.ndarray, num_seeds: int, patch_size: int, seed: int = 0, placement: str = "gradient"
) -> np.ndarray:
    """One ``patch_size`` patch from each of ``num_seeds`` different images: ``(num_seeds, p, p, channels)``.

    Introduced in notebook 12. Positions come from ``exemplar_positions`` (same arguments), so
    by default a patch sits where the image's gradient is large. Raises ``ValueError`` when more
    seeds are asked for than there are images.
    """
    images = checks.image_batch(images)
    positions = exemplar_positions(images, num_seeds, patch_size, seed=seed, placement=placement)
    offsets = np.arange(patch_size)
    rows = positions.top[:, None] + offsets[None, :]
    columns = positions.left[:, None] + offsets[None, :]
    return images[positions.image_index[:, None, None], rows[:, :, None], columns[:, None, :]].copy()


def exemplar_augmenter(
    families: Sequence[str] = tuple(DISTORTION_FAMILIES), seed: int | None = None, name: str = "distortions"
) -> keras.Sequential:
    """The exemplar distortions of the chosen ``families`` as a ``keras.Sequential`` (active in training only).

    Introduced in notebook 12. ``families`` is any subset of ``DISTORTION_FAMILIES``
    (translation, scale, rotation, contrast, colour); leave one out to measure what it adds.
    Translation, scale and rotation are one ``augment.RandomAffine`` layer (borders reflected),
    contrast and colour one ``augment.RandomColorJitter`` layer. Raises ``ValueError`` for an
    unknown family.
    """
    from helpers import augment

    families = tuple(families)
    unknown = [family for family in families if family not in DISTORTION_FAMILIES]
    if unknown:
        raise ValueError(f"Unknown distortion families {unknown}; choose from {list(DISTORTION_FAMILIES)}.")
    geometry: dict[str, Any] = {}
    colour: dict[str, Any] = {}
    for family in families:
        target = geometry if family in ("translation", "scale", "rotation") else colour
        target.update(DISTORTION_FAMILIES[family])
    pipeline = []
    if geometry:
        pipeline.append(augment.RandomAffine(fill_mode="reflect", seed=seed, name="geometry", **geometry))
    if colour:
        colour_seed = None if seed is None else seed + 1
        pipeline.append(augment.RandomColorJitter(seed=colour_seed, name="colour", **colour))
    if not pipeline:
        pipeline.append(keras.layers.Identity(name="no_distortion"))
    return keras.Sequential(pipeline, name=name)


def surrogate_schedule(num_items: int, batch_size: int, steps: int, seed: int = 0) -> np.ndarray:
    """Which items each training step sees: ``(steps, batch_size)`` indices, every item equally often.

    Introduced in notebook 12. The indices are rounds of random permutations of
    ``range(num_items)`` laid end to end, so at any step every item (a surrogate class) has been
    seen as often as any other, give or take one.
    """
    for label, value in (("num_items", num_items), ("batch_size", batch_size), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}.")
    generator = np.random.default_rng(seed)
    needed = steps * batch_size
    rounds = -(-needed // num_items)
    order = np.concatenate([generator.permutation(num_items) for _ in range(rounds)])
    return order[:needed].reshape(steps, batch_size)


class SurrogateBatches(keras.utils.PyDataset):
    """Batches ``(images[index], labels[index])`` for a fixed number of steps, per ``surrogate_schedule``.

    Introduced in notebook 12. With the seeds as ``images`` and ``labels = range(N)``, and the
    augmenter inside the model, each class is a stream of fresh distortions; with the output of
    ``surrogate_samples``, a fixed set of distortions per class. ``len`` is ``steps``: one
    ``fit(..., epochs=1)`` is the whole budget.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, steps: int, seed: int = 0, **kwargs: Any):
        super().__init__(**kwargs)
        images = np.asarray(images)
        labels = np.asarray(labels)
        if len(images) != len(labels) or len(images) == 0:
            raise ValueError(f"Give one label per image (got {len(images)} images and {len(labels)} labels).")
        self.images = images
        self.labels = labels
        self.schedule = surrogate_schedule(len(images), batch_size, steps, seed=seed)

    def __len__(self) -> int:
        return len(self.schedule)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        chosen = self.schedule[index]
        return self.images[chosen], self.labels[chosen]


def surrogate_samples(
    patches: np.ndarray, samples_per_class: int, augmenter: Any, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """``samples_per_class`` distortions of every patch, with its class: ``(images, labels)``.

    Introduced in notebook 12. Sample ``k`` of every class is ``augmenter(patches,
    training=True)`` at the ``k``-th call, so the result is deterministic for a freshly seeded
    augmenter. Images are ordered class by class (``labels`` is ``0, 0, ..., 1, 1, ...``).
    """
    patches = checks.image_batch(patches)
    if isinstance(samples_per_class, bool) or not isinstance(samples_per_class, (int, np.integer)) or samples_per_class < 1:
        raise ValueError(f"samples_per_class must be a positive integer, got {samples_per_class!r}.")
    samples = np.empty((samples_per_class, *patches.shape), dtype="float32")
    for sample in range(samples_per_class):
        for start in range(0, len(patches), batch_size):
            batch = patches[start : start + batch_size].astype("float32")
            samples[sample, start : start + batch_size] = keras.ops.convert_to_numpy(augmenter(batch, training=True))
    images = samples.transpose(1, 0, 2, 3, 4).reshape(-1, *patches.shape[1:])
    labels = np.repeat(np.arange(len(patches)), samples_per_class)
    return images, labels
