"""Address normalization: the key that tells one home from another across listings.

The same house can reach the brokerage more than once: from two MLS feeds, from a feed and
the brokerage's own entry, or relisted under a new MLS number. Each copy spells the address a
little differently ("123 North Main Street, Unit 4B" / "123 N Main St #4b"), so listings are
matched on :func:`home_key`, a normalized form of the address:

* lowercase; periods and apostrophes dropped ("St." → "st"), other punctuation is a space;
* street words in their USPS abbreviation (Street → st, Avenue → ave, North → n, ...; see
  ``STREET_WORDS``), whether they come in the suffix, the direction or the street name, so a
  feed that puts "Maple Avenue" in the street name matches one that splits "Maple" + "Ave";
* unit designators stripped ("Unit 4B", "#4B", "Apt 4b", "Ste 4-B" → "4b");
* the postal code's first five digits (ZIP+4 matches ZIP), or the city and state when a
  listing has no postal code.

A listing without a street number or a street name gets the empty key, which never matches:
a lot described only by its parcel is never merged with another.

The key only ever compares for equality; it is never shown. Changing these tables changes
keys: existing rows keep theirs until they are saved again (or a migration recomputes them).
Things it does not unify, on purpose or for now: spelled-out ordinals beyond "twelfth",
a unit written into the street name ("Main St Apt 4"), and leading zeros in units ("04" ≠ "4").
"""

import re

# Every field the key is built from: a model instance (or a migration's historical one)
# must have loaded these.
HOME_KEY_FIELDS = (
    "street_number",
    "street_dir_prefix",
    "street_name",
    "street_suffix",
    "unit_number",
    "postal_code",
    "city",
    "state_or_province",
)
HOME_KEY_MAX_LENGTH = 160

# USPS Publication 28 abbreviations (C1 street suffixes, directionals) for the words that
# actually vary between feeds, plus their common misspellings. Applied to every word of the
# street part: both spellings of an address go through the same table, so an odd hit (a
# street called "Court") is harmless.
STREET_SUFFIXES = {
    "alley": "aly",
    "allee": "aly",
    "ally": "aly",
    "avenue": "ave",
    "av": "ave",
    "aven": "ave",
    "avenu": "ave",
    "avn": "ave",
    "avnue": "ave",
    "boulevard": "blvd",
    "boul": "blvd",
    "boulv": "blvd",
    "circle": "cir",
    "circ": "cir",
    "circl": "cir",
    "crcl": "cir",
    "crcle": "cir",
    "court": "ct",
    "crt": "ct",
    "cove": "cv",
    "crescent": "cres",
    "crsent": "cres",
    "crossing": "xing",
    "crssng": "xing",
    "drive": "dr",
    "driv": "dr",
    "drv": "dr",
    "expressway": "expy",
    "expressw": "expy",
    "expw": "expy",
    "freeway": "fwy",
    "freewy": "fwy",
    "frway": "fwy",
    "grove": "grv",
    "heights": "hts",
    "ht": "hts",
    "highway": "hwy",
    "highwy": "hwy",
    "hiway": "hwy",
    "hiwy": "hwy",
    "hway": "hwy",
    "lane": "ln",
    "parkway": "pkwy",
    "parkwy": "pkwy",
    "pkway": "pkwy",
    "pky": "pkwy",
    "place": "pl",
    "plaza": "plz",
    "plza": "plz",
    "point": "pt",
    "ridge": "rdg",
    "road": "rd",
    "route": "rte",
    "square": "sq",
    "sqr": "sq",
    "squ": "sq",
    "street": "st",
    "str": "st",
    "strt": "st",
    "terrace": "ter",
    "terr": "ter",
    "trail": "trl",
    "trails": "trl",
    "trls": "trl",
    "turnpike": "tpke",
    "trnpk": "tpke",
    "turnpk": "tpke",
    "way": "way",
    "wy": "way",
}
DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
# Words inside street names. "St" is both Street and Saint: mapping Saint to "st" as well
# keeps "Saint Charles Ave" and "St Charles Ave" equal.
NAME_WORDS = {
    "saint": "st",
    "mount": "mt",
    "fort": "ft",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
    "eleventh": "11th",
    "twelfth": "12th",
}
STREET_WORDS = {**STREET_SUFFIXES, **DIRECTIONS, **NAME_WORDS}

# What may stand before a unit's own number: "Unit 4B", "Apt. #4B", "Suite 200", "No. 3".
UNIT_DESIGNATORS = frozenset(
    {
        "unit",
        "apt",
        "apartment",
        "ste",
        "suite",
        "no",
        "num",
        "number",
        "rm",
        "room",
        "spc",
        "space",
        "lot",
        "trlr",
    }
)

_DROPPED = re.compile(r"[.']")  # "St." → "st", "O'Brien" → "obrien"
_SEPARATORS = re.compile(r"[^0-9a-z]+")  # "#", "-", "/", "," and spaces split words


def _words(text):
    """Lowercase words of ``text`` with punctuation removed."""
    text = _DROPPED.sub("", (text or "").lower())
    return _SEPARATORS.sub(" ", text).split()


def street_key(*parts):
    """The street part (direction, name, suffix) as normalized words."""
    words = [word for part in parts for word in _words(part)]
    return " ".join(STREET_WORDS.get(word, word) for word in words)


def unit_key(unit_number):
    """The unit without its designator and separators: "Apt #4-B" → "4b"."""
    words = _words(unit_number)
    while words and words[0] in UNIT_DESIGNATORS:
        words = words[1:]
    return "".join(words)


def place_key(postal_code, city, state_or_province):
    """The ZIP's first five digits; the postal code as it is elsewhere; else city and state."""
    compact = "".join(_words(postal_code))
    if compact:
        return compact[:5] if compact[:5].isdigit() else compact
    return " ".join(_words(city) + _words(state_or_province))


def home_key(
    *,
    street_number,
    street_dir_prefix,
    street_name,
    street_suffix,
    unit_number,
    postal_code,
    city,
    state_or_province,
):
    """The normalized address of a home: ``"62701|123 n main st|4b"``; "" when incomplete."""
    number = "".join(_words(street_number))
    if not number or not _words(street_name):
        return ""
    street = street_key(street_dir_prefix, street_name, street_suffix)
    place = place_key(postal_code, city, state_or_province)
    # The place first: an over-long street name is what gets cut, never the place.
    key = f"{place}|{number} {street}|{unit_key(unit_number)}"
    return key[:HOME_KEY_MAX_LENGTH]


def home_key_of(row):
    """:func:`home_key` of anything with the ``HOME_KEY_FIELDS`` as attributes."""
    return home_key(**{name: getattr(row, name) for name in HOME_KEY_FIELDS})
