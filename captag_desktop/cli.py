"""The `captag` command line: gui, caption, models, bench (repair and detect-damage slot in here)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from captag_desktop import __version__
from captag_desktop.core.pipeline import LANGUAGES

Command = Callable[[argparse.Namespace], int]


def _langs(value: str) -> list[str]:
    langs = list(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [lang for lang in langs if lang not in LANGUAGES]
    if bad or not langs:
        raise argparse.ArgumentTypeError(f"unknown language {', '.join(bad) or '(none)'}; choose from {','.join(LANGUAGES)}")
    return langs


def _number(cast, lo, hi):
    """An argparse type: `cast` of the text, within [lo, hi] (which also refuses nan)."""
    def parse(value: str):
        try:
            x = cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {'whole ' if cast is int else ''}number, got '{value}'") from None
        if not lo <= x <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo:g} and {hi:g}")
        return x
    return parse


def _positive_int(lo: int, hi: int):
    return _number(int, lo, hi)


def _finite(lo: float, hi: float):
    return _number(float, lo, hi)


_fraction = _finite(0.0, 1.0)


def _no_display() -> bool:
    import os

    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def cmd_gui(args) -> int:
    if _no_display():
        # Qt would abort with a core dump; say what to do instead.
        print("captag: no display found (DISPLAY is not set). Run it on a desktop, under xvfb-run, or use the "
              "command line: captag caption PHOTO", file=sys.stderr)
        return 2
    try:
        from captag_desktop.ui.app import run_gui
    except ImportError as exc:
        print(f"captag: the GUI needs PySide6 ({exc})", file=sys.stderr)
        return 2
    return run_gui(args.image)


def cmd_caption(args) -> int:
    from captag_desktop.core.beam_search import DecodeOptions
    from captag_desktop.core.images import ImageLoadError, load_image
    from captag_desktop.core.models import ModelError
    from captag_desktop.core.pipeline import PhotoResult, Pipeline, drive
    from captag_desktop.core.social_llm import write_post

    try:
        lp = 0.6 if args.length_penalty is None else args.length_penalty  # 0 = no length normalisation
        decode = DecodeOptions(length_penalty=lp)
        pipeline = Pipeline(encoder=args.encoder, decode=decode, model_length_penalty=args.length_penalty is None,
                            beam_size=args.beam_size)
        pipeline.warm_up()
    except (ModelError, ValueError) as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2
    failed = False
    if args.post and "en" not in args.lang:
        print("captag: warning: --post writes the English post; add en to --lang to get it", file=sys.stderr)
    if args.platform and not args.post:
        print("captag: warning: --platform applies to --post, which was not given", file=sys.stderr)
    args.platform = args.platform or "instagram"
    rewriter = _post_rewriter(args, pipeline)
    for path in args.images:
        try:
            rgb = load_image(path).rgb
            result = drive(pipeline.describe(rgb, path, args.lang, args.hashtags))
        except (ImageLoadError, ModelError) as exc:
            result, failed = PhotoResult(image=path, error=str(exc)), True
            # stdout stays data; the loader's messages name the file already
            print(f"captag: {exc}" if isinstance(exc, ImageLoadError) else f"captag: {path}: {exc}", file=sys.stderr)
        post = None
        if args.post and "en" in result.captions:
            post = write_post(result.captions["en"], result.hashtags.get("en", []), args.post, args.platform, rewriter)
        if args.json:
            print(json.dumps(dict(result.to_json(), **({"post": post} if post else {})), ensure_ascii=False), flush=True)
        else:
            _print_human(result)
            if post:
                print(f"  [post: {post['style']}, {post['platform']}, {post['engine']}] {post['text']}")
        for w in result.warnings:
            print(f"captag: warning: {path}: {w}", file=sys.stderr)
    return 1 if failed else 0


def _post_rewriter(args, pipeline):
    """The Social LLM when --post social asks for it and it is installed; else None (template)."""
    if args.post != "social":
        return None
    from captag_desktop.core.social_llm import llm_installed, load_rewriter

    if not llm_installed(pipeline.store):
        return None
    try:
        return load_rewriter(pipeline.store)
    except Exception as exc:  # a broken add-on costs only the LLM, never the captions
        print(f"captag: warning: the Social LLM could not be loaded ({exc}); using the template", file=sys.stderr)
        return None


def _print_human(result) -> None:
    if result.error:  # reported on stderr by cmd_caption: stdout stays data
        return
    print(result.image)
    for lang, text in result.captions.items():
        print(f"  [{lang}] {text}")
        if result.hashtags.get(lang):
            print(f"       {' '.join(result.hashtags[lang])}")


def cmd_models(args) -> int:
    from captag_desktop.core.models import ModelError, ModelStore

    if args.action == "install":
        return _install_pack(args.path)
    try:
        store = ModelStore()
    except ModelError as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2
    rows, all_ok = [], True
    for name, e in sorted(store.entries.items()):
        row = {"name": name, "task": e.task, "file": e.file, "size": e.size, "license": e.license}
        if e.optional and not store.path(name).exists():  # an add-on not installed is not damage
            rows.append(dict(row, sha256_ok=None, installed=False))
            continue
        ok = store.verify(name)
        all_ok &= ok
        rows.append(dict(row, sha256_ok=ok, installed=True))
    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print(f"{'name':<22} {'task':<24} {'size':>9}  {'sha256':<23} license")
        for r in rows:
            state = "optional, not installed" if not r["installed"] else ("ok" if r["sha256_ok"] else "BAD")
            print(f"{r['name']:<22} {r['task']:<24} {r['size'] / 1e6:>7.2f}MB  {state:<23} {r['license']}")
    return 0 if all_ok else 1


def _install_pack(path) -> int:
    from pathlib import Path

    from captag_desktop.core.model_install import install_optional_file, install_pack
    from captag_desktop.core.models import ModelError

    if not path:
        print("captag: models install needs a translation pack folder or a model file: captag models install PATH",
              file=sys.stderr)
        return 2
    try:
        if Path(path).is_file():
            entry = install_optional_file(path)
            print(f"installed {entry['name']} from {path}")
            from captag_desktop.core.social_llm import LLM_MODEL, llm_runtime_available

            if entry["name"] == LLM_MODEL and not llm_runtime_available():
                print("captag: note: this captag has no llama.cpp runtime, so the Local AI rewrite stays off; "
                      "from source, `make install-llm` installs it", file=sys.stderr)
            return 0
        entries = install_pack(path)
    except (ModelError, OSError) as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2
    langs = ", ".join(entries[0]["languages"])
    print(f"installed translation pack from {path} ({langs}); it now writes those languages")
    return 0


def _planned(args, reads=()):
    """The run's outputs, checked before any work (core.outputs); None and a message if the folder is unusable."""
    from captag_desktop.core.outputs import check_out_dir, plan_outputs

    problem = check_out_dir(args.out_dir)
    if problem:
        print(f"captag: {problem}", file=sys.stderr)
        return None
    return plan_outputs(args.images, args.out_dir, reads, args.overwrite)


def _run_plan(plan, work, errors: tuple) -> int:
    """work(photo, target) for each planned photo, printing "photo -> target (what work returned)"; a photo
    refused by the plan or failing with one of `errors` is reported on stderr and the rest go on."""
    failed = False
    for item in plan:
        try:
            if item.target is None:
                raise ValueError(item.reason)
            print(f"{item.image} -> {item.target} ({work(item.image, item.target)})")
        except errors + (ValueError,) as exc:
            failed = True
            print(f"captag: {item.image}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def cmd_repair(args) -> int:
    from captag_desktop.core.images import ImageLoadError, load_image
    from captag_desktop.core.masks import MaskError, load_mask
    from captag_desktop.core.models import ModelError
    from captag_desktop.core.outputs import output_path
    from captag_desktop.core.pipeline import drive
    from captag_desktop.core.repair import Repairer
    from captag_desktop.core.save_image import SaveError, save_image

    masks = {path: str(output_path(args.mask_dir, path)) for path in args.images}
    plan = _planned(args, masks.values())
    if plan is None:
        return 2
    try:
        repairer = Repairer(method=args.method)  # loads the model once for every photo
    except (ModelError, ValueError) as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2

    def repair_one(path, target) -> str:
        loaded = load_image(path)
        fixed = drive(repairer.repair(loaded.rgb, load_mask(masks[path], loaded.rgb.shape)))
        save_image(fixed, target, original=path, exif=loaded.exif, icc_profile=loaded.icc_profile)
        return repairer.method

    return _run_plan(plan, repair_one, (ImageLoadError, MaskError, SaveError))


def cmd_detect_damage(args) -> int:
    from captag_desktop.core.damage import DamageDetector
    from captag_desktop.core.images import ImageLoadError, load_image
    from captag_desktop.core.masks import coverage, save_mask
    from captag_desktop.core.models import ModelError

    plan = _planned(args)
    if plan is None:
        return 2
    try:
        detector = DamageDetector(threshold=args.threshold)
    except ModelError as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2

    def detect_one(path, target) -> str:
        mask = detector.detect(load_image(path).rgb)
        save_mask(mask, target)
        return f"{coverage(mask) * 100:.2f}% flagged"

    return _run_plan(plan, detect_one, (ImageLoadError, OSError))


def cmd_bench(args) -> int:
    from captag_desktop.core.bench import run_bench
    from captag_desktop.core.images import ImageLoadError
    from captag_desktop.core.models import ModelError

    try:
        report = run_bench(args.images, runs=args.runs, encoder=args.encoder, beam_size=args.beam_size)
    except (ImageLoadError, ModelError) as exc:
        print(f"captag: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            print(f"{k}: {v}")
    return 0


def cmd_selftest() -> int:
    from captag_desktop.core.models import ModelError
    from captag_desktop.core.selftest import run_selftest

    try:
        report = run_selftest()
    except ModelError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        return 1
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="captag", description="Caption, tag and repair photos, offline.")
    p.add_argument("--version", action="version", version=f"captag {__version__}")
    p.add_argument("--selftest", action="store_true",
                   help="verify every model and run one photo through repair, caption, hashtags and all languages")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gui", help="open the desktop window (the default)")
    g.add_argument("image", nargs="?", help="a photo to open")
    g.set_defaults(func=cmd_gui)

    c = sub.add_parser("caption", help="caption photos and suggest hashtags")
    c.add_argument("images", nargs="+", metavar="IMAGE")
    c.add_argument("--lang", type=_langs, default=["en"], help="comma-separated: " + ",".join(LANGUAGES))
    c.add_argument("--hashtags", type=_positive_int(0, 30), default=10, metavar="N", help="hashtags per language (0-30)")
    c.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    c.add_argument("--encoder", choices=["quality", "fast"], default="quality")
    from captag_desktop.core.styles import PLATFORMS, STYLES

    c.add_argument("--post", choices=STYLES, default=None,
                   help="also write the English post text in this style (social uses the local LLM when installed)")
    c.add_argument("--platform", choices=list(PLATFORMS), default=None,
                   help="with --post: where the hashtags go, how many, emoji (default instagram)")
    c.add_argument("--beam-size", type=_positive_int(1, 10), default=None,
                   help="1 = greedy (default: each caption model's own, from its card)")
    c.add_argument("--length-penalty", type=_finite(0.0, 5.0), default=None,
                   help="GNMT alpha for every language (default: each caption model's own, from its card)")
    c.set_defaults(func=cmd_caption)

    m = sub.add_parser("models", help="list models and verify their hashes, or install a translation pack")
    m.add_argument("action", nargs="?", choices=["list", "install"], default="list")
    m.add_argument("path", nargs="?", help="install: a folder made by training/export_translation.py, or an optional "
                                           "model file the manifest lists (e.g. the Social LLM's .gguf)")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    r = sub.add_parser("repair", help="fill damaged pixels given masks (255 = damaged)")
    r.add_argument("images", nargs="+", metavar="IMAGE")
    r.add_argument("--mask-dir", required=True, help="the mask for X.jpg is DIR/X.png")
    r.add_argument("--out-dir", required=True, help="writes OUT/X.png; never over a photo or mask it reads")
    r.add_argument("--overwrite", action="store_true", help="replace output files that already exist")
    r.add_argument("--method", choices=["auto", "model", "telea", "ns"], default="auto")
    r.set_defaults(func=cmd_repair)

    d = sub.add_parser("detect-damage", help="propose damage masks to review before repairing")
    d.add_argument("images", nargs="+", metavar="IMAGE")
    d.add_argument("--out-dir", required=True, help="writes DIR/X.png masks (255 = damaged); never over a photo it reads")
    d.add_argument("--overwrite", action="store_true", help="replace mask files that already exist")
    d.add_argument("--threshold", type=_fraction, default=0.5,
                   help="damage probability above which a pixel is flagged (0-1; higher flags less)")
    d.set_defaults(func=cmd_detect_damage)

    b = sub.add_parser("bench", help="time each stage with the models loaded")
    b.add_argument("images", nargs="*", metavar="IMAGE", help="photos to time (default: synthetic)")
    b.add_argument("--runs", type=_positive_int(1, 1000), default=20)
    b.add_argument("--encoder", choices=["both", "quality", "fast"], default="both",
                   help="both (the default) times Quality and Fast in one run")
    b.add_argument("--beam-size", type=_positive_int(1, 10), default=None, help="default: each caption model's own")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_bench)
    return p


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl+C is (temp files removed) but reported with its own exit code, 143."""


def _stop_on_sigterm() -> None:
    """`kill` and `timeout` send SIGTERM: stop as Ctrl+C does, so a half-written output's temp file is removed."""
    import signal

    def stop(_signum, _frame):
        raise Terminated

    try:
        signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (e.g. called from a test runner's worker): leave it
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from captag_desktop.core.models import share_threads

    share_threads()  # the app's sessions take turns on one pool of threads (see share_threads)
    if args.selftest:
        return cmd_selftest()
    if not getattr(args, "command", None):
        args = build_parser().parse_args(["gui"])
    if args.command != "gui":  # the window handles its own closing
        _stop_on_sigterm()
    try:
        return args.func(args)
    except Terminated:
        return 143
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader left (`captag models | head`): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
