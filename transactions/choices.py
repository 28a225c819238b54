from django.db import models


class Side(models.TextChoices):
    """Which side of a deal the brokerage represents."""

    LISTING = "listing", "Listing (seller)"
    BUYER = "buyer", "Buyer"
    DUAL = "dual", "Dual (both sides)"
    REFERRAL = "referral", "Referral"
    LEASE = "lease", "Lease"


class DealStage(models.TextChoices):
    """Where a deal is, in order; closed and fell through are where it ends."""

    PRE_CONTRACT = "pre_contract", "Pre-contract"
    UNDER_CONTRACT = "under_contract", "Under contract"
    PENDING = "pending", "Pending"
    CLOSED = "closed", "Closed"
    FELL_THROUGH = "fell_through", "Fell through"


# The only moves a deal may make; anything else is refused with a clear message.
STAGE_TRANSITIONS = {
    DealStage.PRE_CONTRACT: (DealStage.UNDER_CONTRACT, DealStage.FELL_THROUGH),
    DealStage.UNDER_CONTRACT: (DealStage.PENDING, DealStage.FELL_THROUGH),
    DealStage.PENDING: (DealStage.CLOSED, DealStage.UNDER_CONTRACT, DealStage.FELL_THROUGH),
    DealStage.CLOSED: (),
    DealStage.FELL_THROUGH: (),
}
OPEN_DEAL_STAGES = (DealStage.PRE_CONTRACT, DealStage.UNDER_CONTRACT, DealStage.PENDING)


class PartyRole(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"
    BUYER_AGENT = "buyer_agent", "Buyer's agent"
    LISTING_AGENT = "listing_agent", "Listing agent"
    LENDER = "lender", "Lender"
    TITLE = "title", "Title / escrow"
    INSPECTOR = "inspector", "Inspector"
    ATTORNEY = "attorney", "Attorney"
    OTHER = "other", "Other"


class DateField(models.TextChoices):
    """The key dates of a deal that a checklist item's due date is counted from."""

    CONTRACT_ACCEPTED = "contract_accepted_on", "Contract acceptance"
    INSPECTION = "inspection_deadline", "Inspection deadline"
    APPRAISAL = "appraisal_deadline", "Appraisal deadline"
    FINANCING = "financing_deadline", "Financing deadline"
    CLOSING = "closing_on", "Closing"
    POSSESSION = "possession_on", "Possession"


class ReviewState(models.TextChoices):
    """Where a checklist item's document is in the broker's review."""

    MISSING = "missing", "No document yet"
    SUBMITTED = "submitted", "Waiting for review"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned to the agent"
