
from captag_desktop.core.hashtags import HashtagOptions, Tag, extract_keywords, rank, tag_for_words


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
    out = rank(extract_keywords("Dogs play with a ball on grass"), gen, rel, HashtagOptions(count=3))
    assert len(out) == 3
    assert len({t.lower() for t in out}) == 3
    assert out[0] == "#dog"


def test_rank_drops_banned_and_platform_tags_unless_allowed():
    gen = [Tag("instagood", "#instagood"), Tag("nude", "#nude"), Tag("dog", "#dog")]
    assert rank([], gen, {}, HashtagOptions(count=5)) == ["#dog"]
    assert "#instagood" in rank([], gen, {}, HashtagOptions(count=5, allow_platform=True))
    assert "#nude" not in rank([], gen, {}, HashtagOptions(count=5, allow_platform=True))


def test_relevance_orders_tags():
    gen = [Tag("beach", "#beach"), Tag("dog", "#dog")]
    assert rank([], gen, {"dog": 0.9, "beach": 0.2}, HashtagOptions(count=2)) == ["#dog", "#beach"]


def test_tags_have_no_spaces():
    for t in extract_keywords("A little girl in a pink dress climbs the wooden stairs of a play house"):
        assert t.text.startswith("#") and " " not in t.text
