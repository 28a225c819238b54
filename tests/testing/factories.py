"""Test data built through the product's own services."""

import io
import itertools
from decimal import Decimal

from PIL import Image

from agents.choices import Role
from agents.services.people import agent_create, brokerage_create, office_create
from properties.services import listing_create

_sequence = itertools.count(1)


def make_brokerage(name=None):
    n = next(_sequence)
    name = name or f"Brokerage {n}"
    return brokerage_create(name=name, slug=f"brokerage-{n}")


def make_office(brokerage, name=None):
    return office_create(brokerage=brokerage, name=name or f"Office {next(_sequence)}")


def make_agent(brokerage, role=Role.AGENT, **profile):
    n = next(_sequence)
    return agent_create(
        brokerage=brokerage,
        username=profile.pop("username", f"{role}{n}"),
        email=profile.pop("email", f"{role}{n}@example.com"),
        first_name=profile.pop("first_name", role.label),
        last_name=profile.pop("last_name", f"Person{n}"),
        role=role,
        **profile,
    )


def listing_data(**overrides):
    """Valid listing fields, as a form or the API would send them."""
    n = next(_sequence)
    data = {
        "street_number": str(100 + n),
        "street_name": "Maple",
        "street_suffix": "Ave",
        "city": "Springfield",
        "state_or_province": "IL",
        "postal_code": "62701",
        "list_price": Decimal("350000.00"),
        "bedrooms_total": 3,
        "bathrooms_full": 2,
        "bathrooms_total_integer": 2,
        "living_area": 1800,
        "property_type": "Residential",
        "property_sub_type": "SingleFamilyResidence",
        "standard_status": "Active",
        "public_remarks": "Sunny family home near the park.",
    }
    data.update(overrides)
    return data


def make_listing(actor, **overrides):
    """A listing created by ``actor`` (a user) through the listing service."""
    return listing_create(data=listing_data(**overrides), actor=actor)


def image_bytes(fmt="JPEG", size=(800, 600), color=(40, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


def make_mls_provider(brokerage, name="Bright MLS", **fields):
    """An MLS feed configuration saved (and scheduled) through the provider service."""
    from mls.models import MLSProvider
    from mls.services import provider_save

    fields.setdefault("endpoint", "https://mls.example/odata")
    return provider_save(provider=MLSProvider(brokerage=brokerage, name=name, **fields))


def make_sync_run(provider, state="succeeded", **fields):
    """A run in the given state, with plausible counts and times."""
    from datetime import timedelta

    from django.utils import timezone

    from mls.choices import FINISHED_STATES, RunKind, RunState
    from mls.models import SyncRun

    now = timezone.now()
    values = {"kind": RunKind.INCREMENTAL, "state": state, "fetched": 120, "created": 20}
    if state != RunState.QUEUED:
        values["started_at"] = now - timedelta(seconds=60)
    if state in FINISHED_STATES:
        values["finished_at"] = now
    values.update(fields)
    return SyncRun.objects.create(provider=provider, **values)


def make_client(actor, tags=(), co_agents=(), preference=None, **fields):
    """A client created by ``actor`` (a user) through the client service."""
    from clients.services.people import client_create

    n = next(_sequence)
    data = {
        "first_name": "Client",
        "last_name": f"Number{n}",
        "email": f"client{n}@example.com",
        "roles": ["buyer"],
    }
    data.update(fields)
    return client_create(
        data=data, actor=actor, tags=tags, co_agents=co_agents, preference=preference
    )
