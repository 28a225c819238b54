"""Clients in and out of the CRM as files: CSV import with a column mapping, and CSV export.

An import keeps the good rows and reports each bad one by its line and with the field errors
the client services raise, so the file can be corrected and sent again. A row with the email
or phone of a client already in the brokerage, or of an earlier row of the same file, is a
duplicate: skipped, or merged into that client when the person asks for "update". vCards go
through the same steps (``clients.vcards``).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clients.choices import ClientRole, ContactMethod, Stage
from clients.contact import normalize_contact_fields
from clients.models import Client, LeadSource
from clients.services.people import client_create, client_update
from compliance.models.privacy import ConsentSource
from realestate.permissions import CHANGE, VIEW, actor_for, can, restrict

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
DELIMITERS = ",;\t|"
SKIP, UPDATE = "skip", "update"
DUPLICATE_CHOICES = (
    (SKIP, "Skip them and report them"),
    (UPDATE, "Update the existing client with the file's values"),
)

# Client fields an import fills, with the label people see (also the export's column names).
IMPORT_FIELDS = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "email": "Email",
    "alternate_email": "Other email",
    "phone": "Phone",
    "alternate_phone": "Other phone",
    "street_address": "Street address",
    "city": "City",
    "state_or_province": "State",
    "postal_code": "Postal code",
    "preferred_contact_method": "Preferred contact",
    "language": "Language",
    "time_zone": "Time zone",
    "stage": "Stage",
    "roles": "Roles",
    "tags": "Tags",
    "source": "Lead source",
    "notes": "Notes",
    "do_not_email": "Do not email",
    "do_not_call": "Do not call",
    "do_not_text": "Do not text",
}
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "alternate_email",
    "phone",
    "alternate_phone",
    "street_address",
    "city",
    "state_or_province",
    "postal_code",
    "language",
    "time_zone",
    "notes",
)
FLAG_FIELDS = ("do_not_email", "do_not_call", "do_not_text")
# Other names spreadsheets and CRMs give these columns, written as ``_squash`` leaves them.
HEADER_SYNONYMS = {
    "first_name": ("first", "givenname", "forename", "firstnames"),
    "last_name": ("last", "surname", "familyname", "lastname"),
    "full_name": ("name", "contact", "contactname", "clientname", "fullname"),
    "email": ("emailaddress", "mail", "primaryemail", "email1", "emailaddress1"),
    "alternate_email": ("secondaryemail", "alternateemail", "email2", "emailaddress2"),
    "phone": (
        "phonenumber",
        "mobile",
        "mobilephone",
        "cell",
        "cellphone",
        "telephone",
        "tel",
        "primaryphone",
        "phone1",
    ),
    "alternate_phone": ("homephone", "workphone", "phone2", "secondaryphone", "alternatephone"),
    "street_address": ("address", "street", "address1", "addressline1", "mailingaddress"),
    "city": ("town",),
    "state_or_province": ("province", "stateorprovince", "region"),
    "postal_code": ("zip", "zipcode", "postcode", "postalcode"),
    "preferred_contact_method": ("contactmethod", "preferredcontactmethod", "bestwaytoreach"),
    "time_zone": ("timezone", "tz"),
    "stage": ("status", "pipelinestage", "leadstatus"),
    "roles": ("role", "type", "clienttype", "contacttype"),
    "tags": ("tag", "labels", "groups", "categories"),
    "source": ("leadsource", "origin", "howdidyouhear"),
    "notes": ("note", "comments", "comment", "description", "remarks"),
    "do_not_email": ("donotemail", "noemail", "emailoptout", "unsubscribed"),
    "do_not_call": ("donotcall", "nocall", "dnc"),
    "do_not_text": ("donottext", "nosms", "notext", "smsoptout"),
}
TRUE_WORDS = {"1", "y", "yes", "true", "x", "on"}
FALSE_WORDS = {"", "0", "n", "no", "false", "off"}
LIST_SEPARATORS = re.compile(r"[,;|]")


def _squash(header):
    """A header as it is matched: letters and digits only, lower-cased."""
    return "".join(character for character in str(header).casefold() if character.isalnum())


_HEADER_FIELDS = {}
for _field, _label in IMPORT_FIELDS.items():
    for _name in (_field, _label, *HEADER_SYNONYMS.get(_field, ())):
        _HEADER_FIELDS.setdefault(_squash(_name), _field)


# ---------- reading a CSV ----------


@dataclass
class CsvTable:
    """A CSV file read: its column names and its rows, each with the line it starts on."""

    headers: list
    rows: list  # [(line number, [cells])]


def decode(content):
    """The text of a file: UTF-8 (a BOM is dropped), else Windows-1252 as Excel writes it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def csv_table_read(content):
    """Read CSV bytes (delimiter sniffed from the header line); ``ValidationError`` if unusable."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    text = decode(content)
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        headers, seen = [], {}
        for position, name in enumerate(header, start=1):
            name = name.strip() or f"Column {position}"
            seen[name] = seen.get(name, 0) + 1
            headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
        if not any(cell.strip() for cell in header):
            raise ValidationError("The file is empty: its first line should name the columns.")
        rows, line = [], reader.line_num
        for cells in reader:
            number, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_IMPORT_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_IMPORT_ROWS} rows; split it into smaller files."
                )
            rows.append((number, cells))
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num} cannot be read: {error}.") from error
    return CsvTable(headers=headers, rows=rows)


def import_mapping_suggest(headers):
    """A column → field mapping guessed from the column names ("" where none fits)."""
    mapping, taken = {}, set()
    for header in headers:
        field_name = _HEADER_FIELDS.get(_squash(header), "")
        if field_name in taken:
            field_name = ""
        taken.add(field_name)
        mapping[header] = field_name
    return mapping


def import_mapping_check(*, mapping, headers):
    """The mapping without its empty entries; ``ValidationError`` naming what is wrong."""
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": "Give the mapping as column name → field."})
    cleaned, errors, used = {}, [], {}
    for column, field_name in mapping.items():
        if not field_name:
            continue
        if column not in headers:
            errors.append(f"The file has no column “{column}”.")
        elif field_name not in IMPORT_FIELDS:
            errors.append(f"“{field_name}” is not a client field (column “{column}”).")
        elif field_name in used:
            errors.append(
                f"{IMPORT_FIELDS[field_name]} is chosen for both “{used[field_name]}” and "
                f"“{column}”."
            )
        else:
            used[field_name] = column
            cleaned[column] = field_name
    identity = {"first_name", "last_name", "full_name", "email", "phone"}
    if not errors and not identity & set(used):
        errors.append("Choose a column for the name, the email or the phone.")
    if errors:
        raise ValidationError({"mapping": errors})
    return cleaned


def csv_records(*, table, mapping):
    """Each row as ("line N", {field: text}) by the mapping."""
    columns = [(index, mapping.get(header)) for index, header in enumerate(table.headers)]
    for line, cells in table.rows:
        values = {}
        for index, field_name in columns:
            if field_name and index < len(cells):
                values[field_name] = cells[index].strip()
        yield f"line {line}", values


# ---------- importing records ----------


@dataclass
class RowOutcome:
    """What became of one row or card: created, updated, skipped (a duplicate) or failed."""

    label: str
    status: str
    errors: dict = field(default_factory=dict)  # field → [messages]; "__all__" for the row
    client_id: int | None = None
    values: dict = field(default_factory=dict)

    @property
    def message(self):
        parts = []
        for name, messages in self.errors.items():
            prefix = "" if name == "__all__" else f"{IMPORT_FIELDS.get(name, name)}: "
            parts += [prefix + str(message) for message in messages]
        return " ".join(parts)


@dataclass
class ImportReport:
    """The result of an import (or of its preview, when nothing was kept)."""

    outcomes: list = field(default_factory=list)
    dry_run: bool = False

    def _with(self, status):
        return [outcome for outcome in self.outcomes if outcome.status == status]

    @property
    def created(self):
        return self._with("created")

    @property
    def updated(self):
        return self._with("updated")

    @property
    def skipped(self):
        return self._with("skipped")

    @property
    def failed(self):
        return self._with("failed")

    def as_dict(self):
        return {
            "dry_run": self.dry_run,
            "total": len(self.outcomes),
            "created": len(self.created),
            "updated": len(self.updated),
            "skipped": [{"row": o.label, "reason": o.message} for o in self.skipped],
            "failed": [{"row": o.label, "errors": o.errors} for o in self.failed],
            "client_ids": [o.client_id for o in [*self.created, *self.updated]],
        }


def _choice(value, choices, what):
    """A choice's value from its value or label, any case; ``ValueError`` naming it."""
    wanted = value.casefold()
    for stored, label in choices:
        if wanted in (str(stored).casefold(), str(label).casefold()):
            return stored
    raise ValueError(f"Unknown {what} “{value}”.")


def _split_name(full_name):
    """ "Jane Q. Doe" → ("Jane Q.", "Doe"); "Doe, Jane" → ("Jane", "Doe")."""
    if "," in full_name:
        last, first = (part.strip() for part in full_name.split(",", 1))
        return first, last
    parts = full_name.split()
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def record_values(raw):
    """A record's text as client data, tags and source name; plus the field errors."""
    data, errors = {}, {}
    for name in TEXT_FIELDS:
        if raw.get(name):
            data[name] = raw[name]
    if "state_or_province" in data:
        data["state_or_province"] = data["state_or_province"].upper()
    if raw.get("full_name") and not (data.get("first_name") or data.get("last_name")):
        data["first_name"], data["last_name"] = _split_name(raw["full_name"])
    for name in FLAG_FIELDS:
        word = raw.get(name, "").casefold()
        if word in TRUE_WORDS:
            data[name] = True
        elif word and word not in FALSE_WORDS:
            errors[name] = [f"Write yes or no, not “{raw[name]}”."]
        elif word:
            data[name] = False
    for name, choices, what in (
        ("stage", Stage.choices, "stage"),
        ("preferred_contact_method", ContactMethod.choices, "contact method"),
    ):
        if raw.get(name):
            try:
                data[name] = _choice(raw[name], choices, what)
            except ValueError as error:
                errors[name] = [str(error)]
    if raw.get("roles"):
        roles = []
        for role in filter(None, (r.strip() for r in LIST_SEPARATORS.split(raw["roles"]))):
            try:
                roles.append(_choice(role, ClientRole.choices, "role"))
            except ValueError as error:
                errors.setdefault("roles", []).append(str(error))
        data["roles"] = roles
    tags = [tag.strip() for tag in LIST_SEPARATORS.split(raw.get("tags", "")) if tag.strip()]
    errors.update(
        (name, messages)
        for name, messages in normalize_contact_fields(data).items()
        if name not in errors
    )
    return data, tags, raw.get("source", "").strip()[:100], errors


def _identity_keys(data):
    keys = [f"email:{data[name]}" for name in ("email", "alternate_email") if data.get(name)]
    keys += [f"phone:{data[name]}" for name in ("phone", "alternate_phone") if data.get(name)]
    return keys


def _describe_key(key):
    kind = key.split(":", 1)[0]
    return "email" if kind == "email" else "phone"


class _Importer:
    """One import run: the brokerage's known emails and phones, the file's, the outcomes."""

    def __init__(self, *, actor, on_duplicate, route):
        who = actor_for(actor)
        if who.agent is None or not who.can_write:
            raise PermissionDenied("Your role cannot add clients.")
        if route and not who.is_broker:
            raise PermissionDenied("Only a broker can route imported clients.")
        if on_duplicate not in (SKIP, UPDATE):
            raise ValidationError({"on_duplicate": "Choose skip or update."})
        self.actor, self.who = actor, who
        self.on_duplicate, self.route = on_duplicate, route
        self.known = {}  # identity key → client pk, the brokerage's clients
        rows = Client.objects.filter(brokerage_id=who.brokerage_id).order_by("-pk")
        contact_fields = ("email", "alternate_email", "phone", "alternate_phone")
        for pk, *contacts in rows.values_list("pk", *contact_fields):
            for key in _identity_keys(dict(zip(contact_fields, contacts, strict=True))):
                self.known[key] = pk  # lowest pk last: the oldest client wins
        self.in_file = {}  # identity key → (label, client pk or None in a dry run)
        self.sources = {
            source.name.casefold(): source
            for source in LeadSource.objects.filter(brokerage_id=who.brokerage_id)
        }

    def source(self, name):
        if not name:
            return None
        source = self.sources.get(name.casefold())
        if source is None:
            source = LeadSource.objects.create(brokerage_id=self.who.brokerage_id, name=name)
            self.sources[name.casefold()] = source
        return source

    def run(self, label, raw):
        data, tags, source_name, errors = record_values(raw)
        outcome = RowOutcome(label=label, status="failed", values=dict(raw))
        if errors:
            outcome.errors = errors
            return outcome
        keys = _identity_keys(data)
        earlier = next(((key, self.in_file[key]) for key in keys if key in self.in_file), None)
        existing = next(((key, self.known[key]) for key in keys if key in self.known), None)
        skipping = (earlier or existing) is not None and self.on_duplicate == SKIP
        # Made outside the row's savepoint: a later row may use the source this row named.
        source = None if skipping else self.source(source_name)
        try:
            with transaction.atomic():
                if earlier is not None:
                    self._duplicate_in_file(outcome, earlier, data, tags, source)
                elif existing is not None:
                    self._duplicate_known(outcome, existing, data, tags, source)
                else:
                    self._create(outcome, data, tags, source)
        except ValidationError as error:
            outcome.status = "failed"
            outcome.errors = (
                error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
            )
            return outcome
        for key in keys:
            self.in_file.setdefault(key, (label, outcome.client_id))
        return outcome

    def _create(self, outcome, data, tags, source):
        data["source"] = source
        if not self.route:
            data["assigned_agent"] = self.who.agent
        client = client_create(
            data=data, actor=self.actor, tags=tags, consent_source=ConsentSource.IMPORT
        )
        if self.route:
            from clients.services.routing import lead_route

            lead_route(client=client)
        outcome.status, outcome.client_id = "created", client.pk

    def _duplicate_in_file(self, outcome, earlier, data, tags, source):
        key, (first_label, client_id) = earlier
        same = f"Same {_describe_key(key)} as {first_label}"
        if self.on_duplicate == SKIP or client_id is None:
            outcome.status, outcome.client_id = "skipped", client_id
            outcome.errors = {"__all__": [f"{same}: skipped."]}
            return
        self._update(outcome, Client.objects.get(pk=client_id), data, tags, source)

    def _duplicate_known(self, outcome, existing, data, tags, source):
        key, client_id = existing
        client = restrict(Client.objects.filter(pk=client_id), self.actor, VIEW).first()
        if client is None:
            outcome.status = "skipped"
            outcome.errors = {
                "__all__": [
                    f"Same {_describe_key(key)} as a client of the brokerage you do not see: "
                    "skipped (ask your broker)."
                ]
            }
            return
        if self.on_duplicate == SKIP:
            outcome.status, outcome.client_id = "skipped", client.pk
            outcome.errors = {
                "__all__": [f"Same {_describe_key(key)} as your client {client.name}: skipped."]
            }
            return
        if not can(self.actor, client, CHANGE):
            outcome.status, outcome.client_id = "skipped", client.pk
            outcome.errors = {
                "__all__": [
                    f"Same {_describe_key(key)} as {client.name}, whom you cannot change: skipped."
                ]
            }
            return
        self._update(outcome, client, data, tags, source)

    def _update(self, outcome, client, data, tags, source):
        if source is not None:
            data["source"] = source
        if "roles" in data:
            data["roles"] = [*client.roles, *(r for r in data["roles"] if r not in client.roles)]
        tag_names = None
        if tags:
            tag_names = [*client.tags.values_list("name", flat=True), *tags]
        client_update(
            client=client,
            data=data,
            actor=self.actor,
            tags=tag_names,
            consent_source=ConsentSource.IMPORT,
        )
        outcome.status, outcome.client_id = "updated", client.pk


def clients_import(*, records, actor, on_duplicate=SKIP, route=False, dry_run=False):
    """Import (label, {field: text}) records as clients of the actor's brokerage.

    New clients are the importing agent's, or routed by the broker's rules when a broker asks.
    A dry run checks every record exactly as the import would and keeps nothing.
    """
    importer = _Importer(actor=actor, on_duplicate=on_duplicate, route=route)
    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        for label, raw in records:
            report.outcomes.append(importer.run(label, raw))
        if dry_run:
            transaction.set_rollback(True)
    return report


def clients_import_csv(
    *, table, mapping, actor, on_duplicate=SKIP, route=False, dry_run=False, limit=None
):
    """Import a read CSV by a column mapping; ``limit`` rows only (a preview)."""
    mapping = import_mapping_check(mapping=mapping, headers=table.headers)
    records = csv_records(table=table, mapping=mapping)
    if limit is not None:
        records = (record for _, record in zip(range(limit), records, strict=False))
    return clients_import(
        records=records, actor=actor, on_duplicate=on_duplicate, route=route, dry_run=dry_run
    )


# ---------- export ----------

FORMULA_START = ("=", "@", "\t", "\r")
SIGNED_NUMBER = re.compile(r"^[+-][\d\s().-]*$")


def _safe_cell(value):
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    risky = text.startswith(FORMULA_START) or (
        text.startswith(("+", "-")) and not SIGNED_NUMBER.match(text)
    )
    return "'" + text if risky else text


EXPORT_COLUMNS = (
    ("ID", lambda client: client.pk),
    *(
        (IMPORT_FIELDS[name], lambda client, name=name: getattr(client, name))
        for name in (
            "first_name",
            "last_name",
            "email",
            "alternate_email",
            "phone",
            "alternate_phone",
            "street_address",
            "city",
            "state_or_province",
            "postal_code",
        )
    ),
    ("Preferred contact", lambda client: client.get_preferred_contact_method_display()),
    ("Stage", lambda client: client.get_stage_display()),
    ("Roles", lambda client: ", ".join(ClientRole(r).label for r in client.roles)),
    ("Tags", lambda client: ", ".join(tag.name for tag in client.tags.all())),
    ("Lead source", lambda client: client.source.name if client.source else ""),
    ("Assigned agent", lambda client: client.assigned_agent.name if client.assigned_agent else ""),
    ("Do not email", lambda client: "yes" if client.do_not_email else "no"),
    ("Do not call", lambda client: "yes" if client.do_not_call else "no"),
    ("Do not text", lambda client: "yes" if client.do_not_text else "no"),
    ("Score", lambda client: client.score),
    ("Added", lambda client: client.created_at.isoformat()),
    (
        "Last contacted",
        lambda client: client.last_contacted_at.isoformat() if client.last_contacted_at else "",
    ),
)


class _Line:
    """A file-like object that hands back what the CSV writer writes."""

    def write(self, value):
        return value


def clients_for_export(*, queryset, user):
    """The clients of ``queryset`` that ``user`` may see, with what an export reads."""
    return (
        restrict(queryset, user, VIEW)
        .select_related("source", "assigned_agent__user")
        .prefetch_related("tags")
    )


def clients_export_csv(*, queryset, user):
    """The CSV lines (header first) of the clients of ``queryset`` the user may see."""
    writer = csv.writer(_Line())
    yield writer.writerow([title for title, _ in EXPORT_COLUMNS])
    for client in clients_for_export(queryset=queryset, user=user).iterator(chunk_size=500):
        yield writer.writerow([_safe_cell(value(client)) for _, value in EXPORT_COLUMNS])
