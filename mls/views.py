"""The broker's MLS feeds page: each provider's state, runs, errors, and its controls."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, TemplateView

from mls.choices import RunKind
from mls.models import MLSProvider
from mls.selectors import (
    mls_stats,
    provider_active_runs,
    provider_cards,
    provider_is_active,
    provider_latest_run,
    provider_next_run_at,
    provider_recent_errors_attach,
)
from mls.services import provider_enable, provider_set_interval, sync_run_cancel, sync_run_start
from realestate.permissions import CHANGE, actor_for
from realestate.views import ObjectActionView, ScopedMixin


class IntervalForm(forms.Form):
    minutes = forms.IntegerField(label="Sync every (minutes)", min_value=1, max_value=7 * 24 * 60)


class BrokerRequiredMixin(ScopedMixin):
    """The feeds are the broker's business: anyone else signed in gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not actor_for(request.user).is_broker:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def provider_card_prepare(provider, interval_form=None):
    """Give a provider what its card shows: newest run, next run and the interval form."""
    provider.latest_run = provider_latest_run(provider)
    provider.is_active = provider_is_active(provider)
    provider.next_run_at = provider_next_run_at(provider)
    provider.interval_form = interval_form or IntervalForm(
        initial={"minutes": provider.sync_interval_minutes},
        auto_id=f"id_provider_{provider.pk}_%s",
    )
    return provider


class ProviderListView(BrokerRequiredMixin, TemplateView):
    """Every feed of the brokerage with its state, its last run, its errors and its controls."""

    queryset = provider_cards()
    template_name = "mls/provider_list.html"

    def get_context_data(self, invalid_forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        invalid_forms = invalid_forms or {}
        providers = provider_recent_errors_attach(self.get_queryset())
        context["providers"] = [
            provider_card_prepare(provider, invalid_forms.get(provider.pk))
            for provider in providers
        ]
        context["stats"] = mls_stats(user=self.request.user)
        return context


class ProviderCardView(BrokerRequiredMixin, DetailView):
    """One provider's card: the page polls it while a run is going."""

    queryset = provider_cards()
    template_name = "mls/includes/provider_card.html"
    context_object_name = "provider"

    def get_object(self, queryset=None):
        provider = super().get_object(queryset)
        provider_recent_errors_attach([provider])
        return provider_card_prepare(provider)


class ProviderActionView(BrokerRequiredMixin, ObjectActionView):
    """A button on a provider's card; the page is shown again after it."""

    queryset = MLSProvider.objects.all()

    def get_success_url(self):
        return reverse("mls:providers")


class ProviderSyncView(ProviderActionView):
    """Queue a sync of the changes since the last one."""

    kind = RunKind.INCREMENTAL
    success_message = "Sync queued. The card shows its progress."

    def perform(self, obj):
        sync_run_start(provider=obj, kind=self.kind, actor=self.request.user)


class ProviderFullSyncView(ProviderSyncView):
    """Queue a sync that reads the whole feed again."""

    kind = RunKind.FULL
    success_message = "Full sync queued. The card shows its progress."


class ProviderCancelView(ProviderActionView):
    """Stop the provider's queued or running runs."""

    success_message = "Cancel requested: the run stops after the page it is applying."

    def perform(self, obj):
        runs = list(provider_active_runs(provider=obj))
        for run in runs:
            sync_run_cancel(run=run, actor=self.request.user)
        if not runs:
            self.success_message = "No run was going."


class ProviderEnableView(ProviderActionView):
    """Turn the scheduled syncs on."""

    enabled = True
    success_message = "Scheduled syncs are on."

    def perform(self, obj):
        provider_enable(provider=obj, enabled=self.enabled, actor=self.request.user)


class ProviderDisableView(ProviderEnableView):
    """Turn the scheduled syncs off; syncs can still be started by hand."""

    enabled = False
    success_message = "Scheduled syncs are off."


class ProviderIntervalView(ProviderListView):
    """Change how often a provider syncs; a wrong value is shown next to the field."""

    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        provider = self.get_object()
        form = IntervalForm(request.POST, auto_id=f"id_provider_{provider.pk}_%s")
        if not form.is_valid():
            context = self.get_context_data(invalid_forms={provider.pk: form})
            return self.render_to_response(context)
        provider_set_interval(
            provider=provider, minutes=form.cleaned_data["minutes"], actor=request.user
        )
        minutes = form.cleaned_data["minutes"]
        every = "every minute" if minutes == 1 else f"every {minutes} minutes"
        messages.success(request, f"{provider.name} now syncs {every}.")
        return HttpResponseRedirect(reverse("mls:providers"))
