"""API of the CRM: lead intake from websites, claiming leads, imports, exports and merging."""

import json

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from agents.models import Brokerage
from clients.choices import ContactMethod
from clients.filtersets import ClientFilterSet
from clients.imports import (
    DUPLICATE_CHOICES,
    MAX_IMPORT_BYTES,
    SKIP,
    clients_export_csv,
    clients_import_csv,
    csv_table_read,
    import_mapping_suggest,
)
from clients.models import Client
from clients.models.routing import IntakeKey
from clients.services.intake import (
    FORM_MAX_AGE,
    FORM_MIN_SECONDS,
    HONEYPOT_FIELD,
    INTAKE_FIELDS,
    intake_form_token,
    intake_key_authenticate,
    lead_intake,
)
from clients.services.merge import client_duplicates, client_merge
from clients.services.routing import lead_claim
from clients.vcards import clients_export_vcard, clients_import_vcard, looks_like_vcard
from realestate.api import VisibleRowField
from realestate.permissions import VIEW, restrict

RECEIVED = {"status": "received"}


# ---------- intake: authentication and throttling ----------


class IntakeKeyAuthentication(BaseAuthentication):
    """``Authorization: IntakeKey <secret>``: the broker's intake key as ``request.auth``.

    It names no person: the request stays anonymous and may only send leads.
    """

    keyword = "IntakeKey"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1") != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the key after “IntakeKey ”.")
        key = intake_key_authenticate(secret=parts[1].decode("latin-1"))
        if key is None:
            raise exceptions.AuthenticationFailed("This intake key is not valid or was revoked.")
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return self.keyword


def _intake_key(request):
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, IntakeKey) else None


class IntakeThrottle(SimpleRateThrottle):
    """A throttle of sent leads (POST only) whose rate a setting may change."""

    default_rate = None

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate


class LeadFormThrottle(IntakeThrottle):
    """Leads sent through a web form: a few an hour from one address (REST_FRAMEWORK rate
    ``lead_form``). Behind proxies, ``NUM_PROXIES`` says how far X-Forwarded-For is trusted."""

    scope = "lead_form"
    default_rate = "10/hour"

    def get_cache_key(self, request, view):
        if request.method != "POST" or _intake_key(request) is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LeadKeyThrottle(IntakeThrottle):
    """Leads sent with an intake key: a provider's server sends many (rate ``lead_key``)."""

    scope = "lead_key"
    default_rate = "600/hour"

    def get_cache_key(self, request, view):
        key = _intake_key(request)
        if request.method != "POST" or key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"key-{key.pk}"}


# ---------- intake ----------


class LeadIntakeSerializer(serializers.Serializer):
    first_name = serializers.CharField(
        max_length=INTAKE_FIELDS["first_name"], required=False, allow_blank=True
    )
    last_name = serializers.CharField(
        max_length=INTAKE_FIELDS["last_name"], required=False, allow_blank=True
    )
    email = serializers.CharField(
        max_length=INTAKE_FIELDS["email"], required=False, allow_blank=True
    )
    phone = serializers.CharField(
        max_length=INTAKE_FIELDS["phone"], required=False, allow_blank=True
    )
    message = serializers.CharField(
        max_length=INTAKE_FIELDS["message"], required=False, allow_blank=True
    )
    source = serializers.CharField(
        max_length=INTAKE_FIELDS["source"],
        required=False,
        allow_blank=True,
        help_text="The lead source's name, as the broker named it (else the key's or Website).",
    )
    listing = serializers.CharField(
        max_length=INTAKE_FIELDS["listing"],
        required=False,
        allow_blank=True,
        help_text="MLS number (or listing key) of the home the person asks about.",
    )
    preferred_contact_method = serializers.CharField(
        max_length=INTAKE_FIELDS["preferred_contact_method"],
        required=False,
        allow_blank=True,
        help_text=f"One of {', '.join(ContactMethod.values)}.",
    )
    form_token = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The token GET gave the form; not needed with an intake key.",
    )


class LeadIntakeView(APIView):
    """A brokerage's website or lead provider sends a lead; no sign-in.

    **From a web form** (form-encoded or JSON): GET this address when the form is shown and
    embed the ``form_token`` it returns in a hidden field, with an empty, hidden
    ``website`` field (the honeypot). The token is signed, names the brokerage and the time;
    the lead is refused if sent sooner than a few seconds after (a bot) or much later, or a
    second time. Each visitor address may send a few leads an hour.

    **From a server** (a lead provider, the website's back end): send
    ``Authorization: IntakeKey <key>`` with a key the broker made in the back office; no form
    token is needed. The broker can revoke a key at any time.

    The answer never says whether the person was already a client: 201 ``{"status":
    "received"}`` for every accepted lead, and for a honeypot caught bot too. Field errors
    are a 400 keyed by field.
    """

    authentication_classes = [IntakeKeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [LeadFormThrottle, LeadKeyThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="A form token for a brokerage's lead form",
        auth=[],
        responses=inline_serializer(
            "LeadFormToken",
            {
                "form_token": serializers.CharField(),
                "honeypot_field": serializers.CharField(),
                "min_seconds": serializers.IntegerField(),
                "expires_in": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request, slug):
        brokerage = get_object_or_404(Brokerage, slug=slug)
        return Response(
            {
                "form_token": intake_form_token(brokerage=brokerage),
                "honeypot_field": HONEYPOT_FIELD,
                "min_seconds": FORM_MIN_SECONDS,
                "expires_in": int(FORM_MAX_AGE.total_seconds()),
            }
        )

    @extend_schema(
        summary="Send a lead",
        auth=[],
        request=LeadIntakeSerializer,
        responses={
            201: OpenApiResponse(description="Received."),
            400: OpenApiResponse(description="Field errors, or a form token refused."),
            429: OpenApiResponse(description="Too many leads from this address or key."),
        },
    )
    def post(self, request, slug):
        brokerage = get_object_or_404(Brokerage, slug=slug)
        data = request.data if hasattr(request.data, "get") else {}
        key = _intake_key(request)
        if key is not None and key.brokerage_id != brokerage.pk:
            raise exceptions.PermissionDenied("This intake key belongs to another brokerage.")
        if str(data.get(HONEYPOT_FIELD) or "").strip():
            # A bot filled the hidden field: it is told what a person would be, and learns nothing.
            return Response(RECEIVED, status=status.HTTP_201_CREATED)
        serializer = LeadIntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead_intake(
            brokerage=brokerage,
            data=serializer.validated_data,
            form_token=serializer.validated_data.get("form_token"),
            intake_key=key,
        )
        return Response(RECEIVED, status=status.HTTP_201_CREATED)


# ---------- claiming ----------


class LeadClaimView(APIView):
    """Claim a lead of the shared pond, or accept one routed to you."""

    @extend_schema(
        summary="Claim a lead",
        request=None,
        responses=inline_serializer(
            "LeadClaim",
            {
                "id": serializers.IntegerField(),
                "assigned_agent": serializers.IntegerField(),
                "claimed_at": serializers.DateTimeField(),
                "reason": serializers.CharField(allow_null=True),
            },
        ),
    )
    def post(self, request, pk):
        client = get_object_or_404(restrict(Client.objects.all(), request.user, VIEW), pk=pk)
        decision = lead_claim(client=client, actor=request.user)
        return Response(
            {
                "id": client.pk,
                "assigned_agent": client.assigned_agent_id,
                "claimed_at": client.claimed_at,
                "reason": decision.reason if decision else None,
            }
        )


# ---------- import and export ----------


class ClientImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv (first line names the columns) or a .vcf.")
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text='CSV only: JSON {"column name": "client field"}; guessed from the column '
        "names when left out (the answer says which it used).",
    )
    on_duplicate = serializers.ChoiceField(choices=DUPLICATE_CHOICES, default=SKIP)
    route = serializers.BooleanField(
        default=False, help_text="Brokers: hand new clients out by the routing rules."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row as the import would, and keep nothing."
    )

    def validate_mapping(self, value):
        if not value:
            return None
        try:
            mapping = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("Give the mapping as JSON.") from None
        if not isinstance(mapping, dict):
            raise serializers.ValidationError('Give the mapping as {"column": "field"}.')
        return mapping


class ClientImportView(APIView):
    """Import clients from a CSV or vCard file; bad rows are reported, good ones kept."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import clients from a file",
        request={"multipart/form-data": ClientImportSerializer},
        responses=inline_serializer(
            "ClientImportReport",
            {
                "dry_run": serializers.BooleanField(),
                "total": serializers.IntegerField(),
                "created": serializers.IntegerField(),
                "updated": serializers.IntegerField(),
                "skipped": serializers.ListField(child=serializers.DictField()),
                "failed": serializers.ListField(child=serializers.DictField()),
                "client_ids": serializers.ListField(child=serializers.IntegerField()),
                "mapping": serializers.DictField(required=False),
            },
        ),
    )
    def post(self, request):
        serializer = ClientImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = serializer.validated_data
        upload = options["file"]
        # One byte more than allowed is enough to refuse a file that is too big.
        content = upload.read(MAX_IMPORT_BYTES + 1)
        common = {
            "actor": request.user,
            "on_duplicate": options["on_duplicate"],
            "route": options["route"],
            "dry_run": options["dry_run"],
        }
        try:
            if looks_like_vcard(upload.name, content):
                return Response(clients_import_vcard(content=content, **common).as_dict())
            table = csv_table_read(content)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from error
        mapping = options.get("mapping") or import_mapping_suggest(table.headers)
        report = clients_import_csv(table=table, mapping=mapping, **common)
        return Response({**report.as_dict(), "mapping": mapping})


class FirstRendererNegotiation(BaseContentNegotiation):
    """Files are answered as files whatever the client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_queryset(request):
    """The clients named by ``id`` (repeatable), else those the list's filters select."""
    queryset = Client.objects.all()
    ids = [value for value in request.GET.getlist("id") if value.isdigit()]
    if ids:
        queryset = queryset.filter(pk__in=ids)
    return ClientFilterSet(request.GET, queryset=queryset, request=request).qs


def export_filename(extension):
    return f"clients-{timezone.localdate():%Y-%m-%d}.{extension}"


def _with_byte_order_mark(lines):
    # It makes Excel read the file as UTF-8; the import drops it again.
    yield "\ufeff"
    yield from lines


def csv_response(lines, filename):
    response = StreamingHttpResponse(
        _with_byte_order_mark(lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def vcard_response(cards, filename):
    response = StreamingHttpResponse(cards, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


EXPORT_PARAMETERS = [
    OpenApiParameter("id", int, many=True, description="Only these clients (repeatable)."),
]


class ExportView(APIView):
    """A file of the clients the caller may see; the client list's filters select them."""

    content_negotiation_class = FirstRendererNegotiation
    # For the schema: the list's filters are this endpoint's query parameters.
    queryset = Client.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClientFilterSet


class ClientExportCsvView(ExportView):
    """The clients you may see as CSV, filtered like the client list."""

    @extend_schema(
        summary="Export clients as CSV",
        parameters=EXPORT_PARAMETERS,
        filters=True,
        responses={(200, "text/csv"): OpenApiResponse(description="The CSV file.")},
    )
    def get(self, request):
        lines = clients_export_csv(queryset=export_queryset(request), user=request.user)
        return csv_response(lines, export_filename("csv"))


class ClientExportVcardView(ExportView):
    """The clients you may see as vCards, filtered like the client list."""

    @extend_schema(
        summary="Export clients as vCards",
        parameters=EXPORT_PARAMETERS,
        filters=True,
        responses={(200, "text/vcard"): OpenApiResponse(description="The .vcf file.")},
    )
    def get(self, request):
        cards = clients_export_vcard(queryset=export_queryset(request), user=request.user)
        return vcard_response(cards, export_filename("vcf"))


# ---------- duplicates ----------


class DuplicatePairSerializer(serializers.Serializer):
    first = serializers.SerializerMethodField()
    second = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())

    def _client(self, client):
        return {"id": client.pk, "name": client.name, "email": client.email, "phone": client.phone}

    def get_first(self, pair) -> dict:
        return self._client(pair.first)

    def get_second(self, pair) -> dict:
        return self._client(pair.second)


class ClientDuplicatesView(APIView):
    """Likely duplicate pairs among the clients you may see."""

    @extend_schema(summary="Likely duplicate clients", responses=DuplicatePairSerializer(many=True))
    def get(self, request):
        pairs = client_duplicates(user=request.user)
        return Response(DuplicatePairSerializer(pairs, many=True).data)


class ClientMergeSerializer(serializers.Serializer):
    keep = VisibleRowField(queryset=Client.objects.all(), help_text="The client that stays.")
    merge = VisibleRowField(
        queryset=Client.objects.all(), help_text="The client merged into it and deleted."
    )


class ClientMergeView(APIView):
    """Merge one client into another: their records move, the merged client is deleted."""

    @extend_schema(
        summary="Merge two clients",
        request=ClientMergeSerializer,
        responses=inline_serializer(
            "ClientMerged", {"id": serializers.IntegerField(), "merged": serializers.IntegerField()}
        ),
    )
    def post(self, request):
        serializer = ClientMergeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        merge = serializer.validated_data["merge"]
        merged_pk = merge.pk
        keep = client_merge(keep=serializer.validated_data["keep"], merge=merge, actor=request.user)
        return Response({"id": keep.pk, "merged": merged_pk})


urlpatterns = [
    path("leads/intake/<slug:slug>/", LeadIntakeView.as_view(), name="lead-intake"),
    path("leads/<int:pk>/claim/", LeadClaimView.as_view(), name="lead-claim"),
    path("clients/import/", ClientImportView.as_view(), name="client-import"),
    path("clients/export.csv", ClientExportCsvView.as_view(), name="client-export-csv"),
    path("clients/export.vcf", ClientExportVcardView.as_view(), name="client-export-vcf"),
    path("clients/duplicates/", ClientDuplicatesView.as_view(), name="client-duplicates"),
    path("clients/merge/", ClientMergeView.as_view(), name="client-merge"),
]


def register(router):
    """Lead intake has plain routes (``urlpatterns``), no viewset on the router."""
