"""The brokerage's event log: what changed, when, by whom. A broker reads the whole
brokerage's; an agent reads the events they caused."""

from django.urls import NoReverseMatch, path, reverse

from agents.choices import EventName
from agents.filtersets import EventFilterSet
from agents.models import Event
from realestate.formatting import money
from realestate.views import ObjectListView

# Where an event's subject is shown, by "app_label.model": (URL name, payload key of its id).
SUBJECT_PAGES = {
    "properties.property": ("properties:detail", "listing_id"),
    "clients.client": ("clients:detail", "client_id"),
    "clients.showing": ("clients:showing-detail", "showing_id"),
    "transactions.transaction": ("transactions:detail", "deal_id"),
    "transactions.document": ("transactions:documents", "deal_id"),
    "compliance.licence": ("compliance:licence-detail", "licence_id"),
    "compliance.fairhousingscanrun": ("compliance:fair-housing-run", "scan_run_id"),
}
VIOLATIONS = {
    "licence_expired": "{agent}'s {state} licence expired",
    "fair_housing_scan": "Fair Housing scan flagged {listings_flagged} listing(s)",
    "mls_export_limit": "{agent} exported {exported} listings of {provider} (limit {threshold})",
}


def _labels(choices_class):
    return dict(choices_class.choices)


def _change(payload, key, labels=None):
    old, new = payload.get(f"old_{key}"), payload.get(f"new_{key}")
    labels = labels or {}
    return f"{labels.get(old, old) or '—'} → {labels.get(new, new)}"


def event_summary(event):
    """One line saying what happened, from the event's payload."""
    from clients.choices import Stage
    from transactions.choices import DealStage

    payload, name = event.payload, event.name
    if name == EventName.LISTING_CREATED:
        return f"{payload.get('address', '')} · {money(payload.get('list_price'))}"
    if name == EventName.LISTING_PRICE_CHANGED:
        old, new = money(payload.get("old_price")) or "—", money(payload.get("new_price"))
        return f"{payload.get('address', '')}: {old} → {new}"
    if name == EventName.LISTING_STATUS_CHANGED:
        return f"{payload.get('address', '')}: {_change(payload, 'status')}"
    if name == EventName.CLIENT_CREATED:
        return payload.get("name") or f"Client {payload.get('client_id')}"
    if name == EventName.CLIENT_STAGE_CHANGED:
        who = payload.get("name") or f"Client {payload.get('client_id')}"
        return f"{who}: {_change(payload, 'stage', _labels(Stage))}"
    if name == EventName.SHOWING_BOOKED:
        return payload.get("address", "")
    if name == EventName.DEAL_STAGE_CHANGED:
        return f"{payload.get('name', '')}: {_change(payload, 'stage', _labels(DealStage))}"
    if name == EventName.DEAL_CLOSED:
        return f"{payload.get('name', '')} at {money(payload.get('sale_price'))}"
    if name == EventName.DOCUMENT_APPROVED:
        return payload.get("title", "")
    if name in (EventName.SYNC_COMPLETED, EventName.SYNC_FAILED):
        counts = f"{payload.get('created', 0)} new, {payload.get('updated', 0)} updated"
        if name == EventName.SYNC_FAILED:
            counts = f"{payload.get('message', '')} ({counts})"
        return f"{payload.get('provider', '')}: {counts}"
    if name == EventName.COMPLIANCE_VIOLATION:
        template = VIOLATIONS.get(payload.get("kind"))
        try:
            return template.format(**payload) if template else payload.get("kind", "")
        except (KeyError, IndexError):
            return payload.get("kind", "")
    return ""


def event_subject_url(event):
    """The page of the event's subject, when it has one (found without a query)."""
    if event.subject_type_id is None:
        return ""
    subject_type = event.subject_type
    page = SUBJECT_PAGES.get(f"{subject_type.app_label}.{subject_type.model}")
    if page is None:
        return ""
    url_name, id_key = page
    pk = event.payload.get(id_key) or event.subject_id
    try:
        return reverse(url_name, args=[int(pk)])
    except (NoReverseMatch, TypeError, ValueError):
        return ""


class EventListView(ObjectListView):
    """The event log: a broker's whole brokerage, an agent's own doings, newest first."""

    queryset = Event.objects.select_related("actor", "subject_type").order_by("-occurred_at", "-pk")
    filterset_class = EventFilterSet
    template_name = "agents/event_list.html"
    partial_template_name = "agents/includes/event_results.html"
    paginate_by = 50
    page_size_options = (50, 100, 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for event in context["object_list"]:
            event.summary = event_summary(event)
            event.subject_url = event_subject_url(event)
        context["is_filtered"] = any(
            value for key, value in self.request.GET.items() if key not in ("page", "page_size")
        )
        return context


urlpatterns = [
    path("dashboard/activity/", EventListView.as_view(), name="dashboard-activity"),
]
