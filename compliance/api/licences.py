"""API of licences: agents read their own, brokers read and keep the brokerage's."""

from rest_framework import mixins, serializers

from agents.models import Agent
from compliance.filtersets.licences import LicenceFilterSet
from compliance.models.licences import Licence, LicenceStatus, LicenceType
from compliance.services.licences import licence_create, licence_update
from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField

urlpatterns = []


class LicenceSerializer(serializers.ModelSerializer):
    agent = VisibleRowField(queryset=Agent.objects.all())
    agent_name = serializers.CharField(source="agent.name", read_only=True)
    # Checked by the service once upper-cased, so "il" is taken as IL.
    state = serializers.CharField(max_length=2, help_text="US state code, such as IL.")
    status_label = ChoiceLabelField(LicenceStatus.choices, source="status")
    licence_type_label = ChoiceLabelField(LicenceType.choices, source="licence_type")
    is_lapsed = serializers.BooleanField(
        read_only=True, help_text="Expired by date, or its status is not active."
    )
    days_to_expiry = serializers.IntegerField(read_only=True)
    ce_percent = serializers.IntegerField(
        read_only=True, help_text="Share of the required CE hours done (0–100)."
    )

    class Meta:
        model = Licence
        fields = [
            "id",
            "agent",
            "agent_name",
            "number",
            "state",
            "licence_type",
            "licence_type_label",
            "issued_on",
            "expires_on",
            "status",
            "status_label",
            "is_lapsed",
            "days_to_expiry",
            "ce_hours_required",
            "ce_hours_completed",
            "ce_percent",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The service validates the whole licence (and its uniqueness) with full_clean.
        validators = []


class LicenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Licences the caller may see: their own, or a broker's whole brokerage."""

    serializer_class = LicenceSerializer
    filterset_class = LicenceFilterSet
    queryset = Licence.objects.select_related("agent__user").order_by("expires_on", "pk")

    def perform_create(self, serializer):
        serializer.instance = licence_create(
            data=serializer.validated_data, actor=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = licence_update(
            licence=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )


def register(router):
    """Add the licence endpoints to the API router."""
    router.register("compliance/licences", LicenceViewSet, basename="licence")
