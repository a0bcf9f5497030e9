import random

import numpy as np
import pytest

from helpers import config

TABLE = {
    "smoke": {"num_epochs": 1, "batch_size": 32},
    "class": {"num_epochs": 5, "batch_size": 64},
    "full": {"num_epochs": 50, "batch_size": 256},
}


def test_default_profile_is_class(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert config.get_profile() == "class"


@pytest.mark.parametrize("value, expected", [("smoke", "smoke"), (" CLASS ", "class"), ("Full", "full")])
def test_profile_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert config.get_profile() == expected


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    with pytest.raises(ValueError, match="smoke, class, full"):
        config.get_profile()


def test_profile_settings_pick_the_active_column(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "class")
    hp = config.profile_settings(TABLE)
    assert hp.num_epochs == 5 and hp["batch_size"] == 64 and hp.profile == "class"
    assert config.profile_settings(TABLE, profile="smoke").num_epochs == 1
    assert dict(hp) == TABLE["class"]


def test_profile_settings_reject_missing_profiles_and_mismatched_keys():
    with pytest.raises(ValueError, match="missing"):
        config.profile_settings({"smoke": {}, "class": {}})
    with pytest.raises(ValueError, match="same settings"):
        config.profile_settings({**TABLE, "full": {"num_epochs": 3}})


def test_unknown_setting_names_the_known_ones():
    hp = config.profile_settings(TABLE, profile="smoke")
    with pytest.raises(AttributeError, match="batch_size"):
        hp.num_epoch


def test_fingerprint_changes_with_values():
    a = config.profile_settings(TABLE, profile="smoke")
    b = config.profile_settings(TABLE, profile="class")
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == config.profile_settings(TABLE, profile="smoke").fingerprint()


def test_set_seed_makes_python_numpy_and_keras_repeatable():
    import keras

    def draw():
        config.set_seed(7)
        return random.random(), np.random.rand(), float(keras.random.uniform(()))

    assert draw() == draw()
    with pytest.raises(ValueError):
        config.set_seed(-1)


def test_paths_do_not_depend_on_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert config.data_dir() == config.REPOSITORY_ROOT / "data"
    assert (config.REPOSITORY_ROOT / "helpers" / "config.py").is_file()


def test_paths_can_be_moved_by_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "r"))
    monkeypatch.setenv("COURSE_CHECKPOINT_DIR", str(tmp_path / "c"))
    assert config.data_dir() == tmp_path / "d"
    assert config.results_dir() == tmp_path / "r" / "smoke"
    assert config.checkpoint_dir() == tmp_path / "c" / "smoke"
    assert config.results_dir("full") == tmp_path / "r" / "full"


@pytest.mark.parametrize(
    "variable, reader",
    [("COURSE_DATA_DIR", config.data_dir), ("COURSE_RESULTS_DIR", config.results_dir),
     ("COURSE_CHECKPOINT_DIR", config.checkpoint_dir), ("COURSE_BUILD_DIR", config.build_dir)],
)
def test_relative_directory_variables_are_refused_with_the_fix(monkeypatch, variable, reader):
    monkeypatch.setenv(variable, "../shared/data")
    with pytest.raises(ValueError, match="relative path") as error:
        reader()
    assert variable in str(error.value) and "realpath ../shared/data" in str(error.value)


def test_home_relative_directory_variables_are_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_DIR", "~/course-data")
    assert config.data_dir() == tmp_path.resolve() / "course-data"


def test_describe_environment_mentions_profile_and_backend(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    line = config.describe_environment()
    assert "Keras 3" in line and "profile: smoke" in line and "GPU" in line


def test_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEED", raising=False)
    assert config.seed() == 42
    monkeypatch.setenv("COURSE_SEED", "3")
    assert config.seed() == 3
    monkeypatch.setenv("COURSE_SEED", "three")
    with pytest.raises(ValueError, match="not an integer"):
        config.seed()


def test_write_atomically_replaces_whole_files(tmp_path):
    path = tmp_path / "a.json"
    config.write_atomically(path, "first")
    config.write_atomically(path, b"second")
    assert path.read_text() == "second" and list(tmp_path.iterdir()) == [path]
