
from captag_desktop.core.hashtags import Candidates, HashtagOptions, Tag, extract_keywords, rank, tag_for_words


def texts(tags):
    return [t.text for t in tags]


def test_nouns_singular_verbs_ing_function_words_dropped():
    got = texts(extract_keywords("Two dogs are running on the beach ."))
    assert got == ["#dog", "#running", "#beach"]


def test_verb_forms_share_one_tag():
    assert tag_for_words(["runs"]).key == tag_for_words(["running"]).key == "run"
    assert tag_for_words(["runs"]).text == "#running"


def test_compounds_become_camel_case():
    got = texts(extract_keywords("A boy kicks a soccer ball on the grass"))
    assert "#SoccerBall" in got and "#ball" not in got


def test_rank_dedupes_case_and_plural_and_limits():
    gen = [Tag("dog", "#dog"), Tag("grass", "#grass"), Tag("ball", "#ball")]
    rel = {"dog": 0.9, "grass": 0.5, "ball": 0.4}
    out = rank(Candidates(extract_keywords("Dogs play with a ball on grass"), gen, rel), HashtagOptions(count=3))
    assert len(out) == 3
    assert len({t.lower() for t in out}) == 3
    assert out[0] == "#dog"


def test_rank_drops_banned_and_platform_tags_unless_allowed():
    gen = [Tag("instagood", "#instagood"), Tag("nude", "#nude"), Tag("dog", "#dog")]
    assert rank(Candidates([], gen), HashtagOptions(count=5)) == ["#dog"]
    assert "#instagood" in rank(Candidates([], gen), HashtagOptions(count=5, allow_platform=True))
    assert "#nude" not in rank(Candidates([], gen), HashtagOptions(count=5, allow_platform=True))


def test_relevance_orders_tags():
    gen = [Tag("beach", "#beach"), Tag("dog", "#dog")]
    assert rank(Candidates([], gen, {"dog": 0.9, "beach": 0.2}), HashtagOptions(count=2)) == ["#dog", "#beach"]


def test_tags_have_no_spaces():
    for t in extract_keywords("A little girl in a pink dress climbs the wooden stairs of a play house"):
        assert t.text.startswith("#") and " " not in t.text


def test_caption_adjective_noun_pairs_become_compounds():
    from captag_desktop.core.hashtags import caption_tags

    texts = [t.text for t in caption_tags("A black dog is running through the tall grass")]
    assert "#BlackDog" in texts and "#TallGrass" in texts and "#running" in texts


def test_compound_needs_every_word_and_tail_prefers_specific_tags():
    from captag_desktop.core.hashtags import tag_chance

    words = {"dog": 0.9, "brown": 0.1, "black": 0.8}
    assert tag_chance("brown dog", words, {}) < tag_chance("dog", words, {}) < 1
    assert tag_chance("black dog", words, {}) > tag_chance("brown dog", words, {})
    assert tag_chance("jungle gym", words, {"jungle gym": 0.4}) == 0.4  # words unknown to the word model
    tags = [Tag(k, "#" + k.replace(" ", "")) for k in ("man", "person", "frisbee", "dog")]
    words = {"dog": 0.9, "man": 0.5, "person": 0.45, "frisbee": 0.44}
    out = rank(Candidates([], tags, words=words), HashtagOptions(count=4, head=1))
    assert out[0] == "#dog"  # the likeliest leads
    assert out.index("#frisbee") < out.index("#man")  # then the specific tag before the generic ones


def test_plural_only_nouns_and_mistagged_words_keep_their_own_form():
    assert tag_for_words(["pants"]).text == "#pants"
    assert tag_for_words(["pink", "pants"]).text == "#PinkPants"
    assert tag_for_words(["blue", "jeans"]).key == "blue jean"  # the key the models use is unchanged
    assert tag_for_words(["blue", "jeans"]).text == "#BlueJeans"
    assert tag_for_words(["dogs"]).text == "#dog"  # the usual rule still holds
    # spaCy lemmatises "sled" as the verb "sle": both show the word
    assert tag_for_words(["red", "sled"]).key == "red sle"
    assert tag_for_words(["red", "sled"]).text == "#RedSled"
    assert tag_for_words(["clothes"]).text == "#clothes"
    assert tag_for_words(["sled"]).text == "#sled"
    assert tag_for_words(["dog"]).text == "#dog"


def test_bundled_tag_vocabulary_shows_the_same_forms():
    """The GRU's vocabulary was written by tag_for_words, so it carries the overrides too."""
    from captag_desktop.core.models import ModelStore

    tags = ModelStore().read_json("hashtag-tags")
    shown = dict(zip(tags["tags"], tags["display"]))
    assert shown["pant"] == "#pants" and shown["pink pant"] == "#PinkPants" and shown["red sle"] == "#RedSled"
    assert "#pant" not in tags["display"]
