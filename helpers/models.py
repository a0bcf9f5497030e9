"""The course's standard convolutional encoder, and small model utilities.

Introduced in notebook 00.

Every method in the course trains the *same* encoder architecture, so that a
linear probe compares pretext tasks and not architectures, and every learned
encoder is compared against this architecture with random weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

#: Filters of the standard encoder's convolutional blocks.
DEFAULT_FILTERS: tuple[int, ...] = (32, 64, 128)
DEFAULT_EMBEDDING_DIM = 128


def build_encoder(
    input_shape: Sequence[int],
    filters: Sequence[int] = DEFAULT_FILTERS,
    embedding_dim: int = DEFAULT_EMBEDDING_DIM,
    name: str = "encoder",
) -> keras.Model:
    """The course's standard conv encoder: image -> ``embedding_dim`` features.

    Introduced in notebook 00. Each block is ``Conv2D(3x3, same) -> ReLU ->
    MaxPooling2D(2)``; the blocks' outputs are named ``block1`` ... ``blockN``
    (the layer-wise probes of notebook 07 read them), then ``Flatten`` and a
    ``Dense(embedding_dim)`` layer named ``embedding``. A functional model.
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)}.")
    if not filters or any(f <= 0 for f in filters):
        raise ValueError(f"filters must be a non-empty list of positive integers, got {filters}.")
    if embedding_dim <= 0:
        raise ValueError(f"embedding_dim must be positive, got {embedding_dim}.")
    height, width = input_shape[0], input_shape[1]
    if min(height, width) < 2 ** len(filters):
        raise ValueError(
            f"An image of {height}x{width} is too small for {len(filters)} pooling blocks."
        )
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for index, num_filters in enumerate(filters, start=1):
        x = layers.Conv2D(num_filters, 3, padding="same", activation="relu", name=f"conv{index}")(x)
        x = layers.MaxPooling2D(2, name=f"block{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(inputs, outputs, name=name)


def build_classifier(encoder: keras.Model, num_classes: int, name: str = "classifier") -> keras.Model:
    """Encoder + ReLU + softmax head, for supervised training from scratch.

    Introduced in notebook 01.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}.")
    inputs = keras.Input(shape=encoder.input_shape[1:], name="image")
    features = layers.Activation("relu", name="features_relu")(encoder(inputs))
    outputs = layers.Dense(num_classes, activation="softmax", name="class_probabilities")(features)
    return keras.Model(inputs, outputs, name=name)


def extract_features(
    model: keras.Model, images: np.ndarray, batch_size: int = 512, flatten: bool = True
) -> np.ndarray:
    """Run ``model`` on ``images`` in inference mode and return NumPy features.

    Introduced in notebook 00. ``flatten`` turns ``(n, h, w, c)`` maps into ``(n, h*w*c)``.
    """
    if len(images) == 0:
        raise ValueError("extract_features got no images.")
    features = model.predict(images, batch_size=batch_size, verbose=0)
    features = np.asarray(features, dtype="float32")
    if flatten:
        features = features.reshape(len(features), -1)
    return features


def feature_model(
    encoder: keras.Model, layer_name: str | None = None, pooling: str | int | None = None
) -> keras.Model:
    """A model from the encoder's input to one named layer's output, optionally pooled.

    Introduced in notebook 07 (layer-wise probes); ``helpers.evaluation`` probes every row
    through it. ``layer_name=None`` takes the encoder's output. ``pooling`` applies to a feature
    map ``(h, w, c)``: ``None`` keeps it (flatten it for a probe), ``"global"`` averages it to
    ``c`` numbers, an integer ``g`` average-pools it down to about ``g x g`` cells.
    """
    if layer_name is None:
        output = encoder.output
        layer_name = "output"
    else:
        try:
            output = encoder.get_layer(layer_name).output
        except ValueError:
            names = [layer.name for layer in encoder.layers]
            raise ValueError(f"The encoder has no layer {layer_name!r}; its layers are {names}.") from None
    if pooling is not None and len(output.shape) == 4:
        if pooling == "global":
            output = layers.GlobalAveragePooling2D(name=f"{layer_name}_global_pool")(output)
        elif isinstance(pooling, (int, np.integer)) and not isinstance(pooling, bool) and pooling > 0:
            height = output.shape[1]
            if height > pooling:
                output = layers.AveragePooling2D(max(height // int(pooling), 1), name=f"{layer_name}_pooled")(output)
        else:
            raise ValueError(f"pooling must be None, 'global' or a positive grid size, got {pooling!r}.")
    return keras.Model(encoder.input, output, name=f"{encoder.name}_{layer_name}")


def count_parameters(model: keras.Model) -> int:
    """Number of trainable and non-trainable weights' scalars."""
    return int(sum(np.prod(weight.shape) for weight in model.weights))
