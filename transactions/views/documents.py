"""Pages of deals: documents, the broker's review queue, and the signers' public pages."""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import ListView

from realestate.permissions import actor_for, restrict
from realestate.security import client_ip
from realestate.views import ObjectActionView
from transactions.forms.documents import (
    DocumentReviewForm,
    DocumentUploadForm,
    SignForm,
    SigningRequestForm,
)
from transactions.models.deals import Transaction
from transactions.models.documents import Document, SigningRequest, SigningStatus
from transactions.selectors import review_queue
from transactions.services.documents import document_review, document_upload
from transactions.services.signing import (
    signer_for_token,
    signer_sign,
    signers_remind,
    signing_request_cancel,
    signing_request_create,
)


def _visible_deal(request, pk):
    return get_object_or_404(restrict(Transaction.objects.all(), request.user), pk=pk)


def _visible_document(request, pk):
    documents = Document.objects.select_related("transaction", "milestone")
    return get_object_or_404(restrict(documents, request.user), pk=pk)


def documents_url(deal):
    return reverse("transactions:documents", args=[deal.pk])


def _back(request, default):
    """Where to go after a form posted from a page: that page when it is ours, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def stream_file(stored_file, *, filename, content_type, as_attachment=True):
    """A stored file streamed to the browser, never cached by a shared cache."""
    response = FileResponse(
        stored_file.open("rb"),
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DealDocumentsView(LoginRequiredMixin, View):
    """A deal's documents by checklist item, with upload, review and signature forms."""

    def get(self, request, pk):
        deal = _visible_deal(request, pk)
        return render(request, "transactions/document_page.html", {"deal": deal})


class DocumentUploadView(LoginRequiredMixin, View):
    """Upload a file for a checklist item; it goes to the broker's review at once."""

    http_method_names = ["post"]

    def post(self, request, pk):
        deal = _visible_deal(request, pk)
        form = DocumentUploadForm(request.POST, request.FILES, deal=deal)
        if form.is_valid():
            try:
                document_upload(
                    transaction=deal,
                    milestone=form.cleaned_data["milestone"],
                    upload=form.cleaned_data["upload"],
                    title=form.cleaned_data["title"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Document uploaded and sent to the broker for review.")
                return _back(request, documents_url(deal))
        return render(
            request,
            "transactions/document_page.html",
            {"deal": deal, "upload_form": form},
            status=400,
        )


class DocumentDownloadView(LoginRequiredMixin, View):
    """The file of a document, to people who may see its deal."""

    def get(self, request, pk):
        document = _visible_document(request, pk)
        return stream_file(
            document.file, filename=document.download_name, content_type=document.content_type
        )


class DocumentReviewView(LoginRequiredMixin, View):
    """The broker approves a document or returns it with a note."""

    http_method_names = ["post"]

    def post(self, request, pk):
        document = _visible_document(request, pk)
        form = DocumentReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose to approve or return the document.")
            return _back(request, documents_url(document.transaction))
        try:
            document_review(
                document=document,
                approve=form.approve,
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            verdict = "approved" if form.approve else "returned to the agent"
            messages.success(request, f"“{document.title}” {verdict}.")
        return _back(request, documents_url(document.transaction))


class ReviewQueueView(LoginRequiredMixin, ListView):
    """The broker's documents waiting for review, oldest first."""

    template_name = "transactions/review_queue.html"
    paginate_by = 25
    context_object_name = "documents"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not actor_for(request.user).is_reviewer:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return review_queue(user=self.request.user)


class SigningRequestCreateView(LoginRequiredMixin, View):
    """Send a PDF document to its signers."""

    http_method_names = ["post"]

    def post(self, request, pk):
        document = _visible_document(request, pk)
        form = SigningRequestForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Check the signers' emails.")
            return _back(request, documents_url(document.transaction))
        try:
            signing_request = signing_request_create(
                document=document, signers=form.signers(), actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            count = signing_request.signers.count()
            messages.success(request, f"Sent for signature to {count} signer{'s' * (count != 1)}.")
        return _back(request, documents_url(document.transaction))


class SigningActionView(ObjectActionView):
    """An action on a signing request from the deal's documents, back to the page it came from."""

    queryset = SigningRequest.objects.select_related("document__transaction")

    def get_success_url(self):
        return _back(self.request, documents_url(self.object.document.transaction)).url


class SigningCancelView(SigningActionView):
    """Stop a signing request: its links sign nothing any more."""

    success_message = "Signing request cancelled."

    def perform(self, signing_request):
        signing_request_cancel(request=signing_request, actor=self.request.user)


class SigningRemindView(SigningActionView):
    """Email the signers who have not signed a new link."""

    def perform(self, signing_request):
        waiting = signers_remind(request=signing_request, actor=self.request.user)
        names = ", ".join(signer.name for signer in waiting)
        self.success_message = f"Reminder sent to {names}." if names else "Everyone has signed."


class SigningCertificateView(LoginRequiredMixin, View):
    """The audit certificate of a completed signing, to people who may see the deal."""

    def get(self, request, pk):
        signing_request = get_object_or_404(
            restrict(SigningRequest.objects.all(), request.user),
            pk=pk,
            status=SigningStatus.COMPLETED,
        )
        return stream_file(
            signing_request.certificate_file,
            filename=f"{signing_request.reference}-certificate.pdf",
            content_type="application/pdf",
        )


def _signer_or_404(token):
    signer = signer_for_token(token)
    if signer is None:
        raise Http404("This signing link is not valid.")
    return signer


# The page shows the PDF in an <object> served by this site.
@method_decorator([never_cache, csp_replace({"object-src": [SELF]})], name="dispatch")
class SignView(View):
    """The public page a signer reaches from their one-time link (no account needed)."""

    def get(self, request, token):
        signer = _signer_or_404(token)
        return self._page(request, signer, token, SignForm())

    def post(self, request, token):
        signer = _signer_or_404(token)
        form = SignForm(request.POST)
        if signer.token_used_at is None and signer.request.status == SigningStatus.SENT:
            if form.is_valid():
                try:
                    signer_sign(
                        signer=signer,
                        typed_name=form.cleaned_data["typed_name"],
                        consent=form.cleaned_data["consent"],
                        ip=client_ip(request),
                        user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    )
                except ValidationError as exc:
                    if getattr(exc, "code", None) != "used":
                        form.add_error(None, exc)
                        return self._page(request, signer, token, form, status=400)
                else:
                    return render(
                        request,
                        "transactions/sign_done.html",
                        {"signer": signer, "just_signed": True},
                    )
                signer.refresh_from_db()
            else:
                return self._page(request, signer, token, form, status=400)
        return self._page(request, signer, token, form)

    def _page(self, request, signer, token, form, status=200):
        if signer.token_used_at is not None:
            return render(request, "transactions/sign_done.html", {"signer": signer}, status=status)
        if signer.request.status != SigningStatus.SENT:
            return render(request, "transactions/sign_closed.html", {"signer": signer}, status=410)
        context = {
            "signer": signer,
            "document": signer.request.document,
            "form": form,
            "document_url": reverse("transactions:sign-document", args=[token]),
        }
        return render(request, "transactions/sign_page.html", context, status=status)


@method_decorator(
    [never_cache, xframe_options_sameorigin, csp_replace({"frame-ancestors": [SELF]})],
    name="dispatch",
)
class SignDocumentView(View):
    """The document to sign, shown inline on the signing page while the link is unused."""

    def get(self, request, token):
        signer = _signer_or_404(token)
        if signer.token_used_at is not None or signer.request.status != SigningStatus.SENT:
            raise Http404("This signing link has been used.")
        document = signer.request.document
        return stream_file(
            document.file,
            filename=document.download_name,
            content_type=document.content_type,
            as_attachment=False,
        )


urlpatterns = [
    path("<int:pk>/documents/", DealDocumentsView.as_view(), name="documents"),
    path("<int:pk>/documents/upload/", DocumentUploadView.as_view(), name="document-upload"),
    path("documents/review/", ReviewQueueView.as_view(), name="review-queue"),
    path("documents/<int:pk>/download/", DocumentDownloadView.as_view(), name="document-download"),
    path("documents/<int:pk>/review/", DocumentReviewView.as_view(), name="document-review"),
    path(
        "documents/<int:pk>/signature/",
        SigningRequestCreateView.as_view(),
        name="document-signing",
    ),
    path(
        "signing/<int:pk>/certificate/",
        SigningCertificateView.as_view(),
        name="signing-certificate",
    ),
    path("signing/<int:pk>/cancel/", SigningCancelView.as_view(), name="signing-cancel"),
    path("signing/<int:pk>/remind/", SigningRemindView.as_view(), name="signing-remind"),
    path("sign/<str:token>/", SignView.as_view(), name="sign"),
    path("sign/<str:token>/document/", SignDocumentView.as_view(), name="sign-document"),
]
