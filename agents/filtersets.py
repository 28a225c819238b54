import django_filters
from django.db.models import Q

from agents.models import Agent, Office, Team
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
