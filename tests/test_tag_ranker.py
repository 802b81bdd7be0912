"""The learned hashtag ranker: its features, its fit, and how the app loads it."""
import json

import numpy as np
import pytest

from captag_desktop.core.hashtags import Candidates, HashtagOptions, Tag, rank
from captag_desktop.core.models import ModelStore
from captag_desktop.core.tag_ranker import FEATURES, TagRanker, features
from training import train_tag_ranker
from training.manifest_tool import amend_entry


def tag(key):
    return Tag(key, "#" + "".join(w.capitalize() for w in key.split()) if " " in key else "#" + key)


def photo(caption_keys, model_keys, words):
    return Candidates([tag(k) for k in caption_keys], [tag(k) for k in model_keys], words=words)


def test_features_read_the_word_model_and_the_caption():
    found = photo(["dog", "grass"], ["dog", "brown dog", "cat"], {"dog": 0.9, "brown": 0.2, "cat": 0.1, "grass": 0.5})
    x = features(found, ["dog", "brown dog", "cat", "grass"])
    assert x.shape == (4, len(FEATURES))
    col = {f: x[:, i] for i, f in enumerate(FEATURES)}
    assert col["chance"][0] > col["chance"][1]  # #BrownDog needs brown too
    assert col["strongest_word"][1] == col["chance"][0]  # its strongest word is dog
    assert list(col["in_caption"]) == [1, 0, 0, 1]
    assert col["caption_rank"][0] > col["caption_rank"][3] > 0 == col["caption_rank"][2]
    assert list(col["compound"]) == [0, 1, 0, 0]


def test_fit_learns_which_fact_predicts_a_right_tag():
    """Labels that follow the caption alone, against word-model odds that point the other way: the
    fitted ranker must rank by the caption, so it learned from the data rather than a prior."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    caption = FEATURES.index("in_caption")
    x[:, caption] = rng.random(400) < 0.3
    y = x[:, caption].copy()
    x[:, FEATURES.index("chance")] = -3 * y + rng.normal(size=400)
    ranker = train_tag_ranker.fit(x, y)
    assert ranker.w[caption] > 0 > ranker.w[FEATURES.index("chance")]
    found = photo(["kite"], ["dog", "kite", "man"], {"dog": 0.9, "man": 0.8, "kite": 0.1})
    assert rank(found, HashtagOptions(count=3, head=3), ranker)[0] == "#kite"
    assert rank(found, HashtagOptions(count=3, head=3))[0] == "#dog"  # the hand-set score trusts the word model


def test_installed_ranker_loads_and_a_mismatched_one_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"models": []}))
    x, y = np.random.default_rng(1).normal(size=(50, len(FEATURES))), np.arange(50) % 2
    ranker = train_tag_ranker.fit(x, y.astype(float))
    train_tag_ranker.install(ranker, {"split": "dev"}, "python -m training.train_tag_ranker --install", tmp_path)
    loaded = TagRanker.load(ModelStore(tmp_path))
    np.testing.assert_allclose(loaded.probabilities(x), ranker.probabilities(x))
    with pytest.raises(ValueError, match="other features"):
        TagRanker({"chance": 1.0}, 0.0, [0.0], [1.0])
    stored = json.loads((tmp_path / "tag_ranker.json").read_text())
    stored["features"] = stored["features"][::-1]  # mean and scale would no longer line up
    (tmp_path / "tag_ranker.json").write_text(json.dumps(stored))
    amend_entry("tag-ranker", tmp_path)  # registered as it is, so the store's own checksum passes
    with pytest.raises(ValueError, match="other features"):
        TagRanker.load(ModelStore(tmp_path))


def test_a_tag_hits_by_any_word_and_is_right_only_by_every_word():
    from training.evaluate_hashtags import precision_at, tag_hits

    gold = {"dog", "grass"}
    assert tag_hits("#BrownDog", gold, str.lower) and not tag_hits("#BrownDog", gold, str.lower, every=True)
    assert tag_hits("#dog", gold, str.lower, every=True)
    caps = ["A dog on grass", "A dog in the grass", "A brown animal", "Dogs play", "A cat"]
    assert precision_at(["#BrownDog", "#cat"], caps, 5, str.lower) == 0.5  # dog and grass are in 2+ captions
    assert precision_at(["#BrownDog", "#cat"], caps, 5, str.lower, every=True) == 0.0


def test_believed_hits_are_the_word_models_own_expectation():
    found = photo(["dog"], ["brown dog", "cat"], {"dog": 0.8, "brown": 0.5, "cat": 0.1})
    # #dog: 0.8; #BrownDog: 1 - 0.2 x 0.5 = 0.9 (one word is enough for a hit); "#dogs" reads as dog
    assert train_tag_ranker.believed_hits(found, ["#dog", "#BrownDog"]) == pytest.approx(0.85)
    assert train_tag_ranker.believed_hits(found, ["#dogs"]) == pytest.approx(0.8)


def test_best_believed_takes_the_five_likeliest_each_shown_text_once():
    words = {"dog": 0.9, "grass": 0.7, "ball": 0.6, "park": 0.5, "cat": 0.2, "car": 0.1, "brown": 0.5}
    found = photo(["dog", "grass"], ["ball", "park", "cat", "car", "brown dog", "dog"], words)
    opts = HashtagOptions(count=10)
    # every word: dog .9, grass .7, ball .6, park .5, BrownDog .45 (cat .2, car .1 left out)
    assert train_tag_ranker.best_believed(found, opts, every=True) == pytest.approx((0.9 + 0.7 + 0.6 + 0.5 + 0.45) / 5)
    # any word: BrownDog .95, dog .9, grass .7, ball .6, park .5
    assert train_tag_ranker.best_believed(found, opts, every=False) == pytest.approx((0.95 + 0.9 + 0.7 + 0.6 + 0.5) / 5)
    two_keys_one_text = Candidates([Tag("swimming", "#swimming")], [Tag("swim", "#swimming")],
                                   words={"swim": 0.9, "swimming": 0.3})
    assert train_tag_ranker.best_believed(two_keys_one_text, opts, every=True) == pytest.approx(0.9)


def test_rows_label_a_tag_by_every_word_or_by_any_one():
    found = photo(["dog"], ["brown dog"], {"dog": 0.9, "brown": 0.3})
    caps = {"p": ["A black dog runs", "A black dog on grass", "The dog is black", "A dog", "A black animal"]}
    opts = HashtagOptions(count=10)
    x, y = train_tag_ranker.rows([("p", found)], caps, opts, "all")
    x_any, y_any = train_tag_ranker.rows([("p", found)], caps, opts, "any")
    keys = found.merged(opts)[1]
    assert x.shape == (len(keys), len(FEATURES)) and np.array_equal(x, x_any)
    assert dict(zip(keys, y)) == {"dog": 1.0, "brown dog": 0.0}  # brown is wrong for a black dog
    assert dict(zip(keys, y_any)) == {"dog": 1.0, "brown dog": 1.0}
