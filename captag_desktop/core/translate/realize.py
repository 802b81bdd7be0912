"""Write a parsed English caption in Hindi, Tamil, Telugu or Bengali.

All four are verb-final with postpositions or case suffixes, and put modifiers before
the noun, so one realiser serves them: subject, place phrases, adverbs, object, verb.
What differs lives in each language's lexicon (resources/translate/<lang>.json):
noun case forms, verb agreement forms, postposition templates. Hindi adds gender and
oblique agreement of adjectives and of का / वाला, handled here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from captag_desktop.core.resources import resources_dir
from captag_desktop.core.translate.parse import HELD_IN, NUMBERS, Clause, NounPhrase

_SLOT = re.compile(r"\{(\w+)\}")
_HUMAN = {"m", "f", "h"}
# Hindi words that agree with the noun they modify: (masculine, feminine, oblique/plural)
_HI_AGREE = {"का": ("का", "की", "के"), "अपना": ("अपना", "अपनी", "अपने"), "वाला": ("वाला", "वाली", "वाले"), "हुआ": ("हुआ", "हुई", "हुए")}


@dataclass
class Rendering:
    text: str
    missing: list[str] = field(default_factory=list)  # English words the lexicon lacks (left out)


@lru_cache(maxsize=None)
def lexicon(lang: str) -> dict:
    return json.loads((resources_dir() / "translate" / f"{lang}.json").read_text(encoding="utf-8"))


class Realiser:
    def __init__(self, lang: str):
        self.lang = lang
        self.lex = lexicon(lang)
        self.missing: list[str] = []

    # -- lookups ------------------------------------------------------------------------
    def noun(self, key: str) -> dict | None:
        entry = self.lex["nouns"].get(key)
        if entry is None:
            self.missing.append(key)
        return entry

    def word(self, key: str) -> str:
        value = self.lex["words"].get(key)
        if value is None:
            self.missing.append(key)
            return ""
        return value

    # -- noun phrases ---------------------------------------------------------------------
    def noun_form(self, entry: dict, slot: str, plural: bool) -> str:
        if plural:
            slot = {"sg": "pl", "obl": "obl_pl"}.get(slot, slot if slot.startswith("pl") else "pl_" + slot)
        return entry.get(slot) or entry.get("pl" if plural else "sg", "")

    def adjective(self, key: str, gender: str, oblique: bool) -> str:
        entry = self.lex["adjectives"].get(key)
        if entry is None:
            self.missing.append(key)
            return ""
        if self.lang == "hi":
            return entry["f"] if gender == "f" else entry["obl"] if oblique else entry["m"]
        return entry["form"]

    def determiner(self, np_: NounPhrase, entry: dict, in_phrase: bool) -> str:
        det = np_.det
        if det is None or det == "the" or (det == "a" and in_phrase):
            return ""  # these languages have no definite article; "a" is dropped inside phrases
        if entry.get("cls") in _HUMAN and f"{det}_h" in self.lex["words"]:
            return self.lex["words"][f"{det}_h"]
        return self.word(det)

    def noun_phrase(self, np_: NounPhrase, slot: str = "sg", in_phrase: bool = False) -> str:
        entry = self.noun(np_.head)
        if entry is None:
            return ""
        plural = np_.plural and not np_.coordinated
        if self.lex.get("count_takes_singular") and np_.det in NUMBERS:
            plural = False  # Bengali: দুটি কুকুর, not দুটি কুকুরগুলো
        gender = entry.get("gender", "m")
        oblique = slot == "obl" or (plural and gender == "m")
        parts = [self.attached(prep, inner, entry, plural or oblique) for prep, inner in np_.attached]
        det = self.determiner(np_, entry, in_phrase)
        parts.append(self.agree(det, gender, oblique) if self.lang == "hi" else det)
        parts += [self.word("and") if a == "and" else self.adjective(a, gender, oblique) for a in np_.adjectives]
        for mod in np_.modifiers:
            mod_entry = self.lex["nouns"].get(mod)
            if mod_entry is not None:  # a compound modifier that is missing is simply left out
                parts.append(mod_entry["sg"])
        parts.append(self.noun_form(entry, slot, plural))
        text = _join(parts)
        for other in np_.coordinated:
            text = _join([text, self.word("and"), self.noun_phrase(other, slot, in_phrase)])
        return text

    def template(self, template: str, np_: NounPhrase, in_phrase: bool = True) -> str:
        found = _SLOT.search(template)
        slot = found.group(1) if found else "sg"
        return _SLOT.sub(lambda _m: self.noun_phrase(np_, slot, in_phrase), template)

    def attached(self, prep: str, inner: NounPhrase, head_entry: dict, head_oblique: bool) -> str:
        # "hitting a baseball with a bat": a thing holds no bat, so the bat goes with the verb ("with" as a clause
        # says it), not "a baseball holding a bat"; it still stands before the noun, as a verb's phrase would
        # where a thing is held ("a puppy in its mouth") is a place, not clothing the puppy wears
        if prep == HELD_IN:
            prep, head_entry = "in", {**head_entry, "anim": False}
        verbs = not head_entry.get("anim", True) and prep in self.lex["preps"]
        template = (self.lex["preps"] if verbs else self.lex["attr_preps"]).get(prep)
        if template is None:
            self.missing.append(prep)
            return ""
        if self.lang == "hi":  # the template's own words agree, not the noun's ("धूप का चश्मा" stays)
            template = self.agree(template, head_entry.get("gender", "m"), head_oblique)
        return self.template(template, inner)

    def agree(self, text: str, gender: str, oblique: bool) -> str:
        words = text.split(" ")
        for i, w in enumerate(words):
            if w in _HI_AGREE:
                m, f, obl = _HI_AGREE[w]
                words[i] = f if gender == "f" else obl if oblique else m
        return " ".join(words)

    # -- clauses --------------------------------------------------------------------------
    def agreement(self, clause: Clause) -> str:
        """Which verb form agrees with the subject."""
        nouns = [self.lex["nouns"].get(n.head) or {} for n in clause.subject.nouns()]
        head = nouns[0]
        if self.lang == "bn":
            return "prog"
        if self.lang == "hi":
            if clause.plural:  # "दो लड़कियाँ खेल रही हैं": feminine only when every noun of the subject is
                return "pl_f" if all(n.get("gender") == "f" for n in nouns) else "pl"
            return "f" if head.get("gender") == "f" else "m"
        if clause.plural:
            return "pl" if any(n.get("cls") in _HUMAN for n in nouns) else "pl_n"
        return head.get("cls", "n")

    def verb(self, key: str, form: str) -> str:
        entry = self.lex["verbs"].get(key)
        if entry is None:
            self.missing.append(key)
            return ""
        if form == "pl_f" and "pl_f" not in entry:
            return _feminine_plural(entry.get("f", ""))
        return entry.get(form) or entry.get("prog") or entry.get("m", "")

    def purpose(self, verb: str, obj: NounPhrase | None) -> str:
        """'to catch a ball': the verb's purpose form (its lexicon slot "purpose", "{obj} पकड़ने के लिए"),
        before the main verb as these languages put it."""
        template = (self.lex["verbs"].get(verb) or {}).get("purpose")
        if template is None:
            self.missing.append(verb)
            return ""
        return template.replace("{obj}", self.object(obj) if obj is not None else "").strip()

    def object(self, np_: NounPhrase, verb: str | None = None) -> str:
        """The object in the case its verb takes: the language's default, unless the verb's entry has its own
        "object" template (Hindi chase: "{obl} का", as in गेंद का पीछा)."""
        entry = self.lex["nouns"].get(np_.head) or {}
        own = (self.lex["verbs"].get(verb) or {}).get("object") if verb else None
        return self.template(own or self.lex["object"]["anim" if entry.get("anim") else "thing"], np_, in_phrase=False)

    def clause(self, clause: Clause) -> str:
        parts = [] if clause.shares_subject else [self.noun_phrase(clause.subject)]
        for prep, np_ in clause.phrases:
            template = self.lex["preps"].get(prep)
            if template is None:
                self.missing.append(prep)
                continue
            parts.append(self.template(self.agree(template, "m", True) if self.lang == "hi" else template, np_))
        parts += [self.word(a) for a in clause.adverbs]
        if clause.purpose is not None:
            parts.append(self.purpose(*clause.purpose))
        if clause.obj is not None:
            parts.append(self.object(clause.obj, clause.verbs[0] if clause.verbs else None))
        form = self.agreement(clause)
        if clause.adjective:
            parts.append(self.adjective(clause.adjective, "m", False))
        if clause.verbs:
            verbs = [self.verb(v, form) for v in clause.verbs]
            parts.append(_join(_interleave(verbs, self.word("and"))))
        else:
            be = self.lex["be"]
            parts.append(be.get(form) or be.get("pl" if form == "pl_f" else "prog") or be.get("m", ""))
        return _join(parts)


def _feminine_plural(feminine: str) -> str:
    """A Hindi feminine singular verb form made plural: the auxiliary है becomes हैं ("बैठी है" -> "बैठी हैं");
    the participle does not change."""
    return re.sub(r"है$", "हैं", feminine)


def _join(parts) -> str:
    return " ".join(p for p in parts if p)


def _interleave(items: list[str], sep: str) -> list[str]:
    out = []
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        out.append(item)
    return out


def realise(clauses: list[Clause], lang: str) -> Rendering:
    r = Realiser(lang)
    text = _join(_interleave([r.clause(c) for c in clauses], r.word("and")))
    return Rendering(re.sub(r"\s+", " ", text).strip(), sorted(set(r.missing)))


__all__ = ["NUMBERS", "Rendering", "realise", "lexicon"]
