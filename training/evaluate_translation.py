"""Measure the offline translator and write the docs table of real outputs.

    python -m training.evaluate_translation [--limit-dev 1000] [--out docs/translations.md]

1. Tatoeba (en-hi, en-bn; off-domain conversational sentences, not captions): corpus chrF of
   our translation, and of a constant in-language sentence as the floor.
2. In-domain: the bundled captioner's English captions on dev photos (app code path); the
   share translated with no word left out, per language.
3. The table: the first 20 dev photos' captions in every language.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from captag_desktop.core.translate import CAPTION_LANGS, translate_caption, translate_hashtags
from training.flickr8k import DEFAULT_ROOT, image_path, read_split
from training.metrics import chrf

TATOEBA = DEFAULT_ROOT.parent / "tatoeba"
PAIRS = {"hi": "hin-eng.txt", "bn": "ben-eng.txt"}
FLOOR_SENTENCE = "A dog is running on the grass"  # translated by us: a fluent but unrelated sentence
NAMES = {"hi": "Hindi", "ta": "Tamil", "te": "Telugu", "bn": "Bengali", "ar": "Arabic"}


def tatoeba(lang: str) -> dict:
    pairs = [ln.split("\t")[:2] for ln in (TATOEBA / PAIRS[lang]).read_text(encoding="utf-8").splitlines() if "\t" in ln]
    outs = [translate_caption(en, lang) for en, _ in pairs]
    refs = [ref for _, ref in pairs]
    floor = translate_caption(FLOOR_SENTENCE, lang).text
    return {"pairs": len(pairs), "chrF": round(chrf([o.text for o in outs], refs), 1),
            "chrF_constant_sentence": round(chrf([floor] * len(refs), refs), 1),
            "complete_share": round(sum(not o.missing for o in outs) / len(outs), 3)}


def dev_captions(limit: int) -> dict[str, str]:
    from captag_desktop.core.images import load_image
    from captag_desktop.core.pipeline import Pipeline

    pipe = Pipeline()
    enc, dec = pipe.encoder(), pipe.decoder("en")
    return {n: dec.caption(enc(load_image(image_path(DEFAULT_ROOT, n)).rgb), pipe.decode_for(dec))
            for n in read_split(DEFAULT_ROOT, "dev")[:limit]}


def in_domain(captions: dict[str, str]) -> dict:
    report = {}
    for lang in CAPTION_LANGS:
        outs = [translate_caption(c, lang) for c in captions.values()]
        latin = sum(bool(re.search(r"[A-Za-z]", o.text)) for o in outs)
        missing = sorted({w for o in outs for w in o.missing})
        report[lang] = {"captions": len(outs), "complete_share": round(sum(not o.missing for o in outs) / len(outs), 3),
                        "latin_letters": latin, "words_left_out": missing}
    return report


def table(captions: dict[str, str], n: int = 20) -> str:
    lines = ["| photo | English (captioner) | " + " | ".join(NAMES[lang] for lang in CAPTION_LANGS) + " |",
             "|---" * (2 + len(CAPTION_LANGS)) + "|"]
    for name, en in list(captions.items())[:n]:
        cells = [translate_caption(en, lang).text for lang in CAPTION_LANGS]
        lines.append(f"| {name} | {en} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tag_table() -> str:
    tags = ["#dog", "#BlackDog", "#run", "#grass", "#beach", "#SoccerBall", "#swim", "#snow", "#bike", "#girl"]
    lines = ["| English | " + " | ".join(NAMES[lang] for lang in ("ar",) + CAPTION_LANGS) + " |",
             "|---" * (2 + len(CAPTION_LANGS)) + "|"]
    out = {lang: translate_hashtags(tags, lang) for lang in ("ar",) + CAPTION_LANGS}
    for i, t in enumerate(tags):
        lines.append(f"| {t} | " + " | ".join(out[lang].tags[i] if i < len(out[lang].tags) else "" for lang in out) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit-dev", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("docs/translations.md"))
    ap.add_argument("--json", type=Path, default=Path("docs/translation_eval.json"))
    args = ap.parse_args(argv)
    captions = dev_captions(args.limit_dev)
    report = {"tatoeba": {lang: tatoeba(lang) for lang in PAIRS}, "dev_captions": in_domain(captions)}
    args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    t = report["tatoeba"]
    doc = [
        "# Offline translations: real outputs",
        "",
        "Produced by `python -m training.evaluate_translation` (this file and `docs/translation_eval.json`).",
        "English captions are the bundled captioner's, on the first 20 dev-split photos (not cherry-picked);",
        "the other columns are the offline translator's output for that caption.",
        "",
        table(captions),
        "",
        "## Hashtags",
        "",
        tag_table(),
        "",
        "## Numbers",
        "",
        "| | Hindi | Bengali | Tamil | Telugu |",
        "|---|---|---|---|---|",
        "| dev captions translated with no word left out | " + " | ".join(
            f"{report['dev_captions'][lang]['complete_share']:.1%}" for lang in ("hi", "bn", "ta", "te")) + " |",
        "| dev captions containing Latin letters | " + " | ".join(
            str(report["dev_captions"][lang]["latin_letters"]) for lang in ("hi", "bn", "ta", "te")) + " |",
        f"| Tatoeba chrF (off-domain, {t['hi']['pairs']} / {t['bn']['pairs']} pairs) | {t['hi']['chrF']} | {t['bn']['chrF']} | n/a | n/a |",
        f"| Tatoeba chrF of one constant sentence (floor) | {t['hi']['chrF_constant_sentence']} | {t['bn']['chrF_constant_sentence']} | | |",
        "",
        "The dev captions are the app's own, decoded as the app decodes them (each caption model's beam size and",
        "length penalty). Before 2026-11-23 this script decoded with the default length penalty (0.6), not the",
        "captioner's own (1.5), and reported 100%: the captions the app writes use a few words and constructions",
        "the translator lacked (\"a rock overlooking the ocean\", \"a snow covered hill\", \"a white jersey\", \"to catch",
        "a ball\"): 98.4% were complete. The parser and lexicons have learnt those since; what is still",
        "left out is listed in `docs/translation_eval.json`.",
        "",
        "Tatoeba holds short conversational sentences (\"Wow!\", \"I love you.\"): almost none of their words are in",
        "the captioner's vocabulary, which is all this translator covers, so its chrF there says little about",
        "captions. No Tamil or Telugu reference data exists here.",
    ]
    args.out.write_text("\n".join(doc) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items()}, ensure_ascii=False)[:2000])


if __name__ == "__main__":
    main()
