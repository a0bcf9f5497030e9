"""Tests of helpers.pretext.text (masking, sentence pairs) and helpers.text (notebook 13)."""

import keras
import numpy as np
import pytest

from helpers import checkpoints, data, evaluation
from helpers import text as text_helpers
from helpers.pretext import text as pretext_text

# --------------------------------------------------------------------------- mask_tokens

MASK = 4
SPECIAL = (0, 1, 2, 3)


def _ids(rows=50, length=40, vocab_size=50, seed=0):
    """Token ids with [CLS] at 0, [SEP] at the last real position, then padding."""
    generator = np.random.default_rng(seed)
    ids = generator.integers(5, vocab_size, size=(rows, length))
    lengths = generator.integers(3, length + 1, size=rows)
    ids[:, 0] = 2
    for row, n in enumerate(lengths):
        ids[row, n - 1] = 3
        ids[row, n:] = 0
    return ids


def test_star_import_names_the_public_functions():
    import helpers.pretext as pretext

    for name in pretext_text.__all__:
        assert hasattr(pretext, name)
    assert {"mask_tokens", "next_sentence_pairs", "sentence_order_pairs"} <= set(pretext_text.__all__)


def test_mask_tokens_chooses_the_rate_of_non_special_positions_per_row():
    ids = _ids()
    inputs, targets, weights = pretext_text.mask_tokens(ids, MASK, 50, special_ids=SPECIAL, seed=3)
    assert inputs.shape == targets.shape == weights.shape == ids.shape and weights.dtype == np.float32
    np.testing.assert_array_equal(targets, ids)
    eligible = ~np.isin(ids, SPECIAL + (MASK,))
    expected = np.maximum(1, np.floor(0.15 * eligible.sum(axis=1) + 0.5))
    np.testing.assert_array_equal(weights.sum(axis=1), expected)
    assert set(np.unique(weights)) <= {0.0, 1.0}
    assert not np.any(weights[~eligible]), "special positions (padding, [CLS], [SEP]) are never chosen"
    np.testing.assert_array_equal(inputs[weights == 0], ids[weights == 0])


def test_mask_tokens_splits_the_chosen_80_10_10_exactly_over_the_batch():
    ids = _ids(rows=200, seed=1)
    inputs, targets, weights = pretext_text.mask_tokens(ids, MASK, 50, special_ids=SPECIAL, seed=0)
    chosen = weights > 0
    total = int(chosen.sum())
    masked = int(np.sum(inputs[chosen] == MASK))
    assert masked == int(np.floor(0.8 * total + 0.5))
    not_masked = inputs[chosen & (inputs != MASK)]
    unchanged = int(np.sum((inputs == targets) & chosen))
    num_random = int(np.floor(0.1 * total + 0.5))
    assert len(not_masked) == total - masked
    # the kept 10% are unchanged; a random replacement may happen to draw the original token
    assert total - masked - num_random <= unchanged <= total - masked
    assert np.all(~np.isin(not_masked, SPECIAL + (MASK,))), "random replacements come from the non-special vocabulary"


def test_random_replacements_avoid_every_special_id_and_vary():
    ids = np.full((400, 10), 5)
    inputs, _, weights = pretext_text.mask_tokens(ids, MASK, 8, special_ids=SPECIAL, seed=0)
    replaced = inputs[(weights > 0) & (inputs != MASK) & (inputs != 5)]
    assert len(replaced) > 0 and set(np.unique(replaced)) <= {6, 7}


def test_mask_tokens_is_deterministic_per_seed_and_dynamic_across_seeds():
    ids = _ids()
    first = pretext_text.mask_tokens(ids, MASK, 50, special_ids=SPECIAL, seed=7)
    again = pretext_text.mask_tokens(ids, MASK, 50, special_ids=SPECIAL, seed=7)
    other = pretext_text.mask_tokens(ids, MASK, 50, special_ids=SPECIAL, seed=8)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2]), "a new seed draws a new mask (dynamic masking)"
    np.testing.assert_array_equal(ids, _ids()), "the input is not modified"


def test_mask_tokens_handles_one_sequence_and_rows_without_tokens():
    inputs, targets, weights = pretext_text.mask_tokens(np.array([2, 9, 9, 9, 3, 0]), MASK, 10, special_ids=SPECIAL)
    assert inputs.shape == (6,) and weights.sum() == 1 and weights[1:4].sum() == 1
    _, _, weights = pretext_text.mask_tokens(np.array([[2, 3, 0], [2, 7, 3]]), MASK, 10, special_ids=SPECIAL)
    np.testing.assert_array_equal(weights, [[0, 0, 0], [0, 1, 0]])


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"token_ids": np.ones((2, 3), "float32")}, "integers"),
        ({"token_ids": np.array([[2, 60]])}, "outside"),
        ({"mask_rate": 0.0}, "mask_rate"),
        ({"mask_rate": 1.5}, "mask_rate"),
        ({"mask_token_id": 99}, "mask_token_id"),
        ({"seed": -1}, "seed"),
    ],
)
def test_mask_tokens_rejects_bad_input(arguments, message):
    call = {"token_ids": _ids(rows=2), "mask_token_id": MASK, "vocab_size": 50, **arguments}
    with pytest.raises(ValueError, match=message):
        pretext_text.mask_tokens(**call)


# --------------------------------------------------------------------------- sentence pairs


def _documents():
    sizes = [3, 1, 4, 2, 0, 5]
    return [[f"d{d}s{s}" for s in range(size)] for d, size in enumerate(sizes)]


def _where(sentence):
    document, position = sentence[1:].split("s")
    return int(document), int(position)


def test_next_sentence_pairs_are_half_successors_half_other_documents():
    documents = _documents()
    first, second, is_next = pretext_text.next_sentence_pairs(documents, 301, seed=0)
    assert len(first) == len(second) == len(is_next) == 301 and is_next.sum() == 150
    for a, b, label in zip(first, second, is_next):
        (da, sa), (db, sb) = _where(a), _where(b)
        assert sa < len(documents[da]) - 1, "every first sentence has a successor"
        if label:
            assert (db, sb) == (da, sa + 1)
        else:
            assert db != da, "a negative's second sentence comes from another document"
    first_again, second_again, is_next_again = pretext_text.next_sentence_pairs(documents, 301, seed=0)
    assert first_again == first and second_again == second and np.array_equal(is_next_again, is_next)
    assert pretext_text.next_sentence_pairs(documents, 301, seed=1)[0] != first


def test_negatives_draw_from_every_other_document_with_sentences():
    documents = _documents()
    first, second, is_next = pretext_text.next_sentence_pairs(documents, 2_000, seed=0)
    lenders = {_where(b)[0] for b, label in zip(second, is_next) if not label}
    assert lenders == {0, 1, 2, 3, 5}, "any non-empty document lends negatives, the one-sentence one too"


def test_sentence_order_pairs_swap_half_the_consecutive_pairs():
    documents = _documents()
    first, second, in_order = pretext_text.sentence_order_pairs(documents, 100, seed=0)
    assert in_order.sum() == 50
    for a, b, label in zip(first, second, in_order):
        (da, sa), (db, sb) = _where(a), _where(b)
        assert da == db, "both sentences come from one document"
        assert (sb - sa) == (1 if label else -1)


@pytest.mark.parametrize("function", [pretext_text.next_sentence_pairs, pretext_text.sentence_order_pairs])
def test_pairs_need_a_document_with_two_sentences(function):
    with pytest.raises(ValueError, match="two sentences"):
        function([["only one"], ["another one"], []], 4)
    with pytest.raises(ValueError, match="num_pairs"):
        function(_documents(), 0)
    with pytest.raises(ValueError, match="list of documents"):
        function("not documents", 2)


def test_next_sentence_pairs_need_a_second_document_for_negatives():
    with pytest.raises(ValueError, match="another document"):
        pretext_text.next_sentence_pairs([["a", "b", "c"], []], 4)


# --------------------------------------------------------------------------- tokens and vocabulary


def test_tokenize_lowercases_and_splits_punctuation():
    assert text_helpers.tokenize("Don't PANIC: 42 towels!") == ["don't", "panic", ":", "42", "towels", "!"]
    with pytest.raises(ValueError, match="string"):
        text_helpers.tokenize(["not", "a", "string"])


def test_vocabulary_ranks_by_count_then_alphabet_after_the_special_tokens():
    documents = [["b a b", "c b a"], ["a z"]]
    vocabulary = text_helpers.build_vocabulary(documents, size=8, min_count=1)
    assert vocabulary.tokens == text_helpers.SPECIAL_TOKENS + ("a", "b", "c")  # size caps at 8
    assert vocabulary.counts[5:] == (3, 3, 1)
    assert text_helpers.build_vocabulary(documents, size=50, min_count=2).tokens[5:] == ("a", "b")
    assert vocabulary.encode(["b", "unknown"]) == [6, text_helpers.UNK_ID]
    assert vocabulary.decode([2, 5, 0, 0]) == ["[CLS]", "a"]
    with pytest.raises(ValueError, match="special tokens"):
        text_helpers.build_vocabulary(documents, size=5)


def _toy_vocabulary():
    return text_helpers.Vocabulary(text_helpers.SPECIAL_TOKENS + ("a", "b", "c", "d"))


def test_encode_documents_is_bert_layout_cut_and_padded():
    vocabulary = _toy_vocabulary()
    encoded = text_helpers.encode_documents(vocabulary, [["a b", "c"], ["d d d d d d"]], 7)
    np.testing.assert_array_equal(encoded, [[2, 5, 6, 3, 7, 3, 0], [2, 8, 8, 8, 8, 8, 8]])
    assert encoded.dtype == np.int32


def test_encode_pairs_truncates_the_longer_sentence_from_its_end():
    vocabulary = _toy_vocabulary()
    encoded = text_helpers.encode_pairs(vocabulary, ["a b c d", "a"], ["d", [7, 7]], 8)
    np.testing.assert_array_equal(encoded, [[2, 5, 6, 7, 8, 3, 8, 3], [2, 5, 3, 7, 7, 3, 0, 0]])
    encoded = text_helpers.encode_pairs(vocabulary, ["a a a a"], ["b b b b"], 7)
    np.testing.assert_array_equal(encoded, [[2, 5, 5, 3, 6, 6, 3]])
    with pytest.raises(ValueError, match="one pair per row"):
        text_helpers.encode_pairs(vocabulary, ["a"], [], 8)


def test_gather_masked_lists_the_chosen_positions():
    targets = np.array([[10, 11, 12, 13], [20, 21, 22, 23]])
    weights = np.array([[0, 1, 0, 1], [0, 0, 1, 0]], dtype="float32")
    positions, slot_targets, slot_weights = text_helpers.gather_masked(targets, weights, 3)
    np.testing.assert_array_equal(positions, [[1, 3, 0], [2, 0, 0]])
    np.testing.assert_array_equal(slot_targets, [[11, 13, 0], [22, 0, 0]])
    np.testing.assert_array_equal(slot_weights, [[1, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="max_predictions"):
        text_helpers.gather_masked(targets, weights, 1)


def test_masked_batch_weights_average_one_over_the_slots():
    ids = _ids(rows=8, length=20, vocab_size=30)
    (inputs, positions), targets, weights = text_helpers.masked_batch(ids, 30, text_helpers.max_predictions_for(20, 0.15), seed=0)
    assert inputs.shape == ids.shape and positions.shape == targets.shape == weights.shape == (8, 3)
    assert weights.mean() == pytest.approx(1.0)
    chosen = weights > 0
    np.testing.assert_array_equal(targets[chosen], np.take_along_axis(ids, positions, axis=1)[chosen])


def test_pack_rows_drops_padding_and_cuts_full_rows():
    ids = np.array([[2, 5, 3, 0, 0], [2, 6, 7, 3, 0], [2, 8, 3, 0, 0]])
    np.testing.assert_array_equal(text_helpers.pack_rows(ids, 4), [[2, 5, 3, 2], [6, 7, 3, 2]])


def test_segment_ids_switch_after_the_first_separator():
    ids = np.array([[2, 5, 3, 6, 6, 3, 0], [2, 5, 5, 3, 0, 0, 0]])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(text_helpers.segment_ids(ids)), [[0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1]]
    )


# --------------------------------------------------------------------------- the split


def _toy_corpus(num_documents=60):
    words = {0: "apple pear plum", 1: "code bug disk", 2: "vote law tax"}
    train, labels = [], []
    for index in range(num_documents):
        label = index % 3
        train.append([f"{words[label]} common word{index % 7}.", f"second {words[label].split()[index % 3]} sentence."])
        labels.append(label)
    test = [["zzzonlyintest apple."], ["zzzonlyintest code."], ["zzzonlyintest vote."]]
    return data.TextCorpus(
        name="toy", source="a test corpus", class_names=("fruit", "computers", "politics"),
        train_documents=train, train_labels=np.array(labels), test_documents=test,
        test_labels=np.array([0, 1, 2]), requested="toy",
    )


def test_make_text_split_keeps_validation_and_test_words_out_of_the_vocabulary():
    corpus = _toy_corpus()
    for index, document in enumerate(corpus.train_documents):
        document.append(f"unique{index}.")  # one word per training document
    settings = {"probe_per_class": 5, "validation_size": 6, "test_size": 3, "draws": 2}
    prepared = text_helpers.make_text_split(corpus, 500, 16, settings=settings, min_count=1, profile="smoke")
    split = prepared.split
    assert split.x_val.shape == (6, 16) and split.x_test.shape == (3, 16) and split.x_probe.shape == (15, 16)
    layout = evaluation.make_split(
        "toy", "a test corpus", np.arange(60)[:, None], corpus.train_labels, np.arange(3)[:, None],
        corpus.test_labels, corpus.class_names, profile="smoke", settings=settings,
    )
    validation = set(layout.x_val[:, 0].tolist())
    assert len(validation) == 6
    for index in range(60):
        assert (f"unique{index}" in prepared.vocabulary.tokens) == (index not in validation)
    assert "zzzonlyintest" not in prepared.vocabulary.tokens
    pool = split.pretraining_data()
    assert len(prepared.pretraining_documents) == len(pool) == 54
    for row, document in zip(pool, prepared.pretraining_documents):
        np.testing.assert_array_equal(row, text_helpers.encode_documents(None, [document], 16)[0])
    assert len(prepared.validation_documents) == 6
    for row, document in zip(split.x_val, prepared.validation_documents):
        np.testing.assert_array_equal(row, text_helpers.encode_documents(None, [document], 16)[0])


def test_make_text_split_is_the_protocol_split_and_deterministic():
    settings = {"probe_per_class": 5, "validation_size": 6, "test_size": 3, "draws": 2}
    first = text_helpers.make_text_split(_toy_corpus(), 100, 16, settings=settings, profile="smoke")
    again = text_helpers.make_text_split(_toy_corpus(), 100, 16, settings=settings, profile="smoke")
    assert first.split.fingerprint == again.split.fingerprint
    assert np.bincount(first.split.y_probe).tolist() == [5, 5, 5]
    shorter = text_helpers.make_text_split(_toy_corpus(), 100, 12, settings=settings, profile="smoke")
    assert shorter.split.fingerprint != first.split.fingerprint, "the encoding is part of the fingerprint"


def test_token_frequencies_leave_out_special_ids():
    counts = text_helpers.token_frequencies(np.array([[2, 5, 5, 3, 0], [2, 6, 1, 3, 0]]), 8)
    np.testing.assert_array_equal(counts, [0, 0, 0, 0, 0, 2, 1, 0])


# --------------------------------------------------------------------------- layers and models


def test_masked_mean_pooling_and_cls_token_match_numpy():
    hidden = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    ids = np.array([[2, 5, 3, 0], [2, 3, 0, 0]])
    pooled = keras.ops.convert_to_numpy(text_helpers.MaskedMeanPooling()([hidden, ids]))
    np.testing.assert_allclose(pooled, [hidden[0, :3].mean(axis=0), hidden[1, :2].mean(axis=0)], rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(text_helpers.ClsToken()(hidden)), hidden[:, 0])


def test_gather_positions_matches_take_along_axis():
    hidden = np.arange(2 * 4 * 3, dtype="float32").reshape(2, 4, 3)
    positions = np.array([[3, 0], [1, 1]])
    gathered = keras.ops.convert_to_numpy(text_helpers.GatherPositions()([hidden, positions]))
    np.testing.assert_array_equal(gathered, np.stack([hidden[0, [3, 0]], hidden[1, [1, 1]]]))


def test_transformer_block_ignores_what_sits_at_padding_positions():
    keras.utils.set_random_seed(0)
    block = text_helpers.TransformerBlock(8, 2, 16, dropout=0.0)
    ids = np.array([[2, 5, 6, 3, 0, 0]])
    hidden = np.random.default_rng(0).normal(size=(1, 6, 8)).astype("float32")
    changed = hidden.copy()
    changed[:, 4:] = 100.0
    first = keras.ops.convert_to_numpy(block([hidden, ids]))
    second = keras.ops.convert_to_numpy(block([changed, ids]))
    np.testing.assert_allclose(first[:, :4], second[:, :4], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        text_helpers.TransformerBlock(10, 3, 16)


def test_encoder_outputs_and_its_twin_has_the_same_shapes_and_new_weights():
    keras.utils.set_random_seed(0)
    encoder = text_helpers.build_text_encoder(30, 12, width=16, num_heads=2, feed_forward_dim=32)
    ids = _ids(rows=3, length=12, vocab_size=30)
    sequence, mean_pool, cls_token = encoder.predict(ids, verbose=0)
    assert sequence.shape == (3, 12, 16) and mean_pool.shape == cls_token.shape == (3, 16)
    twin = evaluation.random_twin(encoder, seed=1)
    assert [w.shape for w in twin.weights] == [w.shape for w in encoder.weights]
    assert not np.allclose(twin.get_weights()[0], encoder.get_weights()[0])
    assert checkpoints.architecture_fingerprint(twin) == checkpoints.architecture_fingerprint(encoder)
    features = keras.Model(encoder.input, encoder.get_layer("mean_pool").output).predict(ids, verbose=0)
    np.testing.assert_allclose(features, mean_pool, rtol=1e-5)


def test_heads_predict_at_the_gathered_positions_and_on_cls():
    keras.utils.set_random_seed(0)
    encoder = text_helpers.build_text_encoder(30, 12, width=16, num_heads=2, feed_forward_dim=32)
    ids = _ids(rows=4, length=12, vocab_size=30)
    (inputs, positions), _, _ = text_helpers.masked_batch(ids, 30, 2, seed=0)
    assert text_helpers.build_mlm_model(encoder, 2).predict([inputs, positions], verbose=0).shape == (4, 2, 30)
    outputs = text_helpers.build_pair_model(encoder, 2).predict([inputs, positions], verbose=0)
    assert outputs["mlm"].shape == (4, 2, 30) and outputs["pair"].shape == (4, 2)


def test_masked_batches_are_reproducible_and_masked_anew_each_epoch():
    ids = _ids(rows=40, length=12, vocab_size=30)
    batches = text_helpers.MaskedBatches(30, 12, 8, 5, token_ids=ids, seed=1)
    first = batches.batch(2, epoch=0)
    np.testing.assert_array_equal(first[0][0], text_helpers.MaskedBatches(30, 12, 8, 5, token_ids=ids, seed=1).batch(2, epoch=0)[0][0])
    later = batches.batch(2, epoch=1)
    assert not np.array_equal(first[0][0], later[0][0])
    assert len(batches) == 5
    packed = text_helpers.MaskedBatches(30, 12, 8, 5, token_ids=ids, seed=1, pack=True).batch(0)
    assert np.all(packed[0][0] != 0), "packed rows hold no padding"


def test_masked_batches_of_pairs_have_both_targets():
    documents = [[[5, 6], [7, 8, 9], [10]], [[11, 12], [13]], [[14]]]
    batches = text_helpers.MaskedBatches(20, 10, 6, 2, documents=documents, pair_task="next_sentence", seed=0)
    (inputs, positions), targets, weights = batches.batch(0)
    assert inputs.shape == (6, 10) and positions.shape == (6, 2)
    assert targets["pair"].sum() == 3 and set(weights) == {"mlm", "pair"}
    assert np.all(inputs[:, 0] == text_helpers.CLS_ID)
    with pytest.raises(ValueError, match="pair_task"):
        text_helpers.MaskedBatches(20, 10, 6, 2, documents=documents)
    with pytest.raises(ValueError, match="not both"):
        text_helpers.MaskedBatches(20, 10, 6, 2)


def test_tied_output_scores_with_the_token_embedding_matrix():
    keras.utils.set_random_seed(0)
    encoder = text_helpers.build_text_encoder(30, 12, width=16, num_heads=2, feed_forward_dim=32)
    model = text_helpers.build_mlm_model(encoder, 2, tie_output=True)
    untied = text_helpers.build_mlm_model(encoder, 2)
    embedding = encoder.get_layer("embedding").token_embedding.embeddings
    assert len(model.weights) == len(encoder.weights) + 5  # transform kernel and bias, norm, output bias
    assert len(untied.weights) == len(encoder.weights) + 6  # ... and an output kernel of its own
    hidden = np.random.default_rng(0).normal(size=(3, 2, 16)).astype("float32")
    output = model.get_layer("mlm")
    logits = keras.ops.convert_to_numpy(output(hidden))
    reference = hidden @ keras.ops.convert_to_numpy(embedding).T + keras.ops.convert_to_numpy(output.bias)
    np.testing.assert_allclose(logits, reference, rtol=1e-5, atol=1e-5)


def test_pair_examples_are_a_fixed_masked_validation_set():
    vocabulary = _toy_vocabulary()
    documents = [[[5, 6], [7, 8], [5]], [[6, 6], [8]], [[7]]]
    first = text_helpers.pair_examples(vocabulary, documents, 10, 9, "sentence_order", seed=3)
    again = text_helpers.pair_examples(vocabulary, documents, 10, 9, "sentence_order", seed=3)
    np.testing.assert_array_equal(first[0][0], again[0][0])
    (inputs, positions), targets, weights = first
    assert inputs.shape == (10, 9) and positions.shape == targets["mlm"].shape == (10, 1)
    assert targets["pair"].sum() == 5 and np.all(weights["pair"] == 1)
    with pytest.raises(ValueError, match="pair_task"):
        text_helpers.pair_examples(vocabulary, documents, 10, 9, "jigsaw")
