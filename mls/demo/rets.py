"""The demo MLS as a RETS 1.7.2 server: Login, Search, GetObject (photo locations) and Logout.

It serves the same ``DemoFeed`` records as the RESO Web API of the demo, the way a legacy MLS
does: HTTP Basic authentication with the demo credentials, the MLS's own system field names
(``L_ListingKey``, ``L_ModTS``, ``L_Status`` ...: ``RETS_FIELD_MAPPING`` maps them to RESO
names), lookup fields as their long values ("Active Under Contract") in COMPACT-DECODED, and
DateTimes in UTC without a zone. Search understands a DMQL2 query on the modification
timestamp (``(L_ModTS=2026-01-01T00:00:00+)``, ``…-``, ``from-to`` or an exact time, several
joined with ``,``), ``Limit``, ``Offset``, ``Select`` and ``Count``; records come in
(ModificationTimestamp, ListingKey) order. GetObject answers ``Location=1`` requests for photos
with their URLs.
"""

import base64
import binascii
import re
import secrets
from datetime import UTC, datetime
from functools import wraps
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods

from mls.demo.feed import DISPLAY, TIMESTAMP_FIELDS, Position, demo_feed_for
from mls.demo.tokens import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from properties.reso import RESO_FIELDS

RETS_VERSION = "RETS/1.7.2"
RETS_USERNAME, RETS_PASSWORD = DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
RESOURCE = "Property"
SEARCH_CLASS = "Property"
PHOTO_TYPE = "Photo"
MAX_ROWS = 10_000  # the most records one answer holds (a <MAXROWS/> says when more matched)
DELIMITER = "\t"
BOUNDARY = "demo-rets-object-boundary"
SESSION_COOKIE = "RETS-Session-ID"

# The demo MLS's own names for some RESO fields; the others keep their RESO names.
SYSTEM_NAMES = {
    "ListingKey": "L_ListingKey",
    "ListingId": "L_DisplayId",
    "ModificationTimestamp": "L_ModTS",
    "StandardStatus": "L_Status",
    "MlsStatus": "L_StatusDetail",
    "PropertyType": "L_Type",
    "PropertySubType": "L_SubType",
    "ListPrice": "L_AskingPrice",
    "OriginalListPrice": "L_OriginalPrice",
    "City": "L_City",
    "StateOrProvince": "L_State",
    "PostalCode": "L_Zip",
    "PublicRemarks": "L_Remarks",
    "PhotosCount": "L_PictureCount",
    "PhotosChangeTimestamp": "L_PictureModTS",
}
# System name -> RESO name: the ``field_mapping`` of a provider reading this server.
RETS_FIELD_MAPPING = {system: reso for reso, system in SYSTEM_NAMES.items()}
RESO_NAMES = {SYSTEM_NAMES.get(reso, reso): reso for reso in RESO_FIELDS}  # every system name
STAMP_FIELD = SYSTEM_NAMES["ModificationTimestamp"]

REPLY_TEXTS = {
    0: "Operation Successful",
    20201: "No Records Found",
}

TIMESTAMP = r"\d{4}-\d\d-\d\d(?:T\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?)?Z?"
CRITERION = re.compile(rf"\(\s*(\w+)\s*=\s*({TIMESTAMP})\s*(?:(\+|-)|-\s*({TIMESTAMP}))?\s*\)")


class RetsError(Exception):
    """A request the demo server refuses, with the RETS ReplyCode to answer."""

    def __init__(self, code, text):
        super().__init__(text)
        self.code = code
        self.text = text


def _reply(code, text=None, body="", *, status=200):
    text = text or REPLY_TEXTS.get(code, "Error")
    content = (
        f"<RETS ReplyCode={quoteattr(str(code))} ReplyText={quoteattr(text)}>\r\n{body}</RETS>\r\n"
    )
    response = HttpResponse(content, status=status, content_type="text/xml; charset=utf-8")
    response["RETS-Version"] = RETS_VERSION
    return response


def _credentials(request):
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


def rets_endpoint(*, counted=False):
    """Resolve the feed, require the demo credentials, count and fault Search requests."""

    def decorate(view):
        @wraps(view)
        def endpoint(request, feed):
            demo_feed = demo_feed_for(feed)
            if demo_feed is None:
                return _reply(20036, f"There is no demo feed named {feed!r}.", status=404)
            username, password = _credentials(request) or ("", "")
            if not (
                secrets.compare_digest(username.encode(), RETS_USERNAME.encode())
                and secrets.compare_digest(password.encode(), RETS_PASSWORD.encode())
            ):
                response = _reply(20037, "Authorization required.", status=401)
                response["WWW-Authenticate"] = 'Basic realm="demo-mls-rets"'
                return response
            fault = demo_feed.take_fault() if counted else None
            if fault == "rate_limited":
                response = _reply(20210, "Too many requests; retry later.", status=429)
                response["Retry-After"] = "1"
                return response
            if fault == "server_error":
                return _reply(20203, "The demo RETS server failed on purpose.", status=500)
            params = request.POST if request.method == "POST" else request.GET
            try:
                return view(request, demo_feed, params)
            except RetsError as error:
                return _reply(error.code, error.text)

        return csrf_exempt(gzip_page(require_http_methods(["GET", "POST"])(endpoint)))

    return decorate


# --- Login and Logout -------------------------------------------------------------------------


@rets_endpoint()
def login(request, feed, params):
    capabilities = {
        "Login": "mls_demo:rets-login",
        "Search": "mls_demo:rets-search",
        "GetObject": "mls_demo:rets-getobject",
        "Logout": "mls_demo:rets-logout",
    }
    lines = [
        f"MemberName=Demo {RETS_USERNAME}",
        f"User={RETS_USERNAME},1,IDX,{RETS_USERNAME}",
        "Broker=DEMO",
        "MetadataVersion=1.00.000",
        f"TimeoutSeconds={30 * 60}",
        *(f"{name}={reverse(url, args=[feed.name])}" for name, url in capabilities.items()),
    ]
    body = "<RETS-RESPONSE>\r\n" + "".join(f"{line}\r\n" for line in lines) + "</RETS-RESPONSE>\r\n"
    response = _reply(0, body=body)
    response.set_cookie(SESSION_COOKIE, secrets.token_hex(16), httponly=True)
    return response


@rets_endpoint()
def logout(request, feed, params):
    response = _reply(
        0, "Logged out", body="<RETS-RESPONSE>\r\nConnectTime=0\r\n</RETS-RESPONSE>\r\n"
    )
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- Search -----------------------------------------------------------------------------------


def _parse_timestamp(text):
    moment = datetime.fromisoformat(text.removesuffix("Z"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_dmql(query):
    """(from, to) of a DMQL query on the modification timestamp; each bound inclusive or None.

    Supported: ``(L_ModTS=ts+)``, ``(L_ModTS=ts-)``, ``(L_ModTS=from-to)``, ``(L_ModTS=ts)``,
    several joined by ``,`` (and), optionally wrapped in parentheses.
    """
    text = query.strip()
    position, lower, upper = 0, None, None
    remainder = []
    for match in CRITERION.finditer(text):
        remainder.append(text[position : match.start()])
        position = match.end()
        name, first, direction, second = match.groups()
        if name not in RESO_NAMES:
            raise RetsError(20200, f"Unknown query field {name}.")
        if name != STAMP_FIELD:
            raise RetsError(20206, f"The demo server searches on {STAMP_FIELD} only, not {name}.")
        try:
            start = _parse_timestamp(first)
            end = _parse_timestamp(second) if second else None
        except ValueError as error:
            raise RetsError(20206, f"Invalid DateTime in the query: {error}.") from error
        if direction == "+":
            bounds = (start, None)
        elif direction == "-":
            bounds = (None, start)
        elif end is not None:
            bounds = (start, end)
        else:
            bounds = (start, start)
        if bounds[0] is not None:
            lower = bounds[0] if lower is None else max(lower, bounds[0])
        if bounds[1] is not None:
            upper = bounds[1] if upper is None else min(upper, bounds[1])
    remainder.append(text[position:])
    if position == 0 or any(part.strip(" (),") for part in remainder) or "|" in text:
        raise RetsError(
            20206,
            f"Invalid query {query!r}: the demo server understands ({STAMP_FIELD}=<DateTime>+), "
            "-, <from>-<to> or an exact DateTime, joined with ','.",
        )
    return lower, upper


def _whole_number(params, name, default):
    raw = (params.get(name) or "").strip()
    if not raw or (name == "Limit" and raw.upper() == "NONE"):
        return default
    if not raw.isdigit():
        raise RetsError(20203, f"{name} must be a whole number, not {raw!r}.")
    return int(raw)


def _select(params):
    raw = (params.get("Select") or "").strip()
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in RESO_NAMES]
    if unknown or not names:
        raise RetsError(20202, f"Invalid Select: unknown fields {', '.join(unknown) or raw!r}.")
    return names


def _rets_value(name, value):
    """A record's value as COMPACT-DECODED text: lookups decoded, DateTimes without a zone."""
    if value is None:
        return ""
    if name in DISPLAY:
        value = DISPLAY[name].get(value, value)
    elif name in TIMESTAMP_FIELDS:
        value = _parse_timestamp(value).replace(tzinfo=None).isoformat()
    elif isinstance(value, bool):
        value = "1" if value else "0"
    elif isinstance(value, list):
        value = ",".join(str(item) for item in value)
    # A tab would break the row, and a line break the value.
    return escape(" ".join(str(value).split()))


@rets_endpoint(counted=True)
def search(request, feed, params):
    if params.get("SearchType") != RESOURCE or params.get("Class", SEARCH_CLASS) != SEARCH_CLASS:
        raise RetsError(20203, f"Only SearchType={RESOURCE} and Class={SEARCH_CLASS} exist here.")
    if params.get("QueryType", "DMQL2") not in ("DMQL", "DMQL2"):
        raise RetsError(20203, "Only QueryType=DMQL2 is supported.")
    if params.get("Format", "STANDARD-XML") != "COMPACT-DECODED":
        raise RetsError(20203, "This demo server answers in Format=COMPACT-DECODED only.")
    if params.get("StandardNames", "0") not in ("", "0"):
        raise RetsError(20203, "This demo server knows its system names only (StandardNames=0).")
    lower, upper = parse_dmql(params.get("Query") or "")
    limit = min(_whole_number(params, "Limit", MAX_ROWS), MAX_ROWS)
    offset = max(_whole_number(params, "Offset", 1), 1)  # RETS counts from 1
    count_mode = _whole_number(params, "Count", 0)
    select = _select(params)

    since = Position(lower, inclusive=True) if lower is not None else None
    matching = feed.page(since=since, top=0).total
    if upper is not None:
        matching -= feed.page(since=Position(upper), top=0).total
        matching = max(matching, 0)
    if matching == 0:
        return _reply(20201)
    parts = []
    if count_mode in (1, 2):
        parts.append(f'<COUNT Records="{matching}" />\r\n')
    if count_mode != 2:
        top = max(min(limit, matching - (offset - 1)), 0)
        page = feed.page(
            since=since,
            skip=offset - 1,
            top=top,
            select=[RESO_NAMES[name] for name in select] if select else None,
        )
        columns = select or [SYSTEM_NAMES.get(name, name) for name in RESO_FIELDS]
        parts.append(f'<DELIMITER value="09" />\r\n<COLUMNS>{_row(columns)}</COLUMNS>\r\n')
        for record in page.records:
            values = [
                _rets_value(RESO_NAMES[name], record.get(RESO_NAMES[name])) for name in columns
            ]
            parts.append(f"<DATA>{_row(values)}</DATA>\r\n")
        if offset - 1 + top < matching and top == MAX_ROWS:
            parts.append("<MAXROWS />\r\n")
    return _reply(0, body="".join(parts))


def _row(values):
    return DELIMITER + DELIMITER.join(values) + DELIMITER


# --- GetObject --------------------------------------------------------------------------------


def _object_ids(raw):
    """{listing key: "*" or a list of object ids} from GetObject's ``ID`` parameter."""
    wanted = {}
    for resource_set in raw.split(","):
        key, _, objects = resource_set.strip().partition(":")
        if not key:
            raise RetsError(20402, f"Invalid ID {raw!r}.")
        if objects in ("", "*"):
            wanted[key] = "*"
            continue
        numbers = objects.split(":")
        if not all(number.isdigit() for number in numbers):
            raise RetsError(20402, f"Invalid object ids in {resource_set!r}.")
        wanted[key] = [int(number) for number in numbers]
    return wanted


@rets_endpoint()
def get_object(request, feed, params):
    """Photo locations (``Location=1``) as a multipart answer, one part a photo."""
    if params.get("Resource") != RESOURCE:
        raise RetsError(20400, f"Only Resource={RESOURCE} has objects here.")
    if (params.get("Type") or "").lower() != PHOTO_TYPE.lower():
        raise RetsError(20401, f"Only Type={PHOTO_TYPE} exists here.")
    if params.get("Location") != "1":
        raise RetsError(20413, "This demo server gives photo locations only: ask with Location=1.")
    base_url = request.build_absolute_uri("/").rstrip("/")
    parts = []
    for key, object_ids in _object_ids(params.get("ID") or "").items():
        record = feed.record(key, select=["ListingKey"], base_url=base_url)
        photos = (record or {}).get("Media") or []
        for photo in photos:
            order = photo["Order"]
            if (
                object_ids != "*"
                and order not in object_ids
                and not (0 in object_ids and order == 1)
            ):
                continue
            headers = {
                "Content-ID": key,
                "Object-ID": str(order),
                "Content-Type": "image/jpeg",
                "Location": photo["MediaURL"],
                "Content-Description": photo.get("ShortDescription") or "",
            }
            parts.append("".join(f"{name}: {value}\r\n" for name, value in headers.items()))
    if not parts:
        return _reply(20403, "No Object Found")
    body = "".join(f"--{BOUNDARY}\r\n{part}\r\n" for part in parts) + f"--{BOUNDARY}--\r\n"
    response = HttpResponse(body, content_type=f'multipart/parallel; boundary="{BOUNDARY}"')
    response["RETS-Version"] = RETS_VERSION
    response["MIME-Version"] = "1.0"
    return response
