import numpy as np
import pytest

from helpers import models


def test_standard_encoder_shapes_and_block_names():
    encoder = models.build_encoder((28, 28, 1))
    assert encoder.output_shape == (None, 128)
    assert [encoder.get_layer(f"block{i}").output.shape[1] for i in (1, 2, 3)] == [14, 7, 3]
    cifar = models.build_encoder((32, 32, 3), embedding_dim=64)
    assert cifar.output_shape == (None, 64)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_shape": (28, 28)}, "height, width, channels"),
        ({"input_shape": (4, 4, 1)}, "too small"),
        ({"input_shape": (28, 28, 1), "embedding_dim": 0}, "positive"),
        ({"input_shape": (28, 28, 1), "filters": ()}, "non-empty"),
    ],
)
def test_encoder_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.build_encoder(**kwargs)


def test_feature_model_and_extract_features():
    encoder = models.build_encoder((28, 28, 1))
    images = np.random.default_rng(0).random((5, 28, 28, 1)).astype("float32")
    block1 = models.feature_model(encoder, "block1", pooling=2)
    assert models.extract_features(block1, images).shape == (5, 2 * 2 * 32)
    assert models.extract_features(encoder, images).shape == (5, 128)
    with pytest.raises(ValueError, match="no layer"):
        models.feature_model(encoder, "block9")


def test_classifier_outputs_probabilities():
    classifier = models.build_classifier(models.build_encoder((28, 28, 1)), 10)
    probabilities = classifier.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_feature_model_pooling_options():
    encoder = models.build_encoder((28, 28, 1))
    assert models.feature_model(encoder, "block2", pooling="global").output.shape[1:] == (64,)
    assert models.feature_model(encoder, "block2").output.shape[1:] == (7, 7, 64)
    assert models.feature_model(encoder).output.shape[1:] == (128,)
    with pytest.raises(ValueError, match="pooling"):
        models.feature_model(encoder, "block2", pooling="max")
    with pytest.raises(ValueError, match="no layer"):
        models.feature_model(encoder, "block9")
