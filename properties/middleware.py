"""Counts the views of listing pages for the listing agent's performance figures."""

from properties.services import listing_view_count

LISTING_PAGE = "properties:detail"


class ListingViewCountMiddleware:
    """Count a view of every listing page shown (a GET answered 200), after the page's view
    decided the person may see it; the page's own listing object is reused, so no read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        match = request.resolver_match
        if (
            request.method == "GET"
            and response.status_code == 200
            and match is not None
            and match.view_name == LISTING_PAGE
            and request.user.is_authenticated
        ):
            listing = (response.context_data or {}).get("listing")
            if listing is not None:
                listing_view_count(listing=listing, viewer=request.user)
        return response
