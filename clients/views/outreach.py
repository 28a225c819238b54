"""Pages of outreach: templates with a live preview, segments, campaigns (builder, start, pause,
resume, metrics), the clients' unsubscribe link and the providers' delivery-events endpoint."""

import json
import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from agents.choices import IncomingWebhookKind
from agents.models import IncomingWebhook
from agents.services.incoming import incoming_webhook_log, incoming_webhook_verify
from clients.choices import CampaignStatus, OutreachChannel
from clients.filtersets import CampaignFilterSet, ClientSegmentFilterSet, MessageTemplateFilterSet
from clients.forms.outreach import (
    ApproveForm,
    CampaignForm,
    CampaignStepForm,
    ClientSegmentForm,
    MessageTemplateForm,
    PreviewForm,
)
from clients.models import Campaign, CampaignStep, ClientSegment, MessageTemplate
from clients.services.campaigns import (
    campaign_create,
    campaign_delete,
    campaign_metrics,
    campaign_pause,
    campaign_resume,
    campaign_start,
    campaign_step_add,
    campaign_step_remove,
    campaign_update,
)
from clients.services.outreach import (
    attempt_state,
    delivery_event_apply,
    merge_fields_unknown,
    outreach_unsubscribe,
    segment_clients,
    segment_create,
    segment_delete,
    segment_update,
    template_approve,
    template_create,
    template_delete,
    template_is_usable,
    template_preview,
    template_update,
)
from compliance.services.fair_housing import fair_housing_scan
from realestate.permissions import CHANGE, DELETE, VIEW, actor_for, can
from realestate.views import ObjectActionView, ObjectFormView, ObjectListView, ScopedMixin
from realestate.webhooks import SignatureInvalid

logger = logging.getLogger(__name__)
RECENT_ATTEMPTS = 20
SEGMENT_SAMPLE = 10


def _is_filtered(request):
    return any(value for key, value in request.GET.items() if key not in ("page", "page_size"))


# ---------------------------------------------------------------------------------------------
# Templates


class TemplateListView(ObjectListView):
    """The brokerage's email and text templates."""

    queryset = MessageTemplate.objects.select_related("owner__user")
    filterset_class = MessageTemplateFilterSet
    template_name = "clients/outreach/template_list.html"
    partial_template_name = "clients/outreach/includes/template_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = _is_filtered(self.request)
        return context


class TemplateFormView(ObjectFormView):
    queryset = MessageTemplate.objects.all()
    form_class = MessageTemplateForm
    form_takes_user = True
    template_name = "clients/outreach/template_form.html"
    action = CHANGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preview_form"] = PreviewForm(user=self.request.user)
        return context


class TemplateCreateView(TemplateFormView):
    success_message = "Template saved."

    def save(self, form):
        return template_create(data=form.cleaned_data, actor=self.request.user)


class TemplateUpdateView(TemplateFormView):
    success_message = "Template saved."

    def save(self, form):
        return template_update(
            template=self.object, data=form.cleaned_data, actor=self.request.user
        )


class TemplateDetailView(ScopedMixin, View):
    """A template with its Fair Housing findings and a preview for a chosen client."""

    queryset = MessageTemplate.objects.select_related("owner__user", "brokerage")

    def get(self, request, pk):
        template = self.get_object()
        user = request.user
        context = {
            "object": template,
            "usable": template_is_usable(template),
            "can_change": can(user, template, CHANGE),
            "can_approve": actor_for(user).is_broker,
            "preview_form": PreviewForm(user=user),
            "approve_form": ApproveForm(),
            "preview": template_preview(template=template, actor=user),
        }
        return render(request, "clients/outreach/template_detail.html", context)


class TemplatePreviewView(ScopedMixin, View):
    """The preview partial (htmx): the template filled in for a client and listing."""

    queryset = MessageTemplate.objects.select_related("brokerage")

    def get(self, request, pk):
        template = self.get_object()
        form = PreviewForm(request.GET, user=request.user)
        preview, errors = None, None
        if form.is_valid():
            preview = template_preview(
                template=template,
                actor=request.user,
                client=form.cleaned_data["client"],
                listing=form.cleaned_data["listing"],
            )
        else:
            errors = form.errors
        context = {"object": template, "preview": preview, "errors": errors}
        return render(request, "clients/outreach/includes/template_preview.html", context)


class TemplateDraftPreviewView(LoginRequiredMixin, View):
    """The editor's preview (htmx): the text being typed, not yet saved, filled in for a
    chosen client and listing, with its Fair Housing findings."""

    http_method_names = ["post"]

    def post(self, request):
        who = actor_for(request.user)
        if who.agent is None:
            raise PermissionDenied
        draft = MessageTemplate(
            brokerage_id=who.brokerage_id,
            channel=request.POST.get("channel") or OutreachChannel.EMAIL,
            subject=request.POST.get("subject", ""),
            body=request.POST.get("body", ""),
        )
        form = PreviewForm(request.POST, user=request.user)
        context = {"object": draft, "preview": None, "errors": None, "findings": []}
        unknown = merge_fields_unknown(draft.subject) + merge_fields_unknown(draft.body)
        if draft.channel not in OutreachChannel.values:
            context["errors"] = {"channel": ["Choose email or text."]}
        elif unknown:
            context["errors"] = {"body": ["Unknown merge field: " + ", ".join(unknown)]}
        elif not form.is_valid():
            context["errors"] = form.errors
        else:
            context["preview"] = template_preview(
                template=draft,
                actor=request.user,
                client=form.cleaned_data["client"],
                listing=form.cleaned_data["listing"],
            )
            context["findings"] = fair_housing_scan(
                text=draft.scanned_text, brokerage=who.brokerage_id
            )
        return render(request, "clients/outreach/includes/template_preview.html", context)


class TemplateApproveView(ObjectActionView):
    """The broker approves the template's exact text despite its Fair Housing findings."""

    queryset = MessageTemplate.objects.all()
    action = VIEW
    success_message = "Approved: the template can be used in campaigns."

    def perform(self, obj):
        form = ApproveForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError("Say why this text may be sent.")
        template_approve(template=obj, reason=form.cleaned_data["reason"], actor=self.request.user)


class TemplateDeleteView(ObjectActionView):
    queryset = MessageTemplate.objects.all()
    action = DELETE
    success_message = "Template removed."

    def perform(self, obj):
        template_delete(template=obj, actor=self.request.user)

    def get_success_url(self):
        if MessageTemplate.objects.filter(pk=self.object.pk).exists():
            return self.object.get_absolute_url()
        return reverse("clients:outreach-templates")


# ---------------------------------------------------------------------------------------------
# Segments


class SegmentListView(ObjectListView):
    """The person's saved client filters."""

    queryset = ClientSegment.objects.select_related("owner__user")
    filterset_class = ClientSegmentFilterSet
    template_name = "clients/outreach/segment_list.html"
    partial_template_name = "clients/outreach/includes/segment_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = _is_filtered(self.request)
        return context


class SegmentFormView(ObjectFormView):
    queryset = ClientSegment.objects.select_related("owner__user")
    form_class = ClientSegmentForm
    template_name = "clients/outreach/segment_form.html"
    action = CHANGE

    def get_initial(self):
        # "Save as a segment" on the client list brings its filters along.
        return {"query": self.request.GET.get("query", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object is not None:
            clients = segment_clients(segment=self.object)
            context["client_count"] = clients.count()
            context["client_sample"] = clients[:SEGMENT_SAMPLE]
        return context

    def get_success_url(self):
        return reverse("clients:outreach-segment-edit", args=[self.object.pk])


class SegmentCreateView(SegmentFormView):
    success_message = "Segment saved."

    def save(self, form):
        data = form.cleaned_data
        return segment_create(name=data["name"], query=data["query"], actor=self.request.user)


class SegmentUpdateView(SegmentFormView):
    success_message = "Segment saved."

    def save(self, form):
        return segment_update(segment=self.object, data=form.cleaned_data, actor=self.request.user)


class SegmentDeleteView(ObjectActionView):
    queryset = ClientSegment.objects.all()
    action = DELETE
    success_message = "Segment removed."

    def perform(self, obj):
        segment_delete(segment=obj, actor=self.request.user)

    def get_success_url(self):
        return reverse("clients:outreach-segments")


# ---------------------------------------------------------------------------------------------
# Campaigns


class CampaignListView(ObjectListView):
    """The person's campaigns with their state."""

    queryset = Campaign.objects.select_related("segment", "owner__user")
    filterset_class = CampaignFilterSet
    template_name = "clients/outreach/campaign_list.html"
    partial_template_name = "clients/outreach/includes/campaign_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_filtered"] = _is_filtered(self.request)
        return context


class CampaignFormView(ObjectFormView):
    queryset = Campaign.objects.all()
    form_class = CampaignForm
    form_takes_user = True
    template_name = "clients/outreach/campaign_form.html"
    action = CHANGE


class CampaignCreateView(CampaignFormView):
    success_message = "Campaign saved as a draft: add its steps."

    def save(self, form):
        return campaign_create(data=form.cleaned_data, actor=self.request.user)


class CampaignUpdateView(CampaignFormView):
    success_message = "Campaign saved."

    def save(self, form):
        data = {name: form.cleaned_data[name] for name in ("name", "listing")}
        if self.object.status == CampaignStatus.DRAFT:
            data.update(segment=form.cleaned_data["segment"], kind=form.cleaned_data["kind"])
        return campaign_update(campaign=self.object, data=data, actor=self.request.user)


class CampaignDetailView(ScopedMixin, View):
    """A campaign: its steps (the builder while a draft), its controls and its metrics."""

    queryset = Campaign.objects.select_related("segment", "owner__user", "listing")

    def get(self, request, pk, step_form=None):
        campaign = self.get_object()
        steps = list(campaign.steps.select_related("template").order_by("position"))
        attempts = (
            campaign.attempts.select_related("client", "step")
            .only(
                "pk",
                "channel",
                "status",
                "skip_reason",
                "to_address",
                "scheduled_for",
                "sent_at",
                "delivered_at",
                "opened_at",
                "clicked_at",
                "replied_at",
                "bounced_at",
                "complained_at",
                "unsubscribed_at",
                "client__first_name",
                "client__last_name",
                "client__email",
                "client__phone",
                "client__id",
                "step__position",
            )
            .order_by("-pk")[:RECENT_ATTEMPTS]
        )
        context = {
            "object": campaign,
            "steps": [(step, template_is_usable(step.template)) for step in steps],
            "can_change": can(request.user, campaign, CHANGE),
            "step_form": step_form or CampaignStepForm(user=request.user),
            "metrics": campaign_metrics(campaign=campaign),
            "attempts": [(attempt, attempt_state(attempt)) for attempt in attempts],
            "enrolled": campaign.enrollments.count(),
        }
        return render(request, "clients/outreach/campaign_detail.html", context)


class CampaignStepAddView(ScopedMixin, View):
    """Add a step (a template and a delay) at the end of a draft campaign."""

    queryset = Campaign.objects.all()
    action = CHANGE

    def post(self, request, pk):
        campaign = self.get_object()
        form = CampaignStepForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                campaign_step_add(
                    campaign=campaign,
                    template=form.cleaned_data["template"],
                    delay_hours=form.cleaned_data["delay_hours"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Step added.")
                return HttpResponseRedirect(campaign.get_absolute_url())
        detail = CampaignDetailView()
        detail.setup(request, pk=pk)
        return detail.get(request, pk, step_form=form)


class CampaignStepRemoveView(ObjectActionView):
    queryset = CampaignStep.objects.select_related("campaign")
    action = CHANGE
    success_message = "Step removed."

    def perform(self, obj):
        campaign_step_remove(step=obj, actor=self.request.user)

    def get_success_url(self):
        return self.object.campaign.get_absolute_url()


class CampaignActionView(ObjectActionView):
    queryset = Campaign.objects.select_related("segment__owner__user")
    action = CHANGE


class CampaignStartView(CampaignActionView):
    success_message = "Campaign started."

    def perform(self, obj):
        campaign_start(campaign=obj, actor=self.request.user)


class CampaignPauseView(CampaignActionView):
    success_message = "Campaign paused: nothing more is sent until you resume it."

    def perform(self, obj):
        campaign_pause(campaign=obj, actor=self.request.user)


class CampaignResumeView(CampaignActionView):
    success_message = "Campaign resumed."

    def perform(self, obj):
        campaign_resume(campaign=obj, actor=self.request.user)


class CampaignDeleteView(CampaignActionView):
    action = DELETE
    success_message = "Campaign removed."

    def perform(self, obj):
        campaign_delete(campaign=obj, actor=self.request.user)

    def get_success_url(self):
        if Campaign.objects.filter(pk=self.object.pk).exists():
            return self.object.get_absolute_url()
        return reverse("clients:outreach-campaigns")


# ---------------------------------------------------------------------------------------------
# Without signing in


@method_decorator(csrf_exempt, name="dispatch")
class OutreachUnsubscribeView(View):
    """The unsubscribe link of a campaign email: a page to confirm, then done. One-click
    unsubscribe (``List-Unsubscribe-Post``) POSTs straight here; the token is the proof."""

    def get(self, request, token):
        from clients.models import OutreachAttempt

        attempt = get_object_or_404(
            OutreachAttempt.objects.select_related("brokerage"), unsubscribe_token=token
        )
        return render(request, "clients/outreach/unsubscribe.html", {"attempt": attempt})

    def post(self, request, token):
        attempt = outreach_unsubscribe(token=token)
        if attempt is None:
            raise Http404("No such message.")
        return render(request, "clients/outreach/unsubscribe_done.html", {"attempt": attempt})


@method_decorator(csrf_exempt, name="dispatch")
class DeliveryEventsView(View):
    """``POST /hooks/outreach/<token>/``: a provider's delivery events, signed by the Standard
    Webhooks scheme with the endpoint's secret. The body is one event::

        {"type": "email.bounced", "data": {"message_id": "<provider id>", "email": "..."}}

    Types: ``email.delivered|opened|clicked|bounced|complained|replied``,
    ``sms.delivered|failed|bounced|replied``. ``data`` holds ``message_id`` (the id the provider
    gave when it took the message), else ``email``/``phone`` of the client; replies carry
    ``text``; ``occurred_at`` (ISO 8601) is optional. An unknown endpoint is 404, a bad
    signature 401 (logged), a body that is not an event 400.
    """

    http_method_names = ["post"]

    def post(self, request, token):
        body = request.body
        remote_addr = request.META.get("REMOTE_ADDR")
        try:
            webhook, message_id = incoming_webhook_verify(
                token=token,
                kind=IncomingWebhookKind.DELIVERY_EVENTS,
                headers=request.headers,
                body=body,
                remote_addr=remote_addr,
            )
        except IncomingWebhook.DoesNotExist:
            raise Http404("No such endpoint.") from None
        except SignatureInvalid as error:
            return JsonResponse({"detail": str(error)}, status=401)
        try:
            payload = json.loads(body)
            result = delivery_event_apply(brokerage=webhook.brokerage, payload=payload)
        except (ValueError, ValidationError) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            incoming_webhook_log(
                webhook=webhook,
                status_code=400,
                verified=True,
                body=body,
                message_id=message_id,
                error=text,
                remote_addr=remote_addr,
            )
            return JsonResponse({"detail": text}, status=400)
        incoming_webhook_log(
            webhook=webhook,
            status_code=200,
            verified=True,
            body=body,
            message_id=message_id,
            remote_addr=remote_addr,
        )
        return JsonResponse({"result": result})


urlpatterns = [
    path("outreach/templates/", TemplateListView.as_view(), name="outreach-templates"),
    path("outreach/templates/new/", TemplateCreateView.as_view(), name="outreach-template-create"),
    path(
        "outreach/templates/preview/",
        TemplateDraftPreviewView.as_view(),
        name="outreach-template-draft-preview",
    ),
    path("outreach/templates/<int:pk>/", TemplateDetailView.as_view(), name="outreach-template"),
    path(
        "outreach/templates/<int:pk>/edit/",
        TemplateUpdateView.as_view(),
        name="outreach-template-edit",
    ),
    path(
        "outreach/templates/<int:pk>/preview/",
        TemplatePreviewView.as_view(),
        name="outreach-template-preview",
    ),
    path(
        "outreach/templates/<int:pk>/approve/",
        TemplateApproveView.as_view(),
        name="outreach-template-approve",
    ),
    path(
        "outreach/templates/<int:pk>/delete/",
        TemplateDeleteView.as_view(),
        name="outreach-template-delete",
    ),
    path("outreach/segments/", SegmentListView.as_view(), name="outreach-segments"),
    path("outreach/segments/new/", SegmentCreateView.as_view(), name="outreach-segment-create"),
    path(
        "outreach/segments/<int:pk>/edit/",
        SegmentUpdateView.as_view(),
        name="outreach-segment-edit",
    ),
    path(
        "outreach/segments/<int:pk>/delete/",
        SegmentDeleteView.as_view(),
        name="outreach-segment-delete",
    ),
    path("outreach/campaigns/", CampaignListView.as_view(), name="outreach-campaigns"),
    path("outreach/campaigns/new/", CampaignCreateView.as_view(), name="outreach-campaign-create"),
    path("outreach/campaigns/<int:pk>/", CampaignDetailView.as_view(), name="outreach-campaign"),
    path(
        "outreach/campaigns/<int:pk>/edit/",
        CampaignUpdateView.as_view(),
        name="outreach-campaign-edit",
    ),
    path(
        "outreach/campaigns/<int:pk>/steps/",
        CampaignStepAddView.as_view(),
        name="outreach-campaign-step-add",
    ),
    path(
        "outreach/steps/<int:pk>/remove/",
        CampaignStepRemoveView.as_view(),
        name="outreach-step-remove",
    ),
    path(
        "outreach/campaigns/<int:pk>/start/",
        CampaignStartView.as_view(),
        name="outreach-campaign-start",
    ),
    path(
        "outreach/campaigns/<int:pk>/pause/",
        CampaignPauseView.as_view(),
        name="outreach-campaign-pause",
    ),
    path(
        "outreach/campaigns/<int:pk>/resume/",
        CampaignResumeView.as_view(),
        name="outreach-campaign-resume",
    ),
    path(
        "outreach/campaigns/<int:pk>/delete/",
        CampaignDeleteView.as_view(),
        name="outreach-campaign-delete",
    ),
    path(
        "outreach/unsubscribe/<uuid:token>/",
        OutreachUnsubscribeView.as_view(),
        name="outreach-unsubscribe",
    ),
]

# Mounted at the site's root by realestate/urls.py: providers post to /hooks/outreach/<token>/.
hook_urlpatterns = [
    path(
        "hooks/outreach/<uuid:token>/",
        DeliveryEventsView.as_view(),
        name="outreach-delivery-events",
    ),
]
