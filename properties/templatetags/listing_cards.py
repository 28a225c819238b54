"""``{% listing_cards listings %}``: the listing cards of the list page and the dashboard.

The cards are written with ``format_html`` rather than a template included once per card: a
page shows up to 96 of them, and the template engine took about 120 µs a card (most of the
list page's rendering); this takes under half of that. Every value is escaped, as the
template would have done, by ``html_text``: what ``conditional_escape`` does, without the
lazy-string check that ``format_html`` makes twice for each of the cards' twenty-odd values (a
third of their cost).
"""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from properties.choices import StandardStatus
from realestate.formatting import html_text, money, number, status_badge

register = template.Library()

# A listing id no listing has, reversed once per call and replaced by each card's own id: the
# detail URL of every card without a ``reverse()`` each (a tenth of a card's cost).
_ANY_ID = 9_087_654_321

CARD = (
    '<article class="listing-card{archived_class}">\n'
    '  <a class="listing-card__photo{photo_class}" href="{url}" tabindex="-1" aria-hidden="true">'
    "{photo}</a>\n"
    '  <div class="listing-card__body">\n'
    '    <div class="listing-card__top">\n'
    '      <p class="listing-card__price">{price}</p>\n'
    "      {status}\n"
    "    </div>\n"
    '    <h3 class="listing-card__address"><a href="{url}">{address}</a></h3>\n'
    '    <p class="listing-card__city muted">{city}, {state} {postal_code}</p>\n'
    '    <ul class="listing-card__facts">\n'
    "      <li><strong>{beds}</strong> bd</li>\n"
    "      <li><strong>{baths}</strong> ba</li>\n"
    "      <li><strong>{area}</strong> sq ft</li>\n"
    "    </ul>\n"
    '    <p class="listing-card__meta muted">{meta}</p>\n'
    "  </div>\n"
    "</article>\n"
)
# ``get_standard_status_display`` builds this dict again for every card.
STATUS_LABELS = dict(StandardStatus.choices)
PHOTO = '<img src="{}" alt="" loading="lazy" width="200" height="150">'
ARCHIVED = mark_safe(' · <span class="badge badge--archived">Archived</span>')
NOT_ON_MARKET = "Not on market yet"
HOME_LISTINGS = (
    ' · <a class="badge badge--neutral" href="{}#also-listed-as" '
    'title="This home is listed more than once">{} listings</a>'
)


@register.simple_tag
def listing_cards(listings):
    """One card per listing (``properties.selectors.property_rows`` brings what they show)."""
    detail_url = reverse("properties:detail", args=[_ANY_ID])
    url_head, url_tail = detail_url.split(str(_ANY_ID))
    today = timezone.localdate()
    return SafeString(
        "".join(_card(listing, f"{url_head}{listing.pk}{url_tail}", today) for listing in listings)
    )


def _card(listing, url, today):
    url = html_text(url)
    thumbnail = listing.thumbnail_url
    days = listing.days_on_market_as_of(today)
    on_market = f"{days} day{'' if days == 1 else 's'} on market" if days is not None else ""
    meta = [on_market or NOT_ON_MARKET]
    if listing.list_agent:
        meta.append(f" · {html_text(listing.list_agent.name)}")
    if listing.archived_at:
        meta.append(ARCHIVED)
    if listing.home_listings_count > 1:
        meta.append(HOME_LISTINGS.format(url, listing.home_listings_count))
    return CARD.format(
        archived_class=" listing-card--archived" if listing.archived_at else "",
        photo_class="" if thumbnail else " listing-card__photo--none",
        url=url,
        photo=PHOTO.format(html_text(thumbnail)) if thumbnail else "",
        price=html_text(money(listing.list_price)),
        status=status_badge(
            listing.standard_status,
            STATUS_LABELS.get(listing.standard_status, listing.standard_status),
        ),
        address=html_text(listing.street_address),
        city=html_text(listing.city),
        state=html_text(listing.state_or_province),
        postal_code=html_text(listing.postal_code),
        beds=_or_dash(listing.bedrooms_total),
        baths=_or_dash(listing.bathrooms_total_integer),
        area=html_text(number(listing.living_area) or "–"),
        meta="".join(meta),
    )


def _or_dash(value):
    return "–" if value is None else html_text(value)
