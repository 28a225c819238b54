"""The demo MLS over HTTP: a RESO Web API (OData v4 JSON) service, its photos and its tokens.

Plain Django views: each resolves the named feed, checks its bearer token when the feed wants
one, parses the query options and asks the feed for the records.
"""

import base64
import binascii
import gzip
from dataclasses import replace
from functools import lru_cache, wraps

import orjson
from django.http import Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from mls.demo.feed import demo_feed_for
from mls.demo.images import photo_jpeg
from mls.demo.odata import ODataError, metadata_document, parse_property_query
from mls.demo.tokens import TOKEN_LIFETIME, token_is_valid, token_issue

ODATA_JSON = "application/json; odata.metadata=minimal"
PAGE_CACHE_SIZE = 128  # pages of up to ~400 KB, gzipped
PHOTO_MAX_AGE = 24 * 60 * 60


def _json(payload, *, status=200, content_type=ODATA_JSON):
    response = HttpResponse(orjson.dumps(payload), status=status, content_type=content_type)
    response["OData-Version"] = "4.0"
    return response


def _error(status, code, message):
    return _json({"error": {"code": code, "message": message}}, status=status)


def _bearer_token(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def odata_endpoint(*, counted=False):
    """Resolve the feed, require its token, count and fault Property requests, answer errors."""

    def decorate(view):
        @wraps(view)
        def endpoint(request, feed, **kwargs):
            demo_feed = demo_feed_for(feed)
            if demo_feed is None:
                return _error(404, "NotFound", f"There is no demo feed named {feed!r}.")
            token = _bearer_token(request)
            if demo_feed.auth and not token_is_valid(feed_name=demo_feed.name, token=token):
                response = _error(401, "Unauthorized", "A valid bearer token is required.")
                response["WWW-Authenticate"] = 'Bearer realm="demo-mls"'
                return response
            fault = demo_feed.take_fault() if counted else None
            if fault == "rate_limited":
                response = _error(429, "TooManyRequests", "Rate limit exceeded; retry later.")
                response["Retry-After"] = "1"
                return response
            if fault == "server_error":
                return _error(500, "InternalServerError", "The demo MLS failed on purpose.")
            try:
                return view(request, demo_feed, **kwargs)
            except ODataError as error:
                return _error(error.status, error.code, error.message)

        return gzip_page(require_GET(endpoint))

    return decorate


def _service_root(request, feed):
    return request.build_absolute_uri(reverse("mls_demo:service", args=[feed.name]))


def _base_url(request):
    return request.build_absolute_uri("/").rstrip("/")


@odata_endpoint()
def service_document(request, feed):
    root = _service_root(request, feed)
    entity_sets = [{"name": "Property", "kind": "EntitySet", "url": "Property"}]
    return _json({"@odata.context": f"{root}$metadata", "value": entity_sets})


@odata_endpoint()
def metadata(request, feed):
    response = HttpResponse(metadata_document(), content_type="application/xml")
    response["OData-Version"] = "4.0"
    return response


@odata_endpoint(counted=True)
def property_list(request, feed):
    minute = feed.minute_at()
    body = _property_page(
        replace(feed, now=feed.timestamp(minute)),
        request.get_full_path(),
        _service_root(request, feed),
        _base_url(request),
    )
    response = HttpResponse(content_type=ODATA_JSON)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response.content = body
        response["Content-Encoding"] = "gzip"
        response["Vary"] = "Accept-Encoding"
    else:
        response.content = gzip.decompress(body)
    response["OData-Version"] = "4.0"
    return response


@lru_cache(maxsize=PAGE_CACHE_SIZE)
def _property_page(feed, full_path, service_root, base_url):
    """One page of the feed as gzipped JSON, kept for the minute the feed stays the same.

    A feed only changes on the minute, so a page asked for again within it (a re-sync, the
    same page read by several clients) is served as it was made.
    """
    path, _, query_string = full_path.partition("?")
    params = QueryDict(query_string, mutable=True)
    query = parse_property_query(params)
    page = feed.page(
        since=query.since,
        skip=query.skip,
        top=query.top,
        select=query.select,
        expand=query.expand,
        base_url=base_url,
    )
    selected = f"({','.join(query.select)})" if query.select else ""
    payload = {"@odata.context": f"{service_root}$metadata#Property{selected}"}
    if query.count:
        payload["@odata.count"] = page.total
    payload["value"] = page.records
    if page.more and page.records and feed.next_link:
        params["$skip"] = str(query.skip + len(page.records))
        next_query = params.urlencode(safe="$,'():")
        payload["@odata.nextLink"] = f"{base_url}{path}?{next_query}"
    return gzip.compress(orjson.dumps(payload), compresslevel=1, mtime=0)


@odata_endpoint(counted=True)
def property_detail(request, feed, listing_key):
    query = parse_property_query(request.GET, collection=False)
    record = feed.record(
        listing_key, select=query.select, expand=query.expand, base_url=_base_url(request)
    )
    if record is None:
        return _error(404, "NotFound", f"No Property with ListingKey {listing_key!r}.")
    context = f"{_service_root(request, feed)}$metadata#Property/$entity"
    return _json({"@odata.context": context, **record})


@require_GET
def photo(request, feed, listing_key, number):
    demo_feed = demo_feed_for(feed)
    if demo_feed is None or not demo_feed.photo_exists(listing_key, number):
        raise Http404("No such photo.")
    response = HttpResponse(photo_jpeg(listing_key, number), content_type="image/jpeg")
    patch_cache_control(response, public=True, max_age=PHOTO_MAX_AGE, immutable=True)
    return response


def _client_credentials(request):
    """(client_id, client_secret) from the form, or from HTTP Basic authentication."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


@csrf_exempt
@require_POST
def token(request, feed):
    """OAuth2 client credentials: a bearer token for the feed."""
    demo_feed = demo_feed_for(feed)
    if demo_feed is None:
        return _json({"error": "invalid_request"}, status=404, content_type="application/json")
    if request.POST.get("grant_type") != "client_credentials":
        return _json(
            {"error": "unsupported_grant_type"}, status=400, content_type="application/json"
        )
    client_id, client_secret = _client_credentials(request)
    access_token = token_issue(
        feed_name=demo_feed.name, client_id=client_id, client_secret=client_secret
    )
    if access_token is None:
        return _json({"error": "invalid_client"}, status=401, content_type="application/json")
    response = _json(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME},
        content_type="application/json",
    )
    response["Cache-Control"] = "no-store"
    return response
