"""The lecture's convolutional autoencoder, its training loop and PSNR.

Introduced in notebook 02.

The encoder is the lecture's ``Conv(16) -> pool -> Conv(8) -> pool -> Conv(8)
-> pool``, which turns a 28x28 digit into a 4x4x8 map: a 128-dimensional
*code*. The decoder mirrors it with upsampling and ends in a sigmoid, so the
model can be trained with binary cross-entropy against images in [0, 1].
The code size is configurable (the last encoder convolution has
``code_size / 16`` channels on a 4x4 grid) for the bottleneck sweep of
notebook 02, and ``build_skip_autoencoder`` adds a shortcut around the code (a
model that copies better); the denoising autoencoders of notebook 03 train the
same model on corrupted inputs with ``train_autoencoder(..., noise=...)``.
``training_settings`` is the checkpoint key the two notebooks share, so notebook
03 loads the autoencoder that notebook 02 trained instead of training it again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from helpers.pretext.noise import corrupt

#: Filters of the encoder's first two convolutions (the third sets the code size).
ENCODER_FILTERS: tuple[int, int] = (16, 8)
#: Filters of the decoder's three convolutions before the output layer.
DECODER_FILTERS: tuple[int, int, int] = (8, 8, 16)
DEFAULT_CODE_SIZE = 128
NUM_POOLINGS = 3


def _pooled_sizes(size: int) -> list[int]:
    sizes = [size]
    for _ in range(NUM_POOLINGS):
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


def code_shape(input_shape: Sequence[int], code_size: int = DEFAULT_CODE_SIZE) -> tuple[int, int, int]:
    """Shape ``(h, w, channels)`` of the code map for an input shape and a code size.

    Introduced in notebook 02. ``code_size`` must be a multiple of the code
    grid's area (16 for 28x28 or 32x32 images: 4x4 cells).
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)}.")
    height, width = int(input_shape[0]), int(input_shape[1])
    if min(height, width) < 2**NUM_POOLINGS:
        raise ValueError(f"An image of {height}x{width} is too small for {NUM_POOLINGS} poolings.")
    code_height, code_width = _pooled_sizes(height)[-1], _pooled_sizes(width)[-1]
    area = code_height * code_width
    if not isinstance(code_size, (int, np.integer)) or code_size <= 0 or code_size % area:
        raise ValueError(
            f"code_size must be a positive multiple of {area} (the {code_height}x{code_width} "
            f"code grid), got {code_size!r}; for example {area * 2}, {area * 8} or {area * 32}."
        )
    return code_height, code_width, int(code_size) // area


def _check_filters(filters: Sequence[int], count: int) -> None:
    if len(filters) != count or any(int(f) <= 0 for f in filters):
        raise ValueError(f"filters must be {count} positive integers, got {tuple(filters)}.")


def _encoder_blocks(x: Any, code_channels: int, filters: Sequence[int]) -> tuple[Any, Any]:
    """Apply the encoder's blocks to a tensor; return ``(code, conv1's output)``."""
    widths = [*filters, code_channels]
    first = None
    for index, width in enumerate(widths, start=1):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{index}")(x)
        first = x if first is None else first
        pool_name = "code" if index == len(widths) else f"block{index}"
        x = layers.MaxPooling2D(2, padding="same", name=pool_name)(x)
    return x, first


def _decoder_blocks(x: Any, output_shape: Sequence[int], filters: Sequence[int], shortcut: Any = None) -> Any:
    """Apply the decoder's blocks to a code tensor (concatenating ``shortcut`` before the output)."""
    heights, widths = _pooled_sizes(int(output_shape[0])), _pooled_sizes(int(output_shape[1]))
    for index, width in enumerate(filters, start=1):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"deconv{index}")(x)
        x = layers.UpSampling2D(2, name=f"upsample{index}")(x)
        target_height, target_width = heights[-1 - index], widths[-1 - index]
        extra_height, extra_width = x.shape[1] - target_height, x.shape[2] - target_width
        if extra_height or extra_width:
            x = layers.Cropping2D(((0, extra_height), (0, extra_width)), name=f"crop{index}")(x)
    if shortcut is not None:
        x = layers.Concatenate(name="skip")([x, shortcut])
    return layers.Conv2D(int(output_shape[2]), 3, padding="same", activation="sigmoid", name="reconstruction")(x)


def build_conv_encoder(
    input_shape: Sequence[int] = (28, 28, 1),
    code_size: int = DEFAULT_CODE_SIZE,
    filters: Sequence[int] = ENCODER_FILTERS,
    name: str = "encoder",
) -> keras.Model:
    """The lecture's encoder: image -> code map ``(4, 4, code_size / 16)`` for MNIST.

    Introduced in notebook 02. Three ``Conv2D(3x3, same, ReLU) -> MaxPooling2D(2, same)``
    blocks; the first two have ``filters`` (16, 8), the last ``code_size / 16``
    filters. The output layer is named ``code``; flatten it for a probe
    (``helpers.models.extract_features`` does).
    """
    _check_filters(filters, NUM_POOLINGS - 1)
    _, _, code_channels = code_shape(input_shape, code_size)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    code, _ = _encoder_blocks(inputs, code_channels, filters)
    return keras.Model(inputs, code, name=name)


def build_conv_decoder(
    output_shape: Sequence[int] = (28, 28, 1),
    code_size: int = DEFAULT_CODE_SIZE,
    filters: Sequence[int] = DECODER_FILTERS,
    name: str = "decoder",
) -> keras.Model:
    """The mirrored decoder: code map -> image in [0, 1] (sigmoid output).

    Introduced in notebook 02. Three ``Conv2D(3x3, same, ReLU) -> UpSampling2D(2)``
    blocks (cropping where the encoder's pooling had rounded up, 8 -> 7 for
    MNIST), then a ``Conv2D(3x3)`` with a sigmoid and the image's channels.
    The decoder's widths do not change with ``code_size``, so a bottleneck
    sweep changes only the code.
    """
    _check_filters(filters, NUM_POOLINGS)
    code_height, code_width, code_channels = code_shape(output_shape, code_size)
    inputs = keras.Input(shape=(code_height, code_width, code_channels), name="code")
    return keras.Model(inputs, _decoder_blocks(inputs, output_shape, filters), name=name)


def build_autoencoder(
    encoder: keras.Model, decoder: keras.Model, name: str = "autoencoder"
) -> keras.Model:
    """Chain an encoder and a decoder into one functional model: image -> reconstruction.

    Introduced in notebook 02. The two parts keep their weights, so after
    training ``encoder`` alone gives the code.
    """
    if tuple(encoder.output.shape[1:]) != tuple(decoder.input.shape[1:]):
        raise ValueError(
            f"The encoder's output {tuple(encoder.output.shape[1:])} does not fit the decoder's "
            f"input {tuple(decoder.input.shape[1:])}: build both with the same code_size."
        )
    inputs = keras.Input(shape=encoder.input.shape[1:], name="image")
    return keras.Model(inputs, decoder(encoder(inputs)), name=name)


def build_skip_autoencoder(
    input_shape: Sequence[int] = (28, 28, 1),
    code_size: int = DEFAULT_CODE_SIZE,
    name: str = "skip_autoencoder",
) -> keras.Model:
    """The lecture's autoencoder plus one skip connection around the code (a U-Net-style shortcut).

    Introduced in notebook 02. The same layers as ``build_conv_encoder`` followed by
    ``build_conv_decoder`` (same widths and names, so ``code`` is the same map), but the first
    convolution's full-resolution output (``conv1``) is concatenated to the decoder's last feature
    map (layer ``skip``) before the output convolution. The decoder can then rebuild the image from
    ``conv1`` without the code: a model that copies better. One flat functional model; probe its
    code with ``helpers.models.feature_model(model, "code")``.
    """
    _, _, code_channels = code_shape(input_shape, code_size)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    code, first = _encoder_blocks(inputs, code_channels, ENCODER_FILTERS)
    outputs = _decoder_blocks(code, input_shape, DECODER_FILTERS, shortcut=first)
    return keras.Model(inputs, outputs, name=name)


#: The settings that shape an autoencoder's training (the run profile's values): with the seed
#: and the noise they make ``training_settings``, the checkpoint key of notebooks 02 and 03.
TRAINING_KEYS: tuple[str, ...] = ("pretraining_size", "num_epochs", "batch_size", "checks_per_epoch", "learning_rate")


def training_settings(
    hp: Mapping[str, Any], seed: int, noise: str = "none", level: float = 0.0
) -> dict[str, Any]:
    """The settings of one autoencoder's training: ``hp``'s ``TRAINING_KEYS``, the seed and the noise.

    Introduced in notebook 02. Pass it to ``checkpoints.train_or_load(..., settings=...)``:
    notebooks 02 and 03 build the same dict for the plain autoencoder (``noise="none"``), so
    within one run of the course notebook 03 loads what notebook 02 trained. Raises
    ``ValueError`` when ``hp`` lacks one of the keys.
    """
    missing = [key for key in TRAINING_KEYS if key not in hp]
    if missing:
        raise ValueError(
            f"The hyperparameters lack {missing}; an autoencoder's training is set by {list(TRAINING_KEYS)}."
        )
    if noise != "none" and level <= 0:
        raise ValueError(f"A {noise!r} corruption needs a positive level, got {level!r}.")
    settings = {key: hp[key] for key in TRAINING_KEYS}
    settings.update(seed=int(seed), noise=str(noise), level=0.0 if noise == "none" else float(level))
    return settings


def training_steps(num_images: int, batch_size: int, num_epochs: int = 1, checks_per_epoch: int = 1) -> int:
    """Optimizer steps that ``train_autoencoder`` takes: every part of every epoch ends in a short batch.

    Introduced in notebook 02 (a row's pretraining budget is counted in steps). Each epoch is cut
    into ``checks_per_epoch`` nearly equal parts (``numpy.array_split``), each fitted in batches of
    ``batch_size``.
    """
    if min(num_images, batch_size, num_epochs, checks_per_epoch) < 1 or checks_per_epoch > num_images:
        raise ValueError(
            "num_images, batch_size, num_epochs and checks_per_epoch must be positive, with "
            f"checks_per_epoch <= num_images; got {num_images}, {batch_size}, {num_epochs}, {checks_per_epoch}."
        )
    part, extra = divmod(int(num_images), int(checks_per_epoch))
    sizes = [part + 1] * extra + [part] * (int(checks_per_epoch) - extra)
    return int(num_epochs) * sum(math.ceil(size / int(batch_size)) for size in sizes)


def train_autoencoder(
    autoencoder: keras.Model,
    x_train: np.ndarray,
    x_val: np.ndarray,
    num_epochs: int,
    batch_size: int = 128,
    noise: str = "none",
    level: float = 0.0,
    seed: int = 0,
    verbose: int = 0,
    checks_per_epoch: int = 1,
    validation_batch_size: int = 512,
) -> dict[str, list[float]]:
    """Fit a compiled autoencoder to rebuild *clean* images from (optionally) corrupted ones.

    Introduced in notebook 02 (plain, ``noise="none"``) and used in notebook 03
    (``noise="gaussian"`` or ``"masking"`` at ``level``). Each epoch draws fresh
    noise for the training images (seed ``seed + epoch``); the validation
    inputs are corrupted once with a fixed seed, so validation losses of one
    run are comparable across epochs. ``checks_per_epoch`` splits every epoch
    into that many parts of (nearly) equal size, in a fresh random order, and measures the
    validation loss after each, so even a one-epoch run has a loss curve.
    The validation images go through in batches of ``validation_batch_size``
    (at least ``batch_size``): that changes no weight, only how fast the checks run.
    Returns the history as a dict of lists (one entry per check) with
    ``train_seconds`` added as a one-element list.
    """
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}.")
    if len(x_train) == 0 or len(x_val) == 0:
        raise ValueError("train_autoencoder needs non-empty training and validation images.")
    if not isinstance(checks_per_epoch, (int, np.integer)) or not 1 <= checks_per_epoch <= len(x_train):
        raise ValueError(
            f"checks_per_epoch must be an integer from 1 to the number of training images "
            f"({len(x_train)}), got {checks_per_epoch!r}."
        )
    if not isinstance(validation_batch_size, (int, np.integer)) or validation_batch_size < 1:
        raise ValueError(f"validation_batch_size must be a positive integer, got {validation_batch_size!r}.")
    validation_inputs = corrupt(x_val, noise, level, seed=seed + 10_000)
    history: dict[str, list[float]] = {}
    started = time.time()
    for epoch in range(num_epochs):
        inputs = x_train if noise == "none" else corrupt(x_train, noise, level, seed=seed + epoch)
        if checks_per_epoch == 1:
            parts = [(inputs, x_train)]
        else:
            order = np.random.default_rng(seed + epoch).permutation(len(x_train))
            parts = [(inputs[part], x_train[part]) for part in np.array_split(order, checks_per_epoch)]
        for part_inputs, part_targets in parts:
            result = autoencoder.fit(
                part_inputs, part_targets, validation_data=(validation_inputs, x_val),
                batch_size=batch_size, validation_batch_size=max(batch_size, validation_batch_size),
                epochs=1, shuffle=True, verbose=verbose,
            )
            for key, values in result.history.items():
                history.setdefault(key, []).extend(float(value) for value in values)
    history["train_seconds"] = [time.time() - started]
    return history


def psnr(
    reference: np.ndarray, images: np.ndarray, data_range: float = 1.0, reduce: bool = True
) -> float | np.ndarray:
    """Peak signal-to-noise ratio of ``images`` against ``reference``, in decibels.

    Introduced in notebook 03. ``10 * log10(data_range**2 / MSE)`` per image;
    with ``reduce`` the mean over images (higher is better; identical images
    give ``inf``).
    """
    reference = np.asarray(reference, dtype="float64")
    images = np.asarray(images, dtype="float64")
    if reference.shape != images.shape:
        raise ValueError(f"PSNR needs arrays of one shape, got {reference.shape} and {images.shape}.")
    if reference.size == 0:
        raise ValueError("PSNR got empty arrays.")
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range}.")
    if reference.ndim == 1:
        reference, images = reference[np.newaxis], images[np.newaxis]
    squared_error = ((reference - images) ** 2).reshape(len(reference), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(data_range**2 / squared_error)
    return float(values.mean()) if reduce else values
