"""Caption styles, platform presets and the entity guard."""
import pytest

from captag_desktop.core.styles import PLATFORMS, alt_text, compose, new_nouns, social

CAPTIONS = ["A black dog is running through the grass", "A man in a red shirt is standing on a rock",
            "Two girls are playing in the water", "A skateboarder does a trick on a ramp"]


def test_alt_text_is_literal_and_clean():
    assert alt_text("A man is riding a bike") == "Photo of a man riding a bike."
    for c in CAPTIONS:
        out = alt_text(c)
        assert "#" not in out and out.endswith(".") and all(ord(ch) < 0x2000 for ch in out)


@pytest.mark.parametrize("caption", CAPTIONS)
def test_social_never_adds_a_noun(caption):
    for variant in range(6):
        out = social(caption, variant=variant)
        assert not new_nouns(out, caption, []), out
        assert caption.split()[1].lower() in out.lower()


def test_guard_catches_invented_entities():
    assert new_nouns("A happy dog and a cat on the beach", "A dog is running on the beach", ["#dog"]) == {"cat"}
    assert new_nouns("A dog at the beach", "A dog is running", ["#beach"]) == set()


def test_platforms_place_and_limit_hashtags():
    tags = [f"#tag{i}" for i in range(40)]
    ig = compose(CAPTIONS[0], tags, "plain", "instagram")
    assert ig.split("\n\n")[1].count("#") == 30
    assert compose(CAPTIONS[0], tags, "plain", "whatsapp") == CAPTIONS[0]
    fb = compose(CAPTIONS[0], tags, "plain", "facebook")
    assert "\n" not in fb and fb.count("#") == 3
    long = compose(CAPTIONS[0], ["#" + "x" * 400] * 3, "plain", "whatsapp")
    assert len(long) <= PLATFORMS["whatsapp"].max_chars
