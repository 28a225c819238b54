from rest_framework import serializers

from agents.choices import Role
from agents.models import Agent, Brokerage, Office, Team


class BrokerageSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Brokerage
        fields = ["id", "name", "slug"]


class OfficeSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = ["id", "name"]


class TeamSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]


class AgentSummarySerializer(serializers.ModelSerializer):
    """Who an agent is and how to reach them, as a listing shows its listing agent."""

    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "name", "email", "phone"]


class AgentSerializer(serializers.ModelSerializer):
    """An agent of the brokerage: contact details, office, team, licence and market."""

    name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    office = OfficeSummarySerializer(read_only=True, allow_null=True)
    team = TeamSummarySerializer(read_only=True, allow_null=True)
    market_areas = serializers.ListField(child=serializers.CharField(), read_only=True)
    specialties = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Agent
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "office",
            "team",
            "mls_agent_id",
            "license_number",
            "license_state",
            "license_expires",
            "market_areas",
            "specialties",
            "bio",
            "is_active",
        ]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    """The signed-in person: their account, agent profile, brokerage and role."""

    id = serializers.IntegerField(source="user.pk", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, allow_null=True)
    role_label = serializers.SerializerMethodField()
    agent = AgentSerializer(read_only=True, allow_null=True)
    brokerage = BrokerageSummarySerializer(read_only=True, allow_null=True)

    def get_name(self, actor) -> str:
        return actor.user.get_full_name() or actor.user.get_username()

    def get_role_label(self, actor) -> str | None:
        return Role(actor.role).label if actor.role else None
