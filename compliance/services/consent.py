"""Contact consent: the one check every outgoing message makes, the consent log that keeps the
client's do-not-contact flags, and the brokerage's do-not-contact (DNC) list.

The current state per channel stays on the client (``do_not_email``, ``do_not_call``,
``do_not_text``) so lists and bulk sends filter on it; :func:`consent_record` is the only
writer of those flags and appends a :class:`ConsentRecord` for each change.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clients.choices import Channel
from clients.contact import normalize_email, normalize_phone
from clients.models import Client
from compliance.models.privacy import (
    CHANNEL_FLAGS,
    ConsentRecord,
    ConsentSource,
    ConsentStatus,
    ContactPurpose,
    DoNotContactEntry,
    DoNotContactKind,
)
from realestate.permissions import CHANGE, actor_for, can

# The address each channel reaches a client at.
CHANNEL_ADDRESS = {Channel.EMAIL: "email", Channel.PHONE: "phone", Channel.TEXT: "phone"}
# A do-not-contact entry of each kind closes these channels.
KIND_CHANNELS = {
    DoNotContactKind.EMAIL: (Channel.EMAIL,),
    DoNotContactKind.PHONE: (Channel.PHONE, Channel.TEXT),
}
# Sources that only ever close a channel: a file cannot overrule a client's "stop".
REVOKE_ONLY_SOURCES = (ConsentSource.IMPORT, ConsentSource.DNC_LIST, ConsentSource.MERGE)


def _check_channel(channel, purpose=None):
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if purpose is not None and purpose not in ContactPurpose.values:
        raise ValueError(f"unknown contact purpose {purpose!r}")


def contact_block_reason(*, client, channel, purpose):
    """Why ``client`` must not be sent a message on ``channel`` for ``purpose``; "" if allowed."""
    _check_channel(channel, purpose)
    if client.anonymised_at is not None:
        return "The client's personal data was removed."
    if getattr(client, CHANNEL_FLAGS[channel]):
        return f"The client asked not to be contacted by {Channel(channel).label.lower()}."
    if not getattr(client, CHANNEL_ADDRESS[channel]):
        return f"The client has no {CHANNEL_ADDRESS[channel]}."
    return ""


def contact_allowed(*, client, channel, purpose):
    """Whether a message may go to ``client`` on ``channel`` — asked by every send path."""
    return not contact_block_reason(client=client, channel=channel, purpose=purpose)


def contact_allowed_q(*, channel, prefix=""):
    """:func:`contact_allowed` as a filter, for sends that select their clients in bulk."""
    _check_channel(channel)
    return (
        Q(**{f"{prefix}{CHANNEL_FLAGS[channel]}": False})
        & Q(**{f"{prefix}anonymised_at__isnull": True})
        & ~Q(**{f"{prefix}{CHANNEL_ADDRESS[channel]}": ""})
    )


def address_block_reason(*, brokerage_id, address, purpose):
    """Why an email address that may be a client's must not be emailed for ``purpose``; "" if
    allowed. For messages addressed by hand (signature requests), not to a client record."""
    _check_channel(Channel.EMAIL, purpose)
    try:
        address = normalize_email(address)
    except ValidationError:
        return ""
    clients = Client.objects.filter(brokerage_id=brokerage_id).filter(
        Q(email=address) | Q(alternate_email=address)
    )
    for client in clients.filter(do_not_email=True)[:1]:
        return f"{client.name} asked not to be emailed."
    on_list = DoNotContactEntry.objects.filter(
        brokerage_id=brokerage_id, kind=DoNotContactKind.EMAIL, value=address
    )
    if on_list.exists():
        return f"{address} is on the brokerage's do-not-contact list."
    return ""


@transaction.atomic
def consent_record(*, client, channel, status, source, actor=None, note=""):
    """Record a consent decision and set the client's flag; ``None`` when nothing changed.

    Imports, merges and the DNC list only close a channel; reopening one is a person's
    decision (the client form, the API or the agent's consent page).
    """
    _check_channel(channel)
    if status not in ConsentStatus.values:
        raise ValidationError({"status": f"Unknown consent status {status!r}."})
    if source not in ConsentSource.values:
        raise ValidationError({"source": f"Unknown consent source {source!r}."})
    flag = CHANNEL_FLAGS[channel]
    blocked = status == ConsentStatus.REVOKED
    current = Client.objects.filter(pk=client.pk).values_list(flag, flat=True).first()
    if current is None or current == blocked:
        setattr(client, flag, bool(current))
        return None
    if not blocked and source in REVOKE_ONLY_SOURCES:
        setattr(client, flag, current)
        return None
    record = ConsentRecord(
        client=client,
        channel=channel,
        status=status,
        source=source,
        actor=actor,
        note=note[:300],
    )
    record.full_clean(exclude=["client", "actor"])
    record.save()
    setattr(client, flag, blocked)
    client.save(update_fields=[flag, "updated_at"])
    return record


def consent_flags_apply(*, client, flags, source, actor=None, note=""):
    """Turn do-not-contact flag values (``{"do_not_email": True, ...}``) into consent records."""
    records = []
    for channel, flag in CHANNEL_FLAGS.items():
        if flag in flags:
            status = ConsentStatus.REVOKED if flags[flag] else ConsentStatus.GRANTED
            record = consent_record(
                client=client, channel=channel, status=status, source=source, actor=actor, note=note
            )
            if record is not None:
                records.append(record)
    return records


def consent_set_by_person(*, client, channel, status, actor, note=""):
    """An agent records what the client told them (e.g. "agreed to email on the phone")."""
    if not can(actor, client, CHANGE):
        raise PermissionDenied("You cannot change this client's consent.")
    return consent_record(
        client=client,
        channel=channel,
        status=status,
        source=ConsentSource.AGENT,
        actor=actor,
        note=note.strip(),
    )


def consent_history(*, client):
    """The client's consent decisions, newest first, with who recorded them."""
    return client.consent_records.select_related("actor").order_by("-recorded_at", "-pk")


# ---------- the brokerage's do-not-contact list ----------


def client_do_not_contact_check(*, client, actor=None):
    """Close the channels whose address of ``client`` is on the brokerage's DNC list; the
    channels closed. Called when a client is added or their email or phone changes."""
    emails = [value for value in (client.email, client.alternate_email) if value]
    phones = [value for value in (client.phone, client.alternate_phone) if value]
    if not emails and not phones:
        return []
    listed = DoNotContactEntry.objects.filter(brokerage_id=client.brokerage_id).filter(
        Q(kind=DoNotContactKind.EMAIL, value__in=emails)
        | Q(kind=DoNotContactKind.PHONE, value__in=phones)
    )
    closed = []
    for kind, list_name in listed.values_list("kind", "list_name"):
        for channel in KIND_CHANNELS[kind]:
            record = consent_record(
                client=client,
                channel=channel,
                status=ConsentStatus.REVOKED,
                source=ConsentSource.DNC_LIST,
                actor=actor,
                note=list_name,
            )
            if record is not None:
                closed.append(channel)
    return closed


MAX_DNC_BYTES = 5 * 1024 * 1024
MAX_DNC_ROWS = 200_000
EMAIL_HEADERS = ("email", "emailaddress", "mail")
PHONE_HEADERS = ("phone", "phonenumber", "number", "telephone", "tel", "mobile", "cell")
AREA_HEADERS = ("areacode", "area", "npa")


@dataclass
class DoNotContactImport:
    """What a DNC list upload did: entries read, added, clients changed, bad lines."""

    list_name: str
    read: int = 0
    added: int = 0
    clients_changed: int = 0
    errors: list = field(default_factory=list)  # [(line, cell text, message)]


def _squash(text):
    return "".join(character for character in text.casefold() if character.isalnum())


def _columns(header):
    """(email column, phone column, area code column) of a header row; ``None`` if it is data."""
    names = [_squash(cell) for cell in header]
    if not any(
        name and not name.isdigit() and "@" not in cell
        for name, cell in zip(names, header, strict=True)
    ):
        return None
    email, phone, area = (
        next((position for position, name in enumerate(names) if name in choices), None)
        for choices in (EMAIL_HEADERS, PHONE_HEADERS, AREA_HEADERS)
    )
    if email is None and phone is None:
        raise ValidationError(
            "Name a column “email” or “phone” in the first line, or send one entry per line."
        )
    return email, phone, area


def _entry_of(cells, columns):
    """(kind, normalised value) of one row, or a ``ValidationError``."""
    cells = [cell.strip() for cell in cells]
    if columns is None:
        values = [cell for cell in cells if cell]
        if len(values) == 2 and all(value.isdigit() for value in values) and len(values[0]) == 3:
            values = ["".join(values)]  # the registry's "area code, number" layout
        if len(values) != 1:
            raise ValidationError("Give one email or phone number on the line.")
        text = values[0]
        if "@" in text:
            return DoNotContactKind.EMAIL, normalize_email(text)
        return DoNotContactKind.PHONE, normalize_phone(text)
    email_column, phone_column, area_column = columns

    def cell(position):
        return cells[position] if position is not None and position < len(cells) else ""

    if cell(email_column):
        return DoNotContactKind.EMAIL, normalize_email(cell(email_column))
    if cell(phone_column):
        return DoNotContactKind.PHONE, normalize_phone(cell(area_column) + cell(phone_column))
    raise ValidationError("The line has no email or phone number.")


def _read_rows(content):
    from clients.imports import decode

    if len(content) > MAX_DNC_BYTES:
        raise ValidationError(f"The file is larger than {MAX_DNC_BYTES // (1024 * 1024)} MB.")
    text = decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count) if any(d in first for d in ",;\t|") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 0
    try:
        for cells in reader:
            number, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                if len(rows) == MAX_DNC_ROWS:
                    raise ValidationError(f"The file has more than {MAX_DNC_ROWS} lines; split it.")
                rows.append((number, cells))
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num} cannot be read: {error}.") from error
    if not rows:
        raise ValidationError("The file is empty.")
    return rows


def do_not_contact_import(*, content, list_name, actor):
    """Add a DNC file's emails and phones to the brokerage's list and close those channels
    of its matching clients. Good lines are kept, bad ones reported by line; brokers only."""
    who = actor_for(actor)
    if not who.is_broker or who.brokerage_id is None:
        raise PermissionDenied("Only a broker manages the do-not-contact list.")
    rows = _read_rows(content)
    columns = _columns(rows[0][1])
    if columns is not None:
        rows = rows[1:]
    report = DoNotContactImport(list_name=list_name[:200])
    entries = {}
    for line, cells in rows:
        try:
            kind, value = _entry_of(cells, columns)
        except ValidationError as error:
            report.errors.append((line, ", ".join(cells)[:100], " ".join(error.messages)))
            continue
        if value:
            entries[(kind, value)] = True
    report.read = len(entries)
    brokerage_id = who.brokerage_id
    with transaction.atomic():
        known = set(
            DoNotContactEntry.objects.filter(brokerage_id=brokerage_id).values_list("kind", "value")
        )
        new = [key for key in entries if key not in known]
        now = timezone.now()
        DoNotContactEntry.objects.bulk_create(
            [
                DoNotContactEntry(
                    brokerage_id=brokerage_id,
                    kind=kind,
                    value=value,
                    list_name=report.list_name,
                    added_by=actor,
                    added_at=now,
                )
                for kind, value in new
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        report.added = len(new)
        report.clients_changed = _apply_to_clients(brokerage_id, entries, report.list_name, actor)
    return report


def _apply_to_clients(brokerage_id, entries, list_name, actor):
    emails = [value for kind, value in entries if kind == DoNotContactKind.EMAIL]
    phones = [value for kind, value in entries if kind == DoNotContactKind.PHONE]
    changed = set()
    candidates = Client.objects.filter(brokerage_id=brokerage_id, anonymised_at__isnull=True)
    batch = 500
    for kind, values, fields in (
        (DoNotContactKind.EMAIL, emails, ("email", "alternate_email")),
        (DoNotContactKind.PHONE, phones, ("phone", "alternate_phone")),
    ):
        for start in range(0, len(values), batch):
            chunk = values[start : start + batch]
            matches = candidates.filter(
                Q(**{f"{fields[0]}__in": chunk}) | Q(**{f"{fields[1]}__in": chunk})
            )
            for client in matches:
                for channel in KIND_CHANNELS[kind]:
                    record = consent_record(
                        client=client,
                        channel=channel,
                        status=ConsentStatus.REVOKED,
                        source=ConsentSource.DNC_LIST,
                        actor=actor,
                        note=list_name,
                    )
                    if record is not None:
                        changed.add(client.pk)
    return len(changed)


def do_not_contact_entry_delete(*, entry, actor):
    """Take an address off the list; clients keep their flags (a person reopens a channel)."""
    who = actor_for(actor)
    if not (actor.is_superuser or (who.is_broker and who.brokerage_id == entry.brokerage_id)):
        raise PermissionDenied("Only a broker manages the do-not-contact list.")
    entry.delete()
