"""The OData v4 query options the demo MLS understands, parsed into what the feed needs.

Only what a RESO replication client sends is supported: ``$filter`` on ``ModificationTimestamp``
(``gt``/``ge``, optionally with the ``eq ... and ListingKey gt '...'`` tie-breaker), the one feed
order, ``$top``, ``$skip``, ``$select``, ``$expand=Media`` and ``$count``. Anything else is an
``ODataError`` (a 400 with an OData error body) rather than being silently ignored.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

from mls.demo.feed import Position
from properties.models import Property
from properties.reso import RESO_FIELDS

MAX_TOP = 10_000
SUPPORTED_OPTIONS = {"$filter", "$orderby", "$top", "$skip", "$select", "$expand", "$count"}
IGNORED_OPTIONS = {"$format"}  # JSON is the only format; "$format=json" is accepted
FEED_ORDER = ["ModificationTimestamp", "ListingKey"]
SUPPORTED_FILTERS = (
    "ModificationTimestamp gt <timestamp>, ModificationTimestamp ge <timestamp>, or "
    "ModificationTimestamp gt <timestamp> or (ModificationTimestamp eq <timestamp> and "
    "ListingKey gt '<key>')"
)


class ODataError(Exception):
    """A request the demo MLS refuses, with the HTTP status and OData error code to answer."""

    def __init__(self, message, *, status=400, code="BadRequest"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class PropertyQuery:
    """The parsed query options of a request for the Property resource."""

    since: Position | None = None
    top: int | None = None
    skip: int = 0
    select: list[str] | None = None
    expand: bool = False
    count: bool = False


def parse_property_query(params, *, collection=True):
    """A ``PropertyQuery`` from the request's query parameters (a ``QueryDict``)."""
    for name in params:
        if name.startswith("$") and name not in SUPPORTED_OPTIONS | IGNORED_OPTIONS:
            raise ODataError(f"The query option {name} is not supported.", code="NotImplemented")
    if not collection:
        for name in ("$filter", "$orderby", "$top", "$skip", "$count"):
            if name in params:
                raise ODataError(f"{name} does not apply to a single record.")
    if params.get("$format", "json").lower() not in ("json", "application/json"):
        raise ODataError("Only $format=json is supported.")
    _check_orderby(params.get("$orderby"))
    return PropertyQuery(
        since=parse_filter(params["$filter"]) if params.get("$filter") else None,
        top=_integer(params, "$top", maximum=MAX_TOP),
        skip=_integer(params, "$skip") or 0,
        select=_select(params.get("$select")),
        expand=_expand(params.get("$expand")),
        count=_boolean(params, "$count"),
    )


def _integer(params, name, maximum=None):
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise ODataError(f"{name} must be a whole number, not {raw!r}.")
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ODataError(f"{name} may be at most {maximum}.")
    return value


def _boolean(params, name):
    raw = params.get(name, "false").strip().lower()
    if raw not in ("true", "false"):
        raise ODataError(f"{name} must be true or false, not {raw!r}.")
    return raw == "true"


def _check_orderby(raw):
    if raw is None:
        return
    terms = []
    for term in raw.split(","):
        parts = term.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() != "asc"):
            raise ODataError(f"Unsupported $orderby {raw!r}: only {_feed_order()} is supported.")
        terms.append(parts[0])
    if terms not in (FEED_ORDER, FEED_ORDER[:1]):
        raise ODataError(f"Unsupported $orderby {raw!r}: only {_feed_order()} is supported.")


def _feed_order():
    return ",".join(f"{name} asc" for name in FEED_ORDER)


def _select(raw):
    if raw is None or raw.strip() == "*":
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in RESO_FIELDS]
    if unknown or not names:
        raise ODataError(f"$select names unknown fields: {', '.join(unknown) or raw!r}.")
    return ["ListingKey", *(name for name in names if name != "ListingKey")]


def _expand(raw):
    if raw is None:
        return False
    if raw.strip() != "Media":
        raise ODataError(f"Only $expand=Media is supported, not {raw!r}.")
    return True


# --- $filter ------------------------------------------------------------------------------

TOKEN = re.compile(
    r"""\s*(?:
        (?P<open>\()|(?P<close>\))
        |'(?P<string>(?:[^']|'')*)'
        |(?P<timestamp>\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+\- ]\d\d:\d\d)?)
        |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
OPERATORS = {"eq", "ne", "gt", "ge", "lt", "le"}


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str
    value: object


@dataclass(frozen=True)
class Junction:
    operator: str  # "and" | "or"
    terms: tuple


def parse_filter(raw):
    """The ``Position`` a supported ``$filter`` starts from; an ``ODataError`` otherwise."""
    tokens = _tokenize(raw)
    parser = _FilterParser(tokens, raw)
    expression = parser.expression()
    if parser.position != len(tokens):
        raise _unsupported(raw)
    return _position(expression, raw)


def _tokenize(raw):
    tokens, position = [], 0
    while position < len(raw):
        if raw[position:].strip() == "":
            break
        match = TOKEN.match(raw, position)
        if not match:
            raise ODataError(f"Cannot read $filter {raw!r} at {raw[position : position + 20]!r}.")
        position = match.end()
        kind = match.lastgroup
        text = match.group(kind)
        if kind == "string":
            tokens.append(("value", text.replace("''", "'")))
        elif kind == "timestamp":
            tokens.append(("value", _timestamp(text, raw)))
        elif kind == "word" and text.lower() in OPERATORS | {"and", "or"}:
            tokens.append(("operator", text.lower()))
        else:
            tokens.append((kind, text))
    return tokens


def _timestamp(text, raw):
    # An unencoded "+" in a query string arrives as a space.
    if len(text) > 6 and text[-6] == " ":
        text = f"{text[:-6]}+{text[-5:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ODataError(f"Invalid timestamp {text!r} in $filter {raw!r}.") from error
    # A timestamp without a zone is read as UTC, as the feed's own zone-less timestamps are.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _FilterParser:
    """expression := term ("or" term)*; term := factor ("and" factor)*;
    factor := "(" expression ")" | name operator value."""

    def __init__(self, tokens, raw):
        self.tokens, self.raw, self.position = tokens, raw, 0

    def peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else (None, None)

    def take(self, kind, text=None):
        token = self.peek()
        if token[0] != kind or (text is not None and token[1] != text):
            raise _unsupported(self.raw)
        self.position += 1
        return token[1]

    def expression(self):
        return self._junction("or", self.term)

    def term(self):
        return self._junction("and", self.factor)

    def _junction(self, operator, operand):
        terms = [operand()]
        while self.peek() == ("operator", operator):
            self.position += 1
            terms.append(operand())
        return terms[0] if len(terms) == 1 else Junction(operator, tuple(terms))

    def factor(self):
        if self.peek()[0] == "open":
            self.position += 1
            inner = self.expression()
            self.take("close")
            return inner
        name = self.take("word")
        operator = self.take("operator")
        if operator not in OPERATORS:
            raise _unsupported(self.raw)
        return Comparison(name, operator, self.take("value"))


def _position(expression, raw):
    """Match the expression against the supported forms."""
    if isinstance(expression, Comparison):
        if _is_timestamp(expression, ("gt", "ge")):
            return Position(expression.value, inclusive=expression.operator == "ge")
        raise _unsupported(raw)
    if expression.operator == "or" and len(expression.terms) == 2:
        after = next((t for t in expression.terms if _is_timestamp(t, ("gt",))), None)
        tie = next((t for t in expression.terms if isinstance(t, Junction)), None)
        if after is not None and tie is not None and tie.operator == "and" and len(tie.terms) == 2:
            same = next((t for t in tie.terms if _is_timestamp(t, ("eq",))), None)
            key = next(
                (
                    t
                    for t in tie.terms
                    if isinstance(t, Comparison)
                    and t.field == "ListingKey"
                    and t.operator in ("gt", "ge")
                    and isinstance(t.value, str)
                ),
                None,
            )
            if same is not None and key is not None and same.value == after.value:
                return Position(
                    after.value, listing_key=key.value, key_inclusive=key.operator == "ge"
                )
    raise _unsupported(raw)


def _is_timestamp(term, operators):
    return (
        isinstance(term, Comparison)
        and term.field == "ModificationTimestamp"
        and term.operator in operators
        and isinstance(term.value, datetime)
    )


def _unsupported(raw):
    return ODataError(f"Unsupported $filter {raw!r}: the demo MLS supports {SUPPORTED_FILTERS}.")


# --- $metadata ----------------------------------------------------------------------------

EDM_TYPES = {
    "CharField": "Edm.String",
    "TextField": "Edm.String",
    "URLField": "Edm.String",
    "DecimalField": "Edm.Decimal",
    "PositiveSmallIntegerField": "Edm.Int32",
    "PositiveIntegerField": "Edm.Int32",
    "BooleanField": "Edm.Boolean",
    "DateField": "Edm.Date",
    "DateTimeField": "Edm.DateTimeOffset",
    "JSONField": "Collection(Edm.String)",
}
MEDIA_PROPERTIES = (
    ("MediaKey", "Edm.String"),
    ("MediaURL", "Edm.String"),
    ("Order", "Edm.Int32"),
    ("ShortDescription", "Edm.String"),
    ("MediaModificationTimestamp", "Edm.DateTimeOffset"),
    ("MediaCategory", "Edm.String"),
)


def metadata_document():
    """A minimal CSDL document: the Property entity type (RESO names) and its Media."""
    properties = []
    for reso_name, field_name in RESO_FIELDS.items():
        edm_type = EDM_TYPES[Property._meta.get_field(field_name).get_internal_type()]
        nullable = "false" if reso_name == "ListingKey" else "true"
        properties.append(
            f"<Property Name={quoteattr(reso_name)} Type={quoteattr(edm_type)} "
            f'Nullable="{nullable}"/>'
        )
    media = "".join(
        f"<Property Name={quoteattr(name)} Type={quoteattr(edm_type)}/>"
        for name, edm_type in MEDIA_PROPERTIES
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">'
        "<edmx:DataServices>"
        '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.reso.metadata">'
        '<EntityType Name="Property"><Key><PropertyRef Name="ListingKey"/></Key>'
        + "".join(properties)
        + '<NavigationProperty Name="Media" Type="Collection(org.reso.metadata.Media)"/>'
        "</EntityType>"
        '<EntityType Name="Media"><Key><PropertyRef Name="MediaKey"/></Key>'
        + media
        + "</EntityType>"
        '<EntityContainer Name="Default">'
        '<EntitySet Name="Property" EntityType="org.reso.metadata.Property"/>'
        "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
    )
