"""Client, task, showing and saved-search filters shared by the CRM pages and the API."""

import re
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.fields import ModelChoiceField

from agents.models import Agent
from clients.choices import (
    AlertFrequency,
    AttemptStatus,
    CampaignStatus,
    OutreachChannel,
    Priority,
    ShowingStatus,
    Stage,
)
from clients.models import (
    Campaign,
    Client,
    ClientSegment,
    LeadSource,
    MessageTemplate,
    OutreachAttempt,
    SavedSearch,
    Showing,
    Tag,
    Task,
)
from clients.selectors import agent_choices
from realestate.filters import StableOrderingFilter
from realestate.permissions import restrict

# What a typed phone number may contain besides digits: "+1 (217) 555-0143".
PHONE_LIKE = re.compile(r"^[\d\s()+.\-]+$")
# Fewer digits than this match too many numbers to be a phone search.
PHONE_SEARCH_MIN_DIGITS = 3
NOT_CONTACTED_CHOICES = (
    ("7", "Not contacted in 7 days"),
    ("30", "Not contacted in 30 days"),
    ("90", "Not contacted in 90 days"),
)


def _visible(model, order_by):
    """A filter's choices: the rows of ``model`` the person may see (none without a request)."""

    def queryset(request):
        if request is None:
            return model._default_manager.none()
        return restrict(model._default_manager.all(), request.user).order_by(*order_by)

    return queryset


def visible_agents(request):
    if request is None:
        return Agent.objects.none()
    return (
        restrict(Agent.objects.select_related("user"), request.user)
        .filter(is_active=True)
        .order_by("user__first_name", "user__last_name", "pk")
    )


class AgentField(ModelChoiceField):
    def label_from_instance(self, agent):
        return agent.name


class AgentChoiceFilter(django_filters.ModelChoiceFilter):
    """An agent of the brokerage, shown by name."""

    field_class = AgentField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", visible_agents)
        super().__init__(*args, **kwargs)


def client_search(queryset, text):
    """Clients whose name or email has every word of ``text``, or whose phone has its digits."""
    text = (text or "").strip()
    if not text:
        return queryset
    # Phones are stored in E.164: "(217) 555-0143" is searched as the digits 2175550143.
    digits = re.sub(r"\D", "", text)
    if PHONE_LIKE.match(text) and len(digits) >= PHONE_SEARCH_MIN_DIGITS:
        return queryset.filter(Q(phone__contains=digits) | Q(alternate_phone__contains=digits))
    condition = Q()
    for word in text.split():
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(alternate_email__icontains=word)
        )
    return queryset.filter(condition)


class ClientFilterSet(django_filters.FilterSet):
    """Client filters shared by the client list, the pipeline board and the API."""

    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        help_text="Words of the name or email, or the digits of a phone number.",
    )
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, label="Stage", widget=forms.CheckboxSelectMultiple
    )
    source = django_filters.ModelChoiceFilter(
        queryset=_visible(LeadSource, ("name",)), label="Source", empty_label="Any source"
    )
    tag = django_filters.ModelChoiceFilter(
        field_name="tags", queryset=_visible(Tag, ("name",)), label="Tag", empty_label="Any tag"
    )
    assigned_agent = AgentChoiceFilter(label="Agent", empty_label="Any agent")
    mine = django_filters.BooleanFilter(method="filter_mine", label="My clients only")
    pooled = django_filters.BooleanFilter(
        field_name="in_pond",
        label="Pooled leads",
        help_text="`true`: only the leads in the brokerage's shared pond; `false`: none of them.",
    )
    not_contacted_days = django_filters.ChoiceFilter(
        choices=NOT_CONTACTED_CHOICES,
        empty_label="Any time",
        method="filter_not_contacted",
        label="Last contact",
        help_text="Clients never contacted or last contacted more than this many days ago.",
    )
    last_contacted = django_filters.DateFromToRangeFilter(
        field_name="last_contacted_at__date",
        label="Last contacted between",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    sort = StableOrderingFilter(
        fields=(
            ("last_name", "name"),
            ("score", "score"),
            ("last_contacted_at", "contacted"),
            ("created_at", "created"),
        ),
        field_labels={
            "last_name": "Name",
            "-score": "Highest score",
            "-contacted": "Most recently contacted",
            "last_contacted_at": "Longest since contact",
            "-created": "Newest",
            "created_at": "Oldest",
        },
        label="Sort",
    )

    class Meta:
        model = Client
        fields = []

    def filter_search(self, queryset, name, value):
        return client_search(queryset, value)

    def filter_mine(self, queryset, name, value):
        if value is True and self.request is not None:
            return queryset.filter(assigned_agent__user=self.request.user)
        return queryset

    def filter_not_contacted(self, queryset, name, value):
        if not value:
            return queryset
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=since))


class TaskFilterSet(django_filters.FilterSet):
    """Task filters shared by the task list and the API."""

    DUE_CHOICES = (("overdue", "Overdue"), ("today", "Due today"), ("upcoming", "Upcoming"))

    done = django_filters.BooleanFilter(
        method="filter_done",
        label="Done",
        help_text="`true`: only tasks done; `false`: only tasks still to do. Both when left out.",
    )
    due = django_filters.ChoiceFilter(choices=DUE_CHOICES, method="filter_due", label="Due")
    client = django_filters.ModelChoiceFilter(queryset=_visible(Client, ("last_name", "pk")))
    assigned_agent = AgentChoiceFilter(label="Agent")
    mine = django_filters.BooleanFilter(method="filter_mine", label="My tasks only")
    priority = django_filters.ChoiceFilter(choices=Priority.choices)

    class Meta:
        model = Task
        fields = []

    def filter_done(self, queryset, name, value):
        return queryset.filter(done_at__isnull=not value)

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(due_date__lt=today)
        if value == "today":
            return queryset.filter(due_date=today)
        return queryset.filter(due_date__gt=today)

    def filter_mine(self, queryset, name, value):
        if value is True and self.request is not None:
            return queryset.filter(assigned_agent__user=self.request.user)
        return queryset


WHEN_CHOICES = [("upcoming", "Upcoming"), ("past", "Past"), ("all", "Any time")]


class ShowingFilterSet(django_filters.FilterSet):
    """Showing filters shared by the showing list page and the API."""

    when = django_filters.ChoiceFilter(choices=WHEN_CHOICES, method="filter_when", label="When")
    status = django_filters.MultipleChoiceFilter(
        choices=ShowingStatus.choices,
        distinct=False,  # no join: DISTINCT would only stop the index from serving the page
        widget=forms.CheckboxSelectMultiple,
    )
    agent = django_filters.ModelChoiceFilter(
        queryset=lambda request: agent_choices(request.user) if request else Agent.objects.none(),
        label="Agent",
    )
    client = django_filters.NumberFilter(field_name="client_id", label="Client")
    listing = django_filters.NumberFilter(field_name="listing_id", label="Listing")

    class Meta:
        model = Showing
        fields = []

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(ends_at__gt=now).order_by("starts_at", "pk")
        if value == "past":
            return queryset.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
        return queryset

    def filter_from(self, queryset, name, value):
        return queryset.filter(starts_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        if value >= date.max - timedelta(days=1):
            return queryset
        return queryset.filter(starts_at__lt=_day_start(value + timedelta(days=1)))


def _day_start(day):
    """Midnight of ``day`` in the brokerage's time zone, so the index on the time serves."""
    return timezone.make_aware(datetime.combine(day, time.min))


# "from" is a Python keyword, so these two are added by their query parameter names.
ShowingFilterSet.base_filters["from"] = django_filters.DateFilter(
    method="filter_from", label="From (date)", widget=forms.DateInput(attrs={"type": "date"})
)
ShowingFilterSet.base_filters["to"] = django_filters.DateFilter(
    method="filter_to", label="To (date)", widget=forms.DateInput(attrs={"type": "date"})
)


class SavedSearchFilterSet(django_filters.FilterSet):
    """Filters of the saved-search list: by client or name, frequency and state."""

    q = django_filters.CharFilter(method="filter_search", label="Search")
    frequency = django_filters.ChoiceFilter(
        choices=AlertFrequency.choices, label="Emails", empty_label="Any"
    )
    state = django_filters.ChoiceFilter(
        method="filter_state",
        choices=(
            ("active", "Sending alerts"),
            ("paused", "Paused"),
            ("unsubscribed", "Unsubscribed"),
        ),
        label="State",
        empty_label="Any",
    )
    client = django_filters.NumberFilter(field_name="client_id")

    class Meta:
        model = SavedSearch
        fields = []

    def filter_search(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= (
                Q(name__icontains=word)
                | Q(client__first_name__icontains=word)
                | Q(client__last_name__icontains=word)
                | Q(client__email__icontains=word)
            )
        return queryset.filter(condition)

    def filter_state(self, queryset, name, value):
        if value == "unsubscribed":
            return queryset.filter(unsubscribed_at__isnull=False)
        return queryset.filter(unsubscribed_at__isnull=True, is_active=value == "active")


def _name_search(queryset, name, value):
    condition = Q()
    for word in value.split():
        condition &= Q(name__icontains=word)
    return queryset.filter(condition)


class MessageTemplateFilterSet(django_filters.FilterSet):
    """Outreach templates by name and channel."""

    q = django_filters.CharFilter(method=_name_search, label="Search")
    channel = django_filters.ChoiceFilter(
        choices=OutreachChannel.choices, label="Channel", empty_label="Any"
    )

    class Meta:
        model = MessageTemplate
        fields = []


class ClientSegmentFilterSet(django_filters.FilterSet):
    """Client segments by name."""

    q = django_filters.CharFilter(method=_name_search, label="Search")

    class Meta:
        model = ClientSegment
        fields = []


class CampaignFilterSet(django_filters.FilterSet):
    """Campaigns by name and state."""

    q = django_filters.CharFilter(method=_name_search, label="Search")
    status = django_filters.ChoiceFilter(
        choices=CampaignStatus.choices, label="State", empty_label="Any"
    )

    class Meta:
        model = Campaign
        fields = []


class OutreachAttemptFilterSet(django_filters.FilterSet):
    """Messages sent, by campaign, client, channel and status."""

    campaign = django_filters.NumberFilter(field_name="campaign_id")
    client = django_filters.NumberFilter(field_name="client_id")
    channel = django_filters.ChoiceFilter(choices=OutreachChannel.choices)
    status = django_filters.ChoiceFilter(choices=AttemptStatus.choices)

    class Meta:
        model = OutreachAttempt
        fields = []
