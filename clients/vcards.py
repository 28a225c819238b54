"""Clients as vCards (.vcf): one client or a selection out, a file of several cards in.

Cards are imported like CSV rows (``clients.imports``): a bad card is reported by its number
and the others are kept. Each card is parsed on its own, so one broken card does not stop the
reading of those after it.
"""

import re

import vobject
from django.core.exceptions import ValidationError

from clients.imports import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    SKIP,
    ImportReport,
    RowOutcome,
    clients_for_export,
    clients_import,
    decode,
)

CARD = re.compile(r"^BEGIN:VCARD\s*$.*?^END:VCARD\s*$", re.IGNORECASE | re.MULTILINE | re.DOTALL)


def looks_like_vcard(filename, content):
    """Whether an upload is a vCard file: by its name, or by its first line."""
    named = filename.lower().endswith((".vcf", ".vcard"))
    return named or content.lstrip()[:11].upper() == b"BEGIN:VCARD"


def _text(value):
    """A vCard component, which vobject gives as a string or a list of strings."""
    if isinstance(value, list | tuple):
        return " ".join(str(part).strip() for part in value if str(part).strip())
    return str(value or "").strip()


def client_vcard(client):
    """One client as a vCard 3.0 object."""
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=client.last_name, given=client.first_name)
    card.add("fn").value = client.name
    for address in filter(None, (client.email, client.alternate_email)):
        email = card.add("email")
        email.value, email.type_param = address, "INTERNET"
    for number, kind in ((client.phone, "CELL"), (client.alternate_phone, "VOICE")):
        if number:
            tel = card.add("tel")
            tel.value, tel.type_param = number, kind
    if client.street_address or client.city or client.postal_code:
        card.add("adr").value = vobject.vcard.Address(
            street=client.street_address,
            city=client.city,
            region=client.state_or_province,
            code=client.postal_code,
        )
    tags = [tag.name for tag in client.tags.all()]
    if tags:
        card.add("categories").value = tags
    if client.notes:
        card.add("note").value = client.notes
    card.add("uid").value = f"client-{client.pk}@{client.brokerage_id}.crm"
    return card


def clients_export_vcard(*, queryset, user):
    """The vCards, one after the other, of the clients of ``queryset`` the user may see."""
    for client in clients_for_export(queryset=queryset, user=user).iterator(chunk_size=500):
        yield client_vcard(client).serialize()


def _card_values(card):
    """A parsed card as import record text (the CSV import's field names)."""
    values = {}
    name = card.contents.get("n")
    if name:
        values["first_name"] = _text(name[0].value.given)
        values["last_name"] = _text(name[0].value.family)
    full_name = card.contents.get("fn")
    if full_name and not (values.get("first_name") or values.get("last_name")):
        values["full_name"] = _text(full_name[0].value)
    for kind, fields in (
        ("email", ("email", "alternate_email")),
        ("tel", ("phone", "alternate_phone")),
    ):
        for field_name, line in zip(fields, card.contents.get(kind, []), strict=False):
            values[field_name] = _text(line.value)
    address = card.contents.get("adr")
    if address:
        value = address[0].value
        values["street_address"] = _text(value.street)
        values["city"] = _text(value.city)
        values["state_or_province"] = _text(value.region)
        values["postal_code"] = _text(value.code)
    note = card.contents.get("note")
    if note:
        values["notes"] = _text(note[0].value)
    categories = card.contents.get("categories")
    if categories:
        values["tags"] = ", ".join(_text(tag) for tag in categories[0].value)
    return {key: value for key, value in values.items() if value}


def vcard_records(content):
    """Each card of a .vcf file as ("card N", values), and the cards that cannot be read."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ValueError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    chunks = CARD.findall(decode(content).replace("\r\n", "\n"))
    if len(chunks) > MAX_IMPORT_ROWS:
        raise ValueError(f"The file has more than {MAX_IMPORT_ROWS} cards; split it.")
    records, unreadable = [], []
    for number, chunk in enumerate(chunks, start=1):
        label = f"card {number}"
        try:
            card = vobject.readOne(chunk)
            values = _card_values(card)
        except Exception as error:  # vobject raises many kinds of error on a malformed card
            unreadable.append(
                RowOutcome(label=label, status="failed", errors={"__all__": [_unreadable(error)]})
            )
            continue
        records.append((label, values))
    return records, unreadable


def _unreadable(error):
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"The card cannot be read: {detail[:200]}"


def clients_import_vcard(*, content, actor, on_duplicate=SKIP, route=False, dry_run=False):
    """Import the cards of a .vcf file; unreadable cards are reported with the bad rows."""
    try:
        records, unreadable = vcard_records(content)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    if not records and not unreadable:
        raise ValidationError("The file holds no vCard (BEGIN:VCARD … END:VCARD).")
    report = clients_import(
        records=records, actor=actor, on_duplicate=on_duplicate, route=route, dry_run=dry_run
    )
    outcomes = {outcome.label: outcome for outcome in [*report.outcomes, *unreadable]}
    ordered = sorted(outcomes.values(), key=lambda outcome: int(outcome.label.split()[1]))
    return ImportReport(outcomes=ordered, dry_run=dry_run)
