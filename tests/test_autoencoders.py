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


def test_the_validation_batch_size_changes_no_weight():
    import keras

    from helpers import config

    images = np.random.default_rng(3).uniform(0, 1, (48, 28, 28, 1)).astype("float32")
    trained = {}
    for validation_batch_size in (1, 512):
        keras.backend.clear_session()
        config.set_seed(0)
        model = autoencoders.build_autoencoder(autoencoders.build_conv_encoder(), autoencoders.build_conv_decoder())
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
        history = autoencoders.train_autoencoder(model, images[:32], images[32:], num_epochs=2, batch_size=8,
                                                 checks_per_epoch=2, validation_batch_size=validation_batch_size)
        trained[validation_batch_size] = (model.get_weights(), history)
    (small_weights, small_history), (large_weights, large_history) = trained[1], trained[512]
    assert all(np.array_equal(a, b) for a, b in zip(small_weights, large_weights, strict=True))
    assert small_history["loss"] == large_history["loss"]
    np.testing.assert_allclose(small_history["val_loss"], large_history["val_loss"], rtol=1e-5)
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError, match="validation_batch_size"):
            autoencoders.train_autoencoder(model, images[:32], images[32:], num_epochs=1, validation_batch_size=bad)


class _RecordingModel:
    """Stands in for a compiled autoencoder: records what each ``fit`` call was given."""

    def __init__(self):
        self.calls = []
        self.validation_batch_sizes = []

    def fit(self, inputs, targets, validation_data, batch_size, validation_batch_size, epochs, shuffle, verbose):
        self.calls.append((np.array(inputs), np.array(targets)))
        self.validation_batch_sizes.append(validation_batch_size)
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
    assert model.validation_batch_sizes == [512] * 6  # the default: checks in large batches
    wide = _RecordingModel()
    autoencoders.train_autoencoder(wide, images, images[:4], num_epochs=1, batch_size=1024, validation_batch_size=16)
    assert wide.validation_batch_sizes == [1024]  # never below the training batch size
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


# --------------------------------------------------------------------------- the skip connection


def test_skip_autoencoder_has_the_lecture_code_and_one_shortcut():
    from helpers import checkpoints, models

    model = autoencoders.build_skip_autoencoder()
    plain = autoencoders.build_autoencoder(autoencoders.build_conv_encoder(), autoencoders.build_conv_decoder())
    assert tuple(model.output.shape[1:]) == (28, 28, 1)
    assert tuple(model.get_layer("code").output.shape[1:]) == (4, 4, 8)
    # the only change: the output convolution also reads conv1's 16 channels (9 * 16 more weights)
    assert model.count_params() == plain.count_params() + 9 * 16
    assert tuple(model.get_layer("skip").output.shape[1:]) == (28, 28, 16 + 16)
    # probed at "code", the skip model's encoder is the lecture's encoder: the same random twin
    code_model = models.feature_model(model, "code")
    assert checkpoints.architecture_fingerprint(code_model) == checkpoints.architecture_fingerprint(
        autoencoders.build_conv_encoder()
    )


def test_skip_autoencoder_rebuilds_without_its_code():
    images = np.random.default_rng(2).random((4, 28, 28, 1)).astype("float32")
    skip = autoencoders.build_skip_autoencoder()
    plain = autoencoders.build_autoencoder(autoencoders.build_conv_encoder(), autoencoders.build_conv_decoder())
    for model in (skip, plain):
        conv3 = next(layer for layer in model._flatten_layers() if layer.name == "conv3")
        conv3.set_weights([np.zeros_like(weight) for weight in conv3.get_weights()])  # the code is 0 for every image
    plain_outputs = plain.predict(images, verbose=0)
    skip_outputs = skip.predict(images, verbose=0)
    np.testing.assert_allclose(plain_outputs, plain_outputs[:1].repeat(4, axis=0), atol=1e-6)  # nothing gets through
    assert np.abs(skip_outputs - skip_outputs[:1]).max() > 1e-3  # the shortcut still carries the image


# --------------------------------------------------------------------------- budgets and checkpoint keys


def _hp(**changes):
    values = {"pretraining_size": 6_000, "num_epochs": 2, "batch_size": 16, "checks_per_epoch": 2,
              "learning_rate": 2e-3, "code_size": 128}
    values.update(changes)
    return values


def test_training_settings_are_the_training_keys_the_seed_and_the_noise():
    settings = autoencoders.training_settings(_hp(), seed=7)
    assert settings == {"pretraining_size": 6_000, "num_epochs": 2, "batch_size": 16, "checks_per_epoch": 2,
                        "learning_rate": 2e-3, "seed": 7, "noise": "none", "level": 0.0}
    # settings that do not shape the training (notebook 03's noise levels, 02's sweep) are left out
    assert autoencoders.training_settings(_hp(code_sizes=(32, 128), hidden_units=1_024), seed=7) == settings
    assert autoencoders.training_settings(_hp(), seed=7, noise="masking", level=0.5)["level"] == 0.5
    assert autoencoders.training_settings(_hp(), seed=8) != settings


@pytest.mark.parametrize(
    "call",
    [
        lambda: autoencoders.training_settings({"num_epochs": 1}, seed=0),
        lambda: autoencoders.training_settings(_hp(), seed=0, noise="gaussian", level=0.0),
        lambda: autoencoders.training_steps(0, 16),
        lambda: autoencoders.training_steps(10, 16, checks_per_epoch=11),
    ],
)
def test_training_helpers_reject_bad_input(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("num_images, batch_size, num_epochs, checks", [(6_000, 16, 2, 2), (36_000, 16, 1, 4), (10, 3, 1, 3), (101, 32, 3, 1)])
def test_training_steps_count_the_batches_of_every_part(num_images, batch_size, num_epochs, checks):
    parts = np.array_split(np.arange(num_images), checks)
    expected = num_epochs * sum(math.ceil(len(part) / batch_size) for part in parts)
    assert autoencoders.training_steps(num_images, batch_size, num_epochs, checks) == expected


def test_training_steps_match_the_batches_keras_runs():
    import keras

    images = np.random.default_rng(3).random((50, 28, 28, 1)).astype("float32")
    model = autoencoders.build_autoencoder(autoencoders.build_conv_encoder(), autoencoders.build_conv_decoder())
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    autoencoders.train_autoencoder(model, images, images[:8], num_epochs=2, batch_size=16, checks_per_epoch=3)
    assert int(model.optimizer.iterations.numpy()) == autoencoders.training_steps(50, 16, 2, 3)


def test_notebooks_02_and_03_train_their_shared_autoencoder_with_the_same_settings():
    """Notebook 03 loads notebook 02's autoencoder from its checkpoint only if both tables agree."""
    import ast

    import nbformat

    from helpers import config

    tables = {}
    for stem in ("02_autoencoder", "03_denoising_autoencoder"):
        notebook = nbformat.read(config.notebooks_dir() / f"{stem}.ipynb", as_version=4)
        source = next(cell.source for cell in notebook.cells if cell.cell_type == "code" and "profile_settings(" in cell.source)
        call = next(node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "profile_settings")
        tables[stem] = ast.literal_eval(call.args[0])
    for profile in config.PROFILES:
        first, second = (tables[stem][profile] for stem in tables)
        for key in (*autoencoders.TRAINING_KEYS, "code_size"):
            assert first[key] == second[key], f"profile {profile}: {key} is {first[key]} in 02 but {second[key]} in 03"
