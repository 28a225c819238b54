"""Generic pages every app builds on: list, detail, create/edit, action views and pipeline boards.

Each one takes its rows through :func:`realestate.permissions.restrict`: a row the person
may not see is a 404, a row they may see but not change is a 403.
"""

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views import defaults
from django.views.generic import DetailView, View
from django.views.generic.edit import FormView
from django_filters.views import FilterView

from realestate.permissions import VIEW, can, can_add, restrict


class ScopedMixin(LoginRequiredMixin):
    """Rows come from ``queryset`` narrowed to what the signed-in person may see."""

    queryset = None
    action = VIEW  # what the person must be allowed to do with the object

    def get_queryset(self):
        if self.queryset is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a queryset")
        return restrict(self.queryset.all(), self.request.user, VIEW)

    def get_object(self, queryset=None):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if self.action != VIEW and not can(self.request.user, obj, self.action):
            raise PermissionDenied
        return obj


class ObjectListView(ScopedMixin, FilterView):
    """A filtered, sorted, paginated list; an htmx request gets only the results partial."""

    paginate_by = 25
    page_size_options = (25, 50, 100)
    partial_template_name = None

    def get_paginate_by(self, queryset):
        sizes = {str(size): size for size in self.page_size_options}
        return sizes.get(self.request.GET.get("page_size", ""), self.paginate_by)

    def get_template_names(self):
        # A history restore after a cache miss needs the whole page, not the results.
        htmx = self.request.htmx
        if htmx and not htmx.history_restore_request and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        context["page_size_options"] = self.page_size_options
        context["can_add"] = can_add(self.request.user, self.queryset.model)
        return context


class ObjectDetailView(ScopedMixin, DetailView):
    """One object the person may see."""


class ObjectFormView(ScopedMixin, FormView):
    """Create (no ``pk`` in the URL) or edit an object through a service.

    Subclasses implement :meth:`save` to call their service; a ``ValidationError`` it raises
    is shown next to the fields, with everything the person typed kept.
    """

    action = "change"
    success_message = "Saved."
    form_takes_user = False  # the form offers only what the signed-in person may pick

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if "pk" in kwargs:
            self.object = self.get_object()
        else:
            self.object = None
            if not can_add(request.user, self.queryset.model):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        # The form cleans a copy: the service compares the stored values with the new ones.
        kwargs["instance"] = copy.copy(self.object)
        if self.form_takes_user:
            kwargs["user"] = self.request.user
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context

    def form_valid(self, form):
        try:
            self.object = self.save(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def save(self, form):
        raise ImproperlyConfigured(f"{type(self).__name__} must implement save()")

    def get_success_url(self):
        return self.object.get_absolute_url()


def board_response(request, *, rows, filterset_class, build, template, moved=None, error=None):
    """A pipeline board (cards in stage columns) of ``rows`` narrowed by the filters in the
    address; ``build(rows, user)`` lays the columns out. ``moved`` and ``error`` tell the
    person what their last move did."""
    filterset = filterset_class(request.GET, queryset=rows, request=request)
    query = request.GET.copy()
    query.pop("board", None)
    context = {
        "filter": filterset,
        "board": build(filterset.qs, request.user),
        "board_query": query.urlencode(),
        "moved": moved,
        "error": error,
    }
    response = render(request, template, context)
    # The page and its htmx partial share a URL: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


class ObjectActionView(ScopedMixin, View):
    """A POST that performs one service call on one object (archive, restore, delete ...)."""

    action = "change"
    success_message = "Done."
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.perform(self.object)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def perform(self, obj):
        raise ImproperlyConfigured(f"{type(self).__name__} must implement perform()")

    def get_success_url(self):
        return self.object.get_absolute_url()


def page_not_found(request, exception):
    """The 404 answer: JSON under /api/ (an address no API route matches), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
