"""API of deals: documents, their review, and requests for electronic signature."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from realestate.api import ChoiceLabelField, ScopedViewSet, VisibleRowField
from realestate.permissions import VIEW
from transactions.choices import ReviewState
from transactions.models.deals import Milestone, Transaction
from transactions.models.documents import Document, Signer, SigningRequest, SigningStatus
from transactions.services.documents import document_review, document_upload
from transactions.services.signing import (
    signers_remind,
    signing_request_cancel,
    signing_request_create,
    signing_request_verify,
)
from transactions.views.documents import stream_file


class DocumentSerializer(serializers.ModelSerializer):
    review_state_label = ChoiceLabelField(ReviewState.choices, source="review_state")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "transaction",
            "milestone",
            "title",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "review_state",
            "review_state_label",
            "review_note",
            "reviewed_by",
            "reviewed_at",
            "version",
            "replaces",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        return reverse("deal-document-download", args=[document.pk])


class DocumentUploadSerializer(serializers.Serializer):
    transaction = VisibleRowField(queryset=Transaction.objects.all())
    milestone = VisibleRowField(queryset=Milestone.objects.all(), required=False, allow_null=True)
    title = serializers.CharField(max_length=200)
    file = serializers.FileField()


class DocumentReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SignerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signer
        fields = ["id", "name", "email", "order", "signed_at"]
        read_only_fields = ["id", "order", "signed_at"]


class SignerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()


class SigningRequestSerializer(serializers.ModelSerializer):
    status_label = ChoiceLabelField(SigningStatus.choices, source="status")
    signers = SignerSerializer(many=True, read_only=True)

    class Meta:
        model = SigningRequest
        fields = [
            "id",
            "document",
            "status",
            "status_label",
            "provider",
            "reference",
            "created_at",
            "completed_at",
            "sha256_before",
            "sha256_after",
            "signed_document",
            "signers",
        ]
        read_only_fields = fields


class SigningRequestCreateSerializer(serializers.Serializer):
    document = VisibleRowField(queryset=Document.objects.all())
    signers = SignerInputSerializer(many=True)


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Documents of the deals the caller may see; uploads and reviews go through the services."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends = []

    def get_base_queryset(self):
        return Document.objects.select_related("transaction", "milestone")

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            for field in ("transaction", "milestone", "review_state"):
                value = self.request.query_params.get(field)
                if value:
                    queryset = queryset.filter(**{field: value})
        return queryset

    def get_required_action(self):
        # Reviewing is the service's rule (broker or reviewer); seeing the deal is enough to ask.
        return VIEW

    @extend_schema(
        summary="Upload a document for review",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    def create(self, request):
        upload = DocumentUploadSerializer(data=request.data, context=self.get_serializer_context())
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        document = document_upload(
            transaction=data["transaction"],
            milestone=data.get("milestone"),
            upload=data["file"],
            title=data["title"],
            actor=request.user,
        )
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve or return a document",
        request=DocumentReviewSerializer,
        responses=DocumentSerializer,
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def review(self, request, pk=None):
        document = self.get_object()
        decision = DocumentReviewSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        document = document_review(
            document=document,
            approve=decision.validated_data["approve"],
            note=decision.validated_data["note"],
            actor=request.user,
        )
        return Response(self.get_serializer(document).data)

    @extend_schema(summary="Download the document's file", responses={(200, "*/*"): bytes})
    @action(detail=True, methods=["get"], pagination_class=None)
    def download(self, request, pk=None):
        document = self.get_object()
        return stream_file(
            document.file, filename=document.download_name, content_type=document.content_type
        )


class SigningRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Requests for electronic signature on the documents of the deals the caller may see."""

    serializer_class = SigningRequestSerializer
    filter_backends = []

    def get_base_queryset(self):
        return SigningRequest.objects.prefetch_related("signers")

    @extend_schema(
        summary="Send a PDF document for signature",
        request=SigningRequestCreateSerializer,
        responses={201: SigningRequestSerializer},
    )
    def create(self, request):
        payload = SigningRequestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        signing_request = signing_request_create(
            document=payload.validated_data["document"],
            signers=payload.validated_data["signers"],
            actor=request.user,
        )
        return Response(self.get_serializer(signing_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a request still waiting for signatures",
        description="Its emailed links no longer sign anything.",
        request=None,
        responses=SigningRequestSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        signing_request = signing_request_cancel(request=self.get_object(), actor=request.user)
        return Response(self.get_serializer(signing_request).data)

    @extend_schema(
        summary="Remind the signers who have not signed yet",
        description="Each gets a new emailed link; the link sent to them before stops working.",
        request=None,
        responses=SigningRequestSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def remind(self, request, pk=None):
        signing_request = self.get_object()
        signers_remind(request=signing_request, actor=request.user)
        return Response(self.get_serializer(self.get_base_queryset().get(pk=pk)).data)

    @extend_schema(summary="Check the signed PDF against its recorded fingerprints", request=None)
    @action(detail=True, methods=["get"], pagination_class=None)
    def verify(self, request, pk=None):
        verification = signing_request_verify(request=self.get_object())
        return Response(
            {
                "ok": verification.ok,
                "problems": verification.problems,
                "sha256": verification.sha256,
            }
        )


urlpatterns = []


def register(router):
    """Add this area's viewsets to the API router."""
    router.register("transactions/documents", DocumentViewSet, basename="deal-document")
    router.register(
        "transactions/signing-requests", SigningRequestViewSet, basename="signing-request"
    )
