"""The CMA pages: run one (a listing or typed-in features), re-run it without or with some
comparables, save it with a client and a listing, read the saved ones and their PDF."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.views.generic import TemplateView, View

from properties.cma import cma_run, cma_save, recommended_price, valuation_snapshot
from properties.cma_report import cma_pdf
from properties.filtersets import CMAFilterSet
from properties.forms import CMAForm, CMASaveForm
from properties.models import CMA
from realestate.permissions import actor_for, can_add
from realestate.views import ObjectDetailView, ObjectListView


def _run(form, user):
    data = form.cleaned_data
    listing = data.get("listing")
    return cma_run(
        user=user,
        as_of=data.get("as_of"),
        listing=listing,
        features=None if listing else form.features(),
        exclude=data["exclude"],
        include=data["include"],
    )


class CMAListView(ObjectListView):
    """The CMAs you saved (a broker: the brokerage's)."""

    queryset = CMA.objects.select_related("client", "listing")
    filterset_class = CMAFilterSet
    template_name = "properties/cma_list.html"


class CMARunView(LoginRequiredMixin, TemplateView):
    """The CMA form and, once a subject is given, the result with every comparable."""

    template_name = "properties/cma_run.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        query = self.request.GET
        form = CMAForm(query or None, user=user)
        context.update(form=form, run=None, result=None)
        if query and form.is_valid():
            try:
                run = _run(form, user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                context.update(_result_context(run))
                context["save_form"] = CMASaveForm(
                    user=user,
                    initial={"title": run.title, "save_listing": run.listing and run.listing.pk},
                )
                context["can_save"] = can_add(user, CMA)
                context["query"] = query.urlencode()
        return context


def _result_context(run):
    result = valuation_snapshot(run.valuation)
    used = {comp["property"] for comp in result["comparables"]}
    return {
        "run": run,
        "result": result,
        "recommended": recommended_price(run.valuation.estimate),
        "excluded_ids": ",".join(str(pk) for pk in run.excluded),
        "included_ids": ",".join(str(pk) for pk in run.included if pk in used),
    }


class CMASaveView(LoginRequiredMixin, View):
    """Run the CMA the form describes again and save it with its client and listing."""

    def post(self, request):
        if not can_add(request.user, CMA):
            raise PermissionDenied
        form = CMAForm(request.POST, user=request.user)
        save_form = CMASaveForm(request.POST, user=request.user)
        if not (form.is_valid() and save_form.is_valid()):
            errors = [*form.errors.values(), *save_form.errors.values()]
            messages.error(request, "The CMA was not saved: " + " ".join(str(e) for e in errors))
            return HttpResponseRedirect(request.META.get("HTTP_REFERER") or "/listings/cma/new/")
        try:
            run = _run(form, request.user)
            cma = cma_save(
                run=run,
                user=request.user,
                client=save_form.cleaned_data["client"],
                listing=save_form.cleaned_data["save_listing"],
                title=save_form.cleaned_data["title"],
            )
        except ValidationError as error:
            messages.error(request, "The CMA was not saved: " + " ".join(error.messages))
            return HttpResponseRedirect(request.META.get("HTTP_REFERER") or "/listings/cma/new/")
        messages.success(request, "CMA saved.")
        return HttpResponseRedirect(cma.get_absolute_url())


class CMADetailView(ObjectDetailView):
    """A saved CMA: the report the client sees."""

    queryset = CMA.objects.select_related("client", "listing", "brokerage", "created_by__agent")
    template_name = "properties/cma_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recommended"] = recommended_price(self.object.estimate)
        context["result"] = self.object.result
        return context


class CMAPdfView(ObjectDetailView):
    """The saved CMA as a branded PDF."""

    queryset = CMA.objects.select_related("client", "brokerage", "created_by__agent")

    def get(self, request, *args, **kwargs):
        cma = self.get_object()
        agent = getattr(cma.created_by, "agent", None) or actor_for(request.user).agent
        response = HttpResponse(cma_pdf(cma=cma, agent=agent), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="cma-{cma.pk}.pdf"'
        return response
