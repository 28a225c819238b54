"""Webhook pages of a broker: subscriptions and their delivery logs, dead letters, incoming
endpoints and their request logs; and the endpoint lead sources post their leads to."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView
from django.views.generic.edit import FormView

from agents.choices import WebhookDeliveryStatus
from agents.filtersets import IncomingWebhookLogFilterSet, WebhookDeliveryFilterSet
from agents.forms import IncomingWebhookForm, WebhookSubscriptionForm
from agents.models import (
    IncomingWebhook,
    IncomingWebhookLog,
    WebhookDelivery,
    WebhookSubscription,
)
from agents.services.webhooks import (
    incoming_endpoint_create,
    lead_webhook_receive,
    webhook_deliveries_replay,
    webhook_delivery_replay,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_secret_rotate,
    webhook_subscription_update,
    webhook_test_send,
)
from agents.views.dashboards import BrokerOnlyMixin
from realestate.forms import add_service_errors
from realestate.permissions import CHANGE, VIEW, actor_for, restrict
from realestate.security import client_ip
from realestate.views import ObjectActionView, ObjectDetailView, ObjectFormView, ObjectListView
from realestate.webhooks import SignatureInvalid

SECRET_TEMPLATE = "agents/webhook_secret.html"
# A lead is a few fields; a body larger than this is not read.
LEAD_BODY_MAX_BYTES = 64 * 1024


class WebhookListView(BrokerOnlyMixin, TemplateView):
    """The broker's subscriptions with how their deliveries are going, and incoming endpoints."""

    template_name = "agents/webhook_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        status = WebhookDeliveryStatus
        context["subscriptions"] = restrict(WebhookSubscription.objects.all(), user).annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=status.SUCCEEDED)),
            retrying=Count("deliveries", filter=Q(deliveries__status=status.RETRYING)),
            dead=Count("deliveries", filter=Q(deliveries__status=status.DEAD)),
        )
        context["incoming"] = (
            restrict(IncomingWebhook.objects.all(), user)
            .select_related("lead_source")
            .annotate(
                received=Count("log"),
                refused=Count("log", filter=Q(log__verified=False)),
            )
        )
        return context


class WebhookCreateView(BrokerOnlyMixin, FormView):
    """A new subscription; its secret is on the page that answers, once."""

    form_class = WebhookSubscriptionForm
    template_name = "agents/webhook_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            created = webhook_subscription_create(
                brokerage=actor_for(self.request.user).brokerage,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                is_active=data["is_active"],
                actor=self.request.user,
            )
        except ValidationError as error:
            add_service_errors(error, form)
            return self.form_invalid(form)
        return render(
            self.request,
            SECRET_TEMPLATE,
            {"subscription": created.subscription, "secret": created.secret, "created": True},
        )


class WebhookEditView(ObjectFormView):
    """Change a subscription's address, events or whether it is on."""

    queryset = WebhookSubscription.objects.all()
    form_class = WebhookSubscriptionForm
    template_name = "agents/webhook_form.html"
    success_message = "The subscription is saved."

    def save(self, form):
        return webhook_subscription_update(
            subscription=self.object,
            data={field: form.cleaned_data[field] for field in form.Meta.fields},
            actor=self.request.user,
        )


class WebhookDeleteView(ObjectActionView):
    """Remove a subscription and its delivery log."""

    queryset = WebhookSubscription.objects.all()
    action = "delete"
    success_message = "The subscription is removed."

    def perform(self, obj):
        webhook_subscription_delete(subscription=obj, actor=self.request.user)

    def get_success_url(self):
        return reverse("webhooks:list")


class WebhookTestSendView(ObjectActionView):
    """Post a ``webhook.test`` message to the subscription now."""

    queryset = WebhookSubscription.objects.all()
    success_message = "A test message is on its way; its delivery is at the top of the log."

    def perform(self, obj):
        webhook_test_send(subscription=obj, actor=self.request.user)


class WebhookRotateSecretView(ObjectActionView):
    """Give the subscription a new secret, shown on the page that answers, once."""

    queryset = WebhookSubscription.objects.all()

    def post(self, request, *args, **kwargs):
        subscription = self.get_object()
        secret = webhook_subscription_secret_rotate(subscription=subscription, actor=request.user)
        return render(request, SECRET_TEMPLATE, {"subscription": subscription, "secret": secret})


class WebhookDeliveriesView(BrokerOnlyMixin, ObjectListView):
    """One subscription's delivery log: each message's state, code, attempts and next try."""

    queryset = WebhookDelivery.objects.all()
    filterset_class = WebhookDeliveryFilterSet
    template_name = "agents/webhook_detail.html"
    partial_template_name = "agents/includes/webhook_delivery_results.html"

    def get_queryset(self):
        self.subscription = get_object_or_404(
            restrict(WebhookSubscription.objects.all(), self.request.user, VIEW),
            pk=self.kwargs["pk"],
        )
        return super().get_queryset().filter(subscription=self.subscription)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscription"] = self.subscription
        context["statuses"] = WebhookDeliveryStatus.choices
        return context


class DeliveryDetailView(BrokerOnlyMixin, ObjectDetailView):
    """One delivery: the body sent and every attempt with its answer."""

    queryset = WebhookDelivery.objects.select_related("subscription")
    template_name = "agents/webhook_delivery.html"
    context_object_name = "delivery"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attempts"] = self.object.attempt_log.all()
        return context


class DeliveryReplayView(ObjectActionView):
    """Send a delivery again, from its first attempt."""

    queryset = WebhookDelivery.objects.select_related("subscription")
    success_message = "The delivery is queued again."

    def perform(self, obj):
        webhook_delivery_replay(delivery=obj, actor=self.request.user)


class DeadLetterListView(BrokerOnlyMixin, ObjectListView):
    """Deliveries that failed every attempt, to replay one by one or all at once."""

    queryset = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.DEAD).select_related(
        "subscription"
    )
    filterset_class = WebhookDeliveryFilterSet
    template_name = "agents/webhook_dead_letters.html"
    partial_template_name = "agents/includes/webhook_dead_results.html"


class DeadLetterReplayAllView(BrokerOnlyMixin, View):
    """Replay every dead letter (of one subscription when ``subscription`` is posted)."""

    http_method_names = ["post"]

    def post(self, request):
        dead = restrict(
            WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.DEAD), request.user, CHANGE
        ).select_related("subscription")
        subscription = request.POST.get("subscription", "")
        if subscription.isdigit():
            dead = dead.filter(subscription_id=int(subscription))
        count = webhook_deliveries_replay(deliveries=dead, actor=request.user)
        messages.success(request, f"{count} dead letter(s) queued again.")
        return HttpResponseRedirect(reverse("webhooks:dead"))


class IncomingCreateView(BrokerOnlyMixin, FormView):
    """A new incoming endpoint; its address and secret are on the page that answers, once."""

    form_class = IncomingWebhookForm
    template_name = "agents/incoming_webhook_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            webhook = incoming_endpoint_create(
                brokerage=actor_for(self.request.user).brokerage,
                name=data["name"],
                kind=data["kind"],
                lead_source=data["lead_source"],
                actor=self.request.user,
            )
        except ValidationError as error:
            add_service_errors(error, form)
            return self.form_invalid(form)
        return render(
            self.request,
            "agents/incoming_webhook_secret.html",
            {"webhook": webhook, "secret": webhook.secret},
        )


class IncomingLogView(BrokerOnlyMixin, ObjectListView):
    """One incoming endpoint's requests: when, from where, verified or not, what came of it."""

    queryset = IncomingWebhookLog.objects.all()
    filterset_class = IncomingWebhookLogFilterSet
    template_name = "agents/incoming_webhook_detail.html"
    paginate_by = 50
    page_size_options = (50, 100, 200)

    def get_queryset(self):
        self.webhook = get_object_or_404(
            restrict(IncomingWebhook.objects.select_related("lead_source"), self.request.user),
            pk=self.kwargs["pk"],
        )
        return super().get_queryset().filter(webhook=self.webhook)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["webhook"] = self.webhook
        context["hook_url"] = self.request.build_absolute_uri(self.webhook.get_hook_url())
        return context


@method_decorator(csrf_exempt, name="dispatch")
class LeadWebhookView(View):
    """``POST /hooks/leads/<token>/``: a lead source's signed lead (Standard Webhooks)."""

    http_method_names = ["post"]

    def post(self, request, token):
        body = request.read(LEAD_BODY_MAX_BYTES + 1)
        if len(body) > LEAD_BODY_MAX_BYTES:
            return JsonResponse({"error": "The body is too large."}, status=413)
        try:
            answer = lead_webhook_receive(
                token=token,
                headers=request.headers,
                body=body,
                remote_addr=client_ip(request) or None,
            )
        except IncomingWebhook.DoesNotExist:
            return JsonResponse({"error": "No such webhook."}, status=404)
        except SignatureInvalid as error:
            return JsonResponse({"error": str(error)}, status=401)
        return JsonResponse(answer.body, status=answer.status)


urlpatterns = [
    path("", WebhookListView.as_view(), name="list"),
    path("new/", WebhookCreateView.as_view(), name="create"),
    path("<int:pk>/", WebhookDeliveriesView.as_view(), name="detail"),
    path("<int:pk>/edit/", WebhookEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", WebhookDeleteView.as_view(), name="delete"),
    path("<int:pk>/test/", WebhookTestSendView.as_view(), name="test"),
    path("<int:pk>/rotate-secret/", WebhookRotateSecretView.as_view(), name="rotate-secret"),
    path("deliveries/<int:pk>/", DeliveryDetailView.as_view(), name="delivery"),
    path("deliveries/<int:pk>/replay/", DeliveryReplayView.as_view(), name="delivery-replay"),
    path("dead/", DeadLetterListView.as_view(), name="dead"),
    path("dead/replay/", DeadLetterReplayAllView.as_view(), name="dead-replay"),
    path("incoming/new/", IncomingCreateView.as_view(), name="incoming-create"),
    path("incoming/<int:pk>/", IncomingLogView.as_view(), name="incoming-detail"),
]

hook_urlpatterns = [
    path("hooks/leads/<uuid:token>/", LeadWebhookView.as_view(), name="lead-webhook"),
]
