"""Pages of deals: the list, the pipeline board, a deal's page, its forms and its actions."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views import View

from clients.views.people import safe_next
from realestate.forms import add_service_errors
from realestate.permissions import CHANGE, can, restrict
from realestate.views import (
    ObjectActionView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    ScopedMixin,
    board_response,
)
from transactions.choices import OPEN_DEAL_STAGES, STAGE_TRANSITIONS, DealStage
from transactions.filtersets import DealFilterSet
from transactions.forms.deals import DealForm, MilestoneForm, PartyForm, StageForm, WaiveForm
from transactions.models import Party, Transaction
from transactions.selectors import (
    deal_board,
    deal_details,
    deal_rows,
    milestone_rows,
    milestone_state,
)
from transactions.services.deals import (
    deal_closing_blockers,
    deal_create,
    deal_stage_set,
    deal_update,
    milestone_add,
    milestone_complete,
    milestone_reopen,
    milestone_waive,
    party_add,
    party_remove,
)


class DealListView(ObjectListView):
    """The deals the person may see, with filters, search, sort and pages."""

    queryset = deal_rows()
    filterset_class = DealFilterSet
    template_name = "transactions/deal_list.html"
    partial_template_name = "transactions/includes/deal_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["stage_choices"] = DealStage.choices
        context["selected_stages"] = self.request.GET.getlist("stage")
        context["is_filtered"] = any(
            value
            for key, value in self.request.GET.items()
            if key not in ("page", "page_size", "sort")
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


def milestone_context(deal, user, today=None):
    """The deal's milestones, each with how it is shown, and whether the person may tick them."""
    today = today or timezone.localdate()
    milestones = list(deal.milestones.all())
    for milestone in milestones:
        milestone.state = milestone_state(milestone, today)
    return {"deal": deal, "milestones": milestones, "today": today}


class DealDetailView(ObjectDetailView):
    """One deal: parties, key dates, milestones, stage moves and closing."""

    queryset = deal_details()
    template_name = "transactions/deal_detail.html"
    context_object_name = "deal"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal, user = self.object, self.request.user
        can_change = can(user, deal, CHANGE)
        is_open = deal.stage in OPEN_DEAL_STAGES
        context.update(milestone_context(deal, user))
        context.update(
            can_change=can_change,
            is_open=is_open,
            moves=[
                {"value": stage, "label": DealStage(stage).label}
                for stage in STAGE_TRANSITIONS[deal.stage]
                if stage in OPEN_DEAL_STAGES
            ],
            can_close=DealStage.CLOSED in STAGE_TRANSITIONS[deal.stage],
            can_fall_through=DealStage.FELL_THROUGH in STAGE_TRANSITIONS[deal.stage],
            blockers=deal_closing_blockers(deal=deal) if is_open else [],
            key_dates=[
                (Transaction._meta.get_field(name).verbose_name, getattr(deal, name))
                for name in (
                    "contract_accepted_on",
                    "inspection_deadline",
                    "appraisal_deadline",
                    "financing_deadline",
                    "closing_on",
                    "possession_on",
                    "closed_on",
                )
            ],
        )
        if can_change and is_open:
            context.setdefault(
                "close_form",
                StageForm(
                    initial={
                        "stage": DealStage.CLOSED,
                        "sale_price": deal.sale_price or deal.offer_price,
                        "closed_on": timezone.localdate(),
                    }
                ),
            )
            context.setdefault("milestone_form", MilestoneForm())
            context.setdefault("party_form", PartyForm(user=user))
        return context


class DealFormView(ObjectFormView):
    """Add or change a deal through the deal services."""

    queryset = deal_details()
    form_class = DealForm
    form_takes_user = True
    template_name = "transactions/deal_form.html"

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            add_service_errors(exc, form)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def save(self, form):
        user = self.request.user
        if self.object is None:
            return deal_create(
                data=form.deal_data(), actor=user, co_agents=form.cleaned_data["co_agents"]
            )
        co_agents = form.cleaned_data["co_agents"] if "co_agents" in form.changed_data else None
        return deal_update(
            deal=self.object, data=form.changed_deal_data(), actor=user, co_agents=co_agents
        )


class DealCreateView(DealFormView):
    success_message = "Deal added."


class DealUpdateView(DealFormView):
    success_message = "Deal saved."


# ---------- stage and pipeline board ----------


def render_board(
    request, *, moved=None, error=None, template="transactions/includes/pipeline_board.html"
):
    """The board of the deals the person may see, narrowed by the filters in the address."""
    return board_response(
        request,
        rows=restrict(Transaction.objects.all(), request.user),
        filterset_class=DealFilterSet,
        build=lambda deals, user: deal_board(deals=deals, user=user),
        template=template,
        moved=moved,
        error=error,
    )


class PipelineView(LoginRequiredMixin, View):
    """Open deals as cards in stage columns, moved with their buttons."""

    def get(self, request, *args, **kwargs):
        if request.htmx and not request.htmx.history_restore_request:
            return render_board(request)
        return render_board(request, template="transactions/pipeline.html")


class DealStageView(ScopedMixin, View):
    """Move a deal: from the board (htmx answers with the board) or from its page."""

    queryset = Transaction.objects.select_related("property", "agent")
    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        deal = self.get_object()
        form = StageForm(request.POST)
        error = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                deal_stage_set(
                    deal=deal,
                    stage=data["stage"],
                    actor=request.user,
                    reason=data["reason"],
                    sale_price=data["sale_price"],
                    closed_on=data["closed_on"],
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        moved = None if error else f"{deal.name} moved to {deal.get_stage_display()}."
        if request.htmx and request.GET.get("board"):
            return render_board(request, moved=moved, error=error)
        if error:
            deal.refresh_from_db()
            messages.error(request, f"The deal was not moved. {error}")
        else:
            messages.success(request, moved)
        return HttpResponseRedirect(safe_next(request, deal.get_absolute_url()))


# ---------- milestones and parties ----------


class MilestoneActionView(ObjectActionView):
    """A change to one milestone; htmx redraws the deal's checklist."""

    queryset = milestone_rows()

    def post(self, request, *args, **kwargs):
        if not request.htmx:
            return super().post(request, *args, **kwargs)
        milestone = self.get_object()
        error = None
        try:
            self.perform(milestone)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        deal = deal_details().get(pk=milestone.transaction_id)
        context = milestone_context(deal, request.user)
        context.update(can_change=True, is_open=deal.stage in OPEN_DEAL_STAGES, error=error)
        return render(request, "transactions/includes/deal_milestones.html", context)

    def get_success_url(self):
        return self.object.transaction.get_absolute_url()


class MilestoneCompleteView(MilestoneActionView):
    success_message = "Milestone done."

    def perform(self, obj):
        milestone_complete(milestone=obj, actor=self.request.user)


class MilestoneWaiveView(MilestoneActionView):
    success_message = "Milestone waived."

    def perform(self, obj):
        form = WaiveForm(self.request.POST)
        reason = form.data.get("reason", "")
        milestone_waive(milestone=obj, reason=reason, actor=self.request.user)


class MilestoneReopenView(MilestoneActionView):
    success_message = "Milestone reopened."

    def perform(self, obj):
        milestone_reopen(milestone=obj, actor=self.request.user)


class MilestoneAddView(ObjectActionView):
    """Add an ad-hoc milestone to a deal."""

    queryset = Transaction.objects.select_related("agent")
    success_message = "Milestone added."

    def perform(self, obj):
        form = MilestoneForm(self.request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        milestone_add(deal=obj, data=form.cleaned_data, actor=self.request.user)


class PartyAddView(ObjectActionView):
    """Add someone to a deal."""

    queryset = Transaction.objects.all()
    success_message = "Added to the deal."

    def perform(self, obj):
        form = PartyForm(self.request.POST, user=self.request.user)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        party_add(deal=obj, data=form.party_data(), actor=self.request.user)


class PartyRemoveView(ObjectActionView):
    """Take someone off a deal."""

    queryset = Party.objects.select_related("transaction")
    success_message = "Removed from the deal."

    def perform(self, obj):
        party_remove(party=obj, actor=self.request.user)

    def get_success_url(self):
        return reverse("transactions:detail", args=[self.object.transaction_id])


urlpatterns = [
    path("", DealListView.as_view(), name="list"),
    path("new/", DealCreateView.as_view(), name="create"),
    path("pipeline/", PipelineView.as_view(), name="pipeline"),
    path("<int:pk>/", DealDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", DealUpdateView.as_view(), name="edit"),
    path("<int:pk>/stage/", DealStageView.as_view(), name="stage"),
    path("<int:pk>/milestones/", MilestoneAddView.as_view(), name="milestone-add"),
    path("<int:pk>/parties/", PartyAddView.as_view(), name="party-add"),
    path("parties/<int:pk>/remove/", PartyRemoveView.as_view(), name="party-remove"),
    path(
        "milestones/<int:pk>/complete/", MilestoneCompleteView.as_view(), name="milestone-complete"
    ),
    path("milestones/<int:pk>/waive/", MilestoneWaiveView.as_view(), name="milestone-waive"),
    path("milestones/<int:pk>/reopen/", MilestoneReopenView.as_view(), name="milestone-reopen"),
]
