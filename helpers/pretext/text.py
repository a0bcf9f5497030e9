"""Labels for free in text: masked tokens and sentence pairs (notebook 13).

Introduced in notebook 13.

* ``mask_tokens``: BERT's masked-language-model corruption (Devlin et al. 2019). Of the positions
  that hold no special token, ``mask_rate`` are chosen; of the chosen, 80% become ``[MASK]``, 10% a
  random token, 10% stay as they are. The model must predict the original token at every chosen
  position (``targets`` and ``weights``). Call it once per batch with a new seed: masks are drawn
  anew every time (dynamic masking, Liu et al. 2019), not once for the corpus.
* ``next_sentence_pairs``: BERT's next-sentence prediction. Half the pairs are two consecutive
  sentences of one document (``is_next = 1``); in the other half the second sentence comes from a
  different document (``is_next = 0``).
* ``sentence_order_pairs``: ALBERT's sentence-order prediction (Lan et al. 2020). Both halves use
  two consecutive sentences of one document, in order (``in_order = 1``) or swapped (``0``), so the
  topic gives nothing away.

Token ids are integers; documents are lists of sentences (a sentence may be a string or a list of
token ids: the pair functions only pick them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "MASK_SHARE",
    "RANDOM_SHARE",
    "mask_tokens",
    "next_sentence_pairs",
    "sentence_order_pairs",
]

#: Of the chosen positions: the share replaced by ``[MASK]`` and the share replaced by a random
#: token (the rest, 10%, keep their token). BERT's rule (Devlin et al. 2019, section 3.1).
MASK_SHARE = 0.8
RANDOM_SHARE = 0.1


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    return int(seed)


def mask_tokens(
    token_ids: np.ndarray,
    mask_token_id: int,
    vocab_size: int,
    mask_rate: float = 0.15,
    special_ids: Sequence[int] = (0,),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BERT's masking rule applied to a batch of token ids: ``(inputs, targets, weights)``.

    Introduced in notebook 13.

    In each row, ``round(mask_rate * n)`` of the ``n`` positions that hold no special token are
    chosen at random (at least one when ``n > 0``, as in BERT's data generator). Of all chosen
    positions of the batch, in a random order, the first 80% become ``mask_token_id``, the next
    10% a token drawn uniformly from the non-special vocabulary (ids below ``vocab_size`` that are
    neither in ``special_ids`` nor ``mask_token_id``; it may happen to be the original token, as
    in BERT), the last 10% keep their token. The shares are exact over the batch (rounded), not a
    coin flip per position: the same expectation as BERT, less noise.

    Args:
        token_ids: integer array ``(batch, length)`` (a single sequence ``(length,)`` also works).
        mask_token_id: the id of ``[MASK]``.
        vocab_size: the number of ids; random replacements are drawn below it.
        mask_rate: the share of non-special positions to choose, in (0, 1].
        special_ids: ids that are never chosen (padding, ``[CLS]``, ``[SEP]``, ...).
        seed: deterministic per seed; use a new seed per batch (dynamic masking).

    Returns:
        ``inputs``: the corrupted ids (positions not chosen are unchanged); ``targets``: the
        original ids (a copy of ``token_ids``); ``weights``: ``float32``, 1 at the chosen positions
        and 0 elsewhere. All three have the shape of ``token_ids``.

    Raises:
        ValueError: ids that are not integers, negative or not below ``vocab_size``; a
            ``mask_rate`` outside (0, 1]; a ``mask_token_id`` outside the vocabulary; no
            non-special id left to draw random replacements from.
    """
    token_ids = np.asarray(token_ids)
    if token_ids.dtype == bool or not np.issubdtype(token_ids.dtype, np.integer):
        raise ValueError(f"token_ids must be integers, got dtype {token_ids.dtype}.")
    if token_ids.ndim not in (1, 2):
        raise ValueError(f"token_ids must be (length,) or (batch, length), got shape {token_ids.shape}.")
    if not 0.0 < float(mask_rate) <= 1.0:
        raise ValueError(f"mask_rate must be in (0, 1], got {mask_rate!r}; BERT uses 0.15.")
    if not 0 <= int(mask_token_id) < int(vocab_size):
        raise ValueError(f"mask_token_id {mask_token_id} must be an id below vocab_size {vocab_size}.")
    if token_ids.size and (token_ids.min() < 0 or token_ids.max() >= vocab_size):
        raise ValueError(
            f"token_ids hold ids from {token_ids.min()} to {token_ids.max()}, outside 0..{vocab_size - 1}."
        )
    generator = np.random.default_rng(_check_seed(seed))
    single = token_ids.ndim == 1
    ids = token_ids[None] if single else token_ids
    protected = np.asarray(sorted({int(i) for i in special_ids} | {int(mask_token_id)}), dtype="int64")
    eligible = ~np.isin(ids, protected)
    weights = np.zeros(ids.shape, dtype="float32")
    for row in range(ids.shape[0]):
        candidates = np.flatnonzero(eligible[row])
        if len(candidates) == 0:
            continue
        count = max(1, int(np.floor(mask_rate * len(candidates) + 0.5)))
        weights[row, generator.choice(candidates, size=count, replace=False)] = 1.0
    rows, columns = np.nonzero(weights)
    order = generator.permutation(len(rows))
    rows, columns = rows[order], columns[order]
    num_masked = int(np.floor(MASK_SHARE * len(rows) + 0.5))
    num_random = int(np.floor(RANDOM_SHARE * len(rows) + 0.5))
    inputs = ids.copy()
    inputs[rows[:num_masked], columns[:num_masked]] = mask_token_id
    replaced = slice(num_masked, num_masked + num_random)
    if num_random:
        vocabulary = np.setdiff1d(np.arange(int(vocab_size)), protected)
        if len(vocabulary) == 0:
            raise ValueError("Every id below vocab_size is special: no random replacement can be drawn.")
        inputs[rows[replaced], columns[replaced]] = generator.choice(vocabulary, size=num_random)
    targets = ids.copy()
    if single:
        return inputs[0], targets[0], weights[0]
    return inputs, targets, weights


def _check_documents(documents: Sequence[Sequence[Any]], num_pairs: int) -> list[int]:
    """The indices of documents with at least two sentences (raises ``ValueError`` if none)."""
    if isinstance(num_pairs, bool) or not isinstance(num_pairs, (int, np.integer)) or num_pairs < 1:
        raise ValueError(f"num_pairs must be a positive integer, got {num_pairs!r}.")
    if isinstance(documents, (str, bytes)) or not all(
        isinstance(d, (Sequence, np.ndarray)) and not isinstance(d, (str, bytes)) for d in documents
    ):
        raise ValueError("documents must be a list of documents, each a list of sentences.")
    usable = [index for index, document in enumerate(documents) if len(document) >= 2]
    if not usable:
        raise ValueError(
            f"None of the {len(documents)} documents has two sentences: a sentence pair needs two "
            "consecutive sentences of one document."
        )
    return usable


def _consecutive(documents: Sequence[Sequence[Any]], usable: list[int], count: int, generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random consecutive pairs: document index and first-sentence index.

    Every consecutive pair of the corpus is equally likely.
    """
    pairs_per_document = np.array([len(documents[index]) - 1 for index in usable])
    starts = np.concatenate([[0], np.cumsum(pairs_per_document)])
    chosen = generator.integers(0, starts[-1], size=count)
    which = np.searchsorted(starts, chosen, side="right") - 1
    return np.asarray(usable)[which], chosen - starts[which]


def next_sentence_pairs(
    documents: Sequence[Sequence[Any]], num_pairs: int, seed: int = 0
) -> tuple[list[Any], list[Any], np.ndarray]:
    """BERT's next-sentence-prediction pairs: ``(first, second, is_next)``.

    Introduced in notebook 13.

    Every pair starts with a sentence that has a successor (a random consecutive pair of the
    corpus, all equally likely). In ``num_pairs // 2`` pairs (``is_next = 1``) the second sentence
    is that successor; in the others (``is_next = 0``) it is a random sentence of a *different*
    document. The pairs come in a random order. Deterministic per seed.

    Raises:
        ValueError: ``num_pairs`` is not positive, no document has two sentences, or there is no
            second document to draw a negative from.
    """
    usable = _check_documents(documents, num_pairs)
    generator = np.random.default_rng(_check_seed(seed))
    num_next = num_pairs // 2
    lenders = [index for index, document in enumerate(documents) if len(document) > 0]
    position = {index: place for place, index in enumerate(lenders)}
    if num_pairs - num_next and len(lenders) < 2:
        raise ValueError(
            "A negative pair takes its second sentence from another document: give at least two "
            "documents that hold a sentence."
        )
    document_index, sentence_index = _consecutive(documents, usable, num_pairs, generator)
    is_next = np.zeros(num_pairs, dtype="int64")
    is_next[:num_next] = 1
    first, second = [], []
    for pair in range(num_pairs):
        document = documents[document_index[pair]]
        first.append(document[sentence_index[pair]])
        if is_next[pair]:
            second.append(document[sentence_index[pair] + 1])
            continue
        place = int(generator.integers(0, len(lenders) - 1))
        place += place >= position[int(document_index[pair])]  # any document but this one
        other = documents[lenders[place]]
        second.append(other[int(generator.integers(0, len(other)))])
    order = generator.permutation(num_pairs)
    return [first[i] for i in order], [second[i] for i in order], is_next[order]


def sentence_order_pairs(
    documents: Sequence[Sequence[Any]], num_pairs: int, seed: int = 0
) -> tuple[list[Any], list[Any], np.ndarray]:
    """ALBERT's sentence-order-prediction pairs: ``(first, second, in_order)``.

    Introduced in notebook 13.

    Every pair is two consecutive sentences of one document (a random consecutive pair of the
    corpus, all equally likely): in ``num_pairs // 2`` pairs in their order (``in_order = 1``),
    in the others swapped (``in_order = 0``). Both sentences always come from the same document,
    so the task cannot be solved by topic. Deterministic per seed.

    Raises:
        ValueError: ``num_pairs`` is not positive, or no document has two sentences.
    """
    usable = _check_documents(documents, num_pairs)
    generator = np.random.default_rng(_check_seed(seed))
    document_index, sentence_index = _consecutive(documents, usable, num_pairs, generator)
    in_order = np.zeros(num_pairs, dtype="int64")
    in_order[: num_pairs // 2] = 1
    first, second = [], []
    for pair in range(num_pairs):
        document = documents[document_index[pair]]
        a, b = document[sentence_index[pair]], document[sentence_index[pair] + 1]
        first.append(a if in_order[pair] else b)
        second.append(b if in_order[pair] else a)
    order = generator.permutation(num_pairs)
    return [first[i] for i in order], [second[i] for i in order], in_order[order]
