"""Text for the masked-language-model notebook: tokens, a vocabulary, the split, a small BERT.

Introduced in notebook 13.

* ``tokenize`` and ``Vocabulary``: lower-cased words and punctuation marks; the ids 0-4 are the
  special tokens ``[PAD] [UNK] [CLS] [SEP] [MASK]``.
* ``encode_documents`` / ``encode_pairs``: BERT's input layout, ``[CLS] A [SEP] B [SEP]`` padded
  with ``[PAD]``; a document's sentences are separated by ``[SEP]`` the same way.
* ``make_text_split``: the protocol's evaluation split (``helpers.evaluation.make_split``) of a
  ``data.TextCorpus``, with a vocabulary built from the pretraining documents only.
* ``gather_masked`` / ``masked_batch``: ``pretext.mask_tokens``'s output as the chosen positions
  only, for a head that predicts there; ``pack_rows`` packs documents end to end.
* Keras 3 layers (``TokenAndPositionEmbedding`` with ``segment_ids``, ``TransformerBlock``,
  ``MaskedMeanPooling``, ``ClsToken``, ``GatherPositions``, ``TiedOutput``) and the models
  ``build_text_encoder``, ``build_mlm_model``, ``build_pair_model``.
* ``MaskedBatches`` (training batches with a fresh mask each, dynamic masking) and
  ``pair_examples`` (a fixed validation set of masked sentence pairs).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from helpers.pretext import text as text_pretext

SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_TOKENS))
#: Ids that are never masked nor drawn as random replacements (``[UNK]`` included: predicting
#: "some rare word" would flatter the masked-token accuracy).
SPECIAL_IDS: tuple[int, ...] = (PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[^\sa-z0-9]")
REGISTERED_PACKAGE = "course_text"


# --------------------------------------------------------------------------- tokens and vocabulary


def tokenize(text: str) -> list[str]:
    """Lower-cased words (with inner apostrophes: ``don't``), numbers and single punctuation marks.

    Introduced in notebook 13.
    """
    if not isinstance(text, str):
        raise ValueError(f"tokenize expects a string, got {type(text).__name__}.")
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Tokens by id: the special tokens first, then words by falling frequency.

    Introduced in notebook 13.
    """

    tokens: tuple[str, ...]
    counts: tuple[int, ...] = field(default=(), repr=False)
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if tuple(self.tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"A vocabulary starts with the special tokens {SPECIAL_TOKENS}.")
        if len(set(self.tokens)) != len(self.tokens):
            raise ValueError("A vocabulary lists every token once.")
        self._index.update({token: index for index, token in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, words: Iterable[str]) -> list[int]:
        """Token ids of words (``[UNK]`` for words outside the vocabulary)."""
        return [self._index.get(word, UNK_ID) for word in words]

    def encode_text(self, text: str) -> list[int]:
        """Token ids of a text (``tokenize`` then ``encode``)."""
        return self.encode(tokenize(text))

    def decode(self, ids: Iterable[int], skip_padding: bool = True) -> list[str]:
        """Tokens of ids (padding left out when ``skip_padding``)."""
        return [self.tokens[int(i)] for i in ids if not (skip_padding and int(i) == PAD_ID)]

    def id_of(self, token: str) -> int:
        """The id of one token (``[UNK]``'s id when it is not in the vocabulary)."""
        return self._index.get(token, UNK_ID)


def build_vocabulary(documents: Iterable[Sequence[str]], size: int, min_count: int = 2) -> Vocabulary:
    """The ``size`` most frequent tokens of the documents' sentences, after the special tokens.

    Introduced in notebook 13. Ties go to alphabetical order (deterministic); tokens seen fewer
    than ``min_count`` times are left out, so the vocabulary may be smaller than ``size``.
    ``counts`` holds each token's count (0 for the special tokens).
    """
    if size <= len(SPECIAL_TOKENS):
        raise ValueError(f"size must be above the {len(SPECIAL_TOKENS)} special tokens, got {size}.")
    counter: Counter[str] = Counter()
    for document in documents:
        for sentence in document:
            counter.update(tokenize(sentence))
    for token in SPECIAL_TOKENS:
        counter.pop(token.lower(), None)
    ranked = sorted((item for item in counter.items() if item[1] >= min_count), key=lambda item: (-item[1], item[0]))
    ranked = ranked[: size - len(SPECIAL_TOKENS)]
    return Vocabulary(
        tokens=SPECIAL_TOKENS + tuple(token for token, _ in ranked),
        counts=(0,) * len(SPECIAL_TOKENS) + tuple(count for _, count in ranked),
    )


# --------------------------------------------------------------------------- BERT's input layout


def _check_length(sequence_length: int, minimum: int) -> None:
    if isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer)) or sequence_length < minimum:
        raise ValueError(f"sequence_length must be an integer of at least {minimum}, got {sequence_length!r}.")


def encode_documents(vocabulary: Vocabulary | None, documents: Sequence[Sequence[Any]], sequence_length: int) -> np.ndarray:
    """``(n, sequence_length)`` int32 ids: ``[CLS] s1 [SEP] s2 [SEP] ...``, cut at the length, padded.

    Introduced in notebook 13. A sentence may be a string or a list of token ids (then
    ``vocabulary`` may be ``None``).
    """
    _check_length(sequence_length, 2)
    encoded = np.full((len(documents), sequence_length), PAD_ID, dtype="int32")
    for row, document in enumerate(documents):
        ids = [CLS_ID]
        for sentence in document:
            ids += _ids(vocabulary, sentence) + [SEP_ID]
        ids = ids[:sequence_length]
        encoded[row, : len(ids)] = ids
    return encoded


def _ids(vocabulary: Vocabulary | None, sentence: Any) -> list[int]:
    if not isinstance(sentence, str):
        return [int(i) for i in sentence]
    if vocabulary is None:
        raise ValueError("Sentences given as text need a vocabulary to be encoded.")
    return vocabulary.encode_text(sentence)


def encode_pairs(vocabulary: Vocabulary | None, first: Sequence[Any], second: Sequence[Any], sequence_length: int) -> np.ndarray:
    """``(n, sequence_length)`` int32 ids of sentence pairs: ``[CLS] A [SEP] B [SEP]``, padded.

    Introduced in notebook 13. When a pair is too long, the longer sentence loses its last token
    until it fits (BERT's ``truncate_seq_pair``), so both sentences keep their beginnings.
    """
    _check_length(sequence_length, 5)
    if len(first) != len(second):
        raise ValueError(f"first has {len(first)} sentences, second {len(second)}: give one pair per row.")
    budget = sequence_length - 3
    encoded = np.full((len(first), sequence_length), PAD_ID, dtype="int32")
    for row, (a, b) in enumerate(zip(first, second, strict=True)):
        a, b = _ids(vocabulary, a), _ids(vocabulary, b)
        while len(a) + len(b) > budget:
            if len(a) > len(b):
                a.pop()
            else:
                b.pop()
        ids = [CLS_ID] + a + [SEP_ID] + b + [SEP_ID]
        encoded[row, : len(ids)] = ids
    return encoded


def gather_masked(targets: np.ndarray, weights: np.ndarray, max_predictions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chosen positions of ``mask_tokens``'s output, for a head that predicts only there.

    Introduced in notebook 13. Returns ``positions`` (int32, ``(n, max_predictions)``, the chosen
    positions of each row in increasing order, then 0), the ``targets`` at those positions and
    their ``weights`` (1 for a chosen position, 0 for the padding slots).

    Raises:
        ValueError: shapes differ, or a row has more than ``max_predictions`` chosen positions.
    """
    targets, weights = np.asarray(targets), np.asarray(weights)
    if targets.shape != weights.shape or targets.ndim != 2:
        raise ValueError(f"targets and weights must be (n, length) of one shape, got {targets.shape} and {weights.shape}.")
    chosen = weights > 0
    counts = chosen.sum(axis=1)
    if counts.size and counts.max() > max_predictions:
        raise ValueError(f"A row has {counts.max()} chosen positions, more than max_predictions={max_predictions}.")
    positions = np.zeros((len(targets), max_predictions), dtype="int32")
    slot_weights = np.zeros((len(targets), max_predictions), dtype="float32")
    for row in range(len(targets)):
        where = np.flatnonzero(chosen[row])
        positions[row, : len(where)] = where
        slot_weights[row, : len(where)] = 1.0
    slot_targets = np.take_along_axis(targets, positions, axis=1).astype("int32")
    return positions, np.where(slot_weights > 0, slot_targets, 0).astype("int32"), slot_weights


def max_predictions_for(sequence_length: int, mask_rate: float) -> int:
    """The most positions ``mask_tokens`` can choose in a row of ``sequence_length`` ids."""
    return max(1, int(np.floor(mask_rate * sequence_length + 0.5)))


# --------------------------------------------------------------------------- the split


@dataclass
class TextData:
    """A text corpus ready for the protocol: the split, its vocabulary, and the documents as sentences.

    Introduced in notebook 13. ``split.x_probe``, ``x_val``, ``x_test`` hold ``[CLS] s1 [SEP] s2
    ...`` token ids; ``pretraining_documents[i]`` is the document of ``split.pretraining_data()[i]``
    as a list of sentences (token-id lists, not cut at ``sequence_length``: sentence pairs are
    built from them); ``validation_documents`` likewise for ``split.x_val``.
    """

    split: Any
    vocabulary: Vocabulary
    sequence_length: int
    pretraining_documents: list[list[list[int]]]
    validation_documents: list[list[list[int]]]
    corpus_name: str
    corpus_source: str


def make_text_split(
    corpus: Any,
    vocabulary_size: int,
    sequence_length: int,
    settings: Mapping[str, Any] | None = None,
    min_count: int = 2,
    profile: str | None = None,
) -> TextData:
    """The evaluation split of a ``data.TextCorpus``, with a vocabulary from its pretraining documents.

    Introduced in notebook 13. The split is ``evaluation.make_split`` of the encoded documents
    (so it is drawn like every other split of the course, with its fingerprint); the vocabulary
    counts only the documents a notebook may pretrain on, never the validation or test ones.
    ``settings`` override the profile's protocol settings (``probe_per_class`` must fit the
    smallest class).
    """
    from helpers import evaluation

    if len(corpus.train_documents) != len(corpus.train_labels) or len(corpus.test_documents) != len(corpus.test_labels):
        raise ValueError("The corpus has a different number of documents and labels.")
    indices = np.arange(len(corpus.train_documents))[:, None]
    test_indices = np.arange(len(corpus.test_documents))[:, None]
    layout = evaluation.make_split(
        corpus.name, corpus.source, indices, corpus.train_labels, test_indices, corpus.test_labels,
        corpus.class_names, profile=profile, settings=settings,
    )
    pool = layout.pretraining_data()[:, 0]
    vocabulary = build_vocabulary((corpus.train_documents[i] for i in pool), vocabulary_size, min_count=min_count)
    train_ids = encode_documents(vocabulary, corpus.train_documents, sequence_length)
    test_ids = encode_documents(vocabulary, corpus.test_documents, sequence_length)
    split = evaluation.make_split(
        corpus.name, corpus.source, train_ids, corpus.train_labels, test_ids, corpus.test_labels,
        corpus.class_names, profile=profile, settings=settings,
    )
    if not np.array_equal(split.x_val, train_ids[layout.x_val[:, 0]]):  # both splits draw the same indices
        raise RuntimeError("make_text_split: the two evaluation splits disagree; helpers.evaluation changed.")

    def sentences(document: Sequence[str]) -> list[list[int]]:
        return [vocabulary.encode_text(sentence) for sentence in document]

    return TextData(
        split=split,
        vocabulary=vocabulary,
        sequence_length=int(sequence_length),
        pretraining_documents=[sentences(corpus.train_documents[i]) for i in pool],
        validation_documents=[sentences(corpus.train_documents[i]) for i in layout.x_val[:, 0]],
        corpus_name=corpus.name,
        corpus_source=corpus.source,
    )


def token_frequencies(token_ids: np.ndarray, vocabulary_size: int) -> np.ndarray:
    """How often each id occurs among the non-special ids of ``token_ids`` (a length-``vocabulary_size`` array).

    Introduced in notebook 13 (the most-frequent-token baseline of masked-token accuracy).
    """
    ids = np.asarray(token_ids).reshape(-1)
    counts = np.bincount(ids, minlength=vocabulary_size).astype("int64")
    counts[list(SPECIAL_IDS)] = 0
    return counts


# --------------------------------------------------------------------------- Keras layers


def segment_ids(token_ids: Any, separator_id: int = SEP_ID) -> Any:
    """BERT's segment of every position: 0 up to and including the first ``[SEP]`` (sentence A), then 1.

    Introduced in notebook 13. Works on NumPy arrays and Keras tensors ``(batch, length)``.
    """
    token_ids = ops.cast(token_ids, "int32")
    is_separator = ops.cast(ops.equal(token_ids, separator_id), "int32")
    return ops.minimum(ops.cumsum(is_separator, axis=1) - is_separator, 1)


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class TokenAndPositionEmbedding(layers.Layer):
    """BERT's input embedding: token + position + segment embeddings, then layer norm and dropout.

    Introduced in notebook 13. The segment of a position is 0 up to and including the first
    ``[SEP]`` and 1 after it (sentence A and sentence B), computed from the ids themselves.
    """

    def __init__(self, vocabulary_size: int, sequence_length: int, width: int, dropout: float = 0.1,
                 separator_id: int = SEP_ID, **kwargs: Any):
        super().__init__(**kwargs)
        if min(vocabulary_size, sequence_length, width) <= 0:
            raise ValueError("vocabulary_size, sequence_length and width must be positive.")
        self.vocabulary_size, self.sequence_length, self.width = int(vocabulary_size), int(sequence_length), int(width)
        self.dropout, self.separator_id = float(dropout), int(separator_id)
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)  # BERT's initializer
        self.token_embedding = layers.Embedding(self.vocabulary_size, self.width, embeddings_initializer=initializer, name="token")
        self.position_embedding = layers.Embedding(self.sequence_length, self.width, embeddings_initializer=initializer, name="position")
        self.segment_embedding = layers.Embedding(2, self.width, embeddings_initializer=initializer, name="segment")
        self.norm = layers.LayerNormalization(epsilon=1e-12, name="norm")
        self.drop = layers.Dropout(self.dropout)

    def build(self, input_shape: Any) -> None:
        self.token_embedding.build(input_shape)
        self.position_embedding.build((self.sequence_length,))
        self.segment_embedding.build(input_shape)
        self.norm.build((*input_shape, self.width))
        self.built = True

    def call(self, token_ids: Any, training: bool | None = None) -> Any:
        token_ids = ops.cast(token_ids, "int32")
        positions = self.position_embedding(ops.arange(ops.shape(token_ids)[1]))
        segment = segment_ids(token_ids, self.separator_id)
        embedded = self.token_embedding(token_ids) + positions[None] + self.segment_embedding(segment)
        return self.drop(self.norm(embedded), training=training)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape, self.width)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size, "sequence_length": self.sequence_length,
                "width": self.width, "dropout": self.dropout, "separator_id": self.separator_id}


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class TransformerBlock(layers.Layer):
    """One encoder block as in BERT: self-attention, add & norm, feed-forward (GELU), add & norm.

    Introduced in notebook 13. Called on ``[hidden, token_ids]``: padding positions (id 0) are
    masked out as keys, so no position attends to padding.
    """

    def __init__(self, width: int, num_heads: int, feed_forward_dim: int, dropout: float = 0.1, **kwargs: Any):
        super().__init__(**kwargs)
        if width % num_heads:
            raise ValueError(f"width {width} must be a multiple of num_heads {num_heads}.")
        self.width, self.num_heads, self.feed_forward_dim, self.dropout = int(width), int(num_heads), int(feed_forward_dim), float(dropout)
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)
        self.attention = layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=self.width // self.num_heads, dropout=self.dropout,
            kernel_initializer=initializer, name="attention",
        )
        self.attention_norm = layers.LayerNormalization(epsilon=1e-12, name="attention_norm")
        self.intermediate = layers.Dense(self.feed_forward_dim, activation="gelu", kernel_initializer=initializer, name="intermediate")
        self.output_dense = layers.Dense(self.width, kernel_initializer=initializer, name="output_dense")
        self.output_norm = layers.LayerNormalization(epsilon=1e-12, name="output_norm")
        self.drop = layers.Dropout(self.dropout)

    def build(self, input_shape: Any) -> None:
        hidden_shape = tuple(input_shape[0])
        self.attention.build(hidden_shape, hidden_shape)
        self.attention_norm.build(hidden_shape)
        self.intermediate.build(hidden_shape)
        self.output_dense.build((*hidden_shape[:-1], self.feed_forward_dim))
        self.output_norm.build(hidden_shape)
        self.built = True

    def call(self, inputs: Sequence[Any], training: bool | None = None) -> Any:
        hidden, token_ids = inputs
        keys = ops.not_equal(token_ids, PAD_ID)  # (batch, length): which positions can be attended to
        attention_mask = ops.logical_and(ops.ones_like(keys)[:, :, None], keys[:, None, :])
        attended = self.attention(hidden, hidden, attention_mask=attention_mask, training=training)
        hidden = self.attention_norm(hidden + self.drop(attended, training=training))
        transformed = self.output_dense(self.intermediate(hidden))
        return self.output_norm(hidden + self.drop(transformed, training=training))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "width": self.width, "num_heads": self.num_heads,
                "feed_forward_dim": self.feed_forward_dim, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class MaskedMeanPooling(layers.Layer):
    """The mean of the hidden states over the non-padding positions: ``[hidden, token_ids] -> (batch, width)``.

    Introduced in notebook 13.
    """

    def call(self, inputs: Sequence[Any]) -> Any:
        hidden, token_ids = inputs
        keep = ops.cast(ops.not_equal(token_ids, PAD_ID), hidden.dtype)[:, :, None]
        return ops.sum(hidden * keep, axis=1) / ops.maximum(ops.sum(keep, axis=1), 1.0)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0][0], input_shape[0][-1])


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class ClsToken(layers.Layer):
    """The hidden state at position 0, the ``[CLS]`` token: ``(batch, length, width) -> (batch, width)``.

    Introduced in notebook 13.
    """

    def call(self, hidden: Any) -> Any:
        return hidden[:, 0, :]

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], input_shape[-1])


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class GatherPositions(layers.Layer):
    """The hidden states at given positions: ``[hidden (b, l, w), positions (b, p)] -> (b, p, w)``.

    Introduced in notebook 13: the masked-LM head predicts only at the chosen positions.
    """

    def call(self, inputs: Sequence[Any]) -> Any:
        hidden, positions = inputs
        positions = ops.cast(positions, "int32")
        return ops.take_along_axis(hidden, positions[:, :, None], axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[1][0], input_shape[1][1], input_shape[0][-1])


# --------------------------------------------------------------------------- models


def build_text_encoder(
    vocabulary_size: int,
    sequence_length: int,
    width: int = 64,
    num_blocks: int = 2,
    num_heads: int = 4,
    feed_forward_dim: int = 256,
    dropout: float = 0.1,
    name: str = "text_encoder",
) -> keras.Model:
    """A small BERT encoder: token ids ``(batch, sequence_length)`` -> ``[sequence, mean_pool, cls_token]``.

    Introduced in notebook 13. Embeddings (``embedding``), ``num_blocks`` transformer blocks
    (``block1`` ...), then two pooled views of the last block: the mean over non-padding
    positions (layer ``mean_pool``) and the ``[CLS]`` position (layer ``cls_token``). Probe either
    with ``evaluation.evaluate_encoder(..., layer="mean_pool")``.
    """
    if num_blocks < 1:
        raise ValueError(f"num_blocks must be at least 1, got {num_blocks}.")
    token_ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    hidden = TokenAndPositionEmbedding(vocabulary_size, sequence_length, width, dropout, name="embedding")(token_ids)
    for index in range(1, num_blocks + 1):
        hidden = TransformerBlock(width, num_heads, feed_forward_dim, dropout, name=f"block{index}")([hidden, token_ids])
    mean_pool = MaskedMeanPooling(name="mean_pool")([hidden, token_ids])
    cls_token = ClsToken(name="cls_token")(hidden)
    return keras.Model(token_ids, [hidden, mean_pool, cls_token], name=name)


@keras.saving.register_keras_serializable(package=REGISTERED_PACKAGE)
class TiedOutput(layers.Layer):
    """Logits over the vocabulary with the input embedding matrix as output weights, plus a bias.

    Introduced in notebook 13: BERT ties its masked-LM output layer to the token embedding, so
    every prediction also trains the embedding of the predicted word.
    """

    def __init__(self, embedding: TokenAndPositionEmbedding, **kwargs: Any):
        super().__init__(**kwargs)
        self.embedding = embedding

    def build(self, input_shape: Any) -> None:
        self.bias = self.add_weight(shape=(self.embedding.vocabulary_size,), initializer="zeros", name="bias")
        self.built = True

    def call(self, hidden: Any) -> Any:
        return ops.matmul(hidden, ops.transpose(self.embedding.token_embedding.embeddings)) + self.bias

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*input_shape[:-1], self.embedding.vocabulary_size)


def _mlm_head(encoder: keras.Model, hidden: Any, positions: Any, tie_output: bool) -> Any:
    embedding = encoder.get_layer("embedding")
    gathered = GatherPositions(name="gather_masked")([hidden, positions])
    transformed = layers.Dense(embedding.width, activation="gelu", name="mlm_transform")(gathered)
    transformed = layers.LayerNormalization(epsilon=1e-12, name="mlm_norm")(transformed)
    if tie_output:
        return TiedOutput(embedding, name="mlm")(transformed)
    return layers.Dense(embedding.vocabulary_size, name="mlm")(transformed)


def build_mlm_model(
    encoder: keras.Model, max_predictions: int, tie_output: bool = False, name: str = "mlm_model"
) -> keras.Model:
    """Encoder + masked-LM head: ``[token_ids, positions] -> logits (batch, max_predictions, vocabulary)``.

    Introduced in notebook 13. The head is BERT's (dense + GELU, layer norm, then logits over the
    vocabulary) and reads only the gathered positions. BERT ties the output weights to the token
    embedding (``tie_output=True``, ``TiedOutput``); the default is a separate dense layer, which
    starts from larger logits and leaves the unigram stage sooner in a short run.
    """
    token_ids = keras.Input(shape=encoder.input_shape[1:], dtype="int32", name="token_ids")
    positions = keras.Input(shape=(max_predictions,), dtype="int32", name="positions")
    hidden, _, _ = encoder(token_ids)
    return keras.Model([token_ids, positions], _mlm_head(encoder, hidden, positions, tie_output), name=name)


def build_pair_model(
    encoder: keras.Model, max_predictions: int, tie_output: bool = False, name: str = "mlm_nsp_model"
) -> keras.Model:
    """Encoder + masked-LM head + a sentence-pair head on ``[CLS]``: outputs ``{"mlm", "pair"}``.

    Introduced in notebook 13. The masked-LM head is ``build_mlm_model``'s; the pair head is
    BERT's: a dense ``tanh`` "pooler" on the ``[CLS]`` state, then two logits (is-next or not; for
    sentence-order prediction, in order or not).
    """
    token_ids = keras.Input(shape=encoder.input_shape[1:], dtype="int32", name="token_ids")
    positions = keras.Input(shape=(max_predictions,), dtype="int32", name="positions")
    hidden, _, cls_token = encoder(token_ids)
    width = encoder.get_layer("embedding").width
    pooled = layers.Dense(width, activation="tanh", name="pooler")(cls_token)
    pair_logits = layers.Dense(2, name="pair")(pooled)
    return keras.Model([token_ids, positions], {"mlm": _mlm_head(encoder, hidden, positions, tie_output), "pair": pair_logits}, name=name)


# --------------------------------------------------------------------------- batches with fresh masks


def masked_batch(
    token_ids: np.ndarray, vocabulary_size: int, max_predictions: int, mask_rate: float = 0.15, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """``((inputs, positions), targets, weights)`` of one batch: ``mask_tokens`` then ``gather_masked``.

    Introduced in notebook 13. The weights of the chosen slots are scaled to average 1 over all
    slots, so that Keras' weighted loss (a mean over every slot) is the mean over the chosen
    positions; unchosen slots weigh 0.
    """
    inputs, targets, weights = text_pretext.mask_tokens(
        token_ids, MASK_ID, vocabulary_size, mask_rate=mask_rate, special_ids=SPECIAL_IDS, seed=seed
    )
    positions, slot_targets, slot_weights = gather_masked(targets, weights, max_predictions)
    # Keras averages a weighted loss over every slot; scaled so, it averages over the chosen ones
    slot_weights = slot_weights * (slot_weights.size / max(float(slot_weights.sum()), 1.0))
    return (inputs.astype("int32"), positions), slot_targets, slot_weights.astype("float32")


PAIR_TASKS = ("next_sentence", "sentence_order")


def pack_rows(token_ids: np.ndarray, sequence_length: int) -> np.ndarray:
    """Documents packed end to end into full rows: padding dropped, ids concatenated, cut every ``sequence_length``.

    Introduced in notebook 13 (RoBERTa's "full sentences" inputs: a row may cross from one
    document into the next; each document keeps its ``[CLS]`` and ``[SEP]`` marks). The last,
    incomplete row is dropped.
    """
    _check_length(sequence_length, 2)
    stream = np.asarray(token_ids)[np.asarray(token_ids) != PAD_ID]
    num_rows = len(stream) // sequence_length
    return stream[: num_rows * sequence_length].reshape(num_rows, sequence_length).astype("int32")


class MaskedBatches(keras.utils.PyDataset):
    """Training batches for ``fit`` with a fresh mask in every batch (dynamic masking).

    Introduced in notebook 13. Without ``documents`` a batch is ``batch_size`` rows of
    ``token_ids`` (the rows in a new random order every epoch) and the target is the masked-LM
    one; with ``pack`` the documents of an epoch are first packed end to end into full rows
    (``pack_rows``, RoBERTa's "full sentences"), so no step is spent on padding. With ``documents`` (lists of sentences as token ids) and a ``pair_task``
    (``"next_sentence"`` or ``"sentence_order"``), a batch is fresh sentence pairs, encoded as
    ``[CLS] A [SEP] B [SEP]`` and masked, and the targets are ``{"mlm": ..., "pair": ...}``.
    Batch ``b`` of epoch ``e`` is the same for a given ``seed`` in every run.
    """

    def __init__(
        self,
        vocabulary_size: int,
        sequence_length: int,
        batch_size: int,
        steps_per_epoch: int,
        token_ids: np.ndarray | None = None,
        documents: Sequence[Sequence[Sequence[int]]] | None = None,
        pair_task: str | None = None,
        mask_rate: float = 0.15,
        seed: int = 0,
        pack: bool = False,
    ):
        super().__init__()
        if (token_ids is None) == (documents is None):
            raise ValueError("Give token_ids (masked-LM batches) or documents (sentence-pair batches), not both.")
        if documents is not None and pair_task not in PAIR_TASKS:
            raise ValueError(f"pair_task must be one of {PAIR_TASKS} with documents, got {pair_task!r}.")
        if batch_size < 1 or steps_per_epoch < 1:
            raise ValueError(f"batch_size and steps_per_epoch must be positive, got {batch_size} and {steps_per_epoch}.")
        if token_ids is not None and len(token_ids) < batch_size:
            raise ValueError(f"{len(token_ids)} rows of token ids are fewer than one batch of {batch_size}.")
        self.vocabulary_size, self.sequence_length = int(vocabulary_size), int(sequence_length)
        self.batch_size, self.steps_per_epoch = int(batch_size), int(steps_per_epoch)
        self.token_ids = None if token_ids is None else np.asarray(token_ids)
        self.documents, self.pair_task = documents, pair_task
        self.mask_rate, self.seed = float(mask_rate), int(seed)
        self.max_predictions = max_predictions_for(self.sequence_length, self.mask_rate)
        self.pack = bool(pack)
        self.epoch = 0
        self._cached_epoch: int | None = None
        self._cached_rows = np.zeros((0, self.sequence_length), dtype="int32")
        if self.token_ids is not None and self.pack and len(pack_rows(self.token_ids, self.sequence_length)) < batch_size:
            raise ValueError(f"The documents fill fewer than one batch of {batch_size} packed rows.")

    def __len__(self) -> int:
        return self.steps_per_epoch

    def _rows(self, epoch: int) -> np.ndarray:
        """The rows of one epoch: the documents in a new random order (packed, when ``pack``)."""
        if self._cached_epoch != epoch:
            order = np.random.default_rng([self.seed, epoch]).permutation(len(self.token_ids))
            rows = self.token_ids[order]
            if self.pack:
                rows = pack_rows(rows, self.sequence_length)
            self._cached_rows, self._cached_epoch = rows, epoch
        return self._cached_rows

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def batch(self, index: int, epoch: int | None = None) -> tuple[Any, Any, Any]:
        """Batch ``index`` of ``epoch`` (default: the current one)."""
        epoch = self.epoch if epoch is None else epoch
        seed = self.seed * 1_000_003 + epoch * self.steps_per_epoch + index
        if self.token_ids is not None:
            rows = self._rows(epoch)
            start = (index * self.batch_size) % (len(rows) - self.batch_size + 1)
            return masked_batch(rows[start : start + self.batch_size], self.vocabulary_size, self.max_predictions, self.mask_rate, seed)
        make_pairs = text_pretext.next_sentence_pairs if self.pair_task == "next_sentence" else text_pretext.sentence_order_pairs
        first, second, labels = make_pairs(self.documents, self.batch_size, seed=seed)
        ids = encode_pairs(None, first, second, self.sequence_length)
        inputs, targets, weights = masked_batch(ids, self.vocabulary_size, self.max_predictions, self.mask_rate, seed)
        return inputs, {"mlm": targets, "pair": labels.astype("int32")}, {"mlm": weights, "pair": np.ones(len(labels), "float32")}

    def __getitem__(self, index: int) -> tuple[Any, Any, Any]:
        return self.batch(index)


def pair_examples(
    vocabulary: Vocabulary,
    documents: Sequence[Sequence[Sequence[int]]],
    num_pairs: int,
    sequence_length: int,
    pair_task: str = "next_sentence",
    mask_rate: float = 0.15,
    seed: int = 0,
) -> tuple[Any, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A fixed set of masked sentence pairs, for validation: ``(inputs, targets, weights)`` like ``MaskedBatches``.

    Introduced in notebook 13.
    """
    if pair_task not in PAIR_TASKS:
        raise ValueError(f"pair_task must be one of {PAIR_TASKS}, got {pair_task!r}.")
    make_pairs = text_pretext.next_sentence_pairs if pair_task == "next_sentence" else text_pretext.sentence_order_pairs
    first, second, labels = make_pairs(documents, num_pairs, seed=seed)
    ids = encode_pairs(vocabulary, first, second, sequence_length)
    inputs, targets, weights = masked_batch(ids, len(vocabulary), max_predictions_for(sequence_length, mask_rate), mask_rate, seed)
    return inputs, {"mlm": targets, "pair": labels.astype("int32")}, {"mlm": weights, "pair": np.ones(len(labels), "float32")}
