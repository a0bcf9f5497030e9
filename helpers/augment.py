"""Augmentation pipelines of SimCLR, built from Keras layers that run on tensors.

Introduced in notebook 08.

In SimCLR the *positive pair* of an image is two random views of it, so the
augmentations decide what the encoder learns to ignore. ``digit_augmenter``
(28x28 greyscale digits) and ``cifar_augmenter`` (32x32 colour photographs)
return a ``keras.Sequential`` of random layers that runs on a batch of float
images in [0, 1] inside a model's ``train_step``. Each layer owns a seeded
``keras.random.SeedGenerator``, so two pipelines built with the same ``seed``
produce the same views of the same batch; ``two_views`` applies a pipeline
twice to get the pairs.

The geometric part is one affine map per image, applied with one
``keras.ops.image.affine_transform`` call (about three times cheaper on a CPU
than chaining ``RandomZoom``, ``RandomRotation`` and ``RandomTranslation``):
``RandomAffine`` composes zoom, rotation, shift and flip for digits;
``RandomResizedCrop`` is SimCLR's crop of a random region inside the image.
``RandomColorJitter`` is SimCLR's colour distortion: brightness, contrast,
saturation (element-wise arithmetic) and hue (an HSV round trip), applied
with a probability, then random greyscale.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers, ops

__all__ = [
    "RandomAffine", "RandomResizedCrop", "RandomColorJitter", "digit_augmenter", "cifar_augmenter", "two_views",
]


def _check_range(name: str, value: float, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= upper:
        raise ValueError(f"{name} must be a number in [0, {upper}], got {value!r}.")
    return float(value)


def _check_seed(seed: int | None) -> int | None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}.")
    return seed


def _offset(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


class RandomAffine(layers.Layer):
    """One random affine map per image: zoom, rotation, shift and horizontal flip.

    Introduced in notebook 08. ``zoom_range=(low, high)`` is the range of the
    magnification (above 1 zooms in, like the crop of a "random resized crop"),
    ``rotation_degrees`` the largest rotation either way, ``translation`` the
    largest shift as a fraction of the side, ``flip`` mirrors half the images.
    Pixels that come from outside the image are filled per ``fill_mode``
    (``"constant"`` with ``fill_value``, or ``"reflect"``, ``"nearest"``, ...).
    Inactive outside training.
    """

    def __init__(
        self,
        zoom_range: tuple[float, float] = (1.0, 1.0),
        rotation_degrees: float = 0.0,
        translation: float = 0.0,
        flip: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        low, high = (float(value) for value in zoom_range)
        if not 0.0 < low <= high:
            raise ValueError(f"zoom_range must be (low, high) with 0 < low <= high, got {zoom_range!r}.")
        self.zoom_range = (low, high)
        self.rotation_degrees = _check_range("rotation_degrees", rotation_degrees, 180.0)
        self.translation = _check_range("translation", translation, 0.5)
        self.flip = bool(flip)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.seed = _check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool | None = None) -> Any:
        if not training:
            return images
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        height_f = ops.cast(height, "float32")
        width_f = ops.cast(width, "float32")

        def uniform(low: float, high: float) -> Any:
            return keras.random.uniform((batch,), low, high, seed=self.seed_generator)

        # The transform maps each *output* pixel to the input pixel it samples,
        # so a magnification z samples a region 1/z as large.
        scale = 1.0 / uniform(*self.zoom_range)
        angle = uniform(-1.0, 1.0) * (self.rotation_degrees * math.pi / 180.0)
        shift_x = uniform(-1.0, 1.0) * self.translation * width_f
        shift_y = uniform(-1.0, 1.0) * self.translation * height_f
        if self.flip:
            mirror = ops.where(uniform(0.0, 1.0) < 0.5, -1.0, 1.0)
        else:
            mirror = ops.ones((batch,), "float32")
        cos, sin = ops.cos(angle), ops.sin(angle)
        a0, a1 = scale * cos * mirror, -scale * sin
        b0, b1 = scale * sin * mirror, scale * cos
        center_x, center_y = (width_f - 1.0) / 2.0, (height_f - 1.0) / 2.0
        a2 = center_x + shift_x - a0 * center_x - a1 * center_y
        b2 = center_y + shift_y - b0 * center_x - b1 * center_y
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(
            images, transform, interpolation="bilinear", fill_mode=self.fill_mode, fill_value=self.fill_value
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "zoom_range": self.zoom_range,
            "rotation_degrees": self.rotation_degrees,
            "translation": self.translation,
            "flip": self.flip,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "seed": self.seed,
        }


class RandomResizedCrop(layers.Layer):
    """SimCLR's "random resized crop": a random region of each image, resized to the full image.

    Introduced in notebook 08. The region's area is a fraction of the image
    drawn uniformly from ``area_range`` (SimCLR: 0.08 to 1) and its aspect
    ratio (width / height) log-uniformly from ``aspect_ratio_range`` (SimCLR:
    3/4 to 4/3); a side longer than the image is cut to the image. The region
    lies wholly inside the image, so no pixel is filled (``RandomAffine``'s
    shifts can leave the image and need a fill mode). ``flip`` mirrors half the
    crops. Bilinear resampling; inactive outside training.
    """

    def __init__(
        self,
        area_range: tuple[float, float] = (0.08, 1.0),
        aspect_ratio_range: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        flip: bool = True,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        low, high = (float(value) for value in area_range)
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f"area_range must be (low, high) with 0 < low <= high <= 1, got {area_range!r}.")
        ratio_low, ratio_high = (float(value) for value in aspect_ratio_range)
        if not 0.0 < ratio_low <= ratio_high:
            raise ValueError(
                f"aspect_ratio_range must be (low, high) with 0 < low <= high, got {aspect_ratio_range!r}."
            )
        self.area_range = (low, high)
        self.aspect_ratio_range = (ratio_low, ratio_high)
        self.flip = bool(flip)
        self.seed = _check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool | None = None) -> Any:
        if not training:
            return images
        shape = ops.shape(images)
        batch = shape[0]
        last_x = ops.cast(shape[2], "float32") - 1.0
        last_y = ops.cast(shape[1], "float32") - 1.0

        def uniform(low: float, high: float) -> Any:
            return keras.random.uniform((batch,), low, high, seed=self.seed_generator)

        area = uniform(*self.area_range)
        log_ratio = uniform(math.log(self.aspect_ratio_range[0]), math.log(self.aspect_ratio_range[1]))
        ratio = ops.exp(log_ratio)
        # Sides of the region as fractions of the image's sides.
        width = ops.minimum(ops.sqrt(area * ratio), 1.0)
        height = ops.minimum(ops.sqrt(area / ratio), 1.0)
        left = uniform(0.0, 1.0) * (1.0 - width) * last_x
        top = uniform(0.0, 1.0) * (1.0 - height) * last_y
        # Output pixel (x, y) samples input (left + width * x, top + height * y);
        # a flip samples (left + width * (last_x - x), ...).
        if self.flip:
            mirrored = uniform(0.0, 1.0) < 0.5
        else:
            mirrored = ops.zeros((batch,), "bool")
        a0 = ops.where(mirrored, -width, width)
        a2 = ops.where(mirrored, left + width * last_x, left)
        zeros = ops.zeros_like(a0)
        transform = ops.stack([a0, zeros, a2, zeros, height, top, zeros, zeros], axis=1)
        return ops.image.affine_transform(images, transform, interpolation="bilinear", fill_mode="nearest")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "area_range": self.area_range,
            "aspect_ratio_range": self.aspect_ratio_range,
            "flip": self.flip,
            "seed": self.seed,
        }


class RandomColorJitter(layers.Layer):
    """SimCLR's colour distortion: brightness, contrast, saturation and hue, with a probability, then greyscale.

    Introduced in notebook 08. For images in [0, 1]. With probability
    ``probability`` per image (SimCLR: 0.8) the image is jittered: brightness
    adds a value in ``[-brightness, brightness]``; contrast scales each
    channel's distance from its mean and saturation each pixel's distance
    from its grey value by a factor in ``[1 - x, 1 + x]``; ``hue`` shifts the
    hue (HSV, as a fraction of the colour wheel, at most 0.5) by a value in
    ``[-hue, hue]``; the result is clipped to [0, 1]. Then, independently,
    the image turns grey with probability ``grayscale`` (SimCLR: 0.2).
    SimCLR applies the four jitters in a random order; this layer applies
    them in the order above. Saturation, hue and greyscale need three
    channels and are skipped on greyscale images. Inactive outside training.
    """

    def __init__(
        self,
        brightness: float = 0.0,
        contrast: float = 0.0,
        saturation: float = 0.0,
        hue: float = 0.0,
        probability: float = 1.0,
        grayscale: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.brightness = _check_range("brightness", brightness, 1.0)
        self.contrast = _check_range("contrast", contrast, 1.0)
        self.saturation = _check_range("saturation", saturation, 1.0)
        self.hue = _check_range("hue", hue, 0.5)
        self.probability = _check_range("probability", probability, 1.0)
        self.grayscale = _check_range("grayscale", grayscale, 1.0)
        self.seed = _check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool | None = None) -> Any:
        if not training:
            return images
        batch = ops.shape(images)[0]
        colour = images.shape[-1] == 3
        luminance = ops.array([0.299, 0.587, 0.114], "float32")

        def uniform(low: float, high: float) -> Any:
            return keras.random.uniform((batch, 1, 1, 1), low, high, seed=self.seed_generator)

        x = images
        if self.brightness > 0:
            x = x + uniform(-self.brightness, self.brightness)
        if self.contrast > 0:
            mean = ops.mean(x, axis=(1, 2), keepdims=True)
            x = (x - mean) * uniform(1.0 - self.contrast, 1.0 + self.contrast) + mean
        if colour and self.saturation > 0:
            grey = ops.sum(x * luminance, axis=-1, keepdims=True)
            x = grey + uniform(1.0 - self.saturation, 1.0 + self.saturation) * (x - grey)
        x = ops.clip(x, 0.0, 1.0)
        if colour and self.hue > 0:
            hsv = ops.image.rgb_to_hsv(x)
            shifted_hue = ops.mod(hsv[..., :1] + uniform(-self.hue, self.hue), 1.0)
            x = ops.clip(ops.image.hsv_to_rgb(ops.concatenate([shifted_hue, hsv[..., 1:]], axis=-1)), 0.0, 1.0)
        # The coin for "jitter or not" is drawn after the jitter itself, so a layer
        # with probability 1 and one with a lower probability (same seed) jitter alike.
        if self.probability < 1:
            x = ops.where(uniform(0.0, 1.0) < self.probability, x, ops.clip(images, 0.0, 1.0))
        if colour and self.grayscale > 0:
            grey = ops.sum(x * luminance, axis=-1, keepdims=True)
            x = ops.where(uniform(0.0, 1.0) < self.grayscale, grey + ops.zeros_like(x), x)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "brightness": self.brightness,
            "contrast": self.contrast,
            "saturation": self.saturation,
            "hue": self.hue,
            "probability": self.probability,
            "grayscale": self.grayscale,
            "seed": self.seed,
        }


def digit_augmenter(
    seed: int | None = None,
    zoom: float = 0.25,
    rotation_degrees: float = 15.0,
    translation: float = 0.12,
    erasing: float = 0.0,
    name: str = "digit_augmenter",
) -> keras.Sequential:
    """Random zoom in or out (a "resized crop"), small rotation and shift for 28x28 digits.

    Introduced in notebook 08. Empty pixels are filled with black (the digit
    background), so values stay in [0, 1]. ``zoom`` is the largest relative
    magnification change, ``translation`` the largest shift as a fraction of
    the side, ``erasing`` the probability of blanking a random rectangle
    (Keras' ``RandomErasing``; 0 leaves it out).
    """
    _check_seed(seed)
    _check_range("zoom", zoom, 0.9)
    _check_range("erasing", erasing, 1.0)
    pipeline: list[layers.Layer] = [
        RandomAffine(
            zoom_range=(1.0 - zoom, 1.0 + zoom),
            rotation_degrees=rotation_degrees,
            translation=translation,
            fill_mode="constant",
            fill_value=0.0,
            seed=_offset(seed, 0),
            name="affine",
        )
    ]
    if erasing > 0:
        pipeline.append(
            layers.RandomErasing(
                factor=erasing, scale=(0.02, 0.15), fill_value=0.0, value_range=(0, 1),
                seed=_offset(seed, 1), name="erasing",
            )
        )
    return keras.Sequential(pipeline, name=name)


def cifar_augmenter(
    seed: int | None = None,
    crop_area: tuple[float, float] = (0.08, 1.0),
    strength: float = 0.5,
    jitter_probability: float = 0.8,
    grayscale: float = 0.2,
    name: str = "cifar_augmenter",
) -> keras.Sequential:
    """SimCLR's CIFAR-10 recipe: random resized crop with flip, colour jitter, random greyscale.

    Introduced in notebook 08. As in Chen et al. (2020, appendices A and B.9):
    a ``RandomResizedCrop`` of area ``crop_area`` (no fill: the crop stays
    inside the image) with a horizontal flip; colour jitter of strength
    ``strength`` (brightness, contrast and saturation ``0.8 * strength``, hue
    ``0.2 * strength``; CIFAR-10 uses 0.5) applied with probability
    ``jitter_probability``; greyscale with probability ``grayscale``; no blur.
    Values stay in [0, 1].
    """
    _check_seed(seed)
    _check_range("strength", strength, 1.25)
    pipeline = [
        RandomResizedCrop(area_range=crop_area, flip=True, seed=_offset(seed, 0), name="crop_and_flip"),
        RandomColorJitter(
            brightness=0.8 * strength, contrast=0.8 * strength, saturation=0.8 * strength, hue=0.2 * strength,
            probability=jitter_probability, grayscale=grayscale, seed=_offset(seed, 1), name="color_jitter",
        ),
    ]
    return keras.Sequential(pipeline, name=name)


def two_views(augmenter: keras.Layer, images: Any) -> tuple[Any, Any]:
    """Two independent random views of the same batch: the positive pairs of SimCLR.

    Introduced in notebook 08. Runs ``augmenter`` in training mode (where the
    random layers are active) twice.
    """
    return augmenter(images, training=True), augmenter(images, training=True)
