"""One command: train the hashtag GRU and the word-relevance model's two views (encoder features, and
the English caption decoder's cross-attention keys) -> ONNX -> dev evaluation (app path) -> manifest + card.

    python -m training.build_hashtags [train_hashtags options]

Needs the bundled captioner (the evaluation runs encoder -> caption -> tags) and the
cached encoder features from training.extract_features.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from training import evaluate_hashtags, export_hashtags, train_hashtag_words, train_hashtags
from training.manifest_tool import MODELS_DIR
from training.model_card import hashtag_card, write_card
from training.run_utils import command_line


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = train_hashtags.parser().parse_args(argv)
    run = Path(args.out)
    words_run = Path(train_hashtag_words.parser().parse_args([]).out)
    memory_run = words_run.with_name(words_run.name + "_memory")
    if "--skip-train" not in argv:
        train_hashtags.main(argv)
        common = ["--threads", str(args.threads), "--features", args.features, "--data", args.data]
        train_hashtag_words.main(common)
        train_hashtag_words.main(common + ["--memory", "--out", str(memory_run)])
    export_hashtags.export_all(run, MODELS_DIR)
    train_hashtag_words.install(words_run, MODELS_DIR, memory_run)
    report = evaluate_hashtags.evaluate(Path(args.data), "dev")
    (run / "eval_dev.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    export_hashtags.export_all(run, MODELS_DIR, {k: v for k, v in report.items() if k != "examples"})
    command = command_line("training.build_hashtags", argv, drop=("--skip-train",))
    write_card(MODELS_DIR / "hashtags-en.md", hashtag_card(run, run / "eval_dev.json", command, words_run, memory_run))
    print(json.dumps({k: v for k, v in report.items() if k != "examples"}))


if __name__ == "__main__":
    main()
