"""What gets published is what the creator left on screen (core, no Qt)."""
from captag_desktop.core.edits import LanguageEdits, published, tags_for
from captag_desktop.core.pipeline import PhotoResult

RESULT = PhotoResult(image="a.jpg", captions={"en": "a dog", "ar": "كلب"},
                     hashtags={"en": ["#dog", "#grass", "#run", "#ball"], "ar": ["#كلب"]})


def test_published_applies_caption_renames_unticks_and_the_count():
    edits = {"en": LanguageEdits("my dog", ["#dog", "#grass", "#run", "#ball"], ["#puppy", "#grass", "#run", "#ball"],
                                 {1})}
    out = published(RESULT, edits, 3)
    assert out.captions == {"en": "my dog", "ar": "كلب"}
    assert out.hashtags == {"en": ["#puppy", "#run"], "ar": ["#كلب"]}
    assert RESULT.captions["en"] == "a dog", "the model's result is left as it was"


def test_tag_edits_made_on_other_tags_are_dropped_but_the_caption_stays():
    edits = {"en": LanguageEdits("my dog", ["#cat"], ["#kitten"], {0})}
    assert tags_for(RESULT, "en", edits["en"]) == (RESULT.hashtags["en"], set())
    assert published(RESULT, edits, 10).captions["en"] == "my dog"


def test_failed_results_pass_through():
    failed = PhotoResult(image="b.jpg", error="unreadable")
    assert published(failed, {}, 5) is failed
