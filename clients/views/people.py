"""Pages of the CRM: clients, their timeline, the pipeline board, tasks and the agent's day."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView, View

from clients.calendar import showing_list
from clients.choices import OPEN_STAGES, Stage
from clients.contact import display_phone
from clients.filtersets import ClientFilterSet, TaskFilterSet
from clients.forms.people import (
    ActivityForm,
    BuyerPreferenceForm,
    ClientForm,
    ShareForm,
    StageForm,
    TaskForm,
)
from clients.matching import buyer_matches
from clients.models import BuyerPreference, Client
from clients.selectors import (
    agent_day,
    client_details,
    client_open_tasks,
    client_rows,
    client_timeline,
    pipeline_board,
    saved_search_list,
    task_rows,
)
from clients.services.people import (
    activity_log,
    buyer_preference_save,
    client_create,
    client_may_share,
    client_share,
    client_stage_set,
    client_update,
    task_complete,
    task_create,
    task_update,
)
from realestate.forms import add_service_errors
from realestate.permissions import CHANGE, actor_for, can, restrict
from realestate.views import (
    ObjectActionView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    ScopedMixin,
    board_response,
)

TIMELINE_LIMIT = 50
MATCHES_LIMIT = 10
SHOWINGS_LIMIT = 10
DEFAULT_CLIENT_SORT = "name"


def safe_next(request, default):
    """The ``next`` address the form came from, if it is on this site; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def stage_steps(client):
    """The open stages in order, each marked done, current or to come, for the stage bar."""
    current = client.stage
    order = [stage.value for stage in OPEN_STAGES]
    position = order.index(current) if current in order else len(order)
    steps = []
    for index, stage in enumerate(OPEN_STAGES):
        state = "done" if index < position else "current" if index == position else "next"
        steps.append({"value": stage.value, "label": stage.label, "state": state})
    return steps


# ---------- clients ----------


class ClientListView(ObjectListView):
    """The clients and leads the person may see, with filters, search, sort and pages."""

    queryset = client_rows()
    filterset_class = ClientFilterSet
    template_name = "clients/client_list.html"
    partial_template_name = "clients/includes/client_results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for client in context["object_list"]:
            client.phone_display = display_phone(client.phone)
        form = context["filter"].form
        context["stage_choices"] = Stage.choices
        context["selected_stages"] = self.request.GET.getlist("stage")
        context["sort_options"] = [choice for choice in form.fields["sort"].choices if choice[0]]
        context["current_sort"] = self.request.GET.get("sort") or DEFAULT_CLIENT_SORT
        context["is_filtered"] = any(
            value
            for key, value in self.request.GET.items()
            if key not in ("page", "page_size", "sort")
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same URL answers with a page or a partial: caches must keep them apart.
        patch_vary_headers(response, ["HX-Request"])
        return response


class ClientDetailView(ObjectDetailView):
    """One client: contact, stage, score, wishes, timeline, tasks and matching listings."""

    queryset = client_details()
    template_name = "clients/client_detail.html"
    context_object_name = "client"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client, user = self.object, self.request.user
        can_change = can(user, client, CHANGE)
        preference = getattr(client, "preference", None)
        context.update(
            can_change=can_change,
            phones=[
                (label, number, display_phone(number))
                for label, number in (
                    ("Phone", client.phone),
                    ("Other phone", client.alternate_phone),
                )
                if number
            ],
            preference=preference,
            stage_steps=stage_steps(client),
            closed_stages=[Stage.CLOSED, Stage.LOST],
            timeline=client_timeline(client=client, limit=TIMELINE_LIMIT),
            tasks=client_open_tasks(client=client, user=user),
            today=timezone.localdate(),
            matches=(
                buyer_matches(client=client, user=user, limit=MATCHES_LIMIT) if preference else None
            ),
            saved_searches=saved_search_list(user=user, client=client),
            showings=restrict(showing_list(), user).filter(client=client)[:SHOWINGS_LIMIT],
        )
        if actor_for(user).can_write:
            context["showing_book_query"] = f"client={client.pk}"
        if can_change:
            context.setdefault("activity_form", ActivityForm())
            context.setdefault(
                "task_form",
                TaskForm(
                    user=user, initial={"client": client.pk, "due_date": timezone.localdate()}
                ),
            )
        if client_may_share(client=client, user=user):
            context.setdefault("share_form", ShareForm(user=user, client=client))
        if client.in_pond and actor_for(user).can_write:
            context["claim_url"] = reverse("clients:claim", args=[client.pk])
        return context


class ClientFormView(ObjectFormView):
    """Add a client (with what they want to buy) or change one, through the client services."""

    queryset = client_details()
    form_class = ClientForm
    form_takes_user = True
    template_name = "clients/client_form.html"

    def get_preference_form(self):
        """The buyer's wishes, asked for when a client is added; a page of their own later."""
        if self.object is not None:
            return None
        if not hasattr(self, "_preference_form"):
            data = self.request.POST if self.request.method == "POST" else None
            # An unsaved instance gives the defaults as initial values: untouched is unchanged.
            self._preference_form = BuyerPreferenceForm(
                data=data, instance=BuyerPreference(), prefix="preference"
            )
        return self._preference_form

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["preference_form"] = self.get_preference_form()
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        preference_form = self.get_preference_form()
        forms_valid = [form.is_valid()]
        if preference_form is not None:
            forms_valid.append(preference_form.is_valid())
        if all(forms_valid):
            return self.form_valid(form)
        return self.form_invalid(form)

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            add_service_errors(exc, *[f for f in (form, self.get_preference_form()) if f])
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def save(self, form):
        user = self.request.user
        if self.object is None:
            preference_form = self.get_preference_form()
            preference = (
                preference_form.preference_data() if preference_form.has_changed() else None
            )
            return client_create(
                data=form.client_data(),
                actor=user,
                tags=form.cleaned_data["tags"],
                co_agents=form.cleaned_data["co_agents"],
                preference=preference,
            )
        return client_update(
            client=self.object,
            data=form.changed_client_data(),
            actor=user,
            **form.changed_relations(),
        )


class ClientCreateView(ClientFormView):
    success_message = "Client added."


class ClientUpdateView(ClientFormView):
    success_message = "Client saved."


class BuyerPreferenceView(ObjectFormView):
    """What a buyer is looking for: the lead score and the listing matches follow it."""

    queryset = Client.objects.select_related("preference")
    form_class = BuyerPreferenceForm
    template_name = "clients/client_preferences.html"
    success_message = "Buyer preferences saved."

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        preference = getattr(self.object, "preference", None)
        kwargs["instance"] = preference if preference is not None else BuyerPreference()
        return kwargs

    def save(self, form):
        buyer_preference_save(
            client=self.object, data=form.preference_data(), actor=self.request.user
        )
        return self.object


class ClientStageView(ScopedMixin, View):
    """Move a client to another stage: from the board (htmx answers with the board) or a page."""

    queryset = Client.objects.select_related("assigned_agent__user")
    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        client = self.get_object()
        form = StageForm(request.POST)
        error = None
        if form.is_valid():
            try:
                client_stage_set(
                    client=client, stage=form.cleaned_data["stage"], actor=request.user
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
        else:
            error = "Choose a stage."
        moved = None if error else f"{client.name} moved to {client.get_stage_display()}."
        if request.htmx and request.GET.get("board"):
            return render_board(request, moved=moved, error=error)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, moved)
        return HttpResponseRedirect(safe_next(request, client.get_absolute_url()))


class ActivityCreateView(ClientDetailView):
    """Log a call, email, text, meeting or note on a client's timeline."""

    action = CHANGE
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = client = self.get_object()
        form = ActivityForm(request.POST)
        if form.is_valid():
            try:
                activity_log(
                    client=client,
                    kind=form.cleaned_data["kind"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    occurred_at=form.cleaned_data["occurred_at"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(exc, form)
        if form.is_bound and not form.errors:
            if request.htmx:
                return self.render_timeline(ActivityForm(), logged=True)
            messages.success(request, "Added to the timeline.")
            return HttpResponseRedirect(client.get_absolute_url())
        if request.htmx:
            return self.render_timeline(form)
        return self.render_to_response(self.get_context_data(activity_form=form))

    def render_timeline(self, form, logged=False):
        client = self.object
        context = {
            "client": client,
            "can_change": True,
            "activity_form": form,
            "timeline": client_timeline(client=client, limit=TIMELINE_LIMIT),
            "stage_steps": stage_steps(client),
            "closed_stages": [Stage.CLOSED, Stage.LOST],
            "logged": logged,
        }
        return render(self.request, "clients/includes/client_timeline_response.html", context)


class ClientShareView(ScopedMixin, View):
    """Share a client with a colleague: the broker or the client's own agent does it."""

    queryset = Client.objects.select_related("assigned_agent")
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        client = self.get_object()
        if not client_may_share(client=client, user=request.user):
            raise PermissionDenied
        form = ShareForm(request.POST, user=request.user, client=client)
        if form.is_valid():
            agent = form.cleaned_data["agent"]
            try:
                client_share(
                    client=client,
                    agent=agent,
                    actor=request.user,
                    can_change=form.cleaned_data["can_change"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Shared with {agent.name}.")
        else:
            messages.error(request, "Choose a colleague of your brokerage to share with.")
        return HttpResponseRedirect(client.get_absolute_url())


# ---------- pipeline board ----------


def render_board(
    request, *, moved=None, error=None, template="clients/includes/pipeline_board.html"
):
    """The board of the clients the person may see, narrowed by the filters in the address."""
    return board_response(
        request,
        rows=restrict(Client.objects.all(), request.user).filter(in_pond=False),
        filterset_class=ClientFilterSet,
        build=lambda clients, user: pipeline_board(clients=clients, user=user),
        template=template,
        moved=moved,
        error=error,
    )


class PipelineView(LoginRequiredMixin, View):
    """Clients as cards in stage columns, moved with buttons or by dragging them."""

    def get(self, request, *args, **kwargs):
        if request.htmx and not request.htmx.history_restore_request:
            return render_board(request)
        return render_board(request, template="clients/pipeline.html")


# ---------- tasks ----------


class TaskListView(ObjectListView):
    """The person's tasks: overdue, due today and upcoming, or the ones done."""

    queryset = task_rows()
    filterset_class = TaskFilterSet
    template_name = "clients/task_list.html"
    partial_template_name = "clients/includes/task_results.html"
    paginate_by = 50
    page_size_options = (50, 100)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = (kwargs["data"] or QueryDict()).copy()
        # Open tasks of the person unless they ask for done ones or another agent's.
        data.setdefault("done", "false")
        if not data.get("assigned_agent"):
            data["mine"] = "true"
        kwargs["data"] = data
        return kwargs

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.request.GET.get("done") == "true":
            return queryset.order_by("-done_at", "-pk")
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        showing_done = self.request.GET.get("done") == "true"
        groups = {"overdue": [], "today": [], "upcoming": [], "done": []}
        for task in context["object_list"]:
            if showing_done:
                groups["done"].append(task)
            elif task.due_date < today:
                groups["overdue"].append(task)
            elif task.due_date == today:
                groups["today"].append(task)
            else:
                groups["upcoming"].append(task)
        context.update(
            groups=[
                ("overdue", "Overdue", groups["overdue"]),
                ("today", "Today", groups["today"]),
                ("upcoming", "Upcoming", groups["upcoming"]),
                ("done", "Done", groups["done"]),
            ],
            today=today,
            showing_done=showing_done,
            chooses_agent=actor_for(self.request.user).is_broker,
            is_filtered=any(
                value for key, value in self.request.GET.items() if key not in ("page", "page_size")
            ),
        )
        return context


class TaskFormView(ObjectFormView):
    """Add a task (no ``pk``) or change one, through the task services."""

    queryset = task_rows()
    form_class = TaskForm
    form_takes_user = True
    template_name = "clients/task_form.html"

    def get_initial(self):
        initial = super().get_initial()
        if self.object is None:
            initial["due_date"] = timezone.localdate()
            if self.request.GET.get("client"):
                initial["client"] = self.request.GET["client"]
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next"] = safe_next(self.request, "")
        return context

    def save(self, form):
        user = self.request.user
        if self.object is None:
            return task_create(
                data=form.task_data(),
                actor=user,
                assigned_agent=form.cleaned_data.get("assigned_agent"),
            )
        return task_update(task=self.object, data=form.changed_task_data(), actor=user)

    def get_success_url(self):
        return safe_next(self.request, reverse("clients:tasks"))


class TaskCreateView(TaskFormView):
    """Add a task; from a client's page (htmx) the answer is that client's task list."""

    success_message = "Task added."

    def posted_client(self):
        """The client whose page the form was sent from, if the person may change them."""
        pk = self.request.POST.get("client")
        if not (self.request.htmx and pk and pk.isdigit()):
            return None
        return restrict(Client.objects.filter(pk=pk), self.request.user, CHANGE).first()

    def form_valid(self, form):
        client = self.posted_client()
        if client is None:
            return super().form_valid(form)
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            add_service_errors(exc, form)
            return self.render_client_tasks(client, form)
        fresh = TaskForm(
            user=self.request.user, initial={"client": client.pk, "due_date": timezone.localdate()}
        )
        return self.render_client_tasks(client, fresh, added=self.object)

    def form_invalid(self, form):
        client = self.posted_client()
        if client is None:
            return super().form_invalid(form)
        return self.render_client_tasks(client, form)

    def render_client_tasks(self, client, form, added=None):
        context = {
            "client": client,
            "can_change": True,
            "tasks": client_open_tasks(client=client, user=self.request.user),
            "task_form": form,
            "today": timezone.localdate(),
            "added": added,
        }
        return render(self.request, "clients/includes/client_tasks.html", context)


class TaskUpdateView(TaskFormView):
    success_message = "Task saved."


class TaskCompleteView(ObjectActionView):
    """Mark a task done; htmx swaps its row for the done row."""

    queryset = task_rows()
    success_message = "Task done."

    def perform(self, obj):
        task_complete(task=obj, actor=self.request.user)

    def post(self, request, *args, **kwargs):
        if not request.htmx:
            return super().post(request, *args, **kwargs)
        task = self.get_object()
        self.perform(task)
        context = {"task": task, "today": timezone.localdate(), "just_done": True}
        return render(request, "clients/includes/task_row.html", context)

    def get_success_url(self):
        return safe_next(self.request, reverse("clients:tasks"))


# ---------- the agent's day ----------


class DayView(LoginRequiredMixin, TemplateView):
    """Today for the signed-in agent: late and due tasks, showings and new leads."""

    template_name = "clients/task_day.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.history_restore_request:
            return ["clients/includes/task_day.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["day"] = agent_day(user=self.request.user)
        return context


urlpatterns = [
    path("", ClientListView.as_view(), name="list"),
    path("new/", ClientCreateView.as_view(), name="create"),
    path("pipeline/", PipelineView.as_view(), name="pipeline"),
    path("day/", DayView.as_view(), name="day"),
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("tasks/new/", TaskCreateView.as_view(), name="task-create"),
    path("tasks/<int:pk>/", TaskUpdateView.as_view(), name="task-edit"),
    path("tasks/<int:pk>/complete/", TaskCompleteView.as_view(), name="task-complete"),
    path("<int:pk>/", ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", ClientUpdateView.as_view(), name="edit"),
    path("<int:pk>/preferences/", BuyerPreferenceView.as_view(), name="preferences"),
    path("<int:pk>/stage/", ClientStageView.as_view(), name="stage"),
    path("<int:pk>/activities/", ActivityCreateView.as_view(), name="activity-create"),
    path("<int:pk>/share/", ClientShareView.as_view(), name="share"),
]
