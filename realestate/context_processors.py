"""Template context shared by every page."""

from functools import lru_cache

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

from realestate.permissions import actor_for

# The top bar's links (templates/base.html), by the name the template uses.
NAV_URLS = {
    "dashboard": "dashboard",
    "listings": "properties:list",
    "cma": "properties:cma-list",
    "clients": "clients:list",
    "calendar": "clients:calendar",
    "outreach": "clients:outreach-campaigns",
    "deals": "transactions:list",
    "review": "transactions:review-queue",
    "feeds": "mls:providers",
    "compliance": "compliance:home",
    "admin": "admin:index",
    "bell": "notifications:bell",
    "unread_count": "notifications:unread-count",
    "notifications": "notifications:list",
    "alert_settings": "notifications:settings",
    "webhooks": "webhooks:list",
    "signature": "signature",
    "brand_kit": "brand-kit",
    "activity": "dashboard-activity",
    "api_docs": "api-docs",
    "logout": "logout",
}


def actor(request):
    """The signed-in person's brokerage role, for navigation and page chrome."""
    if not request.user.is_authenticated:
        return {}
    return {"actor": actor_for(request.user)}


def nav(request):
    """The top bar's links as ``nav.<name>``.

    They are reversed once per URLconf and script prefix instead of by twenty ``{% url %}``
    on every page (half a millisecond each time). A changed URLconf (``clear_url_caches``)
    is a new resolver, so its links are reversed again.
    """
    return {"nav": _nav_urls(get_resolver(get_urlconf()), get_script_prefix())}


@lru_cache(maxsize=16)
def _nav_urls(resolver, script_prefix):
    return {key: reverse(name) for key, name in NAV_URLS.items()}
