"""Phrase rules compiled into one regular expression, and the findings of a text.

A rule's phrase is words, matched case-insensitively on word boundaries, each with its simple
inflections (plural, possessive, -ed, -ing), the words joined by spaces or hyphens. In a phrase,
a hyphen is a space, ``a/b`` is either word at that place, ``a_b`` two words in one alternative
("african_american"), ``word?`` an optional word, and a trailing ``!a/b`` means "not followed by
a or b" ("perfect for a? couple !of" leaves "perfect for a couple of cars" alone). All rules
become one alternation, longest first, so a text is read once whatever the number of rules.
"""

import re
from dataclasses import asdict, dataclass

SEPARATOR = r"[\s\-]+"
# Plural, possessive (straight or curly apostrophe), past and present participle.
INFLECTION = r"(?:['\u2019]s|s['\u2019]?|es|ed|d|ing)?"
# A phrase starts and ends at a word's edge, and is not part of a hyphenated compound
# ("perfect for single-level living" is not "perfect for single").
START = r"(?<!\w)(?<!\w-)"
END = r"(?!\w)(?!-\w)"


class PhraseError(ValueError):
    """A phrase that cannot be made into a pattern."""


def _words(token):
    words = [word for word in token.split("/") if word]
    if not words:
        raise PhraseError(f"'{token}' names no word.")
    for word in words:
        if not re.fullmatch(r"[^\W_]+(?:[_'&][^\W_]+)*[+.]?", word):
            raise PhraseError(f"'{word}' is not a word.")
    return words


def _literal(word):
    """A word of a phrase as a pattern: 'african_american' is two words."""
    return SEPARATOR.join(re.escape(part) for part in word.split("_") if part)


def _alternatives(token):
    return "|".join(_literal(word) for word in sorted(_words(token), key=len, reverse=True))


def _tokens(phrase):
    # A hyphen in a phrase is a separator like a space: "child-free" is "child free".
    return phrase.lower().replace("-", " ").split()


def first_words_pattern(phrases):
    """A pattern of every word the phrases can start with, grouped by first letter.

    Grouped, each branch starts with a plain character that the regex engine compares before
    entering it, so a word no rule starts with costs a handful of comparisons.
    """
    by_letter = {}
    for phrase in phrases:
        for word in _words(_tokens(phrase)[0]):
            # Words start with a letter or digit, which re.escape leaves as it is.
            by_letter.setdefault(word[0], set()).add(_literal(word)[1:])
    return "|".join(
        f"{letter}(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
        for letter, rests in sorted(by_letter.items())
    )


def phrase_pattern(phrase):
    """The regular expression (without its word-edge checks) of one rule's phrase."""
    tokens = _tokens(phrase)
    negative = []
    while tokens and tokens[-1].startswith("!"):
        negative.insert(0, tokens.pop()[1:])
    if not tokens:
        raise PhraseError("A phrase needs at least one word.")
    if tokens[0].endswith("?"):
        raise PhraseError("The first word cannot be optional.")
    parts = []
    for index, token in enumerate(tokens):
        optional = token.endswith("?") and len(token) > 1
        word = f"(?:{_alternatives(token.rstrip('?'))}){INFLECTION}"
        if index == 0:
            parts.append(word)
        elif optional:
            parts.append(f"(?:{SEPARATOR}{word})?")
        else:
            parts.append(f"{SEPARATOR}{word}")
    for token in negative:
        parts.append(f"(?!{SEPARATOR}(?:{_alternatives(token)}){END})")
    return "".join(parts)


@dataclass(frozen=True)
class Finding:
    """One phrase found in a text: where, which rule, its protected class, why and a rewrite."""

    start: int
    end: int
    text: str
    phrase: str
    protected_class: str
    class_name: str
    reason: str
    suggestion: str
    rule_id: int | None = None

    def as_dict(self):
        return asdict(self)

    @property
    def message(self):
        return (
            f'"{self.text}" ({self.class_name}, characters {self.start}-{self.end}): '
            f"{self.reason} Suggestion: {self.suggestion}"
        )


class PhraseScanner:
    """Active rules compiled into one pattern; ``scan(text)`` lists the findings in order.

    The pattern runs on the lower-cased text without IGNORECASE: a branch that starts with a
    plain character is then skipped after one comparison, and a look-ahead of every rule's
    first words (grouped by letter) lets the rules be tried only where one of those words
    stands. That keeps a listing's remarks well under a millisecond with a hundred rules.
    """

    def __init__(self, rules):
        # Longest phrase first: where two rules start at the same place the longer one wins.
        self.rules = sorted(rules, key=lambda rule: len(rule.phrase), reverse=True)
        self.pattern = self.unicode_pattern = None
        if self.rules:
            first_words = first_words_pattern(rule.phrase for rule in self.rules)
            groups = "|".join(
                f"(?P<r{index}>{phrase_pattern(rule.phrase)})"
                for index, rule in enumerate(self.rules)
            )
            # Rules are tried only where a word one of them starts with stands whole.
            look_ahead = f"(?=(?:{first_words}){INFLECTION}(?!\\w))"
            source = f"{START}{look_ahead}(?:{groups}){END}"
            self.pattern = re.compile(source)
            # For the rare text whose lower case is not as long as itself ("İ").
            self.unicode_pattern = re.compile(source, re.IGNORECASE)

    def scan(self, text):
        if not text or self.pattern is None:
            return []
        lowered = text.lower()
        if len(lowered) == len(text):
            matches = self.pattern.finditer(lowered)
        else:
            matches = self.unicode_pattern.finditer(text)
        findings = []
        for match in matches:
            rule = self.rules[int(match.lastgroup[1:])]
            findings.append(
                Finding(
                    start=match.start(),
                    end=match.end(),
                    text=text[match.start() : match.end()],
                    phrase=rule.phrase,
                    protected_class=rule.protected_class,
                    class_name=rule.class_name,
                    reason=rule.reason,
                    suggestion=rule.suggestion,
                    rule_id=rule.pk,
                )
            )
        return findings
