"""The word-neighbours graph and its use by the English caption decoder (shallow fusion)."""
import json
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from captag_desktop.core.captioner import FEATURES, CaptionDecoder
from captag_desktop.core.hashtag_model import word_descriptor
from captag_desktop.core.models import DEFAULT_MODELS_DIR as MODELS_DIR, ModelStore
from captag_desktop.core.pipeline import Pipeline
from training import build_word_neighbours, extract_features
from training.build_word_neighbours import EPS


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("neighbours")
    extract_features.main(["--encoder", "efficientnet-lite0", "--out", str(root / "f"), "--limit", "8"])
    features = root / "f" / "efficientnet-lite0.npy"
    args = build_word_neighbours.parser().parse_args([
        "--features", str(features), "--out", str(root / "run"), "--limit", "8", "--k", "3", "--dims", "4",
        "--temperature", "0.001", "--threads", "1"])
    return root, features, build_word_neighbours.build(args)


def test_a_train_photo_is_its_own_nearest_neighbour(tiny):
    """With a sharp softmax, a train photo's evidence is its own captions' word shares: the whole chain
    (standardise, project, normalise, top-k, gather the counts) has to line up for that."""
    root, features, summary = tiny
    from training.extract_features import load_features
    from training.flickr8k import DEFAULT_ROOT, read_captions, read_split

    feats, rows = load_features(features)
    train = read_split(DEFAULT_ROOT, "train")[:8]
    vocab = json.loads((MODELS_DIR / "hashtag_words.json").read_text())
    counts = build_word_neighbours.caption_counts(train, read_captions(DEFAULT_ROOT, "en"), vocab)
    assert counts.sum() > 0 and summary["train_photos"] == 8
    session = ort.InferenceSession(str(root / "run" / build_word_neighbours.FILE))
    for i in (0, 5):
        evidence, lift = session.run(None, {"descriptor": word_descriptor(np.asarray(feats[[rows[train[i]]]]))})
        np.testing.assert_allclose(evidence[0], counts[i] / 5, atol=1e-3)
        prior = counts.mean(0) / 5
        np.testing.assert_allclose(lift[0], np.log(evidence[0] + EPS) - np.log(prior + EPS), atol=1e-3)


def test_arabic_votes_with_the_arabic_decoders_own_words_over_its_3_captions(tiny, tmp_path):
    root, features, _ = tiny
    from training.extract_features import load_features
    from training.flickr8k import DEFAULT_ROOT, read_captions, read_split

    args = build_word_neighbours.parser().parse_args([
        "--features", str(features), "--out", str(tmp_path / "ar"), "--limit", "8", "--k", "3", "--dims", "4",
        "--temperature", "0.0001", "--threads", "1", "--lang", "ar", "--min-images", "1"])
    summary = build_word_neighbours.build(args)
    words = json.loads((tmp_path / "ar" / "word_neighbours_ar.json").read_text())
    decoder_words = set(json.loads((MODELS_DIR / "caption_ar_vocab.json").read_text())["words"])
    assert summary["words"] == len(words) > 10 and set(words) <= decoder_words
    feats, rows = load_features(features)
    train = read_split(DEFAULT_ROOT, "train")[:8]
    counts = build_word_neighbours.caption_counts(train, read_captions(DEFAULT_ROOT, "ar"), words, "ar")
    assert counts.max() <= 3
    session = ort.InferenceSession(str(tmp_path / "ar" / "word_neighbours_ar.onnx"))
    evidence, _ = session.run(None, {"descriptor": word_descriptor(np.asarray(feats[[rows[train[2]]]]))})
    np.testing.assert_allclose(evidence[0], counts[2] / 3, atol=1e-3)


def test_the_arabic_decoder_maps_its_tokens_to_the_graphs_words_one_to_one():
    decoder = CaptionDecoder(ModelStore(), "ar")
    assert decoder.evidence is not None and decoder.evidence_weight > 0
    words = ModelStore().read_json("word-neighbours-ar-vocab")
    mapped = {decoder.vocab.itos[t]: words[i] for t, i in zip(decoder.evidence.tokens, decoder.evidence.words)}
    assert len(mapped) == len(words) and all(k == v for k, v in mapped.items())


def test_the_bank_is_stored_small(tiny):
    root, _, _ = tiny
    kinds = {i.name: i.data_type for i in onnx.load(str(root / "run" / build_word_neighbours.FILE)).graph.initializer}
    assert kinds["bank"] == onnx.TensorProto.FLOAT16 and kinds["packed"] == onnx.TensorProto.UINT8


def test_the_english_decoder_adds_weighted_lift_to_the_words_it_maps():
    store = ModelStore()
    decoder = CaptionDecoder(store, "en")
    assert decoder.evidence is not None and decoder.own_options().evidence_weight == decoder.evidence_weight > 0
    rng = np.random.default_rng(0)
    encoding = {FEATURES: rng.normal(size=(1, 49, 1280)).astype(np.float32), "block11": rng.normal(
        size=(1, 196, 120)).astype(np.float32)}
    plain, fused = decoder.step_with_evidence(encoding, 0.0), decoder.step_with_evidence(encoding, 0.5)
    state = decoder.initial_state(encoding)
    tokens = np.array([decoder.vocab.bos_id])
    base, boosted = plain(tokens, 0, state)[0][0], fused(tokens, 0, state)[0][0]
    lift = decoder.evidence.lift(encoding[FEATURES], decoder.cross_attention(encoding)[0])
    np.testing.assert_allclose(boosted - base, 0.5 * lift, atol=1e-5)
    dog, the = decoder.vocab.stoi["dog"], decoder.vocab.stoi["the"]
    assert lift[dog] != 0 and lift[the] == 0, "content words get evidence; function words do not"
    assert lift[decoder.vocab.stoi["dogs"]] == lift[dog], "word forms share their lemma's evidence"


def test_the_creators_length_penalty_keeps_the_models_evidence_weight():
    pipe = Pipeline(model_length_penalty=False)
    decoder = pipe.decoder("en")
    assert pipe.decode_for(decoder).evidence_weight == decoder.evidence_weight


def _models_copy(tmp_path):
    """The bundled models by symlink, with a manifest of their own to edit."""
    models = tmp_path / "models"
    models.mkdir()
    for f in MODELS_DIR.iterdir():
        if f.is_file() and f.name != "manifest.json":
            (models / f.name).symlink_to(f)
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    return models, manifest, next(m for m in manifest["models"] if m["name"] == "word-neighbours")


@pytest.mark.parametrize("damage", ["other decoder", "retrained word list", "no weight", "missing graph",
                                    "missing word list", "retrained word model", "missing word model",
                                    "word model views changed"])
def test_evidence_that_cannot_serve_the_decoder_is_off_and_captions_still_work(tmp_path, damage):
    models, manifest, entry = _models_copy(tmp_path)
    init = next(m for m in manifest["models"] if m["name"] == "caption-en-init")
    if damage == "other decoder":
        entry["reads"] = {"model": "caption-en-init", "sha256": "0" * 64}
    elif damage == "retrained word list":
        entry["vocabulary_sha256"] = "0" * 64
    elif damage == "no weight":
        del init["decode"]["evidence_weight"]
    elif damage == "missing graph":
        (models / "word_neighbours.onnx").unlink()
    elif damage == "retrained word model":
        entry["word_models"]["hashtag-words-memory"] = "0" * 64
    elif damage == "missing word model":
        (models / "hashtag_words.onnx").unlink()
    elif damage == "word model views changed":  # built before the decoder view served this decoder
        del entry["word_models"]["hashtag-words-memory"]
    else:
        (models / "hashtag_words.json").unlink()
    (models / "manifest.json").write_text(json.dumps(manifest))
    decoder = CaptionDecoder(ModelStore(models), "en")
    assert decoder.own_options().evidence_weight == 0
    if damage != "no weight":
        assert decoder.evidence is None
    encoding = {FEATURES: np.zeros((1, 49, 1280), np.float32), "block11": np.zeros((1, 196, 120), np.float32)}
    assert decoder.caption(encoding, decoder.own_options()), "the decoder alone still writes a caption"


def test_the_bundled_graph_serves_the_bundled_decoder():
    models_entry = ModelStore().entry("word-neighbours").raw
    assert models_entry["vocabulary_sha256"] == ModelStore().entry("hashtag-words-vocab").sha256
    assert CaptionDecoder(ModelStore(), "en").evidence is not None


def test_a_word_model_graph_adds_the_word_models_lift_over_its_train_average(tiny, tmp_path):
    """Fed the word model's own train average, the graph gives the plain neighbour lift; fed anything else,
    the difference is that probability's log ratio to the average. The average is the word model's, read
    as the app reads it (encoder view and the English decoder's view, averaged)."""
    root, features, plain = tiny
    from captag_desktop.core.hashtag_model import WordRelevance
    from training.extract_features import load_features
    from training.flickr8k import DEFAULT_ROOT, read_split

    args = build_word_neighbours.parser().parse_args([
        "--features", str(features), "--out", str(tmp_path / "wm"), "--limit", "8", "--k", "3", "--dims", "4",
        "--temperature", "0.001", "--threads", "1", "--word-model"])
    summary = build_word_neighbours.build(args)
    assert summary["word_models"] == {n: ModelStore().entry(n).sha256 for n in ("hashtag-words", "hashtag-words-memory")}
    graph = tmp_path / "wm" / build_word_neighbours.FILE
    prior = next(onnx.numpy_helper.to_array(t) for t in onnx.load(str(graph)).graph.initializer
                 if t.name == "word_prior")
    train = read_split(DEFAULT_ROOT, "train")[:8]
    feats, rows = load_features(features)
    memory, memory_rows = load_features(features.parent / "memory_caption-en-init.npy")
    relevance = WordRelevance(ModelStore())
    expected = relevance.descriptor_probs(word_descriptor(np.asarray(feats[[rows[n] for n in train]])),
                                          word_descriptor(np.asarray(memory[[memory_rows[n] for n in train]])))
    np.testing.assert_allclose(prior, expected.mean(0), atol=1e-5)
    descriptor = word_descriptor(np.asarray(feats[[rows[train[3]]]]))
    knn = ort.InferenceSession(str(root / "run" / build_word_neighbours.FILE)).run(["lift"], {"descriptor": descriptor})[0]
    session = ort.InferenceSession(str(graph))
    at_prior = session.run(["lift"], {"descriptor": descriptor, "word_probs": prior[None]})[0]
    np.testing.assert_allclose(at_prior, knn, atol=1e-4)
    probs = np.random.default_rng(0).uniform(size=prior[None].shape).astype(np.float32)
    lift = session.run(["lift"], {"descriptor": descriptor, "word_probs": probs})[0]
    eps = build_word_neighbours.WORD_EPS
    np.testing.assert_allclose(lift - knn, np.log(probs + eps) - np.log(prior + eps), atol=1e-4)


def test_the_bundled_graph_reads_the_bundled_word_models():
    store = ModelStore()
    entry = store.entry("word-neighbours").raw
    assert entry["word_models"] == {n: store.entry(n).sha256 for n in ("hashtag-words", "hashtag-words-memory")}
    assert CaptionDecoder(store, "en").evidence.relevance is not None


def test_the_arabic_word_model_trains_on_the_graphs_words_and_the_arabic_graph_reads_it(tiny, tmp_path):
    """The Arabic caption word model's columns are the Arabic graph's words; a graph built with it records
    it, and the Arabic decoder reads it (no decoder view: that one is the English decoder's)."""
    root, features, _ = tiny
    from training import train_caption_words

    models, manifest, _ = _models_copy(tmp_path)
    (models / "manifest.json").write_text(json.dumps(manifest))
    graph = ["--features", str(features), "--out", str(tmp_path / "graph"), "--limit", "8", "--k", "3", "--dims", "4",
             "--threads", "1", "--lang", "ar", "--min-images", "1", "--install", "--models-dir", str(models)]
    build_word_neighbours.main(graph)  # the word list, then the model on it, then the graph reading the model
    summary = train_caption_words.train(train_caption_words.parser().parse_args([
        "--features", str(features), "--limit", "8", "--threads", "1", "--epochs", "2", "--models-dir", str(models),
        "--out", str(tmp_path / "words"), "--install"]))
    words = json.loads((models / "word_neighbours_ar.json").read_text())
    session = ort.InferenceSession(str(models / "caption_words_ar.onnx"))
    assert summary["words"] == len(words) == session.get_outputs()[0].shape[-1]
    build_word_neighbours.main(graph + ["--word-model"])
    store = ModelStore(models)
    assert list(store.entry("word-neighbours-ar").raw["word_models"]) == ["caption-words-ar"]
    decoder = CaptionDecoder(store, "ar")
    assert decoder.evidence is not None and decoder.evidence.relevance.memory_session is None
    encoding = {FEATURES: np.random.default_rng(1).normal(size=(1, 49, 1280)).astype(np.float32)}
    assert decoder.caption(encoding, decoder.own_options())


def test_each_decoder_blocks_its_own_repeated_ngrams_and_the_creators_length_penalty_keeps_it():
    """Arabic blocks repeated bigrams ("في الهواء في الهواء"); English keeps trigrams ("in a" recurs)."""
    pipe = Pipeline(model_length_penalty=False)
    assert pipe.decode_for(pipe.decoder("ar")).block_repeat_ngram == 2
    assert pipe.decode_for(pipe.decoder("en")).block_repeat_ngram == 3


def test_a_caption_token_never_follows_itself():
    """The Arabic decoder, leaning on a strong word's evidence, wrote "حصان حصان حصان" (horse horse horse)."""
    from captag_desktop.core.beam_search import ruled_out

    assert ruled_out({}, [5, 7], no_stutter=True) == {7} and ruled_out({}, [5, 7]) == set()
