from django.db import models


class Role(models.TextChoices):
    """A person's role in their brokerage; each is a Django group of the same label."""

    BROKER = "broker", "Broker"
    AGENT = "agent", "Agent"
    ASSISTANT = "assistant", "Assistant"
    VIEWER = "viewer", "Viewer"


# Highest first: a user in several role groups acts with the highest one.
ROLE_PRECEDENCE = (Role.BROKER, Role.AGENT, Role.ASSISTANT, Role.VIEWER)


class Specialty(models.TextChoices):
    BUYERS = "buyers", "Buyer representation"
    SELLERS = "sellers", "Listing / seller representation"
    LUXURY = "luxury", "Luxury homes"
    FIRST_TIME = "first_time", "First-time buyers"
    CONDOS = "condos", "Condominiums"
    LAND = "land", "Land and lots"
    INVESTMENT = "investment", "Investment and multifamily"
    RELOCATION = "relocation", "Relocation"
    NEW_CONSTRUCTION = "new_construction", "New construction"


class BrandFont(models.TextChoices):
    """Typefaces every PDF reader has (the PDF base fonts), so materials look the same anywhere."""

    HELVETICA = "Helvetica", "Helvetica (sans-serif)"
    TIMES = "Times-Roman", "Times (serif)"
    COURIER = "Courier", "Courier (monospace)"


class EventName(models.TextChoices):
    """Domain events of a brokerage: the event log, webhooks and notifications speak of these."""

    LISTING_CREATED = "listing.created", "Listing created"
    LISTING_PRICE_CHANGED = "listing.price_changed", "Listing price changed"
    LISTING_STATUS_CHANGED = "listing.status_changed", "Listing status changed"
    CLIENT_CREATED = "client.created", "Client created"
    CLIENT_STAGE_CHANGED = "client.stage_changed", "Client stage changed"
    SHOWING_BOOKED = "showing.booked", "Showing booked"
    DEAL_STAGE_CHANGED = "deal.stage_changed", "Deal stage changed"
    DEAL_CLOSED = "deal.closed", "Deal closed"
    DOCUMENT_APPROVED = "document.approved", "Document approved"
    SYNC_COMPLETED = "mls.sync.completed", "MLS sync completed"
    SYNC_FAILED = "mls.sync.failed", "MLS sync failed"
    COMPLIANCE_VIOLATION = "compliance.violation", "Compliance violation"


class NotificationKind(models.TextChoices):
    """What a notification is about: an event, or an alert worked out for its reader."""

    EVENT = "event", "Activity"
    PRICE_DROP = "price_drop", "Price reduced in your area"
    BUYER_MATCH = "buyer_match", "New match for a buyer"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Delivered"
    DEAD = "dead", "Dead letter"


class IncomingWebhookKind(models.TextChoices):
    """What an incoming webhook endpoint receives."""

    DELIVERY_EVENTS = "delivery_events", "Email and text delivery events"
    LEADS = "leads", "Leads from a lead source"
