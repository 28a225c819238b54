"""Pages of the CRM: the shared pond and claiming, imports and exports, duplicates, the
public lead form a brokerage's website links to."""

import uuid
from datetime import timedelta

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from agents.models import Brokerage
from clients.api.intake import (
    LeadFormThrottle,
    csv_response,
    export_filename,
    export_queryset,
    vcard_response,
)
from clients.filtersets import ClientFilterSet
from clients.forms.intake import ImportMappingForm, ImportUploadForm, LeadIntakeForm
from clients.imports import (
    IMPORT_FIELDS,
    MAX_IMPORT_BYTES,
    clients_export_csv,
    clients_import_csv,
    csv_table_read,
    import_mapping_suggest,
)
from clients.models import Client, RoutingDecision
from clients.selectors import client_rows
from clients.services.intake import intake_form_token, lead_intake
from clients.services.merge import client_duplicates, client_merge
from clients.services.routing import lead_claim
from clients.vcards import clients_export_vcard, clients_import_vcard, looks_like_vcard
from clients.views.people import safe_next
from realestate.forms import add_service_errors
from realestate.permissions import CHANGE, VIEW, actor_for, can_add, restrict
from realestate.views import ObjectActionView, ObjectListView

PREVIEW_ROWS = 10
IMPORT_SESSION_KEY = "client_import"
IMPORT_FOLDER = "client-imports"
UPLOAD_LIFETIME = timedelta(days=1)


# ---------- the shared pond ----------


class PondListView(ObjectListView):
    """The brokerage's pooled leads, newest first, each with why it is in the pond."""

    queryset = client_rows().filter(in_pond=True)
    filterset_class = ClientFilterSet
    template_name = "clients/pond_list.html"

    def get_queryset(self):
        why = RoutingDecision.objects.filter(client=OuterRef("pk")).order_by("-decided_at", "-pk")
        return (
            super()
            .get_queryset()
            .annotate(pond_reason=Subquery(why.values("reason")[:1]))
            .order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_claim"] = actor_for(self.request.user).can_write
        context["is_filtered"] = bool(self.request.GET.get("q") or self.request.GET.get("source"))
        return context


class LeadClaimView(ObjectActionView):
    """Claim a pooled lead, or accept a lead routed to you."""

    queryset = Client.objects.all()
    # Pooled leads are seen, not changed, by the brokerage: the claim service decides.
    action = VIEW
    success_message = "The lead is yours now."

    def perform(self, obj):
        lead_claim(client=obj, actor=self.request.user)

    def get_success_url(self):
        return safe_next(self.request, self.object.get_absolute_url())


# ---------- import ----------


class ImportAccessMixin(LoginRequiredMixin):
    """Importing adds clients: whoever may add clients may import them."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_add(request.user, Client):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _sweep_abandoned_uploads():
    """Files whose columns were never matched are removed after a day."""
    try:
        _, names = default_storage.listdir(IMPORT_FOLDER)
    except FileNotFoundError:
        return
    cutoff = (timezone.now() - UPLOAD_LIFETIME).timestamp()
    for name in names:
        stamp = name.split("-", 1)[0]
        if stamp.isdigit() and int(stamp) < cutoff:
            default_storage.delete(f"{IMPORT_FOLDER}/{name}")


def _forget_upload(request):
    stored = request.session.pop(IMPORT_SESSION_KEY, None)
    if stored and default_storage.exists(stored["file"]):
        default_storage.delete(stored["file"])


class ImportUploadView(ImportAccessMixin, View):
    """Step 1: upload a CSV (its columns are matched next) or a vCard file (imported at once)."""

    template_name = "clients/import_upload.html"

    def form(self, data=None, files=None):
        return ImportUploadForm(data, files, may_route=actor_for(self.request.user).is_broker)

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        content = upload.read(MAX_IMPORT_BYTES + 1)
        options = {
            "on_duplicate": form.cleaned_data["on_duplicate"],
            "route": form.cleaned_data.get("route", False),
        }
        try:
            if looks_like_vcard(upload.name, content):
                report = clients_import_vcard(content=content, actor=request.user, **options)
                return render(
                    request,
                    "clients/import_result.html",
                    {"report": report, "filename": upload.name},
                )
            csv_table_read(content)
        except ValidationError as error:
            form.add_error("file", error)
            return render(request, self.template_name, {"form": form}, status=400)
        _forget_upload(request)
        _sweep_abandoned_uploads()
        # Kept under a generated name until the columns are matched; the session knows it.
        name = f"{IMPORT_FOLDER}/{int(timezone.now().timestamp())}-{uuid.uuid4().hex}.csv"
        name = default_storage.save(name, ContentFile(content))
        request.session[IMPORT_SESSION_KEY] = {"file": name, "filename": upload.name, **options}
        return HttpResponseRedirect(reverse("clients:import-map"))


class ImportMapView(ImportAccessMixin, View):
    """Step 2: match the file's columns to client fields, preview the first rows, import."""

    template_name = "clients/import_map.html"

    def load(self, request):
        stored = request.session.get(IMPORT_SESSION_KEY)
        if not stored or not default_storage.exists(stored["file"]):
            return None, None
        with default_storage.open(stored["file"], "rb") as file:
            return stored, csv_table_read(file.read())

    def get(self, request):
        stored, table = self.load(request)
        if table is None:
            messages.info(request, "Choose the file to import.")
            return HttpResponseRedirect(reverse("clients:import"))
        suggested = import_mapping_suggest(table.headers)
        form = ImportMappingForm(
            headers=table.headers, initial=ImportMappingForm.initial_for(suggested, table.headers)
        )
        return self.page(request, stored, table, form, suggested)

    def post(self, request):
        stored, table = self.load(request)
        if table is None:
            messages.error(request, "The file is no longer here; upload it again.")
            return HttpResponseRedirect(reverse("clients:import"))
        form = ImportMappingForm(request.POST, headers=table.headers)
        if not form.is_valid():
            return self.page(request, stored, table, form, None, status=400)
        mapping = form.mapping()
        if request.POST.get("action") != "import":
            return self.page(request, stored, table, form, mapping)
        try:
            report = clients_import_csv(
                table=table,
                mapping=mapping,
                actor=request.user,
                on_duplicate=stored["on_duplicate"],
                route=stored["route"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.page(request, stored, table, form, None, status=400)
        _forget_upload(request)
        context = {"report": report, "filename": stored["filename"]}
        return render(request, "clients/import_result.html", context)

    def page(self, request, stored, table, form, mapping, status=200):
        preview, mapping_errors = None, []
        if mapping is not None:
            try:
                preview = clients_import_csv(
                    table=table,
                    mapping=mapping,
                    actor=request.user,
                    on_duplicate=stored["on_duplicate"],
                    route=stored["route"],
                    dry_run=True,
                    limit=PREVIEW_ROWS,
                )
            except ValidationError as error:
                mapping_errors = error.messages
        fields = [field for field in (mapping or {}).values() if field in IMPORT_FIELDS]
        rows = [
            (outcome, [outcome.values.get(field, "") for field in fields])
            for outcome in (preview.outcomes if preview else [])
        ]
        context = {
            "form": form,
            "stored": stored,
            "row_count": len(table.rows),
            "preview": preview,
            "preview_columns": [IMPORT_FIELDS[field] for field in fields],
            "preview_table": rows,
            "mapping_errors": mapping_errors,
            "preview_rows": PREVIEW_ROWS,
        }
        return render(request, self.template_name, context, status=status)


# ---------- export ----------


class ClientExportView(LoginRequiredMixin, View):
    """The clients the person may see, as CSV or vCards, with the client list's filters."""

    kind = "csv"

    def get(self, request, pk=None):
        queryset = export_queryset(request)
        if pk is not None:
            queryset = restrict(Client.objects.filter(pk=pk), request.user, VIEW)
            if not queryset.exists():
                raise Http404
        if self.kind == "vcf":
            cards = clients_export_vcard(queryset=queryset, user=request.user)
            filename = f"client-{pk}.vcf" if pk is not None else export_filename("vcf")
            return vcard_response(cards, filename)
        lines = clients_export_csv(queryset=queryset, user=request.user)
        return csv_response(lines, export_filename("csv"))


# ---------- duplicates ----------


class DuplicateListView(LoginRequiredMixin, TemplateView):
    """Clients that look like the same person, with a button to merge each pair."""

    template_name = "clients/duplicate_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        pairs = client_duplicates(user=user)
        shown = {client.pk for pair in pairs for client in (pair.first, pair.second)}
        changeable = set(
            restrict(Client.objects.filter(pk__in=shown), user, CHANGE).values_list("pk", flat=True)
        )
        context["pairs"] = [
            (pair, pair.first.pk in changeable and pair.second.pk in changeable) for pair in pairs
        ]
        return context


class ClientMergeView(LoginRequiredMixin, View):
    """Merge one client of a pair into the other (POST ``keep`` and ``merge``)."""

    http_method_names = ["post"]

    def post(self, request):
        visible = restrict(Client.objects.all(), request.user, VIEW)
        ids = [request.POST.get("keep", ""), request.POST.get("merge", "")]
        if not all(value.isdigit() for value in ids):
            raise Http404
        keep = get_object_or_404(visible, pk=ids[0])
        merge = get_object_or_404(visible, pk=ids[1])
        merged_name = merge.name
        try:
            client_merge(keep=keep, merge=merge, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(reverse("clients:duplicates"))
        messages.success(request, f"{merged_name} is merged into {keep.name}.")
        return HttpResponseRedirect(safe_next(request, keep.get_absolute_url()))


# ---------- the public lead form ----------


# Any website may frame the form: neither X-Frame-Options nor the CSP's frame-ancestors.
@method_decorator(xframe_options_exempt, name="dispatch")
@method_decorator(csp_replace({"frame-ancestors": None}), name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")
class LeadIntakeFormView(View):
    """The brokerage's lead form, for its website to link to or frame; no sign-in.

    It has no session to protect, so no CSRF token: the signed form token, the honeypot and
    the per-address throttle keep bots out (``clients.services.intake``).
    """

    template_name = "clients/intake_form.html"

    def form_page(self, request, brokerage, form, status=200):
        context = {"brokerage": brokerage, "form": form}
        return render(request, self.template_name, context, status=status)

    def get(self, request, slug):
        brokerage = get_object_or_404(Brokerage, slug=slug)
        form = LeadIntakeForm(
            initial={
                "form_token": intake_form_token(brokerage=brokerage),
                "listing": request.GET.get("listing", "")[:64],
                "source": request.GET.get("source", "")[:100],
            }
        )
        return self.form_page(request, brokerage, form)

    def post(self, request, slug):
        brokerage = get_object_or_404(Brokerage, slug=slug)
        throttle = LeadFormThrottle()
        if not throttle.allow_request(request, self):
            context = {"brokerage": brokerage, "wait": int(throttle.wait() or 60)}
            return render(request, "clients/intake_throttled.html", context, status=429)
        form = LeadIntakeForm(request.POST)
        thanks = render(request, "clients/intake_thanks.html", {"brokerage": brokerage})
        if form.honeypot_filled():
            return thanks
        if form.is_valid():
            try:
                lead_intake(
                    brokerage=brokerage,
                    data=form.lead_data(),
                    form_token=form.cleaned_data["form_token"],
                )
            except ValidationError as error:
                add_service_errors(error, form)
            else:
                return thanks
        # A fresh token, so that the person can send the corrected form.
        data = form.data.copy()
        data["form_token"] = intake_form_token(brokerage=brokerage)
        form.data = data
        return self.form_page(request, brokerage, form, status=400)


urlpatterns = [
    path("pond/", PondListView.as_view(), name="pond"),
    path("<int:pk>/claim/", LeadClaimView.as_view(), name="claim"),
    path("import/", ImportUploadView.as_view(), name="import"),
    path("import/columns/", ImportMapView.as_view(), name="import-map"),
    path("export.csv", ClientExportView.as_view(kind="csv"), name="export-csv"),
    path("export.vcf", ClientExportView.as_view(kind="vcf"), name="export-vcf"),
    path("<int:pk>/vcard/", ClientExportView.as_view(kind="vcf"), name="vcard"),
    path("duplicates/", DuplicateListView.as_view(), name="duplicates"),
    path("duplicates/merge/", ClientMergeView.as_view(), name="merge"),
    path("intake/<slug:slug>/", LeadIntakeFormView.as_view(), name="intake-form"),
]
