"""Hashtag GRU training on tiny data, ONNX export, parity and sampling controls."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from captag_desktop.core.hashtag_model import HashtagModel, image_embedding  # noqa: E402
from captag_desktop.core.models import ModelStore  # noqa: E402
from training import export_hashtags, extract_features, train_hashtags  # noqa: E402
from training.flickr8k import DEFAULT_ROOT  # noqa: E402

pytestmark = pytest.mark.skipif(not DEFAULT_ROOT.exists(), reason="needs ../shared/datasets")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("hashtags")
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(root / "f"), "--limit", "8"])
    run = root / "run"
    train_hashtags.train(train_hashtags.parser().parse_args([
        "--features", str(root / "f" / "efficientnet-lite0.npy"), "--out", str(run), "--epochs", "3",
        "--min-images", "1", "--hidden", "32", "--batch", "4"]))
    models = root / "models"
    models.mkdir()
    export_hashtags.export_all(run, models)
    return run, models


def test_targets_are_shared_caption_keywords():
    caps = ["A dog runs on the beach", "Two dogs running on sand", "A dog at the beach", "A brown dog", "Waves"]
    keys, _ = train_hashtags.image_targets(caps)
    assert keys[0] == "dog" and "beach" in keys and "run" in keys and "wave" not in keys


def test_onnx_step_matches_torch(exported):
    run, models = exported
    model = export_hashtags.load(run)
    store = ModelStore(models)
    feats = np.random.default_rng(0).normal(size=(1, 49, model.config.feat_dim)).astype(np.float32)
    pooled = image_embedding(feats)
    h, img, rel = store.session("hashtag-init").run(None, {"pooled": pooled})
    logits, _ = store.session("hashtag-step").run(None, {"token": np.array([0]), "h": h, "img": img})
    with torch.no_grad():
        th, timg, trel = model.init_state(torch.from_numpy(pooled))
        tl, _ = model.step(torch.tensor([0]), th, timg)
    np.testing.assert_allclose(logits, tl.numpy(), atol=1e-4)
    np.testing.assert_allclose(rel, trel.numpy(), atol=1e-5)


def test_generation_is_unique_seeded_and_bounded(exported):
    _, models = exported
    gen = HashtagModel(ModelStore(models))
    feats = np.random.default_rng(1).normal(size=(1, 49, 1280)).astype(np.float32)
    relevance, state = gen.relevance(feats)
    assert set(relevance) == {t.key for t in gen.tags} and all(0 <= p <= 1 for p in relevance.values())
    greedy = gen.generate(state, count=5)
    assert len(greedy) <= 5 and len({t.key for t in greedy}) == len(greedy)
    assert greedy == gen.generate(state, count=5), "greedy is deterministic"
    a = gen.generate(state, count=5, temperature=1.0, seed=3)
    assert a == gen.generate(state, count=5, temperature=1.0, seed=3), "same seed, same ideas"


def test_word_relevance_trains_exports_and_reads_in_the_app(exported, tmp_path):
    from captag_desktop.core.hashtag_model import WordRelevance, word_descriptor
    from training import train_hashtag_words

    run, models = exported
    features = run.parent / "f" / "efficientnet-lite0.npy"
    out = tmp_path / "words"
    summary = train_hashtag_words.train(train_hashtag_words.parser().parse_args([
        "--features", str(features), "--out", str(out), "--epochs", "2", "--min-images", "1", "--hidden", "16",
        "--limit", "8"]))
    assert summary["words"] > 3 and 0 <= summary["best_dev_word_precision_at_5"] <= 1
    train_hashtag_words.install(out, models)
    model = WordRelevance(ModelStore(models))
    feats = np.random.default_rng(2).normal(size=(1, 49, 1280)).astype(np.float32)
    probs = model(feats)
    assert list(probs) == model.words and all(0 <= p <= 1 for p in probs.values())
    assert word_descriptor(feats).shape == (1, 2560)
    assert HashtagModel(ModelStore(models)).word_probs(feats) == probs


def test_word_relevance_learns_from_mirrored_photos_too(exported, tmp_path):
    from training import train_hashtag_words

    run, _ = exported
    feats = run.parent / "f"
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(feats), "--limit", "8", "--flip"])
    common = ["--features", str(feats / "efficientnet-lite0.npy"), "--epochs", "1", "--min-images", "1",
              "--hidden", "16", "--limit", "8"]
    plain = train_hashtag_words.train(train_hashtag_words.parser().parse_args(common + ["--out", str(tmp_path / "a")]))
    both = train_hashtag_words.train(train_hashtag_words.parser().parse_args(
        common + ["--out", str(tmp_path / "b"), "--flip-features", str(feats / "efficientnet-lite0_flip.npy")]))
    assert plain["train_examples"] == 8 and both["train_examples"] == 16


def test_decoder_memory_view_trains_installs_and_counts_only_for_its_decoder(exported, tmp_path):
    """The second word model reads the bundled English decoder's cross-attention keys; the app averages it
    in only when the store's decoder is the one it was trained on."""
    import shutil

    from captag_desktop.core.hashtag_model import WordRelevance, memory_regions, word_descriptor
    from captag_desktop.core.models import register_entries
    from training import decoder_memory, train_hashtag_words
    from training.manifest_tool import MODELS_DIR

    run, models = exported
    bundled = ModelStore(MODELS_DIR)
    feats_dir = tmp_path / "f"
    common = ["--features", str(feats_dir / "x.npy"), "--epochs", "1", "--min-images", "1", "--hidden", "16",
              "--limit", "4"]
    image = train_hashtag_words.train(train_hashtag_words.parser().parse_args(
        common[:1] + [str(run.parent / "f" / "efficientnet-lite0.npy")] + common[2:] + ["--out", str(tmp_path / "a")]))
    memory = train_hashtag_words.train(train_hashtag_words.parser().parse_args(
        common + ["--memory", "--out", str(tmp_path / "m")]))
    assert memory["reads"] == {"model": "caption-en-init", "sha256": bundled.entry("caption-en-init").sha256}
    assert memory["words"] == image["words"]
    cached, _ = decoder_memory.cache(MODELS_DIR, feats_dir, limit=4)
    assert np.load(cached).shape[1:] == (50, 768), "49 regions + the summary slot; 3 layers x 4 heads x 64"

    # the tiny image run read lite0 features; put the bundled decoder beside it so the memory view can count
    shutil.copyfile(MODELS_DIR / "caption_en_init.onnx", models / "caption_en_init.onnx")
    register_entries([bundled.entry("caption-en-init").raw], models)
    train_hashtag_words.install(tmp_path / "a", models, tmp_path / "m")
    both = WordRelevance(ModelStore(models))
    assert both.memory_of == "caption-en-init"
    rng = np.random.default_rng(3)
    f = rng.normal(size=(1, 49, 1280)).astype(np.float32)
    keys = rng.normal(size=(3, 1, 4, 50, 64)).astype(np.float32)
    assert memory_regions(keys)[0, 7, 64 * 4 + 5] == keys[1, 0, 0, 7, 5], "layer-major, then head, then channel"
    alone, averaged = both(f), both(f, keys)
    (own,) = both.memory_session.run(None, {"descriptor": word_descriptor(memory_regions(keys))})
    np.testing.assert_allclose([averaged[w] for w in both.words], (np.array([alone[w] for w in both.words]) + own[0]) / 2,
                               rtol=1e-6)
    assert alone != averaged

    # a retrained captioner (another sha) makes the memory view stale: the app ignores it
    entry = dict(bundled.entry("caption-en-init").raw, sha256="0" * 64)
    register_entries([entry], models)
    stale = WordRelevance(ModelStore(models))
    assert stale.memory_of is None and stale(f, keys) == alone

    # reinstalling without a memory run drops the old memory view
    train_hashtag_words.install(tmp_path / "a", models)
    assert not ModelStore(models).has("hashtag-words-memory")
    assert not (models / train_hashtag_words.MEMORY_FILE).exists()


def test_word_targets_are_hits_or_the_share_of_captions_using_the_word():
    from training.train_hashtag_words import targets

    captions = {"p": ["A dog runs .", "Two dogs play .", "A dog on grass .", "A puppy .", "Grass ."]}
    vocab = ["dog", "grass", "puppy", "cat"]
    np.testing.assert_allclose(targets(["p"], captions, vocab)[0].numpy(), [1, 1, 0, 0])
    np.testing.assert_allclose(targets(["p"], captions, vocab, share=True)[0].numpy(), [0.6, 0.4, 0.2, 0])
