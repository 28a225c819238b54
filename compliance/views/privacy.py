"""Pages of privacy: a client's consent, data export and erasure; the do-not-contact list;
data retention; an agent's payout account."""

import json

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views import View

from clients.choices import Channel
from clients.models import Client
from compliance.encryption import mask
from compliance.models.privacy import (
    ConsentStatus,
    DoNotContactEntry,
    DoNotContactKind,
    PayoutAccount,
    RetentionRun,
)
from compliance.services.consent import (
    consent_set_by_person,
    do_not_contact_entry_delete,
    do_not_contact_import,
)
from compliance.services.payouts import payout_account_save
from compliance.services.retention import (
    client_data_export,
    client_erase,
    retention_policy_for,
    retention_policy_save,
    retention_run,
)
from realestate.permissions import CHANGE, actor_for
from realestate.views import ObjectListView, ScopedMixin

# ---------- forms ----------


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    status = forms.ChoiceField(choices=ConsentStatus.choices, label="Decision")
    note = forms.CharField(max_length=300, required=False, label="What the client said")


class EraseForm(forms.Form):
    reason = forms.CharField(
        max_length=300, label="Reason", help_text="e.g. the client's email of 3 May asking for it"
    )
    confirm = forms.BooleanField(label="I understand this cannot be undone")


class DoNotContactUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A CSV or text file: one email or phone number per line, or columns named "
        "“email” and/or “phone” (an “area code” column is joined to the phone)."
    )


class RetentionPolicyForm(forms.Form):
    period_months = forms.IntegerField(min_value=6, max_value=1200, label="Keep for (months)")
    enabled = forms.BooleanField(required=False, label="Anonymise automatically every month")


class PayoutAccountForm(forms.Form):
    account_holder = forms.CharField(max_length=200)
    bank_name = forms.CharField(max_length=200, required=False)
    # Write-only: the stored numbers are never sent back to the browser.
    account_number = forms.CharField(
        max_length=30, required=False, widget=forms.PasswordInput(render_value=False)
    )
    routing_number = forms.CharField(
        max_length=15, required=False, widget=forms.PasswordInput(render_value=False)
    )


class DoNotContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    kind = django_filters.ChoiceFilter(choices=DoNotContactKind.choices, empty_label="Any kind")

    class Meta:
        model = DoNotContactEntry
        fields = ["q", "kind"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(value__icontains=value) | Q(list_name__icontains=value))


class BrokerRequiredMixin(LoginRequiredMixin):
    """Pages of the brokerage's back office: brokers only."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        who = actor_for(request.user)
        if not who.is_broker or who.brokerage_id is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# ---------- a client's consent, export and erasure ----------


class ClientConsentView(ScopedMixin, View):
    """Record what a client said about being contacted on one channel."""

    queryset = Client.objects.all()
    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        client = self.get_object()
        form = ConsentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a channel and a decision.")
        else:
            try:
                record = consent_set_by_person(
                    actor=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, "Consent recorded." if record else "Nothing changed: already so."
                )
        return HttpResponseRedirect(client.get_absolute_url())


class ClientExportView(ScopedMixin, View):
    """A client's data as a JSON download (a data-access request)."""

    queryset = Client.objects.select_related("source", "assigned_agent__user")

    def get(self, request, pk):
        client = self.get_object()
        data = client_data_export(client=client, actor=request.user)
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json",
        )
        response["Content-Disposition"] = f'attachment; filename="client-{client.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class ClientEraseView(ScopedMixin, View):
    """A broker erases a client's personal data on their request, with the reason."""

    queryset = Client.objects.all()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not actor_for(request.user).is_broker:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        client = self.get_object()
        return render(
            request, "compliance/client_erase.html", {"client": client, "form": EraseForm()}
        )

    def post(self, request, pk):
        client = self.get_object()
        form = EraseForm(request.POST)
        if form.is_valid():
            try:
                client_erase(client=client, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "The client's personal data was removed.")
                return HttpResponseRedirect(client.get_absolute_url())
        return render(request, "compliance/client_erase.html", {"client": client, "form": form})


# ---------- the do-not-contact list ----------


class DoNotContactListView(BrokerRequiredMixin, ObjectListView):
    """The brokerage's do-not-contact list, with the upload of a DNC file."""

    queryset = DoNotContactEntry.objects.select_related("added_by")
    filterset_class = DoNotContactFilterSet
    template_name = "compliance/donotcontact_list.html"
    partial_template_name = "compliance/includes/donotcontact_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("upload_form", DoNotContactUploadForm())
        return context

    def post(self, request):
        form = DoNotContactUploadForm(request.POST, request.FILES)
        report = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = do_not_contact_import(
                    content=upload.read(), list_name=upload.name, actor=request.user
                )
            except ValidationError as exc:
                form.add_error("file", exc)
        self.object_list = self.get_queryset()
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = self.filterset.qs
        context = self.get_context_data(upload_form=form, report=report)
        return render(request, self.template_name, context, status=200 if report else 400)


class DoNotContactDeleteView(BrokerRequiredMixin, ScopedMixin, View):
    """Take one address off the do-not-contact list."""

    queryset = DoNotContactEntry.objects.all()
    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        entry = self.get_object()
        do_not_contact_entry_delete(entry=entry, actor=request.user)
        messages.success(request, f"{entry.value} is off the list; clients keep their choices.")
        return HttpResponseRedirect(reverse("compliance:do-not-contact"))


# ---------- data retention ----------


class RetentionView(BrokerRequiredMixin, View):
    """The retention period, a dry-run report of what would be anonymised, and "run now"."""

    def context(self, request, form=None):
        brokerage_id = actor_for(request.user).brokerage_id
        policy = retention_policy_for(brokerage_id=brokerage_id)
        runs = list(RetentionRun.objects.filter(brokerage_id=brokerage_id)[:10])
        latest_dry = next((run for run in runs if run.dry_run), None)
        would = []
        if latest_dry is not None:
            would = list(
                Client.objects.filter(
                    pk__in=latest_dry.client_ids[:200], anonymised_at__isnull=True
                ).select_related("assigned_agent__user")
            )
        return {
            "policy": policy,
            "form": form
            or RetentionPolicyForm(
                initial={"period_months": policy.period_months, "enabled": policy.enabled}
            ),
            "runs": runs,
            "latest_dry": latest_dry,
            "would": would,
        }

    def get(self, request):
        return render(request, "compliance/retention.html", self.context(request))

    def post(self, request):
        brokerage_id = actor_for(request.user).brokerage_id
        step = request.POST.get("step")
        if step == "policy":
            form = RetentionPolicyForm(request.POST)
            if not form.is_valid():
                return render(
                    request, "compliance/retention.html", self.context(request, form), status=400
                )
            try:
                retention_policy_save(
                    brokerage_id=brokerage_id, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                return render(
                    request, "compliance/retention.html", self.context(request, form), status=400
                )
            messages.success(request, "Retention period saved.")
        elif step in ("dry_run", "run"):
            run = retention_run(
                brokerage_id=brokerage_id, dry_run=step == "dry_run", actor=request.user
            )
            if run.dry_run:
                messages.success(request, f"Dry run: {run.candidates} clients would be anonymised.")
            else:
                messages.success(request, f"{run.anonymised} clients anonymised.")
        return HttpResponseRedirect(reverse("compliance:retention"))


# ---------- an agent's payout account ----------


class PayoutAccountView(LoginRequiredMixin, View):
    """The signed-in agent's bank account for commission payouts; numbers shown masked."""

    def agent(self, request):
        agent = actor_for(request.user).agent
        if agent is None:
            raise PermissionDenied
        return agent

    def render_page(self, request, agent, form, status=200):
        account = PayoutAccount.objects.filter(agent=agent).first()
        context = {
            "form": form,
            "account": account,
            "account_number": mask(account.account_number) if account else "",
            "routing_number": mask(account.routing_number) if account else "",
        }
        return render(request, "compliance/payout_account.html", context, status=status)

    def get(self, request):
        agent = self.agent(request)
        account = PayoutAccount.objects.filter(agent=agent).first()
        initial = (
            {"account_holder": account.account_holder, "bank_name": account.bank_name}
            if account
            else {"account_holder": agent.name}
        )
        return self.render_page(request, agent, PayoutAccountForm(initial=initial))

    def post(self, request):
        agent = self.agent(request)
        form = PayoutAccountForm(request.POST)
        if form.is_valid():
            try:
                payout_account_save(agent=agent, data=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, "Payout account saved.")
                return HttpResponseRedirect(reverse("compliance:payout-account"))
        return self.render_page(request, agent, form, status=400)


urlpatterns = [
    path("clients/<int:pk>/consent/", ClientConsentView.as_view(), name="client-consent"),
    path("clients/<int:pk>/export/", ClientExportView.as_view(), name="client-export"),
    path("clients/<int:pk>/erase/", ClientEraseView.as_view(), name="client-erase"),
    path("do-not-contact/", DoNotContactListView.as_view(), name="do-not-contact"),
    path(
        "do-not-contact/<int:pk>/delete/",
        DoNotContactDeleteView.as_view(),
        name="do-not-contact-delete",
    ),
    path("retention/", RetentionView.as_view(), name="retention"),
    path("payout-account/", PayoutAccountView.as_view(), name="payout-account"),
]
