import django_filters
from django.db.models import F, Q

from agents.choices import NotificationKind, WebhookDeliveryStatus
from agents.models import (
    Agent,
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
