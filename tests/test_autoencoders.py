"""Tests of helpers.autoencoders: shapes of the lecture's model, PSNR on known arrays, training."""

import math

import numpy as np
import pytest

from helpers import autoencoders


@pytest.mark.parametrize("code_size, channels", [(32, 2), (128, 8), (512, 32)])
def test_mnist_code_shape_and_reconstruction_shape(code_size, channels):
    encoder = autoencoders.build_conv_encoder((28, 28, 1), code_size=code_size)
    decoder = autoencoders.build_conv_decoder((28, 28, 1), code_size=code_size)
    model = autoencoders.build_autoencoder(encoder, decoder)
    assert tuple(encoder.output.shape[1:]) == (4, 4, channels)
    assert int(np.prod(encoder.output.shape[1:])) == code_size
    assert tuple(model.output.shape[1:]) == (28, 28, 1)
    assert encoder.get_layer("code") is encoder.layers[-1]


def test_lecture_layer_widths_and_sigmoid_output():
    encoder = autoencoders.build_conv_encoder()
    decoder = autoencoders.build_conv_decoder()
    assert [encoder.get_layer(f"conv{i}").filters for i in (1, 2, 3)] == [16, 8, 8]
    assert [decoder.get_layer(f"deconv{i}").filters for i in (1, 2, 3)] == [8, 8, 16]
    images = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    output = autoencoders.build_autoencoder(encoder, decoder).predict(images, verbose=0)
    assert output.min() >= 0.0 and output.max() <= 1.0


def test_colour_images_of_32_pixels():
    encoder = autoencoders.build_conv_encoder((32, 32, 3), code_size=64)
    decoder = autoencoders.build_conv_decoder((32, 32, 3), code_size=64)
    assert tuple(autoencoders.build_autoencoder(encoder, decoder).output.shape[1:]) == (32, 32, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda: autoencoders.build_conv_encoder(code_size=100),  # not a multiple of 16
        lambda: autoencoders.build_conv_encoder((4, 4, 1)),
        lambda: autoencoders.build_conv_encoder(filters=(16,)),
        lambda: autoencoders.build_conv_decoder(filters=(8, 8)),
        lambda: autoencoders.build_autoencoder(
            autoencoders.build_conv_encoder(code_size=32), autoencoders.build_conv_decoder(code_size=128)
        ),
    ],
)
def test_bad_configuration_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_psnr_on_known_arrays():
    clean = np.zeros((2, 4, 4, 1))
    # every pixel off by 0.1: MSE 0.01 -> 20 dB
    assert autoencoders.psnr(clean, clean + 0.1) == pytest.approx(20.0)
    # per image: 0.1 off (20 dB) and 0.01 off (40 dB); the mean over images is 30 dB
    images = clean.copy()
    images[0] += 0.1
    images[1] += 0.01
    np.testing.assert_allclose(autoencoders.psnr(clean, images, reduce=False), [20.0, 40.0])
    assert autoencoders.psnr(clean, images) == pytest.approx(30.0)
    # the data range enters squared: 255-scale images off by 25.5 are also 20 dB
    assert autoencoders.psnr(clean * 255, clean + 25.5, data_range=255) == pytest.approx(20.0)
    assert math.isinf(autoencoders.psnr(clean, clean))


def test_psnr_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    generator = np.random.default_rng(1)
    clean = generator.random((1, 28, 28))
    noisy = np.clip(clean + 0.2 * generator.standard_normal(clean.shape), 0, 1)
    expected = metrics.peak_signal_noise_ratio(clean[0], noisy[0], data_range=1.0)
    assert autoencoders.psnr(clean, noisy) == pytest.approx(expected)


def test_psnr_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        autoencoders.psnr(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError):
        autoencoders.psnr(np.zeros(3), np.zeros(3), data_range=0)


def test_train_autoencoder_lowers_the_loss_and_reports_time():
    import keras

    from helpers import config

    config.set_seed(0)
    generator = np.random.default_rng(0)
    # a tiny dataset of blurry blobs: easy to rebuild
    grid = np.linspace(-1, 1, 28)
    centres = generator.uniform(-0.5, 0.5, (96, 2))
    images = np.exp(-((grid[None, :, None] - centres[:, 0, None, None]) ** 2 + (grid[None, None, :] - centres[:, 1, None, None]) ** 2) / 0.1)
    images = images[..., None].astype("float32")
    model = autoencoders.build_autoencoder(autoencoders.build_conv_encoder(), autoencoders.build_conv_decoder())
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    history = autoencoders.train_autoencoder(
        model, images[:64], images[64:], num_epochs=3, batch_size=32, noise="masking", level=0.3
    )
    assert len(history["loss"]) == len(history["val_loss"]) == 3
    assert history["loss"][-1] < history["loss"][0]
    assert history["train_seconds"][0] > 0
    with pytest.raises(ValueError):
        autoencoders.train_autoencoder(model, images, images, num_epochs=0)
    # checks_per_epoch: the validation loss is measured after each part of an epoch
    checked = autoencoders.train_autoencoder(
        model, images[:64], images[64:], num_epochs=2, batch_size=16, checks_per_epoch=4
    )
    assert len(checked["loss"]) == len(checked["val_loss"]) == 8
    for bad in (0, 65, 1.5):
        with pytest.raises(ValueError, match="checks_per_epoch"):
            autoencoders.train_autoencoder(model, images[:64], images[64:], num_epochs=1, checks_per_epoch=bad)


class _RecordingModel:
    """Stands in for a compiled autoencoder: records what each ``fit`` call was given."""

    def __init__(self):
        self.calls = []

    def fit(self, inputs, targets, validation_data, batch_size, epochs, shuffle, verbose):
        self.calls.append((np.array(inputs), np.array(targets)))
        history = type("History", (), {})()
        history.history = {"loss": [float(len(self.calls))], "val_loss": [float(len(self.calls))]}
        return history


def test_checks_per_epoch_shows_every_image_once_per_epoch_with_matching_targets():
    generator = np.random.default_rng(1)
    images = generator.uniform(0.05, 1.0, (30, 28, 28, 1)).astype("float32")
    images[:, 0, 0, 0] = np.arange(30) / 100  # tag each image by its index (values stay in [0, 1])
    model = _RecordingModel()
    history = autoencoders.train_autoencoder(
        model, images, images[:4], num_epochs=2, checks_per_epoch=3, noise="masking", level=0.5, seed=7
    )
    assert len(model.calls) == 6 and history["val_loss"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    for epoch in range(2):
        parts = model.calls[3 * epoch : 3 * epoch + 3]
        assert [len(targets) for _, targets in parts] == [10, 10, 10]
        seen = np.concatenate([targets[:, 0, 0, 0] for _, targets in parts])
        assert sorted(np.rint(seen * 100).astype(int).tolist()) == list(range(30))  # each clean image once per epoch
        for inputs, targets in parts:
            # masking only zeroes pixels: each input is its own target's corrupted copy
            assert np.all((inputs == 0) | (inputs == targets))
            assert np.mean(inputs == 0) > 0.3
    # a fresh order each epoch
    first = np.concatenate([t[:, 0, 0, 0] for _, t in model.calls[:3]])
    second = np.concatenate([t[:, 0, 0, 0] for _, t in model.calls[3:]])
    assert not np.array_equal(first, second)
