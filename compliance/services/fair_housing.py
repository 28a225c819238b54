"""Fair Housing advertising: scanning public text, the publication gate, overrides and the
nightly scan of MLS-synced listings.

``fair_housing_scan(text=..., brokerage=...)`` is what any publishing path calls; the listing
services call ``fair_housing_publish_check`` before a listing goes on the market.
"""

import hashlib
import logging
from collections import Counter
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from agents.choices import EventName
from agents.services.events import event_record
from compliance.fair_housing_rules import BUILTIN_RULES
from compliance.models.fair_housing import (
    FairHousingOverride,
    FairHousingRule,
    FairHousingScanListing,
    FairHousingScanRun,
    ScanState,
)
from compliance.phrases import PhraseScanner
from realestate.permissions import actor_for

logger = logging.getLogger(__name__)

# brokerage id (None: built-in rules only) -> (rules version, scanner)
_scanners = {}
SCAN_LEASE_SECONDS = 2 * 60 * 60  # a running scan older than this died with its worker
SCAN_BATCH = 5000


def _brokerage_id(brokerage):
    return getattr(brokerage, "pk", brokerage)


def _rules_of(brokerage_id):
    return FairHousingRule.objects.filter(
        Q(brokerage__isnull=True) | Q(brokerage_id=brokerage_id), is_active=True
    )


def fair_housing_scanner(*, brokerage):
    """The compiled scanner of a brokerage's active rules (the built-in ones and its own).

    Kept in the process and compiled again when a rule of the brokerage changes: the version
    is read from the rules themselves (their count and newest change, one small query), so
    every process sees a change whatever the cache backend.
    """
    brokerage_id = _brokerage_id(brokerage)
    version = tuple(
        FairHousingRule.objects.filter(Q(brokerage__isnull=True) | Q(brokerage_id=brokerage_id))
        .aggregate(count=Count("pk"), changed=Max("updated_at"))
        .values()
    )
    cached = _scanners.get(brokerage_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    scanner = PhraseScanner(list(_rules_of(brokerage_id)))
    _scanners[brokerage_id] = (version, scanner)
    return scanner


def fair_housing_scan(*, text, brokerage):
    """The Fair Housing findings of a public text, by the brokerage's rules, in text order."""
    return fair_housing_scanner(brokerage=brokerage).scan(text)


def text_hash(text):
    """What an override is kept under: the SHA-256 of the exact text."""
    return hashlib.sha256((text or "").encode()).hexdigest()


def fair_housing_override_for(*, text, brokerage):
    """The broker's override of this exact text, if there is one."""
    return FairHousingOverride.objects.filter(
        brokerage_id=_brokerage_id(brokerage), text_hash=text_hash(text)
    ).first()


def fair_housing_publish_check(*, text, brokerage, field="public_remarks"):
    """Refuse to publish a text with findings, unless a broker has overridden that exact text.

    Raises a ValidationError on ``field`` with one message a finding; returns the findings
    that an override let through (empty when the text is clean).
    """
    findings = fair_housing_scan(text=text, brokerage=brokerage)
    if not findings or fair_housing_override_for(text=text, brokerage=brokerage):
        return findings
    messages = [f"Fair Housing: {finding.message}" for finding in findings]
    messages.append(
        "Change the text, or ask your broker to approve it with a reason before it is published."
    )
    raise ValidationError({field: messages}, code="fair_housing")


@transaction.atomic
def fair_housing_override_create(*, text, reason, actor, listing=None):
    """A broker lets one exact text with findings be published, with the reason recorded."""
    who = actor_for(actor)
    if not who.is_broker or who.brokerage_id is None:
        raise PermissionDenied("Only the broker can approve a text with Fair Housing findings.")
    if listing is not None and listing.brokerage_id != who.brokerage_id:
        raise PermissionDenied("This listing is not your brokerage's.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why this text may be published."})
    findings = fair_housing_scan(text=text, brokerage=who.brokerage_id)
    if not findings:
        raise ValidationError({"text": "This text has no Fair Housing findings to approve."})
    existing = fair_housing_override_for(text=text, brokerage=who.brokerage_id)
    if existing is not None:
        return existing
    override = FairHousingOverride(
        brokerage_id=who.brokerage_id,
        text_hash=text_hash(text),
        text=text,
        findings=[finding.as_dict() for finding in findings],
        reason=reason,
        listing=listing,
        broker=actor,
    )
    override.full_clean()
    override.save()
    return override


@transaction.atomic
def fair_housing_rule_save(*, rule, actor):
    """Add or change a brokerage's own rule; the built-in ones are only the platform's."""
    who = actor_for(actor)
    if not actor.is_superuser:
        if not who.is_broker:
            raise PermissionDenied("Only the broker can change Fair Housing rules.")
        if rule.pk is not None:
            stored = FairHousingRule.objects.get(pk=rule.pk)
            if stored.brokerage_id != who.brokerage_id:
                raise PermissionDenied("Built-in rules cannot be changed.")
        rule.brokerage_id = who.brokerage_id
    rule.phrase = " ".join(rule.phrase.split())
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def fair_housing_rule_delete(*, rule, actor):
    """Remove a brokerage's own rule."""
    who = actor_for(actor)
    if not actor.is_superuser and (not who.is_broker or rule.brokerage_id != who.brokerage_id):
        raise PermissionDenied("Only the broker can remove their brokerage's rules.")
    rule.delete()


def fair_housing_rules_ensure():
    """Make the built-in rules exactly the shipped list (``BUILTIN_RULES``): create or correct
    them, remove those no longer shipped; whether one is active is left as it was set."""
    stored = {rule.phrase: rule for rule in FairHousingRule.objects.filter(brokerage=None)}
    for phrase, (protected_class, reason), suggestion in BUILTIN_RULES:
        rule = stored.get(phrase) or FairHousingRule(phrase=phrase, brokerage=None)
        wanted = (protected_class, reason, suggestion)
        if rule.pk and (rule.protected_class, rule.reason, rule.suggestion) == wanted:
            continue
        rule.protected_class, rule.reason, rule.suggestion = wanted
        rule.save()
    retired = set(stored) - {phrase for phrase, *_ in BUILTIN_RULES}
    if retired:
        FairHousingRule.objects.filter(brokerage=None, phrase__in=retired).delete()


def fair_housing_nightly_scan():
    """Scan every brokerage's MLS-synced listings and store a report for each.

    Returns the runs written; a brokerage whose scan is already running is skipped.
    """
    from properties.choices import ListingSource
    from properties.models import Property

    brokerage_ids = (
        Property.objects.filter(source=ListingSource.MLS)
        .values_list("brokerage_id", flat=True)
        .distinct()
        .order_by("brokerage_id")
    )
    runs = [fair_housing_listings_scan(brokerage_id=pk) for pk in list(brokerage_ids)]
    return [run for run in runs if run is not None]


def _scan_run_start(brokerage_id):
    """The brokerage's new running scan, or None while another one runs.

    A running row is the lock (a partial unique constraint, so it holds on SQLite as on
    PostgreSQL); one left by a worker that died is failed once its lease is over.
    """
    now = timezone.now()
    FairHousingScanRun.objects.filter(
        brokerage_id=brokerage_id,
        state=ScanState.RUNNING,
        started_at__lt=now - timedelta(seconds=SCAN_LEASE_SECONDS),
    ).update(state=ScanState.FAILED, finished_at=now, message="Interrupted: it never finished.")
    try:
        with transaction.atomic():
            return FairHousingScanRun.objects.create(
                brokerage_id=brokerage_id,
                message="Running; a scan of this brokerage that starts meanwhile is skipped.",
            )
    except IntegrityError:
        logger.info("a Fair Housing scan of brokerage %s is already running", brokerage_id)
        return None


def fair_housing_listings_scan(*, brokerage_id):
    """Scan one brokerage's MLS-synced listings (current, not archived) into a report run.

    Returns the run, or None when a scan of the brokerage is already running.
    """
    from properties.choices import ListingSource
    from properties.models import Property

    run = _scan_run_start(brokerage_id)
    if run is None:
        return None
    try:
        scanner = fair_housing_scanner(brokerage=brokerage_id)
        listings = (
            Property.objects.filter(
                brokerage_id=brokerage_id,
                source=ListingSource.MLS,
                archived_at__isnull=True,
                feed_removed_at__isnull=True,
            )
            .exclude(public_remarks="")
            .order_by()
            .values_list("pk", "public_remarks")
        )
        scanned, classes, flagged = 0, Counter(), []
        for listing_id, remarks in listings.iterator(chunk_size=SCAN_BATCH):
            scanned += 1
            findings = scanner.scan(remarks)
            if findings:
                classes.update(finding.protected_class for finding in findings)
                flagged.append(
                    FairHousingScanListing(
                        run=run,
                        listing_id=listing_id,
                        findings=[finding.as_dict() for finding in findings],
                    )
                )
        FairHousingScanListing.objects.bulk_create(flagged, batch_size=1000)
    except Exception as exc:
        run.state, run.message, run.finished_at = ScanState.FAILED, str(exc), timezone.now()
        run.save(update_fields=["state", "message", "finished_at"])
        raise
    run.state = ScanState.SUCCEEDED
    run.listings_scanned = scanned
    run.listings_flagged = len(flagged)
    run.findings_total = sum(classes.values())
    run.class_counts = dict(classes)
    run.message = ""
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        if flagged:
            event_record(
                brokerage=brokerage_id,
                name=EventName.COMPLIANCE_VIOLATION,
                subject=run,
                payload={
                    "kind": "fair_housing_scan",
                    "scan_run_id": run.pk,
                    "listings_scanned": scanned,
                    "listings_flagged": len(flagged),
                    "findings_total": run.findings_total,
                    "class_counts": run.class_counts,
                    # The first listings flagged; the scan's report lists every one.
                    "listing_ids": [row.listing_id for row in flagged[:FLAGGED_IDS_IN_EVENT]],
                },
            )
    return run


FLAGGED_IDS_IN_EVENT = 100
