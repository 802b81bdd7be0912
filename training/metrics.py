"""Caption metrics: corpus BLEU-1..4 and CIDEr-D, following the coco-caption definitions.

Inputs are already tokenised: hyps maps an image id to a list of words, refs maps it
to a list of reference word lists.
"""
from __future__ import annotations

import math
from collections import Counter

Tokens = list[str]


def ngrams(words: Tokens, n: int) -> Counter:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def bleu(hyps: dict[str, Tokens], refs: dict[str, list[Tokens]], max_n: int = 4) -> list[float]:
    """Corpus BLEU-1..max_n with the brevity penalty against the closest reference length."""
    matched = [0] * max_n
    total = [0] * max_n
    hyp_len = ref_len = 0
    for key, hyp in hyps.items():
        rs = refs[key]
        hyp_len += len(hyp)
        # Closest reference length; ties go to the shorter one.
        ref_len += min((abs(len(r) - len(hyp)), len(r)) for r in rs)[1]
        for n in range(1, max_n + 1):
            h = ngrams(hyp, n)
            max_ref: Counter = Counter()
            for r in rs:
                max_ref |= ngrams(r, n)
            matched[n - 1] += sum(min(c, max_ref[g]) for g, c in h.items())
            total[n - 1] += max(len(hyp) - n + 1, 0)
    tiny = 1e-9
    bp = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    scores, log_sum = [], 0.0
    for n in range(max_n):
        p = (matched[n] + tiny) / (total[n] + tiny) if total[n] else tiny
        log_sum += math.log(max(p, tiny))
        scores.append(bp * math.exp(log_sum / (n + 1)))
    return scores


def _tfidf(words: Tokens, df: dict, log_n: float, max_n: int):
    vecs, norms = [], []
    for n in range(1, max_n + 1):
        vec = {g: c * (log_n - math.log(max(1.0, df.get(g, 0.0)))) for g, c in ngrams(words, n).items()}
        vecs.append(vec)
        norms.append(math.sqrt(sum(v * v for v in vec.values())))
    return vecs, norms


class CiderD:
    """CIDEr-D with document frequencies taken from a fixed reference corpus.

    Evaluation builds one over the evaluated images (the coco-caption convention);
    self-critical training builds one over the training set and scores many samples.
    """

    def __init__(self, refs: dict[str, list[Tokens]], max_n: int = 4, sigma: float = 6.0):
        self.max_n, self.sigma = max_n, sigma
        df: Counter = Counter()
        for rs in refs.values():
            seen = set()
            for r in rs:
                for n in range(1, max_n + 1):
                    seen.update(ngrams(r, n))
            df.update(seen)
        self.df, self.log_n = df, math.log(float(max(len(refs), 1)))
        self.refs = {k: [(_tfidf(r, df, self.log_n, max_n), len(r)) for r in rs] for k, rs in refs.items()}

    def score(self, key: str, hyp: Tokens) -> float:
        hv, hn = _tfidf(hyp, self.df, self.log_n, self.max_n)
        total = [0.0] * self.max_n
        for (rv, rn), rlen in self.refs[key]:
            penalty = math.exp(-((len(hyp) - rlen) ** 2) / (2 * self.sigma ** 2))
            for n in range(self.max_n):
                if hn[n] and rn[n]:
                    val = sum(min(v, rv[n][g]) * rv[n][g] for g, v in hv[n].items() if g in rv[n])
                    total[n] += val / (hn[n] * rn[n]) * penalty
        return sum(total) / self.max_n / len(self.refs[key]) * 10.0


def cider_d(hyps: dict[str, Tokens], refs: dict[str, list[Tokens]], max_n: int = 4, sigma: float = 6.0) -> tuple[float, dict[str, float]]:
    """CIDEr-D (clipped tf-idf, Gaussian length penalty, x10). Returns (mean, per-image)."""
    scorer = CiderD({k: refs[k] for k in hyps}, max_n, sigma)
    per_image = {k: scorer.score(k, h) for k, h in hyps.items()}
    return sum(per_image.values()) / max(len(per_image), 1), per_image


def caption_report(hyps: dict[str, Tokens], refs: dict[str, list[Tokens]]) -> dict:
    b = bleu(hyps, refs)
    c, _ = cider_d(hyps, refs)
    texts = Counter(" ".join(h) for h in hyps.values())
    top_share = texts.most_common(1)[0][1] / len(hyps) if hyps else 0.0
    return {
        "BLEU-1": round(b[0], 4), "BLEU-2": round(b[1], 4), "BLEU-3": round(b[2], 4), "BLEU-4": round(b[3], 4),
        "CIDEr-D": round(c, 4),
        "images": len(hyps),
        "distinct_captions": len(texts),
        "most_common_caption_share": round(top_share, 4),
    }


def chrf(hyps: list[str], refs: list[str], max_n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF (Popovic 2015) on a 0-100 scale: character n-grams 1..6 with spaces removed,
    precision and recall pooled over the corpus per order, averaged over orders, F-beta with beta 2
    (the sacrebleu default)."""
    stats = [[0, 0, 0] for _ in range(max_n)]  # matches, hypothesis n-grams, reference n-grams
    for hyp, ref in zip(hyps, refs):
        h, r = "".join(hyp.split()), "".join(ref.split())
        for n in range(1, max_n + 1):
            hc = Counter(h[i : i + n] for i in range(len(h) - n + 1))
            rc = Counter(r[i : i + n] for i in range(len(r) - n + 1))
            s = stats[n - 1]
            s[0] += sum((hc & rc).values())
            s[1] += sum(hc.values())
            s[2] += sum(rc.values())
    orders = [s for s in stats if s[1] and s[2]]
    if not orders:
        return 0.0
    p = sum(m / hn for m, hn, _ in orders) / len(orders)
    r = sum(m / rn for m, _, rn in orders) / len(orders)
    if p + r == 0:
        return 0.0
    return 100 * (1 + beta**2) * p * r / (beta**2 * p + r)
