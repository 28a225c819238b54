"""Duplicate clients: finding the likely pairs, and merging one client into another."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.choices import ActivityKind, ClientRole
from clients.models import Client
from clients.services.people import activity_log, client_co_agents_set, client_score_refresh
from clients.services.routing import area_key
from compliance.models.privacy import CHANNEL_FLAGS, ConsentSource
from compliance.services.consent import consent_flags_apply
from realestate.permissions import CHANGE, VIEW, can, restrict

MAX_PAIRS = 200
# Fields a merge never copies: who the record is, and what the product keeps up to date.
NOT_COPIED = frozenset(
    {
        "id",
        "brokerage",
        "created_by",
        "created_at",
        "updated_at",
        "score",
        "score_reasons",
        "in_pond",
        "assigned_at",
        "claimed_at",
        "last_contacted_at",
        "roles",
        "notes",
    }
)


@dataclass(frozen=True)
class DuplicatePair:
    """Two clients that look like the same person: ``first`` is the older one, and why."""

    first: Client
    second: Client
    reasons: tuple

    @property
    def choices(self):
        """(keep, merge) both ways round."""
        return ((self.first, self.second), (self.second, self.first))


def _name_key(first_name, last_name):
    return " ".join(f"{first_name} {last_name}".casefold().split())


def client_duplicates(*, user, limit=MAX_PAIRS):
    """Likely duplicate pairs among the clients ``user`` may see, each paired with the oldest.

    Same normalised email or phone (main or other), or the same name and postal code. A group
    of several is listed as pairs with its oldest client, into which the others merge.
    """
    groups = defaultdict(set)
    rows = restrict(Client.objects.all(), user, VIEW).values_list(
        "pk",
        "brokerage_id",
        "email",
        "alternate_email",
        "phone",
        "alternate_phone",
        "first_name",
        "last_name",
        "postal_code",
    )
    for pk, brokerage_id, email, alt_email, phone, alt_phone, first, last, postal in rows:
        for address in {email, alt_email} - {""}:
            groups[(brokerage_id, "email", address)].add(pk)
        for number in {phone, alt_phone} - {""}:
            groups[(brokerage_id, "phone", number)].add(pk)
        name = _name_key(first, last)
        if name and postal:
            groups[(brokerage_id, "name", f"{name}|{area_key(postal)}")].add(pk)
    labels = {
        "email": "Same email ({})",
        "phone": "Same phone ({})",
        "name": "Same name and postal code",
    }
    pairs = defaultdict(list)
    for (_, kind, value), pks in groups.items():
        if len(pks) < 2:
            continue
        oldest, *others = sorted(pks)
        for other in others:
            pairs[(oldest, other)].append(labels[kind].format(value))
    chosen = sorted(pairs)[:limit]
    wanted = {pk for pair in chosen for pk in pair}
    clients = Client.objects.select_related("assigned_agent__user", "source").in_bulk(wanted)
    return [
        DuplicatePair(first=clients[a], second=clients[b], reasons=tuple(sorted(pairs[(a, b)])))
        for a, b in chosen
    ]


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _fill_blanks(keep, merge):
    """Keep's empty fields take the merged client's values; nothing keep has is overwritten."""
    for field in Client._meta.concrete_fields:
        if field.name in NOT_COPIED or field.get_internal_type() == "BooleanField":
            continue
        theirs = getattr(merge, field.attname)
        if _empty(getattr(keep, field.attname)) and not _empty(theirs):
            setattr(keep, field.attname, theirs)
    for main, other in (("email", "alternate_email"), ("phone", "alternate_phone")):
        theirs = getattr(merge, main)
        if theirs and theirs != getattr(keep, main) and not getattr(keep, other):
            setattr(keep, other, theirs)
    # A "do not contact" either record carries is honoured: see client_merge (consent log).
    roles = set(keep.roles) | set(merge.roles)
    keep.roles = [role for role in ClientRole.values if role in roles]
    if merge.notes and merge.notes != keep.notes:
        keep.notes = f"{keep.notes}\n\n{merge.notes}".strip()
    keep.created_at = min(keep.created_at, merge.created_at)
    contacted = [t for t in (keep.last_contacted_at, merge.last_contacted_at) if t]
    keep.last_contacted_at = max(contacted) if contacted else None
    if keep.assigned_agent_id:
        keep.in_pond = False
        keep.assigned_at = keep.assigned_at or merge.assigned_at or timezone.now()
        keep.claimed_at = keep.claimed_at or merge.claimed_at


def _move_relation(relation, keep, merge):
    """Point the rows of one reverse relation at ``keep``; returns how many moved."""
    model, field = relation.related_model, relation.field
    if relation.many_to_many:
        through = field.remote_field.through
        client_column, other_column = field.m2m_reverse_field_name(), field.m2m_field_name()
        rows = through._base_manager.filter(**{client_column: merge.pk})
        already = through._base_manager.filter(**{client_column: keep.pk}).values(other_column)
        rows.filter(**{f"{other_column}__in": already}).delete()
        return rows.update(**{client_column: keep.pk})
    rows = model._base_manager.filter(**{field.name: merge.pk})
    if relation.one_to_one and model._base_manager.filter(**{field.name: keep.pk}).exists():
        return 0  # keep's own stays; the merged one goes with the merged client
    try:
        with transaction.atomic():
            return rows.update(**{field.name: keep.pk})
    except IntegrityError:
        raise ValidationError(
            f"The {model._meta.verbose_name_plural} of the two clients clash; "
            "resolve them before merging."
        ) from None


def _move_object_permissions(keep, merge):
    """Whoever the merged client was shared with keeps access through ``keep``."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    content_type = ContentType.objects.get_for_model(Client)
    for model, holder in ((UserObjectPermission, "user"), (GroupObjectPermission, "group")):
        theirs = model.objects.filter(content_type=content_type, object_pk=str(merge.pk))
        for row in theirs:
            model.objects.get_or_create(
                **{holder: getattr(row, holder)},
                permission=row.permission,
                content_type=content_type,
                object_pk=str(keep.pk),
            )
        theirs.delete()


@transaction.atomic
def client_merge(*, keep, merge, actor):
    """Merge ``merge`` into ``keep``: every related record moves, blanks fill, ``merge`` goes.

    Every relation pointing at Client moves, found through the model's metadata so that a
    model added later is not lost. The merged client's agent and co-agents keep access as
    co-agents of ``keep``.
    """
    if keep.pk == merge.pk:
        raise ValidationError("Choose two different clients.")
    if keep.brokerage_id != merge.brokerage_id:
        raise ValidationError("Clients of different brokerages cannot be merged.")
    if not (can(actor, keep, CHANGE) and can(actor, merge, CHANGE)):
        raise PermissionDenied("You cannot change both clients.")
    # Only the client rows are locked: the agent, an outer join, cannot be (PostgreSQL).
    clients = Client.objects.select_for_update(of=("self",)).select_related("assigned_agent__user")
    keep, merge = clients.get(pk=keep.pk), clients.get(pk=merge.pk)
    merged_name = merge.name
    co_agents = {*keep.co_agents.all(), *merge.co_agents.all()}
    _fill_blanks(keep, merge)
    if merge.assigned_agent is not None:
        co_agents.add(merge.assigned_agent)
    co_agents.discard(keep.assigned_agent)
    keep.full_clean(exclude=["brokerage", "source", "assigned_agent", "created_by"])
    keep.save()
    consent_flags_apply(
        client=keep,
        flags={flag: True for flag in CHANNEL_FLAGS.values() if getattr(merge, flag)},
        source=ConsentSource.MERGE,
        actor=actor,
        note=f"Merged {merged_name}",
    )
    moved = {}
    for relation in Client._meta.related_objects:
        count = _move_relation(relation, keep, merge)
        if count:
            moved[str(relation.related_model._meta.verbose_name_plural)] = count
    tags = list(merge.tags.all())
    keep.tags.add(*tags)
    for field in Client._meta.many_to_many:
        if field.name not in ("tags", "co_agents"):
            getattr(keep, field.name).add(*getattr(merge, field.name).all())
    _move_object_permissions(keep, merge)
    client_co_agents_set(client=keep, agents=co_agents)
    merged_pk = merge.pk
    merge.delete()
    activity_log(
        client=keep,
        kind=ActivityKind.SYSTEM,
        subject=f"Merged {merged_name}",
        body="Moved: " + ", ".join(f"{n} {what}" for what, n in moved.items()) if moved else "",
        actor=actor,
        details={"merged_client": merged_pk, "merged_name": merged_name, "moved": moved},
    )
    client_score_refresh(client=keep)
    return keep
