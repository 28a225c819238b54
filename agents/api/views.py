from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import AgentSerializer, MeSerializer
from agents.filtersets import AgentFilterSet
from agents.selectors import agent_cards
from realestate.api import ScopedViewSet
from realestate.permissions import actor_for


class AgentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The agents of the caller's brokerage (read-only)."""

    serializer_class = AgentSerializer
    filterset_class = AgentFilterSet

    def get_base_queryset(self):
        return agent_cards()


class MeView(APIView):
    """The signed-in person."""

    @extend_schema(
        summary="The signed-in user",
        description="The signed-in user with their agent profile, brokerage and role.",
        responses=MeSerializer,
    )
    def get(self, request):
        return Response(MeSerializer(actor_for(request.user)).data)
