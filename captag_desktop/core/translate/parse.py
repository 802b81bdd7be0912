"""A small parser for the English captioner's sentences.

The captioner writes a narrow kind of English ("A man in a red shirt is riding a bike
down a dirt road"), so a hand-written recursive-descent parser covers it: clauses of
subject, verb, object and prepositional phrases, with noun phrases made of determiner,
adjectives, compound nouns and attached phrases. Words are lemmatised with the tagged
Flickr8k lexicon in resources/, the same one the hashtag extractor uses.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from captag_desktop.core.resources import resources_dir

AUX = {"is": False, "are": True, "was": False, "were": True}
SIMPLE_PRESENT_SKIP = {"is", "are", "was", "were", "has", "have"}
ARTICLES = {"a", "an", "another", "the", "this", "some"}
NUMBERS = {"one", "two", "three", "four", "five", "several", "many", "a group of", "a lot of", "a couple of"}
POSSESSIVES = {"its", "his", "her", "their"}
CLAUSE_JOINERS = {"and", "while", "as"}


@dataclass
class NounPhrase:
    head: str
    plural: bool = False
    det: str | None = None  # None, "a", "the", a number word or a possessive
    adjectives: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)  # compound-noun modifiers: "soccer" in "soccer player"
    attached: list[tuple[str, "NounPhrase"]] = field(default_factory=list)  # "in a red shirt", "of people"
    coordinated: list["NounPhrase"] = field(default_factory=list)  # "a man and a woman"

    def nouns(self):
        yield self
        for _, np_ in self.attached:
            if _ == "of":
                yield from np_.nouns()
        for np_ in self.coordinated:
            yield from np_.nouns()


@dataclass
class Clause:
    subject: NounPhrase
    plural: bool
    verbs: list[str] = field(default_factory=list)  # lemmas; none for "is on a bench"
    obj: NounPhrase | None = None
    phrases: list[tuple[str, NounPhrase]] = field(default_factory=list)
    adverbs: list[str] = field(default_factory=list)
    adjective: str | None = None  # "the dog is wet"
    purpose: tuple[str, NounPhrase | None] | None = None  # "jumping to catch a ball": (catch, a ball)
    shares_subject: bool = False  # "... and holding a camera": the previous clause's subject, not said again


@dataclass
class EnglishLexicon:
    pos: dict[str, str]
    lemma: dict[str, str]
    nouns: set[str]
    verbs: set[str]
    adjectives: set[str]
    preps: set[str]
    adverbs: set[str]
    multi: list[list[str]]  # multi-word units, longest first


@lru_cache(maxsize=1)
def english() -> EnglishLexicon:
    pos, lemma = {}, {}
    for line in (resources_dir() / "lexicon_en.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        word, lem, tag, _count = line.split("\t")
        pos[word], lemma[word] = tag, lem
    for line in (resources_dir() / "verb_ing_en.tsv").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") and "\t" in line:
            lem, ing = line.split("\t")
            lemma.setdefault(ing, lem)
    words = json.loads((resources_dir() / "translate/wordlist_en.json").read_text(encoding="utf-8"))
    phrases = set(words["PHRASES"])
    preps = set(words["ADP"]) | {p for p in phrases if p.split()[0] in {"in", "on", "next"} and p.endswith(("of", "to"))}
    multi = sorted({k for k in words["NOUN"] + words["ADJ"] if " " in k} | phrases | NUMBERS - {"one"},
                   key=lambda k: -len(k.split()))  # "soccer ball", "snow covered", "in front of"
    return EnglishLexicon(pos, lemma, set(words["NOUN"]), set(words["VERB"]), set(words["ADJ"]), preps,
                          set(words["ADV"]) | {p for p in phrases if p not in preps}, [m.split() for m in multi])


# one unit however it is written; "is rock climbing" is a compound verb, said the way the parser reads it
# ("rock climbing gear" is a noun's modifier and stays)
_SPELLINGS = ((r"\bt shirt", "t-shirt"), (r"\boff of\b", "off"),
              (r"\b(is|are) rock climbing\b", r"\1 climbing a rock"))


def units(caption: str) -> list[str]:
    """Lowercase words, with known multi-word units ("in front of", "soccer ball") merged."""
    text = caption.lower()
    for spelling, unit in _SPELLINGS:
        text = re.sub(spelling, unit, text)
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", text)
    lex, out, i = english(), [], 0
    while i < len(words):
        for m in lex.multi:
            found = words[i : i + len(m)]
            if found == m or (found[:-1] == m[:-1] and found[-1] in (m[-1] + "s", m[-1] + "es")):  # "hula hoops"
                out.append(" ".join(found))
                i += len(m)
                break
        else:
            out.append(words[i])
            i += 1
    return out


class _Parser:
    def __init__(self, tokens: list[str]):
        self.t, self.i, self.lex = tokens, 0, english()
        self.skipped: list[str] = []  # words it could not place: left out, and reported

    def peek(self, k: int = 0) -> str | None:
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self) -> str:
        self.i += 1
        return self.t[self.i - 1]

    def noun_lemma(self, word: str) -> tuple[str, bool] | None:
        """(lemma, plural) of a noun, or None."""
        if word in _IRREGULAR_PLURALS:
            return _IRREGULAR_PLURALS[word], True
        if word in self.lex.nouns:
            return word, False
        lem = self.lex.lemma.get(word)
        if lem and lem != word and lem in self.lex.nouns and self.lex.pos.get(word) in ("NOUN", "PROPN"):
            return lem, True
        for cut in (1, 2):  # dogs, benches
            if word.endswith("s") and word[:-cut] in self.lex.nouns:
                return word[:-cut], True
        return None

    def is_noun(self, word: str | None) -> bool:
        return word is not None and self.noun_lemma(word) is not None and word not in self.lex.preps

    def is_adjective(self, word: str | None) -> bool:
        return word in self.lex.adjectives or (word is not None and self.lex.pos.get(word) == "ADJ"
                                               and not self.is_noun(word))

    def verb_lemma(self, word: str | None) -> str | None:
        if word is None:
            return None
        verbs = self.lex.verbs
        candidates = [self.lex.lemma.get(word, word)]
        if word.endswith("ing"):  # riding -> ride, running -> run
            stem = word[:-3]
            candidates += [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem]
        elif word.endswith("ies"):
            candidates.append(word[:-3] + "y")
        elif word.endswith("s"):
            candidates += [word[:-1], word[:-2]]
        else:
            candidates.append(word)
        return next((c for c in candidates if c in verbs), None)

    def noun_phrase(self, allow_attach: bool = True, subject: bool = False, worn: bool = False,
                    carried: bool = False) -> NounPhrase | None:
        """worn: what someone is in or wearing; "and" then only adds more clothing ("in a red shirt and a woman
        in a blue dress are dancing" is two people, "in a hat and sunglasses is smiling" one).
        carried: what someone is with; it takes where it is held ("a stick in its mouth") and nothing else."""
        start = self.i
        det = None
        if self.peek() in ARTICLES | NUMBERS | POSSESSIVES:
            det = self.take()
            det = "a" if det in ("an", "some") else det
        adjectives = []
        while self.is_adjective(self.peek()) or (self.peek() == "and" and adjectives and self.is_adjective(self.peek(1))):
            adjectives.append(self.take())  # "and" is kept: "black and white" is one colour pattern
        nouns = []
        while self.is_noun(self.peek()) and not (nouns and self.verb_lemma(self.peek()) and self.peek(1) in ARTICLES | self.lex.preps):
            nouns.append(self.noun_lemma(self.take()))
        if not nouns:
            if adjectives and adjectives[-1] in self.lex.nouns and adjectives[-1] != "and":  # it was a noun after all
                nouns = [(adjectives.pop(), False)]
            else:
                self.i = start
                return None
        head, plural = nouns[-1]
        np_ = NounPhrase(head, plural or det in NUMBERS - {"one", "a"}, det, adjectives, [n for n, _ in nouns[:-1]])
        if det == "a group of":  # "a group of people": the group is the head, as in the translations
            np_.det = None
            np_ = NounPhrase("group", False, "a", attached=[("of", np_)])
        if carried and (held := self._held_in()) is not None:
            np_.attached.append((HELD_IN, held))
        while allow_attach and self.peek() in {"in", "with", "of", "on", "at", "from", "near", "wearing"}:
            save = self.i
            prep = self.take()
            inner = self.noun_phrase(allow_attach=prep == "of", worn=prep in ("in", "wearing"), carried=prep == "with")
            if inner is None and prep == "in" and self.is_adjective(self.peek()):  # "a player in white"
                colours = []
                while self.is_adjective(self.peek()) or (colours and self.peek() == "and"):
                    colours.append(self.take())
                inner = NounPhrase("clothing", adjectives=colours)
            # only clothing-like "in"/"with" phrases attach to a noun; "on a bench" belongs to the verb
            if inner is None or (prep not in ("of", "wearing") and not self._attaches(prep, inner)):
                self.i = save
                break
            np_.attached.append(("in" if prep == "wearing" else prep, inner))
        if self.peek() == "and" and self.is_noun_phrase_start(1) and (
                self._clothing_follows() if worn else subject or not self._clause_follows()):
            self.take()
            other = self.noun_phrase(allow_attach, subject)
            if other is not None:
                np_.coordinated.append(other)
                np_.plural = True
        return np_

    def _clothing_follows(self) -> bool:
        """After 'and': more clothing?"""
        save = self.i
        self.take()
        other = self.noun_phrase(allow_attach=False)
        self.i = save
        return other is not None and other.head in _CLOTHING

    def _attaches(self, prep: str, inner: NounPhrase) -> bool:
        return inner.head in _CLOTHING or (prep == "with" and inner.head in _CARRIED)

    def _held_in(self) -> NounPhrase | None:
        """'in its mouth' / 'in his hands' after something carried."""
        if self.peek() != "in" or self.peek(1) not in POSSESSIVES:
            return None
        save = self.i
        self.take()
        where = self.noun_phrase(allow_attach=False)
        if where is None or where.head not in HOLDING:
            self.i = save
            return None
        return where

    def _purpose_follows(self) -> bool:
        """'to' + a bare verb ("to catch a ball"), not 'to' + a place ("to the beach")."""
        nxt = self.peek(1)
        return nxt is not None and nxt in self.lex.verbs and not self.is_noun(nxt)

    def is_noun_phrase_start(self, k: int) -> bool:
        w = self.peek(k)
        return w in ARTICLES | NUMBERS | POSSESSIVES or self.is_adjective(w) or self.is_noun(w)

    def _clause_follows(self) -> bool:
        """After 'and': does a new clause with its own verb follow?"""
        j = self.i + 1
        while j < len(self.t) and self.t[j] not in AUX and self.t[j] not in self.lex.preps:
            if self.t[j] != "and" and not (self.is_noun(self.t[j]) or self.is_adjective(self.t[j]) or self.t[j] in
                                           ARTICLES | NUMBERS | POSSESSIVES):
                # "a helmet and sunglasses and holding a camera": a verb right after "and" starts a second
                # predicate of the same subject, so the noun before it was still part of the object
                return self.verb_lemma(self.t[j]) is not None and self.t[j - 1] != "and"
            j += 1
        return j < len(self.t) and self.t[j] in AUX

    def clause(self) -> Clause | None:
        subject = self.noun_phrase(subject=True)
        if subject is None:
            return None
        plural = subject.plural
        if self.peek() in AUX:
            plural = AUX[self.take()] or plural
        clause = Clause(subject, plural)
        verb = self.verb_lemma(self.peek())
        if verb is not None and self.peek() not in self.lex.preps:
            self.take()
            clause.verbs.append(verb)
        elif self.is_adjective(self.peek()) and not self.is_noun_phrase_start(1):
            clause.adjective = self.take()
        self.rest(clause)
        return clause

    def shared_predicate(self, previous: Clause) -> Clause | None:
        """After a joiner: "... and holding a cup" is a clause of the previous clause's subject, with a verb
        and an object of its own. None when a clause with its own subject follows."""
        verb = self.verb_lemma(self.peek()) if previous.verbs and not self.is_noun(self.peek()) else None
        if verb is None or self.peek(1) in AUX:
            return None
        self.take()
        shared = Clause(previous.subject, previous.plural, verbs=[verb], shares_subject=True)
        self.rest(shared)
        return shared

    def _late_verb(self, clause: Clause) -> bool:
        """A present-tense verb after the subject's phrases ("... in its mouth runs"), for a clause with no verb
        yet: not a participle of another word ("both wearing collars , are playing", "made out of"), nor a noun
        that could be a verb ("a water slide"), nor a word in a noun phrase, nor when "is"/"are" is still to
        come before the next clause."""
        word, before = self.peek(), self.t[self.i - 1] if self.i else None
        if clause.verbs or clause.adjective is not None or not word.endswith("s") or self.verb_lemma(word) in (None, word):
            return False
        if before is None or before in ARTICLES | NUMBERS | POSSESSIVES or self.is_adjective(before):
            return False
        later = self.t[self.i + 1:]
        ahead = later[: next((j for j, w in enumerate(later) if w in CLAUSE_JOINERS), len(later))]
        return not any(w in AUX for w in ahead)

    def rest(self, clause: Clause) -> None:
        while self.peek() is not None:
            word = self.peek()
            if word in CLAUSE_JOINERS:
                verb = self.verb_lemma(self.peek(1)) if word == "and" and clause.verbs else None
                if verb is None or self.peek(2) in AUX or clause.obj is not None:
                    return  # a new clause, or a second predicate with its own object (parse() goes on)
                self.i += 2  # "running and jumping": the second verb shares the subject
                clause.verbs.append(verb)
            elif word == "to" and clause.purpose is None and self._purpose_follows():
                self.i += 1
                verb = self.verb_lemma(self.take())
                obj = self.noun_phrase() if self.is_noun_phrase_start(0) else None
                clause.purpose = (verb, obj)
            elif word in self.lex.preps:
                save = self.i
                self.take()
                np_ = self.noun_phrase()
                if np_ is None:
                    self.i = save + 1  # a dangling preposition ("jumps over"): dropped, reported
                    self.skipped.append(word)
                    continue
                clause.phrases.append((word, np_))
            elif word in AUX and not clause.verbs:
                # "a man in a red kayak is riding a wave": the phrase stays a place phrase of the clause
                self.take()
                clause.plural = AUX[word] or clause.plural
                if self.verb_lemma(self.peek()) is not None and self.peek() not in self.lex.preps:
                    clause.verbs.append(self.verb_lemma(self.take()))
            elif self._late_verb(clause):
                # "a dog with a stick in its mouth runs": the verb comes after the subject's phrases
                clause.verbs.append(self.verb_lemma(self.take()))
            elif word in self.lex.adverbs:
                clause.adverbs.append(self.take())
            elif clause.obj is None and clause.verbs and self.is_noun_phrase_start(0):
                clause.obj = self.noun_phrase()
                if clause.obj is None:
                    self.skipped.append(self.take())
            else:
                self.skipped.append(self.take())


_IRREGULAR_PLURALS = {"people": "people", "children": "child", "men": "man", "women": "woman", "feet": "foot",
                      "teeth": "tooth", "mice": "mouse", "geese": "goose"}
_CLOTHING = {"shirt", "t-shirt", "jacket", "dress", "hat", "helmet", "uniform", "suit", "bathing suit", "coat",
             "costume", "outfit", "pants", "jeans", "shorts", "skirt", "sweater", "vest", "cap", "sunglasses", "goggles",
             "wetsuit", "mask", "clothes", "clothing", "gear", "life jacket", "shoe", "top", "tank", "trunk", "jersey",
             "cowboy hat"}
HOLDING = {"mouth", "hand", "arm", "tooth", "paw", "lap"}  # where a thing is held (lemmas)
HELD_IN = "held in"  # an attached phrase's label for it: a place, said as "in" is (never as clothing)
_CARRIED = {"backpack", "hair", "collar", "harness", "leash", "ball", "stick", "toy", "frisbee", "bag", "camera",
            "umbrella", "flag", "guitar", "board", "skateboard", "surfboard", "snowboard", "bat", "rope", "tongue"}


def parse(caption: str, skipped: list[str] | None = None) -> list[Clause]:
    """Clauses of an English caption; words the parser cannot place are left out and, if a
    `skipped` list is given, added to it."""
    p = _Parser(units(caption))
    clauses: list[Clause] = []
    joined = False  # the last clause ended at "and", "while"...
    while p.peek() is not None:
        c = (p.shared_predicate(clauses[-1]) if joined else None) or p.clause()
        if c is None:
            p.skipped.append(p.take())
            joined = False
            continue
        clauses.append(c)
        joined = p.peek() in CLAUSE_JOINERS
        if joined:
            p.take()
    if skipped is not None:
        skipped += p.skipped
    return clauses
