"""The broker's brand kit page and every member's email signature page."""

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from agents.brand_forms import BrandKitForm, SignatureDetailsForm
from agents.services.brand import brokerage_brand_update
from agents.services.people import agent_update
from agents.views.dashboards import BrokerOnlyMixin
from properties.materials.signature import signature_build
from properties.models import storage_url
from realestate.permissions import CHANGE, actor_for, can


class BrandKitView(BrokerOnlyMixin, View):
    """The broker edits the brand kit, with a live preview of colours, font and logo."""

    template_name = "agents/brand_kit.html"

    def get(self, request):
        brokerage = actor_for(request.user).brokerage
        return self.render(brokerage, BrandKitForm(instance=copy.copy(brokerage)))

    def post(self, request):
        brokerage = actor_for(request.user).brokerage
        form = BrandKitForm(request.POST, request.FILES, instance=copy.copy(brokerage))
        if form.is_valid():
            try:
                brokerage_brand_update(
                    brokerage=brokerage, data=form.brand_data(), actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Brand kit saved.")
                return HttpResponseRedirect(reverse("brand-kit"))
        return self.render(brokerage, form, status=400)

    def render(self, brokerage, form, status=200):
        context = {
            "brokerage": brokerage,
            "form": form,
            "logo_url": storage_url(brokerage.brand_logo.name),
        }
        return render(self.request, self.template_name, context, status=status)


def logo_url_for(request, brokerage):
    """The absolute address of the brokerage's logo ("" without one): email clients load it."""
    url = storage_url(brokerage.brand_logo.name)
    return request.build_absolute_uri(url) if url else ""


class SignatureView(LoginRequiredMixin, View):
    """The signed-in agent's email signature (HTML and plain text), and their title and phone."""

    template_name = "agents/signature.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and actor_for(request.user).agent is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        agent = actor_for(request.user).agent
        return self.render(agent, SignatureDetailsForm(instance=copy.copy(agent)))

    def post(self, request):
        agent = actor_for(request.user).agent
        if not can(request.user, agent, CHANGE):
            raise PermissionDenied
        form = SignatureDetailsForm(request.POST, instance=copy.copy(agent))
        if form.is_valid():
            try:
                agent_update(agent=agent, data=form.cleaned_data, actor=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your signature details are saved.")
                return HttpResponseRedirect(reverse("signature"))
        return self.render(agent, form, status=400)

    def render(self, agent, form, status=200):
        signature = signature_build(
            agent=agent, logo_url=logo_url_for(self.request, agent.brokerage)
        )
        context = {
            "agent": agent,
            "form": form,
            "can_edit": can(self.request.user, agent, CHANGE),
            "signature": signature,
        }
        return render(self.request, self.template_name, context, status=status)
