"""Reads of Fair Housing rules and scan reports, narrowed to what a person may see."""

from dataclasses import dataclass

from django.db.models import Q

from compliance.models import FairHousingRule, FairHousingScanListing, FairHousingScanRun
from realestate.permissions import VIEW, restrict


def fair_housing_rules_for(*, user):
    """The rules that apply to the person's brokerage: the built-in ones and its own.

    The built-in rules belong to no brokerage (``restrict()`` would hide them) and are the
    same public guidance for everyone, so every signed-in member of a brokerage sees them.
    """
    own = restrict(FairHousingRule.objects.all(), user, VIEW)
    if not user.is_authenticated:
        return own
    return FairHousingRule.objects.filter(
        Q(pk__in=own.values("pk")) | Q(brokerage__isnull=True)
    ).select_related("brokerage")


def fair_housing_runs_for(*, user):
    """The brokerage's nightly scan reports, newest first."""
    return restrict(FairHousingScanRun.objects.all(), user, VIEW).select_related("brokerage")


def fair_housing_run_listings(*, run):
    """The listings a run flagged, with what their rows show."""
    return FairHousingScanListing.objects.filter(run=run).select_related("listing").order_by("pk")


@dataclass(frozen=True)
class ListingReview:
    """What a listing's public remarks hold for Fair Housing, and a broker's approval of them."""

    findings: list
    override: object | None

    @property
    def blocked(self):
        return bool(self.findings) and self.override is None


def fair_housing_listing_review(*, listing):
    """The findings of a brokerage listing's public remarks (None for an MLS listing)."""
    from compliance.services.fair_housing import fair_housing_override_for, fair_housing_scan
    from properties.choices import ListingSource

    if listing.source != ListingSource.LOCAL:
        return None
    findings = fair_housing_scan(text=listing.public_remarks, brokerage=listing.brokerage_id)
    override = None
    if findings:
        override = fair_housing_override_for(
            text=listing.public_remarks, brokerage=listing.brokerage_id
        )
    return ListingReview(findings=findings, override=override)
