import django_filters
from django.db.models import F, Q

from agents.choices import EventName, NotificationKind, WebhookDeliveryStatus
from agents.models import (
    Agent,
    Event,
    IncomingWebhookLog,
    Notification,
    Office,
    Team,
    WebhookDelivery,
    WebhookSubscription,
)
from realestate.permissions import restrict


def _visible(model):
    """The rows of ``model`` the requesting person may choose from (their brokerage's)."""

    def queryset(request):
        user = getattr(request, "user", None)
        return restrict(model.objects.all(), user)

    return queryset


class AgentFilterSet(django_filters.FilterSet):
    """Agent filters shared by the agent directory page and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
    office = django_filters.ModelChoiceFilter(queryset=_visible(Office))
    team = django_filters.ModelChoiceFilter(queryset=_visible(Team))
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = Agent
        fields = []

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__username__icontains=word)
            )
        return queryset.filter(condition)


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    """Webhook delivery filters shared by the delivery log pages and the API."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
    status = django_filters.ChoiceFilter(choices=WebhookDeliveryStatus.choices)
    subscription = django_filters.ModelChoiceFilter(queryset=_visible(WebhookSubscription))
    event_name = django_filters.CharFilter(label="Event")

    class Meta:
        model = WebhookDelivery
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(message_id__icontains=value) | Q(event_name__icontains=value))


class IncomingWebhookLogFilterSet(django_filters.FilterSet):
    """Filters of an incoming endpoint's request log."""

    verified = django_filters.BooleanFilter(label="Signature held")
    status_code = django_filters.NumberFilter(label="Answer")

    class Meta:
        model = IncomingWebhookLog
        fields = []


class NotificationFilterSet(django_filters.FilterSet):
    """Filters of a person's notification feed, shared by the page and the API."""

    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Unread only"
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices, empty_label="Any")
    sort = django_filters.ChoiceFilter(
        choices=(("newest", "Newest first"), ("unread", "Unread first")),
        empty_label=None,
        label="Order",
        method="order",
    )

    class Meta:
        model = Notification
        fields = []

    def order(self, queryset, name, value):
        if value == "unread":
            # NULL read times first on both databases, then the newest.
            return queryset.order_by(F("read_at").desc(nulls_first=True), "-created_at", "-pk")
        return queryset.order_by("-created_at", "-pk")


# What an event can be about, as "app_label.model": the subject filter of the event log.
EVENT_SUBJECT_TYPES = (
    ("properties.property", "Listing"),
    ("clients.client", "Client"),
    ("clients.showing", "Showing"),
    ("transactions.transaction", "Deal"),
    ("transactions.document", "Deal document"),
    ("mls.syncrun", "MLS sync run"),
    ("compliance.licence", "Licence"),
    ("compliance.fairhousingscanrun", "Fair Housing scan"),
    ("compliance.exportalert", "MLS export alert"),
)


class EventFilterSet(django_filters.FilterSet):
    """The event log by event, date and subject; shared by the event log page and the API."""

    name = django_filters.ChoiceFilter(
        choices=EventName.choices, label="Event", empty_label="Any event"
    )
    occurred = django_filters.DateFromToRangeFilter(
        field_name="occurred_at__date",
        label="Between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    subject_type = django_filters.ChoiceFilter(
        choices=EVENT_SUBJECT_TYPES,
        method="filter_subject_type",
        label="About",
        empty_label="Anything",
    )
    subject_id = django_filters.CharFilter(
        label="Subject ID", help_text="Events of one record, e.g. a listing's ID."
    )

    class Meta:
        model = Event
        fields = []

    def filter_subject_type(self, queryset, name, value):
        app_label, model = value.split(".")
        return queryset.filter(subject_type__app_label=app_label, subject_type__model=model)
