"""Leads arriving from a brokerage's website or a lead provider, and what keeps spam out.

A lead is accepted with one of two proofs:

* a **form token** that the web form embeds (``intake_form_token``): signed with the site's
  secret, it names the brokerage and when the form was shown. A form sent back sooner than
  ``FORM_MIN_SECONDS`` is a bot's; one older than ``FORM_MAX_AGE`` has expired; a token is
  accepted once. The form also carries an empty ``HONEYPOT_FIELD`` that people never see;
* an **intake key** (``IntakeKey``), for a lead provider or a website's own server: a secret
  the broker makes and can revoke; only its digest is stored.

Either way the person's details are normalised, a lead with the same email or phone as an
existing client of the brokerage is added to that client's timeline rather than duplicated,
and a new lead is routed by the broker's rules.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients.choices import ActivityKind, ClientRole, ContactMethod, Stage
from clients.contact import normalize_contact_fields
from clients.models import Client, LeadSource
from clients.models.routing import IntakeKey, intake_key_digest
from clients.services.people import activity_log, client_created_event, client_score_refresh
from compliance.services.consent import client_do_not_contact_check

FORM_TOKEN_SALT = "clients.lead-intake-form"
FORM_MIN_SECONDS = 3
FORM_MAX_AGE = timedelta(hours=12)
HONEYPOT_FIELD = "website"
WEBSITE_SOURCE = "Website"
# What a lead may send, each with its longest accepted length.
INTAKE_FIELDS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "message": 5000,
    "source": 100,
    "listing": 64,
    "preferred_contact_method": 10,
}


# ---------- form tokens ----------


def intake_form_token(*, brokerage, now=None):
    """A token for one showing of the brokerage's lead form: signed, timed, single use."""
    now = now or timezone.now()
    return signing.dumps(
        {"b": brokerage.pk, "t": int(now.timestamp()), "n": secrets.token_urlsafe(8)},
        salt=FORM_TOKEN_SALT,
    )


def _form_token_error(message, code):
    return ValidationError({"form_token": ValidationError(message, code=code)})


def intake_form_token_check(*, brokerage, token, now=None):
    """Refuse a missing, forged, expired, too quick or already used form token."""
    now = now or timezone.now()
    if not token:
        raise _form_token_error(
            "The form token is missing: send the token the form was given, or an intake key.",
            "missing",
        )
    not_valid = _form_token_error("This form is not valid here; reload the page.", "invalid")
    try:
        payload = signing.loads(token, salt=FORM_TOKEN_SALT)
        shown_at, brokerage_id = int(payload["t"]), payload["b"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise not_valid from None
    if brokerage_id != brokerage.pk:
        raise not_valid
    age = now.timestamp() - shown_at
    if age < FORM_MIN_SECONDS:
        raise _form_token_error(
            "The form was sent too quickly. Wait a moment and send it again.", "too_fast"
        )
    if age > FORM_MAX_AGE.total_seconds():
        raise _form_token_error("This form has expired; reload the page.", "expired")
    if cache.get(_token_cache_key(token)):
        raise _form_token_error("This form was already sent.", "used")


def _token_cache_key(token):
    return "lead-intake-token:" + hashlib.sha256(token.encode()).hexdigest()


def _form_token_use(token):
    """Mark a token used; False when another request used it first."""
    return cache.add(_token_cache_key(token), 1, timeout=int(FORM_MAX_AGE.total_seconds()) + 60)


# ---------- intake keys ----------


@transaction.atomic
def intake_key_create(*, brokerage, name, source=None):
    """A new intake key; returns it and its secret, which is shown this once and never again."""
    if source is not None and source.brokerage_id != brokerage.pk:
        raise ValidationError({"source": "Choose a lead source of your brokerage."})
    secret = secrets.token_urlsafe(32)
    key = IntakeKey(
        brokerage=brokerage,
        name=name,
        source=source,
        prefix=secret[:8],
        digest=intake_key_digest(secret),
    )
    key.full_clean(exclude=["brokerage", "source"])
    key.save()
    return key, secret


def intake_key_authenticate(*, secret, now=None):
    """The unrevoked intake key with this secret, or None; its last use is noted."""
    if not secret:
        return None
    key = (
        IntakeKey.objects.select_related("brokerage", "source")
        .filter(digest=intake_key_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        key.last_used_at = now or timezone.now()
        IntakeKey.objects.filter(pk=key.pk).update(last_used_at=key.last_used_at)
    return key


def intake_key_revoke(*, intake_key, now=None):
    """Stop accepting leads sent with this key."""
    if intake_key.revoked_at is None:
        intake_key.revoked_at = now or timezone.now()
        IntakeKey.objects.filter(pk=intake_key.pk).update(revoked_at=intake_key.revoked_at)
    return intake_key


# ---------- finding the same person ----------


def client_match(*, brokerage_id, email="", phone="", exclude_pk=None):
    """The brokerage's oldest client with this (normalised) email or phone, or None."""
    same = Q()
    if email:
        same |= Q(email=email) | Q(alternate_email=email)
    if phone:
        same |= Q(phone=phone) | Q(alternate_phone=phone)
    if not same:
        return None
    matches = Client.objects.filter(same, brokerage_id=brokerage_id)
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    return matches.select_related("assigned_agent__user").order_by("pk").first()


# ---------- the lead itself ----------


def _clean_lead(data):
    values = {name: str(data.get(name) or "").strip() for name in INTAKE_FIELDS}
    errors = {}
    for name, length in INTAKE_FIELDS.items():
        if len(values[name]) > length:
            errors[name] = [f"Use at most {length} characters."]
    errors.update(
        (field, messages)
        for field, messages in normalize_contact_fields(values).items()
        if field not in errors
    )
    if not (values["email"] or values["phone"]) and not errors:
        errors["__all__"] = ["Give an email or a phone number so that we can reach you."]
    method = values["preferred_contact_method"].casefold()
    methods = {value: value for value in ContactMethod.values}
    methods.update({str(label).casefold(): value for value, label in ContactMethod.choices})
    if method and method not in methods:
        errors["preferred_contact_method"] = ["Choose email, phone or text."]
    elif method:
        values["preferred_contact_method"] = methods[method]
    else:
        only_phone = values["phone"] and not values["email"]
        values["preferred_contact_method"] = ContactMethod.PHONE if only_phone else ""
    if errors:
        raise ValidationError(errors)
    return values


def _lead_source(*, brokerage, name, intake_key, incoming_webhook=None):
    """The source the lead names if the broker has it, else the key's, else "Website".

    A lead source's own webhook endpoint records its leads under the endpoint's source (or
    one named after the endpoint), whatever the lead says.
    """
    if incoming_webhook is not None:
        if incoming_webhook.lead_source_id:
            return incoming_webhook.lead_source
        source, _ = LeadSource.objects.get_or_create(
            brokerage=brokerage, name=incoming_webhook.name[:100]
        )
        return source
    if name:
        named = LeadSource.objects.filter(
            brokerage=brokerage, name__iexact=name, is_active=True
        ).first()
        if named is not None:
            return named
    if intake_key is not None and intake_key.source_id:
        return intake_key.source
    default_name = intake_key.name[:100] if intake_key is not None else WEBSITE_SOURCE
    source, _ = LeadSource.objects.get_or_create(brokerage=brokerage, name=default_name)
    return source


def _listing_of_interest(*, brokerage, reference):
    from properties.models import Property

    if not reference:
        return None
    return (
        Property.objects.filter(brokerage=brokerage)
        .filter(Q(listing_id__iexact=reference) | Q(listing_key=reference))
        .order_by("archived_at", "-pk")
        .first()
    )


@transaction.atomic
def lead_intake(
    *, brokerage, data, form_token=None, intake_key=None, incoming_webhook=None, now=None
):
    """Take a lead sent by a website or a provider; returns (client, created).

    The caller has checked the honeypot and the proof (form token, intake key, or the
    signature of a lead source's ``incoming_webhook``); a form token is checked again here
    and used up only when the lead is accepted.
    """
    from clients.services.routing import lead_route

    now = now or timezone.now()
    by_form = intake_key is None and incoming_webhook is None
    if incoming_webhook is not None:
        if incoming_webhook.brokerage_id != brokerage.pk or not incoming_webhook.is_active:
            raise ValidationError("This webhook is not valid for this brokerage.")
    elif intake_key is None:
        intake_form_token_check(brokerage=brokerage, token=form_token, now=now)
    elif intake_key.brokerage_id != brokerage.pk or intake_key.is_revoked:
        raise ValidationError("This intake key is not valid for this brokerage.")
    values = _clean_lead(data)
    if by_form and not _form_token_use(form_token):
        raise _form_token_error("This form was already sent.", "used")
    source = _lead_source(
        brokerage=brokerage,
        name=values["source"],
        intake_key=intake_key,
        incoming_webhook=incoming_webhook,
    )
    listing = _listing_of_interest(brokerage=brokerage, reference=values["listing"])
    client = client_match(brokerage_id=brokerage.pk, email=values["email"], phone=values["phone"])
    created = client is None
    if created:
        client = Client(
            brokerage=brokerage,
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            phone=values["phone"],
            preferred_contact_method=values["preferred_contact_method"] or ContactMethod.EMAIL,
            roles=[ClientRole.LEAD],
            source=source,
            stage=Stage.NEW,
            created_at=now,
        )
        client.full_clean(exclude=["brokerage", "source", "assigned_agent", "created_by"])
        client.save()
        client_do_not_contact_check(client=client)
    # An existing client's record is never changed by an anonymous form: anyone who knows a
    # client's phone could otherwise point their email (and their alerts) elsewhere. What was
    # sent is on the timeline for the agent to check and copy.
    about = f" about {listing.listing_id or listing.listing_key}" if listing else ""
    activity_log(
        client=client,
        kind=ActivityKind.SYSTEM,
        subject=f"Web inquiry from {source.name}{about}",
        body=values["message"],
        listing=listing,
        occurred_at=now,
        details={
            "intake": True,
            "engagement": True,
            "source": values["source"],
            "listing": values["listing"],
            "preferred_contact_method": values["preferred_contact_method"],
            "intake_key": intake_key.pk if intake_key else None,
            "incoming_webhook": incoming_webhook.pk if incoming_webhook else None,
            "sent": {
                field: values[field]
                for field in ("first_name", "last_name", "email", "phone")
                if values[field]
            },
        },
    )
    client_score_refresh(client=client, now=now)
    if created or (client.assigned_agent_id is None and not client.in_pond):
        lead_route(client=client, now=now)
    if created:
        # After routing, so that the event names the agent the lead went to.
        client_created_event(client=client)
    return client, created
