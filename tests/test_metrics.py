"""BLEU and CIDEr-D against values worked out by hand."""
import math

import pytest

from training.metrics import bleu, caption_report, cider_d, ngrams


def test_ngrams_counts():
    assert ngrams("a b a b".split(), 2) == {("a", "b"): 2, ("b", "a"): 1}


def test_bleu_perfect_match_is_one():
    h = {"x": "a dog runs on grass".split()}
    r = {"x": ["a dog runs on grass".split(), "a brown dog".split()]}
    assert bleu(h, r) == pytest.approx([1.0, 1.0, 1.0, 1.0])


def test_bleu_hand_computed():
    # hyp "the cat the cat" vs ref "the cat is here": clipped unigrams 2/4, bigrams
    # "the cat" x2 clipped to 1, "cat the" 0 -> 1/3. Equal lengths, so no brevity penalty.
    h = {"x": "the cat the cat".split()}
    r = {"x": ["the cat is here".split()]}
    b1, b2, _, _ = bleu(h, r)
    assert b1 == pytest.approx(0.5)
    assert b2 == pytest.approx(math.sqrt(0.5 * (1 / 3)))


def test_bleu_brevity_penalty():
    h = {"x": "a dog".split()}
    r = {"x": ["a dog runs fast".split()]}
    assert bleu(h, r)[0] == pytest.approx(math.exp(1 - 4 / 2))


def test_cider_d_hand_computed():
    # Two images, one reference each. For image 1 every n-gram of the hypothesis
    # appears in both images' references only for "a"; idf(g) = log(2) - log(df).
    refs = {"1": ["a dog".split()], "2": ["a cat".split()]}
    hyps = {"1": "a dog".split(), "2": "a bird".split()}
    mean, per = cider_d(hyps, refs)
    # Image 1: unigram "a" has idf 0, "dog" idf log 2; identical vectors -> cos 1
    # for n=1 and n=2 ("a dog" idf log 2), n=3,4 empty -> 0. Score = (1+1)/4*10 = 5.
    assert per["1"] == pytest.approx(5.0)
    # Image 2: only "a" matches and its weight is 0 -> score 0.
    assert per["2"] == pytest.approx(0.0)
    assert mean == pytest.approx(2.5)


def test_cider_d_length_penalty():
    refs = {"1": ["a dog".split()], "2": ["a cat".split()]}
    long = "a dog " + "dog " * 6
    _, per = cider_d({"1": long.split(), "2": "a cat".split()}, refs)
    assert per["1"] < 5.0


def test_report_diversity():
    hyps = {"1": ["a"], "2": ["a"], "3": ["b"], "4": ["c"]}
    refs = {k: [["a"]] for k in hyps}
    rep = caption_report(hyps, refs)
    assert rep["most_common_caption_share"] == 0.5
    assert rep["distinct_captions"] == 3


def test_chrf_by_hand():
    from training.metrics import chrf

    assert chrf(["abc"], ["abc"]) == pytest.approx(100.0)
    assert chrf(["xyz"], ["abc"]) == 0.0
    # hyp "ab", ref "abc": order 1: 2 matches / 2 hyp / 3 ref; order 2: 1 / 1 / 2; order 3: no hyp n-grams
    p, r = (1 + 1) / 2, (2 / 3 + 1 / 2) / 2
    assert chrf(["ab"], ["abc"]) == pytest.approx(100 * 5 * p * r / (4 * p + r))
    assert chrf(["a b c"], ["abc"]) == pytest.approx(100.0)  # spaces do not count
