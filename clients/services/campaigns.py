"""Campaigns: building them, starting, pausing and resuming, and the every-minute run that sends
their due steps.

The run works in three passes. Due enrollments become ``OutreachAttempt`` rows (one per client
and step, unique by idempotency key) and move on to their next step. Queued attempts whose time
has come are dispatched to the send task, no more per minute than the brokerage's limit for the
channel. The send task claims its attempt (a conditional UPDATE from queued to sending) before
it sends, so a task delivered twice sends once; an attempt left "sending" by a worker that died
is never sent again, it is marked failed with the reason.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from clients.channels import ChannelError, OutgoingMessage, channel_for
from clients.choices import (
    ActivityKind,
    AttemptStatus,
    CampaignKind,
    CampaignStatus,
    EnrollmentStatus,
    OutreachChannel,
    StopReason,
)
from clients.models.outreach import (
    Campaign,
    CampaignEnrollment,
    CampaignStep,
    OutreachAttempt,
    OutreachSettings,
    Suppression,
)
from clients.services.outreach import (
    ADDRESS_FIELD,
    CONSENT_CHANNEL,
    enrollment_stop,
    merge_context,
    message_render,
    segment_clients,
    template_is_usable,
    template_usable_check,
    unsubscribe_url_for,
)
from clients.services.people import activity_log
from compliance.models.privacy import ContactPurpose
from compliance.services.consent import contact_block_reason
from realestate.permissions import CHANGE, DELETE, actor_for, can

logger = logging.getLogger(__name__)

RUN_LOCK = "outreach:run"
RUN_LOCK_SECONDS = 5 * 60
# A dispatched attempt not claimed by then: its task was lost, dispatch it again.
REDISPATCH_AFTER = timedelta(minutes=10)
# A claim this old without a result: the sender died while sending; never sent again.
CLAIM_TIMEOUT = timedelta(hours=1)
MAX_TRIES = 5
RETRY_BACKOFF = timedelta(minutes=5)
SKIP_INTERRUPTED = (
    "Sending was interrupted: not sent again, so that the client never gets it twice."
)
SKIP_FAIR_HOUSING = (
    "The template has Fair Housing findings the broker has not approved: change it or ask "
    "the broker to approve it."
)
CAMPAIGN_WRITABLE = ("name", "segment", "kind", "listing")


# ---------------------------------------------------------------------------------------------
# Building


def _check_change(campaign, actor):
    if not can(actor, campaign, CHANGE):
        raise PermissionDenied("You cannot change this campaign.")


def _check_visible(actor, **records):
    for name, record in records.items():
        if record is not None and not can(actor, record):
            raise ValidationError({name: "Choose one you can see."})


@transaction.atomic
def campaign_create(*, data, actor):
    """A draft campaign of the actor, to a segment of theirs."""
    who = actor_for(actor)
    if who.agent is None or not who.can_write:
        raise PermissionDenied("You cannot add campaigns.")
    _check_visible(actor, segment=data.get("segment"), listing=data.get("listing"))
    campaign = Campaign(brokerage_id=who.brokerage_id, owner=who.agent)
    for name in CAMPAIGN_WRITABLE:
        if name in data:
            value = data[name]
            setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    campaign.full_clean(exclude=["brokerage", "owner"])
    campaign.save()
    return campaign


@transaction.atomic
def campaign_update(*, campaign, data, actor):
    """Change a campaign's name, listing, or (while a draft) its segment and kind."""
    _check_change(campaign, actor)
    unknown = set(data) - set(CAMPAIGN_WRITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    _check_visible(actor, segment=data.get("segment"), listing=data.get("listing"))
    if campaign.status != CampaignStatus.DRAFT:
        for name in ("segment", "kind"):
            if name in data and data[name] != getattr(campaign, name):
                raise ValidationError({name: "A started campaign keeps its clients and kind."})
    for name, value in data.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) else value)
    campaign.full_clean(exclude=["brokerage", "owner"])
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign, actor):
    """Remove a campaign that never started."""
    if not can(actor, campaign, DELETE):
        raise PermissionDenied("You cannot remove this campaign.")
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError("A started campaign stays, with what it sent.")
    campaign.delete()


@transaction.atomic
def campaign_step_add(*, campaign, template, delay_hours, actor):
    """Add a step at the end of a draft campaign's sequence."""
    _check_change(campaign, actor)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError("Steps are set before the campaign starts.")
    if template is None or not can(actor, template):
        raise ValidationError({"template": "Choose a template you can see."})
    if template.brokerage_id != campaign.brokerage_id:
        raise ValidationError({"template": "Choose a template of your brokerage."})
    count = campaign.steps.count()
    if campaign.kind == CampaignKind.ONE_OFF and count:
        raise ValidationError("A one-off campaign sends one message: make it a drip for more.")
    position = (campaign.steps.aggregate(last=Max("position"))["last"] or 0) + 1
    step = CampaignStep(
        campaign=campaign, position=position, template=template, delay_hours=delay_hours or 0
    )
    step.full_clean(exclude=["campaign", "template"])
    step.save()
    return step


@transaction.atomic
def campaign_step_remove(*, step, actor):
    """Remove a step of a draft campaign; the ones after it move up."""
    campaign = step.campaign
    _check_change(campaign, actor)
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError("Steps are set before the campaign starts.")
    position = step.position
    step.delete()
    for later in campaign.steps.filter(position__gt=position).order_by("position"):
        CampaignStep.objects.filter(pk=later.pk).update(position=later.position - 1)


# ---------------------------------------------------------------------------------------------
# Running


def _steps(campaign):
    return list(campaign.steps.select_related("template").order_by("position"))


@transaction.atomic
def campaign_start(*, campaign, actor, now=None):
    """Enrol the segment's clients (those the campaign's owner may see) and start sending.

    Every template must be clear of Fair Housing findings, or approved by the broker.
    """
    _check_change(campaign, actor)
    now = now or timezone.now()
    if campaign.status != CampaignStatus.DRAFT:
        raise ValidationError("This campaign has already started.")
    steps = _steps(campaign)
    if not steps:
        raise ValidationError("Add a step (a template and a delay) before starting.")
    if campaign.kind == CampaignKind.ONE_OFF and len(steps) > 1:
        raise ValidationError("A one-off campaign sends one message.")
    errors = []
    for step in steps:
        try:
            template_usable_check(template=step.template)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"template": errors}, code="fair_housing")
    first_due = now + timedelta(hours=steps[0].delay_hours)
    # The campaign's owner sends: their clients, whoever saved the filters.
    clients = segment_clients(segment=campaign.segment, user=campaign.owner.user)
    client_ids = list(clients.values_list("pk", flat=True))
    CampaignEnrollment.objects.bulk_create(
        [
            CampaignEnrollment(
                campaign=campaign, client_id=client_id, next_position=1, next_due_at=first_due
            )
            for client_id in client_ids
        ],
        ignore_conflicts=True,
    )
    campaign.status = CampaignStatus.RUNNING
    campaign.started_at = now
    campaign.save(update_fields=["status", "started_at"])
    _run_soon()
    return len(client_ids)


@transaction.atomic
def campaign_pause(*, campaign, actor, now=None):
    """Stop sending until resumed; nothing due is lost."""
    _check_change(campaign, actor)
    if campaign.status != CampaignStatus.RUNNING:
        raise ValidationError("Only a running campaign can be paused.")
    campaign.status = CampaignStatus.PAUSED
    campaign.paused_at = now or timezone.now()
    campaign.save(update_fields=["status", "paused_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign, actor, now=None):
    """Send again; each client's next step keeps its spacing (moved on by the pause)."""
    _check_change(campaign, actor)
    now = now or timezone.now()
    if campaign.status != CampaignStatus.PAUSED:
        raise ValidationError("Only a paused campaign can be resumed.")
    paused_for = now - (campaign.paused_at or now)
    campaign.enrollments.filter(status=EnrollmentStatus.ACTIVE, next_due_at__isnull=False).update(
        next_due_at=F("next_due_at") + paused_for
    )
    campaign.status = CampaignStatus.RUNNING
    campaign.paused_at = None
    campaign.save(update_fields=["status", "paused_at"])
    _run_soon()
    return campaign


def _run_soon():
    from clients.tasks import outreach_run_task

    transaction.on_commit(lambda: outreach_run_task.delay())


def _time_zone(client):
    try:
        return ZoneInfo(client.time_zone) if client.time_zone else ZoneInfo(settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def quiet_hours_next_send(*, client, when, outreach_settings):
    """When a text may go to ``client`` at ``when`` or later: ``when`` itself, or the end of
    the quiet hours in the client's own time zone."""
    zone = _time_zone(client)
    local = when.astimezone(zone)
    start, end = outreach_settings.quiet_hours_start, outreach_settings.quiet_hours_end
    now_time = local.time()
    if start == end:
        return when
    quiet = (start <= now_time or now_time < end) if start > end else start <= now_time < end
    if not quiet:
        return when
    day = local.date() if now_time < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(when.tzinfo)


def outreach_settings_for(brokerage_id):
    """A brokerage's outreach settings, or the defaults when it has set none."""
    found = OutreachSettings.objects.filter(brokerage_id=brokerage_id).first()
    return found or OutreachSettings(brokerage_id=brokerage_id)


def outreach_run(*, now=None):
    """The every-minute job: queue the due steps and dispatch what may go now. Two runs never
    overlap (a cache lock: one beat process, a shared cache in production)."""
    if not cache.add(RUN_LOCK, "1", RUN_LOCK_SECONDS):
        return {"skipped": "another run holds the lock"}
    try:
        now = now or timezone.now()
        queued = enrollments_advance(now=now)
        dispatched = attempts_dispatch(now=now)
        return {"queued": queued, "dispatched": dispatched}
    finally:
        cache.delete(RUN_LOCK)


def enrollments_advance(*, now):
    """Turn every due step of running campaigns into a queued attempt; returns how many."""
    due = list(
        CampaignEnrollment.objects.filter(
            status=EnrollmentStatus.ACTIVE,
            next_due_at__lte=now,
            campaign__status=CampaignStatus.RUNNING,
        )
        .select_related("client", "campaign")
        .order_by("next_due_at", "pk")
    )
    steps = {}
    settings_of = {}
    queued = 0
    for enrollment in due:
        campaign = enrollment.campaign
        if campaign.pk not in steps:
            steps[campaign.pk] = {step.position: step for step in _steps(campaign)}
        if campaign.brokerage_id not in settings_of:
            settings_of[campaign.brokerage_id] = outreach_settings_for(campaign.brokerage_id)
        with transaction.atomic():
            queued += _enrollment_step(
                enrollment, steps[campaign.pk], settings_of[campaign.brokerage_id], now
            )
    _campaigns_finish()
    return queued


def _enrollment_step(enrollment, steps, outreach_settings, now):
    step = steps.get(enrollment.next_position)
    if step is None:
        CampaignEnrollment.objects.filter(pk=enrollment.pk).update(
            status=EnrollmentStatus.FINISHED, next_due_at=None
        )
        return 0
    client = enrollment.client
    channel = step.template.channel
    scheduled_for = now
    if channel == OutreachChannel.TEXT:
        scheduled_for = quiet_hours_next_send(
            client=client, when=now, outreach_settings=outreach_settings
        )
    _, created = OutreachAttempt.objects.get_or_create(
        idempotency_key=f"campaign-step:{step.pk}:client:{client.pk}",
        defaults={
            "brokerage_id": enrollment.campaign.brokerage_id,
            "client": client,
            "channel": channel,
            "campaign_id": enrollment.campaign_id,
            "step": step,
            "enrollment": enrollment,
            "template": step.template,
            "listing_id": enrollment.campaign.listing_id,
            "sender_id": enrollment.campaign.owner_id,
            "scheduled_for": scheduled_for,
        },
    )
    following = steps.get(enrollment.next_position + 1)
    if following is None:
        changes = {"status": EnrollmentStatus.FINISHED, "next_due_at": None}
    else:
        changes = {"next_due_at": now + timedelta(hours=following.delay_hours)}
    CampaignEnrollment.objects.filter(
        pk=enrollment.pk, next_position=enrollment.next_position
    ).update(next_position=enrollment.next_position + 1, **changes)
    return int(created)


def _campaigns_finish():
    still_active = CampaignEnrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
    running = Campaign.objects.filter(status=CampaignStatus.RUNNING)
    for campaign in running.exclude(pk__in=still_active.values("campaign_id")):
        unsent = campaign.attempts.filter(status__in=(AttemptStatus.QUEUED, AttemptStatus.SENDING))
        if not unsent.exists():
            Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.RUNNING).update(
                status=CampaignStatus.FINISHED
            )


def attempts_dispatch(*, now):
    """Hand the attempts whose time has come to the send task, within each brokerage's
    per-minute limit of the channel; returns how many."""
    OutreachAttempt.objects.filter(
        status=AttemptStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(status=AttemptStatus.FAILED, skip_reason=SKIP_INTERRUPTED)
    ready = OutreachAttempt.objects.filter(status=AttemptStatus.QUEUED, scheduled_for__lte=now)
    ready = ready.filter(Q(campaign__isnull=True) | Q(campaign__status=CampaignStatus.RUNNING))
    ready = ready.filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    )
    # No ordering: the model's default one would be part of the DISTINCT.
    groups = list(ready.order_by().values_list("brokerage_id", "channel").distinct())
    dispatched = []
    for brokerage_id, channel in groups:
        limit = outreach_settings_for(brokerage_id).per_minute(channel)
        recent = OutreachAttempt.objects.filter(
            brokerage_id=brokerage_id,
            channel=channel,
            dispatched_at__gt=now - timedelta(minutes=1),
        ).count()
        room = max(limit - recent, 0)
        if not room:
            continue
        ids = list(
            ready.filter(brokerage_id=brokerage_id, channel=channel)
            .order_by("scheduled_for", "pk")
            .values_list("pk", flat=True)[:room]
        )
        OutreachAttempt.objects.filter(pk__in=ids).update(dispatched_at=now)
        dispatched.extend(ids)
    if dispatched:
        from clients.tasks import outreach_attempt_send_task

        def enqueue():
            for attempt_id in dispatched:
                outreach_attempt_send_task.delay(attempt_id=attempt_id)

        transaction.on_commit(enqueue)
    return len(dispatched)


# ---------------------------------------------------------------------------------------------
# Sending one message


def _release(attempt_id, **changes):
    OutreachAttempt.objects.filter(pk=attempt_id, status=AttemptStatus.SENDING).update(
        status=AttemptStatus.QUEUED, claimed_at=None, dispatched_at=None, **changes
    )


def _skip_reason(attempt):
    """Why this attempt must not go out, and the stop reason of its enrollment."""
    enrollment = attempt.enrollment
    if enrollment is not None and enrollment.status == EnrollmentStatus.STOPPED:
        label = StopReason(enrollment.stop_reason).label if enrollment.stop_reason else "stopped"
        return f"The campaign stopped for this client: {label}.", None
    blocked = contact_block_reason(
        client=attempt.client,
        channel=CONSENT_CHANNEL[attempt.channel],
        purpose=ContactPurpose.MARKETING,
    )
    if blocked:
        return blocked, StopReason.DO_NOT_CONTACT
    address = getattr(attempt.client, ADDRESS_FIELD[attempt.channel])
    suppressed = (
        Suppression.objects.filter(
            brokerage_id=attempt.brokerage_id,
            channel=attempt.channel,
            address=address.lower() if attempt.channel == OutreachChannel.EMAIL else address,
        )
        .values_list("reason", flat=True)
        .first()
    )
    if suppressed:
        return (
            f"The address {address} is suppressed ({suppressed}): messages to it failed before.",
            StopReason.SUPPRESSED,
        )
    return "", None


def outreach_attempt_send(*, attempt_id, now=None):
    """Send one recorded attempt, once: returns its status afterwards."""
    now = now or timezone.now()
    claimed = OutreachAttempt.objects.filter(pk=attempt_id, status=AttemptStatus.QUEUED).update(
        status=AttemptStatus.SENDING, claimed_at=now
    )
    attempt = (
        OutreachAttempt.objects.select_related(
            "client__assigned_agent__user",
            "client__brokerage",
            "campaign",
            "enrollment",
            "template",
            "listing",
            "sender__user",
            "brokerage",
        )
        .filter(pk=attempt_id)
        .first()
    )
    if attempt is None or not claimed:
        return attempt.status if attempt else None  # another run sent it, or is sending it
    if attempt.campaign is not None and attempt.campaign.status != CampaignStatus.RUNNING:
        _release(attempt.pk)
        return AttemptStatus.QUEUED
    if attempt.channel == OutreachChannel.TEXT:
        allowed_at = quiet_hours_next_send(
            client=attempt.client,
            when=now,
            outreach_settings=outreach_settings_for(attempt.brokerage_id),
        )
        if allowed_at > now:
            _release(attempt.pk, scheduled_for=allowed_at)
            return AttemptStatus.QUEUED
    reason, stop = _skip_reason(attempt)
    if not reason and attempt.template is not None and not template_is_usable(attempt.template):
        # The template was changed after the campaign started: its new text is not approved.
        reason = SKIP_FAIR_HOUSING
    if reason:
        with transaction.atomic():
            OutreachAttempt.objects.filter(pk=attempt.pk).update(
                status=AttemptStatus.SKIPPED, skip_reason=reason[:200]
            )
            if stop:
                enrollment_stop(enrollment=attempt.enrollment, reason=stop, now=now)
        return AttemptStatus.SKIPPED
    message = _outgoing(attempt)
    OutreachAttempt.objects.filter(pk=attempt.pk).update(
        to_address=message.to, subject=message.subject[:300], body=message.body
    )
    try:
        provider_id = channel_for(attempt.channel).send(message)
    except ChannelError as error:
        logger.warning("outreach attempt %s not sent: %s", attempt.pk, error)
        if error.permanent or attempt.tries + 1 >= MAX_TRIES:
            OutreachAttempt.objects.filter(pk=attempt.pk).update(
                status=AttemptStatus.FAILED, error=str(error)[:500], tries=F("tries") + 1
            )
            return AttemptStatus.FAILED
        _release(
            attempt.pk,
            error=str(error)[:500],
            scheduled_for=now + RETRY_BACKOFF * (attempt.tries + 1),
            tries=F("tries") + 1,
        )
        return AttemptStatus.QUEUED
    with transaction.atomic():
        OutreachAttempt.objects.filter(pk=attempt.pk).update(
            status=AttemptStatus.SENT, sent_at=now, provider_message_id=provider_id[:200], error=""
        )
        what = attempt.campaign.name if attempt.campaign else attempt.template.name
        activity_log(
            client=attempt.client,
            kind=ActivityKind.EMAIL
            if attempt.channel == OutreachChannel.EMAIL
            else ActivityKind.TEXT,
            subject=f"Campaign message sent: {what}"[:200],
            body=message.body[:5000],
            listing=attempt.listing,
            details={"outreach_attempt": attempt.pk, "campaign": attempt.campaign_id},
            occurred_at=now,
        )
    return AttemptStatus.SENT


def _outgoing(attempt):
    from email.headerregistry import Address
    from email.utils import parseaddr

    client = attempt.client
    agent = client.assigned_agent or attempt.sender
    context = merge_context(
        client=client, listing=attempt.listing, agent=agent, brokerage=attempt.brokerage
    )
    address = getattr(client, ADDRESS_FIELD[attempt.channel])
    if attempt.channel == OutreachChannel.TEXT:
        rendered = message_render(template=attempt.template, context=context, opt_out=True)
        return OutgoingMessage(to=address, body=rendered.body)
    unsubscribe_url = unsubscribe_url_for(attempt)
    rendered = message_render(
        template=attempt.template, context=context, opt_out=True, unsubscribe_url=unsubscribe_url
    )
    _, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    sender_name = f"{agent.name} · {attempt.brokerage.name}" if agent else attempt.brokerage.name
    return OutgoingMessage(
        to=address,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html_body,
        # The agent's name, our address (the receiver's sender checks); replies to the agent.
        from_email=str(Address(display_name=sender_name, addr_spec=from_address)),
        reply_to=[agent.email] if agent and agent.email else [],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@transaction.atomic
def outreach_send_one(*, client, template, actor, listing=None, now=None):
    """Send one template to one client now, outside any campaign (recorded like the rest)."""
    import uuid

    if not can(actor, client, CHANGE):
        raise PermissionDenied("You cannot contact this client.")
    _check_visible(actor, template=template, listing=listing)
    template_usable_check(template=template)
    now = now or timezone.now()
    scheduled_for = now
    if template.channel == OutreachChannel.TEXT:
        scheduled_for = quiet_hours_next_send(
            client=client, when=now, outreach_settings=outreach_settings_for(client.brokerage_id)
        )
    attempt = OutreachAttempt.objects.create(
        brokerage_id=client.brokerage_id,
        client=client,
        channel=template.channel,
        template=template,
        listing=listing,
        sender=actor_for(actor).agent,
        idempotency_key=f"one-off:{uuid.uuid4()}",
        scheduled_for=scheduled_for,
    )
    _run_soon()
    return attempt


# ---------------------------------------------------------------------------------------------
# Metrics

METRICS = ("sent", "delivered", "opened", "clicked", "replied", "unsubscribed", "bounced")


def campaign_metrics(*, campaign):
    """Per step: how many were sent, delivered, opened, clicked, replied, unsubscribed,
    bounced and not sent — one aggregate query; then the totals."""
    counts = {
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
        "opened": Count("pk", filter=Q(opened_at__isnull=False)),
        "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
        "replied": Count("pk", filter=Q(replied_at__isnull=False)),
        "unsubscribed": Count("pk", filter=Q(unsubscribed_at__isnull=False)),
        "bounced": Count("pk", filter=Q(bounced_at__isnull=False)),
        "skipped": Count("pk", filter=Q(status=AttemptStatus.SKIPPED)),
        "waiting": Count("pk", filter=Q(status__in=(AttemptStatus.QUEUED, AttemptStatus.SENDING))),
    }
    rows = (
        OutreachAttempt.objects.filter(campaign=campaign)
        .values("step_id", "step__position", "step__template__name")
        .annotate(**counts)
        .order_by("step__position")
    )
    steps = [
        {
            "step": row["step_id"],
            "position": row["step__position"],
            "template": row["step__template__name"] or "",
            **{name: row[name] for name in counts},
        }
        for row in rows
    ]
    totals = {name: sum(step[name] for step in steps) for name in counts}
    return {"steps": steps, "totals": totals}
