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
    opts = HashtagOptions(count=10)
    # #dog: 0.8; #BrownDog: 1 - 0.2 x 0.5 = 0.9 (one word is enough for a hit)
    assert train_tag_ranker.believed_hits(found, ["#dog", "#BrownDog"], opts) == pytest.approx(0.85)
    # every word: #dog 0.8, #BrownDog 0.4, #cat 0.1
    assert train_tag_ranker.best_believed_strict(found, opts) == pytest.approx((0.8 + 0.4 + 0.1) / 3)
