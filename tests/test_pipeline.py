import pytest

from captag_desktop.core.pipeline import Cancelled, CancelToken, PhotoResult, Progress, drive


def job(log):
    for i in range(5):
        log.append(i)
        yield Progress("s", i / 5)
    return PhotoResult(image="x", captions={"en": "done"})


def test_drive_returns_result_and_reports_progress():
    ticks = []
    result = drive(job([]), on_progress=ticks.append)
    assert result.captions == {"en": "done"}
    assert [t.fraction for t in ticks] == [0, 0.2, 0.4, 0.6, 0.8]


def test_cancel_stops_at_next_tick():
    log, token = [], CancelToken()

    def cancel_after_two(tick):
        if tick.fraction >= 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        drive(job(log), token, cancel_after_two)
    assert log == [0, 1]


def test_error_result_json_has_only_image_and_error():
    assert PhotoResult(image="a.jpg", error="bad").to_json() == {"image": "a.jpg", "error": "bad"}


def test_hashtags_read_the_english_decoders_keys_only_with_the_decoder_they_were_trained_on(monkeypatch):
    """Captioning leaves the decoder's cross-attention keys in the encoding; the word model's second view
    reads them with the Quality decoder, and is left out with the Fast encoder's own decoder."""
    import numpy as np

    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    photo = np.random.default_rng(0).integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
    model = pipe.hashtag_model()
    assert model.memory_of == "caption-en-init"
    seen, word_probs = [], model.word_probs
    monkeypatch.setattr(model, "word_probs", lambda f, memory=None: seen.append(memory) or word_probs(f, memory))
    encoding = pipe.encoder()(photo)
    caption = pipe.decoder("en").caption(encoding)
    keys = encoding["caption-en-init:cross_k"]
    assert pipe.decoder("en").cross_attention(encoding)[0] is keys, "computed once per photo"
    pipe.hashtags(encoding, caption, 5)
    assert seen[-1] is keys
    assert pipe.decoder("en").caption(encoding) == caption, "the cached keys give the same caption"

    pipe.configure(encoder="fast")
    pipe.hashtags(pipe.encoder()(photo), caption, 5)
    assert seen[-1] is None


def test_more_ideas_fill_the_count_a_creator_asks_for_with_new_tags():
    """One sampled tag sequence ends after a handful of tags; "More ideas" samples until it has the count,
    and tops up with the most relevant other tags if the samples run dry."""
    import numpy as np

    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    photo = np.random.default_rng(1).integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
    encoding = pipe.encoder()(photo)
    caption = pipe.decoder("en").caption(encoding)
    usual = pipe.hashtags(dict(encoding), caption, 30)
    ideas = [pipe.hashtags(dict(encoding), caption, 30, seed=s) for s in (1, 2)]
    assert all(len(tags) == 30 for tags in ideas), [len(t) for t in ideas]
    assert all(len({t.lower() for t in tags}) == len(tags) for tags in ideas)
    assert ideas[0] != ideas[1] and set(ideas[0]) != set(usual)


def test_more_ideas_top_up_when_the_samples_run_dry(monkeypatch):
    import numpy as np

    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    photo = np.random.default_rng(2).integers(0, 255, size=(120, 160, 3), dtype=np.uint8)
    encoding = pipe.encoder()(photo)
    caption = pipe.decoder("en").caption(encoding)
    model = pipe.hashtag_model()
    few = model.generate(model.relevance(encoding["features"])[1], 3, temperature=1.0, seed=5)
    monkeypatch.setattr(type(model), "sample_ideas", lambda self, state, count, seed: few)
    tags = pipe.hashtags(dict(encoding), caption, 30, seed=1)
    assert len(tags) == 30 and len({t.lower() for t in tags}) == 30
    assert {t.text.lower() for t in few} <= {t.lower() for t in tags}, "the sampled ideas stay in"


def test_each_caption_model_decodes_with_its_own_beam_unless_the_creator_picks_one():
    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    en, ar = pipe.decoder("en"), pipe.decoder("ar")
    own = {lang: pipe.store.entry(f"caption-{lang}-init").raw["decode"] for lang in ("en", "ar")}
    assert own["en"]["beam_size"] != own["ar"]["beam_size"], "the bundled models were tuned to different beams"
    for dec, lang in ((en, "en"), (ar, "ar")):
        opts = pipe.decode_for(dec)
        assert (opts.beam_size, opts.length_penalty) == (own[lang]["beam_size"], own[lang]["length_penalty"])
    pipe.configure(beam_size=1)
    assert pipe.decode_for(en).beam_size == pipe.decode_for(ar).beam_size == 1
    pipe.configure(beam_size=0)  # the Settings menu's "Best for each model"
    assert pipe.decode_for(en).beam_size == own["en"]["beam_size"]
    fixed = Pipeline(store=pipe.store, model_length_penalty=False)  # `captag caption --length-penalty A`
    assert fixed.decode_for(en).beam_size == own["en"]["beam_size"], "a length penalty alone keeps the model's beam"


def test_more_ideas_without_the_hashtag_model_give_the_caption_keywords(monkeypatch):
    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    monkeypatch.setattr(pipe, "hashtag_model", lambda: None)  # an install without the generative model
    encoding = {"features": __import__("numpy").zeros((1, 49, 1280), "float32")}
    assert {"#dog", "#beach"} <= set(pipe.hashtags(encoding, "A dog runs on the beach", 30, seed=3))
