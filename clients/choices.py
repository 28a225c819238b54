from django.db import models


class ClientRole(models.TextChoices):
    """What a person is to the brokerage; one client may be several."""

    LEAD = "lead", "Lead"
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    LANDLORD = "landlord", "Landlord"
    TENANT = "tenant", "Tenant"


class Stage(models.TextChoices):
    """Where a client is in the pipeline, in order."""

    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    ACTIVE = "active", "Active"
    UNDER_CONTRACT = "under_contract", "Under contract"
    CLOSED = "closed", "Closed"
    LOST = "lost", "Lost"


OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED, Stage.ACTIVE, Stage.UNDER_CONTRACT)


class ContactMethod(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"


class Channel(models.TextChoices):
    """A way of reaching a client, each with its own do-not-contact flag."""

    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    TEXT = "text", "Text"


class Timeline(models.TextChoices):
    """When a buyer means to move."""

    NOW = "now", "Now (0–3 months)"
    SOON = "soon", "3–6 months"
    LATER = "later", "6–12 months"
    BROWSING = "browsing", "Just looking"


class PreApproval(models.TextChoices):
    NONE = "none", "Not yet"
    PREQUALIFIED = "prequalified", "Pre-qualified"
    PREAPPROVED = "preapproved", "Pre-approved"
    CASH = "cash", "Cash buyer"


class MustHave(models.TextChoices):
    """Features a buyer insists on, each matched against a listing column."""

    GARAGE = "garage", "Garage"
    POOL = "pool", "Private pool"
    WATERFRONT = "waterfront", "Waterfront"
    FIREPLACE = "fireplace", "Fireplace"
    VIEW = "view", "A view"


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    TEXT = "text", "Text"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    SHOWING = "showing", "Showing"
    SYSTEM = "system", "System event"


# What an agent logs by hand; system events are written by the product.
LOGGED_KINDS = (
    ActivityKind.CALL,
    ActivityKind.EMAIL,
    ActivityKind.TEXT,
    ActivityKind.MEETING,
    ActivityKind.NOTE,
)
# An activity of these kinds counts as contacting the client.
CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.TEXT, ActivityKind.MEETING)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class RoutingMethod(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    BY_AREA = "by_area", "By area"


class RoutingOutcome(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    POND = "pond", "Sent to the shared pond"
    RETURNED = "returned", "Returned to the pond (not claimed in time)"
    CLAIMED = "claimed", "Claimed"
    REASSIGNED = "reassigned", "Reassigned"


class AlertFrequency(models.TextChoices):
    INSTANT = "instant", "Right away"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    NEVER = "never", "No emails"


class AlertEvent(models.TextChoices):
    NEW = "new", "New listing"
    PRICE_DROP = "price_drop", "Price drop"
    BACK_ON_MARKET = "back_on_market", "Back on the market"


class ShowingStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# A showing in one of these states holds its time on the agent's calendar.
BOOKED_STATUSES = (ShowingStatus.REQUESTED, ShowingStatus.CONFIRMED)


class OutreachChannel(models.TextChoices):
    """How a campaign message goes out."""

    EMAIL = "email", "Email"
    TEXT = "text", "Text message"


class CampaignKind(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    DRIP = "drip", "Drip (a sequence of steps)"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"
    FINISHED = "finished", "Finished"


class StopReason(models.TextChoices):
    REPLIED = "replied", "Replied"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    DO_NOT_CONTACT = "do_not_contact", "Do not contact"
    SUPPRESSED = "suppressed", "Address suppressed"


class AttemptStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Failed"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Marked as spam"
