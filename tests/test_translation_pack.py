"""A translation pack end to end: a tiny random mBART and a tiny SentencePiece model are
exported, installed and run through the app's code path, which must reproduce the torch
model's greedy output token for token."""
import json
import shutil

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")

from captag_desktop.core.model_install import install_pack  # noqa: E402
from captag_desktop.core.models import ModelError, ModelStore  # noqa: E402
from captag_desktop.core.translate.engine import choose_translator  # noqa: E402
from captag_desktop.core.translate.pack import TranslationPack  # noqa: E402

SENTENCES = ["a dog runs on the grass", "a man rides a bike down the road", "two girls play in the water",
             "कुत्ता घास पर दौड़ रहा है", "একটি কুকুর ঘাসে দৌড়াচ্ছে", "நாய் ஓடுகிறது", "కుక్క పరిగెడుతోంది"]


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory):
    from training.export_translation import export_pack

    root = tmp_path_factory.mktemp("pack")
    (root / "corpus.txt").write_text("\n".join(SENTENCES * 10), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(root / "corpus.txt"), model_prefix=str(root / "sp"), vocab_size=80,
                                   model_type="bpe", character_coverage=1.0, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(root / "sp.model"))
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [(sp.id_to_piece(i), sp.get_score(i)) for i in range(3, sp.get_piece_size())]
    tok = transformers.MBart50Tokenizer(vocab=pieces, src_lang="en_XX", tgt_lang="hi_IN")
    torch.manual_seed(0)
    config = transformers.MBartConfig(
        vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=64,
        pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2, scale_embedding=True)
    model = transformers.MBartForConditionalGeneration(config)
    _learn_to_copy(model, tok)
    ckpt = root / "ckpt"
    model.save_pretrained(ckpt)
    tok.save_pretrained(ckpt)
    export_pack(ckpt, root / "out", name="tiny-mbart")
    return root


def _learn_to_copy(model, tok, steps=80):
    """A few steps of a copy task, so that greedy output is a real sequence rather than one repeated token."""
    lang = tok.convert_tokens_to_ids("hi_IN")
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    labels = [[lang] + tok(s, add_special_tokens=False).input_ids + [2] for s in SENTENCES]
    width = max(map(len, labels))
    labels = torch.tensor([row + [-100] * (width - len(row)) for row in labels])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(**batch, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def _models_dir(tmp_path):
    d = tmp_path / "models"
    d.mkdir()
    (d / "manifest.json").write_text(json.dumps({"version": 1, "models": []}))
    return d


def test_pack_matches_torch_greedy(pack_dir, tmp_path):
    models = _models_dir(tmp_path)
    install_pack(pack_dir / "out", models)
    pack = TranslationPack(ModelStore(models), max_len=16)
    texts = ["a dog runs on the grass", "two girls play"]
    got = pack.greedy_ids(texts, "hi")
    tok = transformers.AutoTokenizer.from_pretrained(pack_dir / "ckpt")
    model = transformers.AutoModelForSeq2SeqLM.from_pretrained(pack_dir / "ckpt").eval()
    lang = tok.convert_tokens_to_ids("hi_IN")
    for text, ours in zip(texts, got):
        ids = pack.encode_batch([text])[0]
        with torch.no_grad():
            out = model.generate(torch.from_numpy(ids), attention_mask=torch.ones_like(torch.from_numpy(ids)),
                                 forced_bos_token_id=lang, decoder_start_token_id=2, max_length=16, num_beams=1,
                                 do_sample=False, min_length=0, forced_eos_token_id=None, no_repeat_ngram_size=0, repetition_penalty=1.0)
        ref = [t for t in out[0].tolist()[2:] if t not in (1, 2)]
        assert ours == ref and len(set(ours)) > 1, (ours, out[0].tolist())
    assert pack.greedy_ids(texts, "hi") == got  # deterministic


def test_installed_pack_becomes_the_translator(pack_dir, tmp_path):
    models = _models_dir(tmp_path)
    install_pack(pack_dir / "out", models)
    translator = choose_translator(ModelStore(models))
    assert "model pack" in translator.name
    out = translator.caption("a dog runs on the grass", "ta")
    assert isinstance(out.text, str)
    assert all(t.startswith("#") and " " not in t for t in translator.hashtags(["#dog", "#GreenGrass"], "bn"))


def test_install_rejects_a_damaged_pack(pack_dir, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(pack_dir / "out", bad)
    with open(bad / "decoder_step.onnx", "ab") as f:
        f.write(b"x")
    models = _models_dir(tmp_path)
    with pytest.raises(ModelError, match="decoder_step.onnx"):
        install_pack(bad, models)
    assert json.loads((models / "manifest.json").read_text())["models"] == []  # nothing half-installed


def test_cli_models_install(pack_dir, tmp_path):
    import os
    import subprocess
    import sys

    models = _models_dir(tmp_path)
    env = dict(os.environ, CAPTAG_MODELS_DIR=str(models))
    run = lambda *a: subprocess.run([sys.executable, "-m", "captag_desktop", "models", *a],  # noqa: E731
                                    capture_output=True, text=True, env=env, timeout=120)
    out = run("install", str(pack_dir / "out"))
    assert out.returncode == 0, out.stderr
    assert "installed translation pack" in out.stdout
    listed = run("--json")
    names = {json.loads(line)["name"] for line in listed.stdout.splitlines()}
    assert {"translation-pack", "translation-encoder", "translation-decoder-step"} <= names
    missing = run("install", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "pack.json is missing" in missing.stderr and "Traceback" not in missing.stderr
