"""Caption tokenisation: English and Arabic normalisation, and the vocabulary's display spellings."""
from captag_desktop.core.text import Vocab, detokenize, tokenize


def test_english_tokens_are_lowercase_words():
    assert tokenize("A dog, 2 cats & The BALL.") == ["a", "dog", "cats", "the", "ball"]


def test_arabic_strips_diacritics_and_tatweel():
    # "كَلْبٌ" with harakat and "كلــب" with tatweel are both the word كلب
    assert tokenize("كَلْبٌ", "ar") == ["كلب"]
    assert tokenize("كلــب", "ar") == ["كلب"]


def test_arabic_folds_alef_yeh_and_ta_marbuta():
    assert tokenize("أبيض إلى آخر على فتاة", "ar") == ["ابيض", "الي", "اخر", "علي", "فتاه"]


def test_arabic_drops_latin_digits_and_punctuation():
    assert tokenize("كلب، 3 dogs؟", "ar") == ["كلب"]


def test_vocab_shows_the_most_common_spelling():
    captions = ["فتاة صغيرة", "فتاة تركض", "فتاه تقفز"]
    vocab = Vocab.build(captions, min_count=1, lang="ar")
    ids = vocab.encode("فتاة")
    assert vocab.decode(ids) == ["فتاه"]  # scored in normalised form
    assert vocab.text(vocab.decode(ids)) == "فتاة"  # shown as people write it


def test_vocab_round_trips_through_json(tmp_path):
    vocab = Vocab.build(["فتاة صغيرة"], min_count=1, lang="ar")
    vocab.save(tmp_path / "v.json")
    again = Vocab.load(tmp_path / "v.json")
    assert again.lang == "ar" and again.itos == vocab.itos and again.display == vocab.display


def test_english_vocab_keeps_the_plain_list_format(tmp_path):
    vocab = Vocab.build(["a dog runs", "a dog"], min_count=1)
    assert isinstance(vocab.to_json(), list)
    assert Vocab.from_json(vocab.to_json()).lang == "en"


def test_detokenize_capitalises_english_only():
    assert detokenize(["a", "dog"]) == "A dog"
    assert detokenize(["كلب", "اسود"], "ar") == "كلب اسود"
