import numpy as np
import pytest

from hypothesis import given
from hypothesis import strategies as st

from captag_desktop.core.beam_search import DecodeOptions, beam_search, greedy_search, top_indices

BOS, EOS, A, B, C = 0, 1, 2, 3, 4


def markov(table):
    """A decoder whose next-token distribution depends only on the previous token.

    The state carries each hypothesis' previous token along the batch axis, so a
    wrong beam reordering would show up as a wrong distribution.
    """
    logt = np.log(np.asarray(table, dtype=np.float64) + 1e-12)

    def step(tokens, position, state):
        (prev,) = state
        assert prev.shape[1] == tokens.shape[0] or position == 0
        return logt[tokens], (tokens[None, :].copy(),)

    return step


# After BOS: A 0.55, B 0.45. After A: EOS/A/B/C spread thin; after B: C almost surely;
# after C: EOS.
TABLE = [
    [0, 0, 0.55, 0.45, 0],      # from BOS
    [1, 0, 0, 0, 0],            # from EOS (unused)
    [0, 0.3, 0.2, 0.25, 0.25],  # from A
    [0, 0.02, 0, 0, 0.98],      # from B
    [0, 0.98, 0.01, 0.01, 0],   # from C
]


def test_greedy_takes_locally_best_token():
    out = greedy_search(markov(TABLE), (np.zeros((1, 1), np.int64),), BOS, EOS, max_len=10)
    assert out[0] == A


def test_beam_finds_globally_better_sequence():
    opts = DecodeOptions(beam_size=3, length_penalty=0.0, max_len=10, min_len=0, block_repeat_ngram=0)
    out = beam_search(markov(TABLE), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)
    # B C EOS: 0.45*0.98*0.98 = 0.43 beats A EOS: 0.55*0.3 = 0.165
    assert out == [B, C]


def test_beam_size_one_equals_greedy_path():
    opts = DecodeOptions(beam_size=1, length_penalty=0.0, max_len=10, min_len=0, block_repeat_ngram=0)
    out = beam_search(markov(TABLE), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)
    assert out == greedy_search(markov(TABLE), (np.zeros((1, 1), np.int64),), BOS, EOS, 10)


def test_min_len_forbids_early_end():
    opts = DecodeOptions(beam_size=2, length_penalty=0.0, max_len=10, min_len=3, block_repeat_ngram=0)
    out = beam_search(markov(TABLE), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)
    assert len(out) >= 3


def test_repeat_blocking_avoids_loops():
    loop = [[0, 0, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0.01, 0.9, 0.09, 0], [0, 0.5, 0.5, 0, 0], [1, 0, 0, 0, 0]]
    opts = DecodeOptions(beam_size=2, length_penalty=0.0, max_len=8, min_len=0, block_repeat_ngram=2)
    out = beam_search(markov(loop), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)
    bigrams = list(zip(out, out[1:]))
    assert len(bigrams) == len(set(bigrams))


def test_max_len_bounds_output():
    never_end = [[0, 0, 0.5, 0.5, 0]] * 5
    opts = DecodeOptions(beam_size=2, length_penalty=0.6, max_len=6, min_len=0, block_repeat_ngram=0)
    assert len(beam_search(markov(never_end), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)) == 6


def test_invalid_options():
    with pytest.raises(ValueError):
        DecodeOptions(beam_size=0)


def test_once_tokens_appear_at_most_once():
    # A strongly prefers A again ("a bike on a bike"); C may repeat freely.
    stutter = [[0, 0, 0.9, 0.1, 0], [1, 0, 0, 0, 0], [0, 0.01, 0.6, 0.09, 0.3], [0, 0.5, 0.5, 0, 0], [0, 0.1, 0.4, 0.1, 0.4]]
    opts = DecodeOptions(beam_size=2, length_penalty=0.0, max_len=8, min_len=0, block_repeat_ngram=0)
    free = beam_search(markov(stutter), (np.zeros((1, 1), np.int64),), BOS, EOS, opts)
    assert free.count(A) > 1
    out = beam_search(markov(stutter), (np.zeros((1, 1), np.int64),), BOS, EOS, opts, once={A: frozenset({A})})
    assert out.count(A) == 1


def test_english_captions_may_repeat_function_words_only():
    from captag_desktop.core.captioner import once_tokens
    from captag_desktop.core.text import Vocab

    vocab = Vocab(["<pad>", "<bos>", "<eos>", "<unk>", "a", "and", "in", "bike", "red", "."])
    once = {vocab.itos[i] for i in once_tokens(vocab, "en")}
    assert once == {"bike", "red"}
    assert once_tokens(vocab, "ar") == frozenset()


def test_a_noun_rules_out_its_other_number_but_a_verb_keeps_its_noun():
    """"a mountain overlooking the mountains" is stutter; "swinging on a swing" is not."""
    from captag_desktop.core.captioner import once_groups
    from captag_desktop.core.text import Vocab

    vocab = Vocab(["<pad>", "<bos>", "<eos>", "<unk>", "a", "mountain", "mountains", "women", "woman", "swing",
                   "swinging"])
    groups = {vocab.itos[t]: {vocab.itos[u] for u in out} for t, out in once_groups(vocab, "en").items()}
    assert groups["mountain"] == groups["mountains"] == {"mountain", "mountains"}
    assert groups["women"] == {"woman", "women"}
    assert groups["swinging"] == {"swinging"} and "swinging" not in groups["swing"]


def test_a_used_token_rules_out_its_whole_group():
    # A strongly prefers C after it; C is A's other form, so once A is used C is out too.
    stutter = [[0, 0, 0.9, 0.1, 0], [1, 0, 0, 0, 0], [0, 0.05, 0, 0.15, 0.8], [0, 0.5, 0.5, 0, 0], [0, 0.6, 0.2, 0.1, 0.1]]
    opts = DecodeOptions(beam_size=2, length_penalty=0.0, max_len=8, min_len=0, block_repeat_ngram=0)
    alone = beam_search(markov(stutter), (np.zeros((1, 1), np.int64),), BOS, EOS, opts, once={A: frozenset({A})})
    assert C in alone
    grouped = beam_search(markov(stutter), (np.zeros((1, 1), np.int64),), BOS, EOS, opts,
                          once={A: frozenset({A, C}), C: frozenset({A, C})})
    assert A in grouped and C not in grouped


def test_greedy_respects_once_tokens():
    stutter = [[0, 0, 0.9, 0.1, 0], [1, 0, 0, 0, 0], [0, 0.01, 0.6, 0.09, 0.3], [0, 0.5, 0.5, 0, 0], [0, 0.1, 0.4, 0.1, 0.4]]
    out = greedy_search(markov(stutter), (np.zeros((1, 1), np.int64),), BOS, EOS, 8, once={A: frozenset({A})})
    assert out.count(A) == 1


@given(st.lists(st.sampled_from([-np.inf, -3.0, -1.5, -1.0, 0.0, 2.0]) | st.floats(-50, 0), min_size=1, max_size=40),
       st.integers(1, 45))
def test_top_indices_match_a_full_stable_sort(values, m):
    """Ties (and -inf, as for blocked words) come out in index order, as a full stable sort gives them."""
    values = np.array(values)
    assert top_indices(values, m).tolist() == np.argsort(-values, kind="stable")[:m].tolist()


@given(st.lists(st.integers(0, 3), max_size=12), st.integers(0, 4))
def test_ngram_repeaters_are_exactly_the_tokens_that_would_repeat_an_ngram(seq, n):
    from captag_desktop.core.beam_search import ngram_repeaters

    def repeats(token):
        grams = [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]
        return n > 0 and len(seq) >= n - 1 and tuple((seq + [token])[len(seq) + 1 - n:]) in grams

    assert ngram_repeaters(seq, n) == {t for t in range(4) if repeats(t)}
