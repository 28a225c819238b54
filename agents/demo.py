"""Demo data: two brokerages, their people and a few hundred realistic listings with photos.

Everything is written through the product's services (``brokerage_create``, ``agent_create``,
``listing_create``, ``listing_update``, ``media_add`` ...), so the demo has the same history,
permissions and audit trail as data entered by hand.

* **Deterministic.** Every random choice comes from ``random.Random`` seeded from ``seed`` (one
  generator for the people, one per listing and one per photo), and every date is relative to a
  fixed anchor date derived from the seed, so two runs with the same seed produce the same people,
  addresses, prices, statuses, dates and photo pixels. What the services themselves generate
  differs between runs: listing keys and photo UUIDs, and the timestamps of the timeline rows
  (the services stamp a change with the time it is made).
* **Idempotent.** The demo brokerages are recognised by their slugs (``DEMO_BROKERAGE_SLUGS``):
  if either exists, nothing is created and the existing demo data is left as it is. To load it
  again, delete those brokerages (and their listings and agents) first.
* **MLS feeds.** Maple Realty reads the demo MLS this server serves at ``/mls/demo/``: as
  "Demo MLS" (RESO Web API, enabled) and "Demo MLS (RETS)" (the demo RETS server, disabled
  because it reads the same listings).
* **All or nothing.** The rows are written in one transaction. Photo variants are made after the
  commit: queued for the Celery photo worker, or made inline when ``process_photos`` is true
  (the default when ``CELERY_TASK_ALWAYS_EAGER`` is set).
"""

import io
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from random import Random

from auditlog.context import set_actor
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageOps

from agents.choices import Role, Specialty
from agents.models import Brokerage
from agents.services.people import (
    agent_create,
    agent_update,
    brokerage_create,
    office_create,
    team_create,
)
from clients.demo import demo_clients_load
from properties.choices import MediaStatus, PropertySubType, PropertyType, StandardStatus
from properties.models import PropertyMedia
from properties.services import listing_create, listing_update, media_add
from transactions.demo import demo_deals_load

# Every demo user signs in with this password (shown by ``manage.py demo_data``).
DEMO_PASSWORD = "demo-pass-2026"

# Dates are relative to this anchor, moved back by up to 29 days depending on the seed.
DEMO_ANCHOR_DATE = date(2026, 11, 2)

PHOTO_SIZE = (1280, 960)
CENTS = Decimal("0.01")


# --- What the demo is made of -----------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    """A town the brokerage lists in, with what makes its listings look local."""

    city: str
    state: str
    postal_codes: tuple[str, ...]
    county: str
    latitude: float
    longitude: float
    price_per_sqft: int
    streets: tuple[str, ...]
    subdivisions: tuple[str, ...]
    amenities: tuple[str, ...]
    coastal: bool = False


@dataclass(frozen=True)
class Person:
    """A demo user and their agent profile."""

    username: str
    first_name: str
    last_name: str
    role: Role
    office: str | None = None
    specialties: tuple[str, ...] = ()
    market_areas: tuple[str, ...] = ()
    bio: str = ""


@dataclass(frozen=True)
class OfficeSpec:
    name: str
    street_address: str
    city: str
    postal_code: str
    phone: str
    mls_office_id: str


@dataclass(frozen=True)
class TeamSpec:
    name: str
    office: str
    lead: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class BrokerageSpec:
    """One demo brokerage: its offices, people, teams and the towns it lists in."""

    name: str
    slug: str
    state: str
    license_number: str
    phone: str
    email: str
    website: str
    area_code: str
    mls_prefix: str
    share: float  # of the demo listings
    offices: tuple[OfficeSpec, ...]
    people: tuple[Person, ...]
    teams: tuple[TeamSpec, ...]
    towns: tuple[Town, ...]
    tax_rate: float


MAPLE_TOWNS = (
    Town(
        "Concord",
        "MA",
        ("01742",),
        "Middlesex",
        42.4604,
        -71.3489,
        560,
        ("Walden", "Monument", "Lowell", "Barretts Mill", "Sudbury", "Musketaquid", "Elm"),
        ("Conantum", "Peter Spring", "Nine Acre Corner"),
        ("Walden Pond", "Concord Center", "the commuter rail", "the Old North Bridge"),
    ),
    Town(
        "Lexington",
        "MA",
        ("02420", "02421"),
        "Middlesex",
        42.4473,
        -71.2245,
        610,
        ("Massachusetts", "Hancock", "Waltham", "Grant", "Follen", "Bedford", "Bloomfield"),
        ("Five Fields", "Peacock Farm", "Turning Mill"),
        ("Lexington Center", "the Minuteman Bikeway", "Lexington Battle Green", "Route 128"),
    ),
    Town(
        "Newton",
        "MA",
        ("02458", "02459", "02460", "02465"),
        "Middlesex",
        42.3370,
        -71.2092,
        650,
        ("Commonwealth", "Beacon", "Centre", "Walnut", "Lowell", "Chestnut", "Homer"),
        ("Chestnut Hill", "Waban", "Auburndale", "Newton Highlands"),
        ("Newton Centre", "the Green Line", "Boston College", "the Charles River paths"),
    ),
    Town(
        "Arlington",
        "MA",
        ("02474", "02476"),
        "Middlesex",
        42.4154,
        -71.1565,
        540,
        ("Massachusetts", "Pleasant", "Jason", "Mystic", "Appleton", "Summer", "Gray"),
        ("Arlington Heights", "Morningside"),
        ("Spy Pond", "Arlington Center", "the Minuteman Bikeway", "Robbins Farm Park"),
    ),
)

HARBOR_TOWNS = (
    Town(
        "Portland",
        "ME",
        ("04101", "04102", "04103"),
        "Cumberland",
        43.6591,
        -70.2568,
        390,
        ("Congress", "Munjoy", "Danforth", "Brackett", "Vaughan", "Eastern Promenade", "Deering"),
        ("Munjoy Hill", "West End", "Deering Highlands"),
        ("the Old Port", "the Eastern Promenade", "Back Cove Trail", "the Casco Bay ferries"),
        coastal=True,
    ),
    Town(
        "South Portland",
        "ME",
        ("04106",),
        "Cumberland",
        43.6415,
        -70.2409,
        340,
        ("Broadway", "Cottage", "Preble", "Sawyer", "Ocean", "Highland", "Thompson"),
        ("Willard Square", "Meetinghouse Hill", "Ferry Village"),
        ("Willard Beach", "Bug Light Park", "the Greenbelt Walkway", "Knightville cafes"),
        coastal=True,
    ),
    Town(
        "Falmouth",
        "ME",
        ("04105",),
        "Cumberland",
        43.7295,
        -70.2420,
        410,
        ("Foreside", "Bucknam", "Blackstrap", "Middle", "Woods", "Lunt", "Gray"),
        ("Falmouth Foreside", "Underwood Park", "Hardy Farm"),
        ("Town Landing", "Falmouth Country Club", "Route 1 shops", "Gilsland Farm"),
        coastal=True,
    ),
    Town(
        "Cape Elizabeth",
        "ME",
        ("04107",),
        "Cumberland",
        43.5637,
        -70.2000,
        470,
        ("Shore", "Ocean House", "Spurwink", "Two Lights", "Mitchell", "Scott Dyer", "Fowler"),
        ("Shore Acres", "Cross Hill", "Maiden Cove"),
        ("Crescent Beach", "Portland Head Light", "Two Lights State Park", "Kettle Cove"),
        coastal=True,
    ),
)

DEMO_BROKERAGES = (
    BrokerageSpec(
        name="Maple Realty",
        slug="maple-realty",
        state="MA",
        license_number="MA-BRK-1048823",
        phone="(978) 555-0100",
        email="hello@maplerealty.example",
        website="https://www.maplerealty.example",
        area_code="978",
        mls_prefix="MR",
        share=0.6,
        offices=(
            OfficeSpec("Concord", "48 Main Street", "Concord", "01742", "(978) 555-0101", "MR-CON"),
            OfficeSpec(
                "Newton Centre", "1210 Centre Street", "Newton", "02459", "(617) 555-0102", "MR-NEW"
            ),
        ),
        people=(
            Person(
                "broker",
                "Margaret",
                "Whitfield",
                Role.BROKER,
                "Concord",
                (Specialty.LUXURY, Specialty.SELLERS),
                ("Concord", "Lexington"),
                "Founded Maple Realty in 2004 after a decade selling historic homes in Concord.",
            ),
            Person(
                "alice",
                "Alice",
                "Moreno",
                Role.AGENT,
                "Concord",
                (Specialty.BUYERS, Specialty.FIRST_TIME),
                ("Concord", "Arlington"),
                "Helps first-time buyers find their footing west of Boston.",
            ),
            Person(
                "bob",
                "Bob",
                "Kaplan",
                Role.AGENT,
                "Newton Centre",
                (Specialty.LUXURY, Specialty.SELLERS),
                ("Newton", "Lexington"),
                "Lifelong Newton resident who knows every village and school district.",
            ),
            Person(
                "carol",
                "Carol",
                "Nguyen",
                Role.AGENT,
                "Newton Centre",
                (Specialty.CONDOS, Specialty.INVESTMENT),
                ("Newton", "Arlington"),
                "Former property manager; condos, two-families and first investments.",
            ),
            Person(
                "dave",
                "David",
                "Okafor",
                Role.AGENT,
                "Concord",
                (Specialty.RELOCATION, Specialty.NEW_CONSTRUCTION),
                ("Concord", "Lexington"),
                "Relocation specialist for families moving to the Route 2 corridor.",
            ),
            Person(
                "assistant",
                "Priya",
                "Shah",
                Role.ASSISTANT,
                "Concord",
                bio="Listing coordinator: photos, paperwork and showing schedules.",
            ),
            Person("viewer", "Tom", "Becker", Role.VIEWER, bio="Office bookkeeper."),
        ),
        teams=(TeamSpec("Concord Home Team", "Concord", "alice", ("alice", "dave")),),
        towns=MAPLE_TOWNS,
        tax_rate=0.0115,
    ),
    BrokerageSpec(
        name="Harbor Homes",
        slug="harbor-homes",
        state="ME",
        license_number="ME-AG-0931577",
        phone="(207) 555-0150",
        email="info@harborhomes.example",
        website="https://www.harborhomes.example",
        area_code="207",
        mls_prefix="HH",
        share=0.4,
        offices=(
            OfficeSpec(
                "Portland Waterfront",
                "22 Commercial Street",
                "Portland",
                "04101",
                "(207) 555-0151",
                "HH-POR",
            ),
        ),
        people=(
            Person(
                "harbor-broker",
                "James",
                "O'Connell",
                Role.BROKER,
                "Portland Waterfront",
                (Specialty.SELLERS, Specialty.LUXURY),
                ("Portland", "Cape Elizabeth"),
                "Designated broker of Harbor Homes; thirty years on Casco Bay.",
            ),
            Person(
                "erin",
                "Erin",
                "Walsh",
                Role.AGENT,
                "Portland Waterfront",
                (Specialty.LUXURY, Specialty.BUYERS),
                ("Cape Elizabeth", "Falmouth"),
                "Waterfront and coastal homes from Cape Elizabeth to Falmouth Foreside.",
            ),
            Person(
                "frank",
                "Frank",
                "Delgado",
                Role.AGENT,
                "Portland Waterfront",
                (Specialty.LAND, Specialty.INVESTMENT),
                ("Portland", "South Portland"),
                "Multifamily, land and investment property across Greater Portland.",
            ),
            Person(
                "harbor-assistant",
                "Grace",
                "Liu",
                Role.ASSISTANT,
                "Portland Waterfront",
                bio="Transaction coordinator and showing desk.",
            ),
            Person("harbor-viewer", "Henry", "Park", Role.VIEWER, bio="Marketing intern."),
        ),
        teams=(TeamSpec("Casco Bay Team", "Portland Waterfront", "erin", ("erin", "frank")),),
        towns=HARBOR_TOWNS,
        tax_rate=0.0135,
    ),
)

DEMO_BROKERAGE_SLUGS = tuple(spec.slug for spec in DEMO_BROKERAGES)

# Final status of a listing -> weight; most listings are on the market.
STATUS_WEIGHTS = {
    StandardStatus.ACTIVE: 50,
    StandardStatus.COMING_SOON: 6,
    StandardStatus.ACTIVE_UNDER_CONTRACT: 5,
    StandardStatus.PENDING: 12,
    StandardStatus.CLOSED: 17,
    StandardStatus.WITHDRAWN: 4,
    StandardStatus.EXPIRED: 3,
    StandardStatus.CANCELED: 3,
}
# (type, sub-type) -> weight
KIND_WEIGHTS = {
    (PropertyType.RESIDENTIAL, PropertySubType.SINGLE_FAMILY_RESIDENCE): 52,
    (PropertyType.RESIDENTIAL, PropertySubType.CONDOMINIUM): 16,
    (PropertyType.RESIDENTIAL, PropertySubType.TOWNHOUSE): 9,
    (PropertyType.RESIDENTIAL, PropertySubType.CABIN): 2,
    (PropertyType.RESIDENTIAL_INCOME, PropertySubType.DUPLEX): 4,
    (PropertyType.RESIDENTIAL_INCOME, PropertySubType.TRIPLEX): 2,
    (PropertyType.RESIDENTIAL_LEASE, PropertySubType.SINGLE_FAMILY_RESIDENCE): 3,
    (PropertyType.RESIDENTIAL_LEASE, PropertySubType.APARTMENT): 4,
    (PropertyType.LAND, PropertySubType.UNIMPROVED_LAND): 8,
}

HEATING = ("Forced Air", "Hot Water", "Radiant", "Heat Pump", "Baseboard", "Steam")
HEATING_FUEL = ("Natural Gas", "Oil", "Electric", "Propane")
COOLING = ("Central Air", "Ductless", "Heat Pump", "Window Unit(s)")
VIEWS = ("Trees/Woods", "Neighborhood", "Garden", "Park/Greenbelt", "Pond", "City")
COASTAL_VIEWS = ("Ocean", "Water", "Bay", "Harbor")
INTERIOR = (
    "Walk-In Closet(s)",
    "Kitchen Island",
    "Open Floorplan",
    "High Ceilings",
    "Pantry",
    "Built-in Features",
    "Crown Molding",
    "Primary Suite",
    "Quartz Counters",
    "Wainscoting",
)
EXTERIOR = ("Deck", "Patio", "Garden", "Private Yard", "Porch", "Lighting", "Storage", "Fire Pit")
APPLIANCES = (
    "Dishwasher",
    "Range",
    "Refrigerator",
    "Microwave",
    "Washer",
    "Dryer",
    "Disposal",
    "Gas Water Heater",
)

HOME_STYLES = {
    PropertySubType.SINGLE_FAMILY_RESIDENCE: (
        "Colonial",
        "Cape",
        "Victorian",
        "Ranch",
        "Contemporary",
        "Farmhouse",
        "Craftsman",
        "Garrison Colonial",
        "Split-level",
    ),
    PropertySubType.CONDOMINIUM: ("condo", "garden-style condo", "top-floor condo", "loft condo"),
    PropertySubType.TOWNHOUSE: ("townhome", "end-unit townhouse"),
    PropertySubType.CABIN: ("cottage", "cabin"),
    PropertySubType.DUPLEX: ("two-family",),
    PropertySubType.TRIPLEX: ("three-family",),
    PropertySubType.APARTMENT: ("apartment",),
}
ADJECTIVES = ("sun-filled", "charming", "beautifully updated", "spacious", "classic", "bright")
KITCHENS = ("renovated", "chef's", "sunny eat-in", "updated", "white shaker")
KITCHEN_FEATURES = (
    "a large island",
    "quartz counters",
    "stainless appliances",
    "a breakfast bar",
    "a walk-in pantry",
)
ROOMS = ("family room", "dining area", "living room", "den")
UPDATES = ("a new roof", "new windows", "a high-efficiency furnace", "updated electrical")
PRIVATE_REMARKS = (
    "Seller is relocating for work and motivated.",
    "Offers, if any, due Monday at 5pm; please send pre-approval with every offer.",
    "Pre-listing inspection available on request.",
    "Seller prefers a 60-day close with a rent-back of two weeks.",
    "Basement had water once in 2019; sump pump installed since.",
    "Tenant on a month-to-month lease; rent is $2,150.",
    "Sellers will review offers as they come in.",
)
LAND_PRIVATE_REMARKS = (
    "Perc test from 2024 in the listing documents folder.",
    "Seller will consider owner financing with 20% down.",
    "Abutter has expressed interest; encourage buyers to move quickly.",
)
LEASE_PRIVATE_REMARKS = (
    "Landlord requires a credit check and first and last month's rent.",
    "Owner is flexible on the start date for a two-year lease.",
    "Small pets considered with an additional deposit.",
)
VIEW_PHRASES = {
    "Trees/Woods": "wooded",
    "Neighborhood": "neighborhood",
    "Garden": "garden",
    "Park/Greenbelt": "park",
    "Pond": "pond",
    "City": "city",
    "Ocean": "ocean",
    "Water": "water",
    "Bay": "bay",
    "Harbor": "harbor",
}
OUTDOOR_SPOTS = {
    "Deck": "on the deck",
    "Patio": "on the patio",
    "Garden": "in the garden",
    "Private Yard": "in the private yard",
    "Porch": "on the front porch",
    "Fire Pit": "around the fire pit",
}
SHOWING_INSTRUCTIONS = (
    "Book through ShowingTime; 24 hours' notice.",
    "Lockbox on the side door; the code is sent with the confirmation.",
    "Call the listing agent; tenant occupied, 48 hours' notice.",
    "Go direct; please remove shoes and turn off lights.",
    "Accompanied showings only; the dog will be crated.",
    "First showings at the open house, Saturday 11-1.",
)


# --- Result -----------------------------------------------------------------------------------


@dataclass
class DemoLogin:
    username: str
    role: str
    brokerage: str
    name: str


@dataclass
class DemoResult:
    """What a load created (all zero when the demo data was already there)."""

    created: bool
    brokerages: int = 0
    offices: int = 0
    teams: int = 0
    agents: int = 0
    listings: int = 0
    listing_updates: int = 0
    photos: int = 0
    photos_processed: int = 0
    seconds: float = 0.0
    logins: list[DemoLogin] = field(default_factory=list)


def demo_logins():
    """The demo users, in the order they are listed at the end of ``manage.py demo_data``."""
    return [
        DemoLogin(
            username=person.username,
            role=person.role.label,
            brokerage=spec.name,
            name=f"{person.first_name} {person.last_name}",
        )
        for spec in DEMO_BROKERAGES
        for person in spec.people
    ]


def demo_anchor_date(seed):
    """The fixed 'today' the demo's dates are relative to."""
    return DEMO_ANCHOR_DATE - timedelta(days=seed % 30)


# --- Loading ----------------------------------------------------------------------------------


def demo_data_load(*, seed, listings, photos_per_listing, stdout=None, process_photos=None):
    """Create the demo brokerages, people, listings and photos unless they already exist.

    ``process_photos`` makes the photo variants inline after the commit instead of queueing
    them for the worker; ``None`` follows ``CELERY_TASK_ALWAYS_EAGER``.
    """
    started = time.perf_counter()
    if process_photos is None:
        process_photos = settings.CELERY_TASK_ALWAYS_EAGER
    existing = list(
        Brokerage.objects.filter(slug__in=DEMO_BROKERAGE_SLUGS).values_list("slug", flat=True)
    )
    if existing:
        _say(stdout, f"Demo data already loaded ({', '.join(sorted(existing))}); nothing created.")
        return DemoResult(created=False, logins=demo_logins())

    result = DemoResult(created=True, logins=demo_logins())
    anchor = demo_anchor_date(seed)
    people_rng = Random(seed)
    counts = _listing_counts(listings)
    with _photo_processing(inline=process_photos), transaction.atomic():
        for spec in DEMO_BROKERAGES:
            agents = _load_people(spec, people_rng, anchor, result)
            _say(stdout, f"{spec.name}: {len(agents)} people; {counts[spec.slug]} listings.")
            for number in range(counts[spec.slug]):
                _load_listing(spec, agents, seed, number, anchor, photos_per_listing, result)
                if (number + 1) % 50 == 0:
                    _say(stdout, f"  {number + 1} listings")
        _load_demo_mls(stdout)
        crm = demo_clients_load(brokerage_specs=DEMO_BROKERAGES, seed=seed)
        _say(
            stdout,
            f"{crm.clients} clients, {crm.activities} activities, {crm.tasks} tasks, "
            f"{crm.searches} saved searches, {crm.showings} showings, {crm.leads} web leads, "
            f"{crm.campaigns} draft campaigns.",
        )
        deals = demo_deals_load(brokerage_specs=DEMO_BROKERAGES, seed=seed)
        _say(stdout, f"{deals.deals} deals, {deals.statements} commission statements.")
    # The photos' on-commit work has run by now: variants made inline, or tasks on the queue.
    result.photos_processed = PropertyMedia.objects.filter(
        property__brokerage__slug__in=DEMO_BROKERAGE_SLUGS, status=MediaStatus.READY
    ).count()
    result.seconds = time.perf_counter() - started
    return result


# Each demo brokerage's brand kit: its flyers, reports and social images wear these.
DEMO_BRANDS = {
    "maple-realty": {
        "brand_primary_color": "#9a3412",
        "brand_accent_color": "#fdf1e7",
        "brand_font": "Helvetica",
        "brand_disclaimer": (
            "Maple Realty is a licensed real estate broker. Information deemed reliable but "
            "not guaranteed."
        ),
    },
    "harbor-homes": {
        "brand_primary_color": "#0f5e73",
        "brand_accent_color": "#e3f2f5",
        "brand_font": "Times-Roman",
        "brand_disclaimer": (
            "Harbor Homes is a licensed real estate broker. Square footage is approximate."
        ),
    },
}

DEMO_MLS_NAME = "Demo MLS"
DEMO_RETS_MLS_NAME = "Demo MLS (RETS)"


def _load_demo_mls(stdout):
    """The product's own demo MLS as Maple Realty's feeds: RESO Web API, and RETS (disabled).

    The RESO feed is enabled and its first sync runs at once. The RETS provider reads the same
    demo feed (the only one the default settings serve) through the demo RETS server, and a
    provider keeps its own copy of every listing it reads, so it is created disabled: enabled
    beside the RESO one it would list every demo listing twice.
    """
    from django.conf import settings

    from agents.models import Brokerage
    from mls.choices import AuthKind, ProviderKind
    from mls.demo.feed import DEFAULT_FEED_NAME
    from mls.demo.rets import RETS_FIELD_MAPPING, RETS_PASSWORD, RETS_USERNAME
    from mls.models import MLSProvider
    from mls.services import provider_save

    brokerage = Brokerage.objects.get(slug=DEMO_BROKERAGES[0].slug)
    demo_mls = f"{settings.SITE_URL.rstrip('/')}/mls/demo/{DEFAULT_FEED_NAME}"
    provider = provider_save(
        provider=MLSProvider(
            brokerage=brokerage,
            name=DEMO_MLS_NAME,
            endpoint=f"{demo_mls}/odata",
            page_size=100,
            sync_interval_minutes=5,
            allow_private_network=True,  # the feed is this very server
        )
    )
    _say(stdout, f"{brokerage.name}: MLS feed {provider.endpoint} (synced every 5 minutes).")
    rets_provider = provider_save(
        provider=MLSProvider(
            brokerage=brokerage,
            name=DEMO_RETS_MLS_NAME,
            kind=ProviderKind.RETS,
            endpoint=f"{demo_mls}/rets/login",
            auth_kind=AuthKind.LOGIN,
            username=RETS_USERNAME,
            password=RETS_PASSWORD,
            field_mapping=RETS_FIELD_MAPPING,
            page_size=100,
            sync_interval_minutes=5,
            enabled=False,
            allow_private_network=True,
        )
    )
    _say(
        stdout,
        f"{brokerage.name}: RETS feed {rets_provider.endpoint} (disabled: it reads the same "
        f"demo listings as {DEMO_MLS_NAME} and would list each one twice).",
    )


def _say(stdout, message):
    if stdout is not None:
        stdout.write(message + "\n")


def _listing_counts(total):
    """Listings per brokerage, split by each brokerage's share."""
    counts, remaining = {}, total
    for spec in DEMO_BROKERAGES[:-1]:
        counts[spec.slug] = min(round(total * spec.share), remaining)
        remaining -= counts[spec.slug]
    counts[DEMO_BROKERAGES[-1].slug] = remaining
    return counts


@contextmanager
def _photo_processing(*, inline):
    """Make queued photo tasks run in this process (Celery eager mode) while loading."""
    from realestate.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = previous or inline
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def _load_people(spec, rng, anchor, result):
    """The brokerage, its offices, agents and teams; returns agents by username."""
    brokerage = brokerage_create(
        name=spec.name,
        slug=spec.slug,
        license_number=spec.license_number,
        phone=spec.phone,
        email=spec.email,
        website=spec.website,
        **DEMO_BRANDS[spec.slug],
    )
    result.brokerages += 1
    offices = {}
    for office in spec.offices:
        offices[office.name] = office_create(
            brokerage=brokerage,
            name=office.name,
            mls_office_id=office.mls_office_id,
            street_address=office.street_address,
            city=office.city,
            state_or_province=spec.state,
            postal_code=office.postal_code,
            phone=office.phone,
        )
        result.offices += 1
    domain = spec.email.split("@", 1)[1]
    agents = {}
    for index, person in enumerate(spec.people):
        licensed = person.role != Role.VIEWER
        prefix = "BR" if person.role == Role.BROKER else "SA"
        agents[person.username] = agent_create(
            brokerage=brokerage,
            username=person.username,
            email=f"{person.first_name.lower()}.{person.last_name.lower()}@{domain}".replace(
                "'", ""
            ),
            first_name=person.first_name,
            last_name=person.last_name,
            role=person.role,
            password=DEMO_PASSWORD,
            office=offices.get(person.office),
            mls_agent_id=f"{spec.mls_prefix}{1001 + index}" if licensed else "",
            license_number=f"{prefix}{rng.randint(1000000, 9999999)}" if licensed else "",
            license_state=spec.state if licensed else "",
            license_expires=anchor + timedelta(days=rng.randint(45, 730)) if licensed else None,
            phone=f"({spec.area_code}) 555-01{rng.randint(0, 99):02d}",
            market_areas=list(person.market_areas),
            specialties=[str(specialty) for specialty in person.specialties],
            bio=person.bio,
        )
        result.agents += 1
    broker = next(agents[p.username] for p in spec.people if p.role == Role.BROKER)
    for team in spec.teams:
        created = team_create(
            brokerage=brokerage,
            name=team.name,
            office=offices[team.office],
            lead=agents[team.lead],
        )
        for username in team.members:
            agent_update(agent=agents[username], data={"team": created}, actor=broker.user)
        result.teams += 1
    return agents


def _load_listing(spec, agents, seed, number, anchor, photos_per_listing, result):
    """Create one listing, walk it through its status history and add its photos."""
    rng = Random(f"{seed}:{spec.slug}:listing:{number}")
    listers = [p for p in spec.people if p.role in (Role.BROKER, Role.AGENT)]
    weights = [1 if p.role == Role.BROKER else 4 for p in listers]
    list_agent = agents[rng.choices(listers, weights)[0].username]
    assistants = [agents[p.username] for p in spec.people if p.role == Role.ASSISTANT]
    # The assistant enters some listings on the agents' behalf.
    entered_by = assistants[0] if assistants and rng.random() < 0.2 else list_agent
    listing_plan = _plan_listing(spec, rng, anchor, number)
    data = listing_plan.data | {"list_agent": list_agent}

    with set_actor(entered_by.user):
        listing = listing_create(data=data, actor=entered_by.user)
    result.listings += 1
    with set_actor(list_agent.user):
        for update in listing_plan.updates:
            listing_update(listing=listing, data=update, actor=list_agent.user)
            result.listing_updates += 1

    if photos_per_listing:
        style = _house_style(rng)
        with set_actor(entered_by.user):
            for position in range(photos_per_listing):
                photo_rng = Random(f"{seed}:{spec.slug}:photo:{number}:{position}")
                content = ContentFile(_house_photo(photo_rng, style), name=f"photo-{position}.jpg")
                media_add(
                    listing=listing,
                    upload=content,
                    actor=entered_by.user,
                    caption=PHOTO_CAPTIONS[position % len(PHOTO_CAPTIONS)],
                )
                result.photos += 1


# --- One listing --------------------------------------------------------------------------------


@dataclass
class ListingPlan:
    """The fields a listing is created with and the changes made to it afterwards."""

    data: dict
    updates: list[dict]


def _plan_listing(spec, rng, anchor, number):
    town = rng.choice(spec.towns)
    property_type, sub_type = _weighted(rng, KIND_WEIGHTS)
    final_status = _weighted(rng, STATUS_WEIGHTS)
    is_lease = property_type == PropertyType.RESIDENTIAL_LEASE
    is_land = property_type == PropertyType.LAND

    data = {
        "property_type": property_type,
        "property_sub_type": sub_type,
        "listing_id": f"{spec.mls_prefix}{7310000 + number * 17 + rng.randint(0, 16)}",
        **_address(rng, town, sub_type),
        **({} if is_land else _structure(rng, town, sub_type)),
    }
    if is_land:
        acres = Decimal(str(round(rng.uniform(0.4, 9.0), 2)))
        data["lot_size_acres"] = acres.quantize(Decimal("0.0001"))
        data["lot_size_square_feet"] = int(acres * 43560)
    price = _price(rng, town, data, property_type, sub_type)
    data["list_price"] = price
    if not is_lease:
        data["tax_annual_amount"] = _money(float(price) * spec.tax_rate * rng.uniform(0.85, 1.1))
    data["public_remarks"] = _public_remarks(rng, town, data, sub_type, is_lease, is_land)
    data["private_remarks"] = rng.choice(
        LAND_PRIVATE_REMARKS if is_land else LEASE_PRIVATE_REMARKS if is_lease else PRIVATE_REMARKS
    )
    data["showing_instructions"] = rng.choice(SHOWING_INSTRUCTIONS)
    if rng.random() < 0.3 and not is_land:
        data["virtual_tour_url_unbranded"] = f"https://tours.example.com/{data['listing_id']}"

    updates = []
    if final_status == StandardStatus.COMING_SOON:
        listed = anchor - timedelta(days=rng.randint(0, 10))
        data["standard_status"] = StandardStatus.COMING_SOON
        data["listing_contract_date"] = listed
        data["on_market_date"] = anchor + timedelta(days=rng.randint(3, 21))
        return ListingPlan(data, updates)

    data["standard_status"] = StandardStatus.ACTIVE
    oldest = {
        StandardStatus.ACTIVE: 120,
        StandardStatus.ACTIVE_UNDER_CONTRACT: 150,
        StandardStatus.PENDING: 150,
    }.get(final_status, 330)
    youngest = 1 if final_status == StandardStatus.ACTIVE else 45
    listed = anchor - timedelta(days=rng.randint(youngest, oldest))
    on_market = listed + timedelta(days=rng.randint(0, 5))
    data["listing_contract_date"] = listed
    data["on_market_date"] = on_market

    days_listed = (anchor - on_market).days
    reduce_chance = 0.6 if final_status in _OFF_MARKET else 0.35
    if days_listed > 21 and rng.random() < reduce_chance:
        cut = Decimal(str(rng.choice((0.02, 0.03, 0.04, 0.05, 0.07))))
        updates.append({"list_price": _round_price(rng, float(price * (1 - cut)), is_lease)})
    if final_status == StandardStatus.CLOSED:
        pending_after = rng.randint(5, max(6, min(60, days_listed - 25)))
        closed = min(on_market + timedelta(days=pending_after + rng.randint(21, 45)), anchor)
        last_price = updates[-1]["list_price"] if updates else price
        updates.append({"standard_status": StandardStatus.PENDING})
        updates.append(
            {
                "standard_status": StandardStatus.CLOSED,
                "close_price": _round_price(
                    rng, float(last_price) * rng.uniform(0.96, 1.06), is_lease
                ),
                "close_date": closed,
                "days_on_market": pending_after,
            }
        )
    elif final_status != StandardStatus.ACTIVE:
        updates.append({"standard_status": final_status})
    return ListingPlan(data, updates)


_OFF_MARKET = (StandardStatus.WITHDRAWN, StandardStatus.EXPIRED, StandardStatus.CANCELED)


def _weighted(rng, weights):
    return rng.choices(list(weights), list(weights.values()))[0]


def _address(rng, town, sub_type):
    latitude = town.latitude + rng.gauss(0, 0.012)
    longitude = town.longitude + rng.gauss(0, 0.016)
    in_building = sub_type in (PropertySubType.CONDOMINIUM, PropertySubType.APARTMENT)
    return {
        "street_number": str(rng.randint(2, 480)),
        "street_name": rng.choice(town.streets),
        "street_suffix": rng.choice(("Street", "Road", "Avenue", "Lane", "Drive", "Way")),
        "unit_number": rng.choice(("1", "2", "3", "2A", "4B", "305")) if in_building else "",
        "city": town.city,
        "state_or_province": town.state,
        "postal_code": rng.choice(town.postal_codes),
        "county_or_parish": town.county,
        "subdivision_name": rng.choice(town.subdivisions) if rng.random() < 0.25 else "",
        "latitude": Decimal(f"{latitude:.6f}"),
        "longitude": Decimal(f"{longitude:.6f}"),
    }


def _structure(rng, town, sub_type):
    """Rooms, size, age and features that fit the kind of home."""
    if sub_type in (PropertySubType.CONDOMINIUM, PropertySubType.APARTMENT):
        beds = rng.randint(1, 3)
        area = _clamp(int(rng.gauss(550 + beds * 320, 120)), 480, 2200)
        lot, stories, garage = None, 1, rng.choice((0, 0, 1))
    elif sub_type == PropertySubType.TOWNHOUSE:
        beds = rng.randint(2, 4)
        area = _clamp(int(rng.gauss(700 + beds * 380, 180)), 1100, 2900)
        lot, stories, garage = rng.randint(1500, 4000), rng.choice((2, 3)), rng.choice((1, 2))
    elif sub_type in (PropertySubType.DUPLEX, PropertySubType.TRIPLEX):
        units = 2 if sub_type == PropertySubType.DUPLEX else 3
        beds = units * rng.randint(2, 3)
        area = _clamp(int(rng.gauss(units * 1150, 250)), 1900, 4800)
        lot, stories, garage = rng.randint(4000, 9000), units, rng.choice((0, 1, 2))
    elif sub_type == PropertySubType.CABIN:
        beds = rng.randint(1, 3)
        area = _clamp(int(rng.gauss(650 + beds * 250, 120)), 500, 1600)
        lot, stories, garage = rng.randint(8000, 60000), 1, 0
    else:
        beds = rng.choices((2, 3, 4, 5, 6), (8, 34, 36, 16, 6))[0]
        area = _clamp(int(rng.gauss(800 + beds * 420, 300)), 850, 6500)
        lot = rng.randint(5000, 45000) if rng.random() < 0.85 else rng.randint(45000, 140000)
        stories, garage = rng.choice((1, 2, 2, 2, 3)), rng.choices((0, 1, 2, 3), (2, 3, 5, 1))[0]
    area = round(area, -1)
    full_baths = _clamp(round(beds * rng.uniform(0.45, 0.8)), 1, 6)
    half_baths = rng.choice((0, 0, 1, 1, 2)) if area > 1300 else 0
    year = rng.choices(
        (
            rng.randint(1840, 1919),
            rng.randint(1920, 1969),
            rng.randint(1970, 2009),
            rng.randint(2010, 2025),
        ),
        (2, 3, 4, 2),
    )[0]
    coastal_view = town.coastal and rng.random() < 0.3
    views = rng.sample(VIEWS, rng.randint(0, 2))
    if coastal_view:
        views.insert(0, rng.choice(COASTAL_VIEWS))
    data = {
        "bedrooms_total": beds,
        "bathrooms_full": full_baths,
        "bathrooms_half": half_baths,
        "bathrooms_total_integer": full_baths + half_baths,
        "living_area": area,
        "year_built": year,
        "stories_total": stories,
        "garage_spaces": garage,
        "parking_total": garage + rng.randint(0, 3),
        "heating": [rng.choice(HEATING), rng.choice(HEATING_FUEL)],
        "cooling": rng.sample(COOLING, rng.randint(0, 2)),
        "view": views,
        "interior_features": sorted(rng.sample(INTERIOR, rng.randint(2, 5))),
        "exterior_features": sorted(rng.sample(EXTERIOR, rng.randint(1, 4))),
        "appliances": sorted(rng.sample(APPLIANCES, rng.randint(3, 7))),
        "waterfront_yn": coastal_view and rng.random() < 0.5,
        "pool_private_yn": sub_type == PropertySubType.SINGLE_FAMILY_RESIDENCE
        and rng.random() < 0.06,
        "fireplace_yn": rng.random() < 0.45,
    }
    if lot is not None:
        data["lot_size_square_feet"] = lot
        data["lot_size_acres"] = (Decimal(lot) / Decimal(43560)).quantize(Decimal("0.0001"))
    if sub_type in (PropertySubType.CONDOMINIUM, PropertySubType.TOWNHOUSE):
        data["association_fee"] = _money(rng.randint(180, 720))
    return data


def _price(rng, town, data, property_type, sub_type):
    """A list price in line with the town, size, age and setting (a monthly rent for a lease)."""
    if property_type == PropertyType.LAND:
        per_acre = town.price_per_sqft * 520 * rng.uniform(0.7, 1.3)
        value = max(float(data["lot_size_acres"]) ** 0.7 * per_acre, 140_000)
        return _round_price(rng, value, False)
    per_sqft = town.price_per_sqft * rng.uniform(0.85, 1.18)
    per_sqft *= {
        PropertySubType.CONDOMINIUM: 0.95,
        PropertySubType.APARTMENT: 0.95,
        PropertySubType.TOWNHOUSE: 0.9,
        PropertySubType.DUPLEX: 0.75,
        PropertySubType.TRIPLEX: 0.7,
        PropertySubType.CABIN: 0.8,
    }.get(sub_type, 1.0)
    if data["year_built"] >= 2010:
        per_sqft *= 1.12
    if data["waterfront_yn"]:
        per_sqft *= 1.35
    value = data["living_area"] * per_sqft + (data.get("lot_size_square_feet") or 0) * 1.5
    if property_type == PropertyType.RESIDENTIAL_LEASE:
        return _round_price(rng, value * 0.0045, True)
    return _round_price(rng, value, False)


def _round_price(rng, value, is_rent):
    """Prices the way agents write them: $649,900 or $1,250,000; rents to $25."""
    if is_rent:
        return _money(round(value / 25) * 25)
    step = 5000 if value >= 1_000_000 else 1000
    price = round(value / step) * step
    if rng.random() < 0.5:
        price -= 100
    return _money(price)


def _money(value):
    return Decimal(str(round(value, 2))).quantize(CENTS)


def _clamp(value, low, high):
    return max(low, min(high, value))


def _public_remarks(rng, town, data, sub_type, is_lease, is_land):
    """A few sentences the way a listing agent writes them."""
    amenity, other_amenity = rng.sample(town.amenities, 2)
    place = data["subdivision_name"] or town.city
    if is_land:
        acres = data["lot_size_acres"].normalize()
        kind = rng.choice(("wooded", "level", "gently sloping", "open meadow"))
        return " ".join(
            (
                f"{acres}-acre {kind} building lot in {place}.",
                rng.choice(
                    (
                        "Perc test on file and town water at the street.",
                        "Survey and soil tests available; bring your builder.",
                        "Private setting with room for a home, barn and gardens.",
                    )
                ),
                f"Minutes to {amenity} and {other_amenity}.",
            )
        )
    style = rng.choice(HOME_STYLES[sub_type])
    beds, baths = data["bedrooms_total"], data["bathrooms_total_integer"]
    adjective = rng.choice(ADJECTIVES)
    sentences = [
        rng.choice(
            (
                f"Welcome home to this {adjective} {beds}-bedroom {style} in {place}.",
                f"{adjective.capitalize()} {style} in {place} with {beds} bedroom"
                f"{'s' if beds != 1 else ''} and {baths} bath{'s' if baths != 1 else ''}.",
                f"Lovingly maintained {style} on a quiet street in {place}.",
                f"Move right in to this {adjective} {beds}-bed, {baths}-bath {style}.",
            )
        )
    ]
    body = [
        f"The {rng.choice(KITCHENS)} kitchen opens to the {rng.choice(ROOMS)} and has "
        f"{rng.choice(KITCHEN_FEATURES)}.",
        "Hardwood floors and plenty of natural light throughout.",
        f"Updates include {' and '.join(rng.sample(UPDATES, 2))}.",
    ]
    if data["fireplace_yn"]:
        body.append(f"A wood-burning fireplace anchors the {rng.choice(ROOMS)}.")
    if data["view"]:
        body.append(f"Enjoy {VIEW_PHRASES[data['view'][0]]} views from the main rooms.")
    spots = [OUTDOOR_SPOTS[name] for name in data["exterior_features"] if name in OUTDOOR_SPOTS]
    if spots:
        body.append(f"Outside, unwind {rng.choice(spots)} after a long day.")
    if data["year_built"] >= 2010:
        body.append(f"Built in {data['year_built']} with an efficient, low-maintenance design.")
    elif data["year_built"] < 1920:
        body.append(f"Period details from {data['year_built']} lovingly preserved.")
    sentences += rng.sample(body, min(3, len(body)))
    if is_lease:
        sentences.append("Available the first of the month; no smoking, pets considered.")
    sentences.append(
        rng.choice(
            (
                f"Close to {amenity} and {other_amenity}.",
                f"An easy walk to {amenity}.",
                f"Minutes to {amenity}; see it at the open house this weekend.",
            )
        )
    )
    return " ".join(sentences)


# --- Photos -------------------------------------------------------------------------------------

PHOTO_CAPTIONS = ("Front exterior", "Street view", "Curb appeal", "From the yard")
SIDINGS = (
    (236, 232, 222),
    (245, 222, 150),
    (170, 180, 188),
    (124, 154, 186),
    (150, 60, 52),
    (156, 176, 140),
    (206, 190, 160),
    (92, 98, 112),
)
ROOFS = ((64, 64, 70), (96, 72, 56), (120, 48, 40), (52, 62, 80), (110, 110, 104))
TRIMS = ((250, 250, 246), (40, 40, 44), (238, 232, 214))
DOORS = ((140, 30, 36), (30, 52, 92), (30, 30, 30), (46, 92, 62), (180, 120, 40))
SKIES = (
    ((70, 130, 210), (190, 220, 245)),
    ((40, 100, 190), (160, 205, 240)),
    ((120, 140, 170), (215, 220, 225)),
    ((250, 150, 90), (255, 220, 170)),
)
LAWNS = ((86, 140, 60), (104, 156, 72), (72, 120, 52), (130, 150, 80))


@dataclass(frozen=True)
class HouseStyle:
    """What one listing's house looks like in every photo of it."""

    siding: tuple
    roof: tuple
    trim: tuple
    door: tuple
    gable: bool
    garage: bool
    chimney: bool


def _house_style(rng):
    return HouseStyle(
        siding=rng.choice(SIDINGS),
        roof=rng.choice(ROOFS),
        trim=rng.choice(TRIMS),
        door=rng.choice(DOORS),
        gable=rng.random() < 0.65,
        garage=rng.random() < 0.5,
        chimney=rng.random() < 0.5,
    )


def _shade(color, factor):
    return tuple(max(0, min(255, int(channel * factor))) for channel in color)


def _house_photo(rng, style):
    """A simple drawn house on a lawn under a sky, as a 1280×960 JPEG."""
    width, height = PHOTO_SIZE
    horizon = rng.randint(int(height * 0.5), int(height * 0.6))
    sky_top, sky_bottom = rng.choice(SKIES)
    image = Image.new("RGB", PHOTO_SIZE, rng.choice(LAWNS))
    # Colour one column of the gradient and stretch it: a whole-width resize costs 10 ms.
    gradient = Image.linear_gradient("L").resize((1, horizon), Image.Resampling.BILINEAR)
    sky = ImageOps.colorize(gradient, sky_top, sky_bottom)
    image.paste(sky.resize((width, horizon), Image.Resampling.NEAREST), (0, 0))
    draw = ImageDraw.Draw(image)

    # Sun and a few clouds.
    if rng.random() < 0.5:
        sun_x, sun_y = rng.randint(80, width - 80), rng.randint(60, horizon // 3)
        draw.ellipse((sun_x - 45, sun_y - 45, sun_x + 45, sun_y + 45), fill=(255, 236, 160))
    for _ in range(rng.randint(1, 4)):
        cloud_x, cloud_y = rng.randint(0, width), rng.randint(40, horizon // 2)
        for puff in range(4):
            dx, r = puff * 38 - 60, rng.randint(28, 46)
            draw.ellipse(
                (cloud_x + dx - r, cloud_y - r // 1.4, cloud_x + dx + r, cloud_y + r // 1.4),
                fill=(248, 248, 250),
            )

    # Tree line on the horizon, then mowing stripes on the lawn.
    lawn = image.getpixel((0, height - 1))
    treeline = [(0, horizon)]
    for x in range(0, width + 60, 60):
        treeline.append((x, horizon - rng.randint(20, 70)))
    treeline.append((width, horizon))
    draw.polygon(treeline, fill=_shade(lawn, 0.55))
    for stripe, top in enumerate(range(horizon, height, 48)):
        draw.rectangle((0, top, width, top + 48), fill=_shade(lawn, 1.06 if stripe % 2 else 0.97))

    # The house.
    house_width = rng.randint(int(width * 0.36), int(width * 0.5))
    house_height = rng.randint(int(height * 0.2), int(height * 0.27))
    left = rng.randint(int(width * 0.14), width - house_width - int(width * 0.24))
    base = horizon + rng.randint(60, 110)
    top = base - house_height
    right = left + house_width
    roof_height = rng.randint(int(house_height * 0.55), int(house_height * 0.85))
    if style.chimney:
        chimney_x = left + int(house_width * rng.uniform(0.62, 0.78))
        draw.rectangle(
            (chimney_x, top - roof_height, chimney_x + 34, top), fill=_shade((150, 70, 56), 1)
        )
    overhang = 26
    if style.gable:
        roof = [(left - overhang, top), ((left + right) // 2, top - roof_height)]
    else:
        roof = [
            (left - overhang, top),
            (left + house_width // 4, top - roof_height),
            (right - house_width // 4, top - roof_height),
        ]
    roof.append((right + overhang, top))
    draw.polygon(roof, fill=style.roof)
    draw.rectangle((left, top, right, base), fill=style.siding)
    for y in range(top + 16, base, 16):
        draw.line((left, y, right, y), fill=_shade(style.siding, 0.9), width=2)
    draw.rectangle((left - overhang, top - 6, right + overhang, top + 4), fill=style.trim)

    if style.garage:
        garage_left, garage_right = right, right + int(house_width * 0.42)
        garage_top = base - int(house_height * 0.7)
        draw.polygon(
            [
                (garage_left, garage_top),
                (garage_right + 14, garage_top),
                (garage_right + 14, garage_top - 40),
                (garage_left, garage_top - 60),
            ],
            fill=style.roof,
        )
        draw.rectangle((garage_left, garage_top, garage_right, base), fill=style.siding)
        door = (garage_left + 24, garage_top + 36, garage_right - 24, base)
        draw.rectangle(door, fill=style.trim, outline=_shade(style.trim, 0.7), width=3)
        for y in range(door[1] + 28, base, 28):
            draw.line((door[0], y, door[2], y), fill=_shade(style.trim, 0.75), width=2)
        driveway = [
            (door[0], base),
            (door[2], base),
            (door[2] + 120, height),
            (door[0] - 60, height),
        ]
        draw.polygon(driveway, fill=(150, 146, 140))

    door_width, door_height = 64, int(house_height * 0.42)
    door_left = left + int(house_width * rng.uniform(0.4, 0.5)) - door_width // 2
    draw.rectangle(
        (door_left - 8, base - door_height - 8, door_left + door_width + 8, base), fill=style.trim
    )
    draw.rectangle((door_left, base - door_height, door_left + door_width, base), fill=style.door)
    draw.ellipse(
        (
            door_left + door_width - 16,
            base - door_height // 2,
            door_left + door_width - 8,
            base - door_height // 2 + 8,
        ),
        fill=(210, 180, 90),
    )
    walk = [
        (door_left, base),
        (door_left + door_width, base),
        (door_left + door_width + 90, height),
        (door_left - 90, height),
    ]
    draw.polygon(walk, fill=(196, 186, 170))

    rows = 2 if house_height > height * 0.22 else 1
    columns = max(3, house_width // 150)
    window_width, window_height = 58, int(house_height / (rows * 2.4))
    glass = rng.choice(((170, 200, 225), (120, 150, 180), (200, 215, 230)))
    for row in range(rows):
        window_top = top + int(house_height * (0.14 + row * 0.45))
        for column in range(columns):
            window_left = left + int((column + 0.5) * house_width / columns) - window_width // 2
            if row == rows - 1 and abs(window_left - door_left) < door_width + 20:
                continue
            box = (window_left, window_top, window_left + window_width, window_top + window_height)
            draw.rectangle(box, fill=glass, outline=style.trim, width=6)
            middle_x = (box[0] + box[2]) // 2
            middle_y = (box[1] + box[3]) // 2
            draw.line((middle_x, box[1], middle_x, box[3]), fill=style.trim, width=3)
            draw.line((box[0], middle_y, box[2], middle_y), fill=style.trim, width=3)

    # Trees beside the house and shrubs along the front.
    tree_green = rng.choice(((46, 102, 52), (60, 120, 60), (90, 130, 50), (150, 110, 40)))
    for tree_x in rng.sample((60, 150, width - 160, width - 70), rng.randint(1, 3)):
        trunk_base = horizon + rng.randint(40, 140)
        crown = rng.randint(70, 120)
        draw.rectangle((tree_x - 10, trunk_base - 170, tree_x + 10, trunk_base), fill=(90, 64, 40))
        for dx, dy in ((0, -crown - 120), (-crown // 2, -150), (crown // 2, -150)):
            draw.ellipse(
                (
                    tree_x + dx - crown,
                    trunk_base + dy - crown,
                    tree_x + dx + crown,
                    trunk_base + dy + crown,
                ),
                fill=_shade(tree_green, rng.uniform(0.9, 1.1)),
            )
    for shrub_x in range(left + 20, right - 20, 70):
        if door_left - 40 < shrub_x < door_left + door_width + 40:
            continue
        draw.ellipse((shrub_x - 32, base - 30, shrub_x + 32, base + 18), fill=_shade(lawn, 0.7))

    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
