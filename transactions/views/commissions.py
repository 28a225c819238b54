"""Pages of deals: commission statements, their PDF, payouts and the production report."""

import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.views.generic import TemplateView, View

from agents.models import Agent
from realestate.permissions import actor_for, restrict
from realestate.views import ObjectActionView, ObjectDetailView
from transactions.forms.commissions import CommissionSharesForm, PayoutForm, ProductionForm
from transactions.models import Transaction
from transactions.models.commissions import CommissionStatement, StatementStatus
from transactions.services.commissions import (
    MONTH_LABELS,
    agent_production,
    commission_payout_record,
    commission_statement_approve,
    commission_statements_build,
    deal_shares_set,
)
from transactions.services.deals import deal_items_unapproved

CHART_WIDTH = 720
CHART_HEIGHT = 220
CHART_TOP = 20
CHART_BOTTOM = 30
CHART_LEFT = 70


def statement_queryset():
    """Statements with what their pages show."""
    return CommissionStatement.objects.select_related(
        "transaction__brokerage", "agent__user", "plan"
    )


def statement_lines(statement):
    """The stored lines with their amounts as Decimal, for display."""
    return [
        {
            **line,
            "amount": Decimal(line["amount"]),
            "payee_label": line["payee"].replace("_", " ").capitalize(),
        }
        for line in statement.lines
    ]


class StatementDetailView(ObjectDetailView):
    """One agent's statement of one deal: each step with its payee and explanation."""

    queryset = statement_queryset()
    template_name = "transactions/statement_detail.html"
    context_object_name = "statement"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = self.object
        payouts = list(statement.payouts.all())
        paid = sum((payout.amount for payout in payouts), Decimal("0.00"))
        is_broker = actor_for(self.request.user).is_broker
        context.update(
            gross_steps=[
                {**step, "amount": Decimal(step["amount"])} for step in statement.gross_steps
            ],
            lines=statement_lines(statement),
            payouts=payouts,
            paid=paid,
            left_to_pay=statement.agent_net - paid,
            is_broker=is_broker,
            blockers=[item.title for item in deal_items_unapproved(deal=statement.transaction)],
        )
        if is_broker and statement.status == StatementStatus.APPROVED:
            context.setdefault(
                "payout_form", PayoutForm(initial={"amount": statement.agent_net - paid})
            )
        return context


class StatementPdfView(ObjectDetailView):
    """The statement as a PDF, from its stored lines: what was approved or paid stays as it was."""

    queryset = statement_queryset()

    def render_to_response(self, context, **response_kwargs):
        statement = self.object
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="commission-statement-{statement.pk}.pdf"'
        )
        return response


def statement_pdf(statement):
    """The bytes of a statement's PDF: brokerage, deal, agent, lines and totals."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    deal = statement.transaction
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=LETTER, title=f"Commission statement {statement.pk}"
    )
    rows = [["Step", "Paid to", "Amount", "Why"]]
    for step in statement.gross_steps:
        rows.append(
            [
                step["label"],
                "",
                f"${Decimal(step['amount']):,.2f}",
                Paragraph(step["explanation"], styles["BodyText"]),
            ]
        )
    for line in statement_lines(statement):
        rows.append(
            [
                line["label"],
                line["payee_label"],
                f"${line['amount']:,.2f}",
                Paragraph(line["explanation"], styles["BodyText"]),
            ]
        )
    rows.append(["Gross commission", "", f"${statement.gross:,.2f}", ""])
    table = Table(rows, colWidths=[110, 75, 80, 260], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    facts = [
        f"Deal: {deal.name}",
        f"Agent: {statement.agent.name}",
        f"Closed: {statement.closed_on:%B %-d, %Y}",
        f"Plan: {statement.plan}",
        f"Status: {statement.get_status_display()}",
        f"Agent net: ${statement.agent_net:,.2f}",
        f"Company dollar: ${statement.company_dollar:,.2f}",
    ]
    if statement.cap_remaining is not None:
        facts.append(f"Cap left after this deal: ${statement.cap_remaining:,.2f}")
    story = [
        Paragraph(deal.brokerage.name, styles["Title"]),
        Paragraph("Commission statement", styles["Heading2"]),
        *(Paragraph(fact, styles["Normal"]) for fact in facts),
        Spacer(1, 12),
        table,
    ]
    document.build(story)
    return buffer.getvalue()


class StatementBuildView(LoginRequiredMixin, View):
    """The broker works out (again) the statements of a closed deal's agents."""

    http_method_names = ["post"]

    def post(self, request, pk):
        deal = get_object_or_404(
            restrict(Transaction.objects.select_related("agent__user"), request.user), pk=pk
        )
        if not actor_for(request.user).is_broker:
            raise PermissionDenied
        try:
            statements = commission_statements_build(deal=deal, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(deal.get_absolute_url())
        if len(statements) == 1:
            messages.success(request, "Statement built.")
            return HttpResponseRedirect(statements[0].get_absolute_url())
        messages.success(request, f"{len(statements)} statements built, one for each agent.")
        return HttpResponseRedirect(deal.get_absolute_url())


class DealSharesView(ObjectActionView):
    """The deal's agent or the broker shares its commission with the co-agents."""

    queryset = Transaction.objects.prefetch_related("co_agents__user", "commission_shares")
    success_message = "Commission shares saved."

    def perform(self, deal):
        form = CommissionSharesForm(self.request.POST, deal=deal)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        deal_shares_set(deal=deal, shares=form.shares(), actor=self.request.user)


class BrokerActionView(ObjectActionView):
    """A broker's action on a statement; anybody else who can see it is refused."""

    queryset = statement_queryset()

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not actor_for(self.request.user).is_broker:
            raise PermissionDenied
        return obj


class StatementApproveView(BrokerActionView):
    """The broker approves a draft statement."""

    success_message = "Statement approved."

    def perform(self, statement):
        commission_statement_approve(statement=statement, actor=self.request.user)


class PayoutRecordView(StatementDetailView):
    """The broker records money paid to the agent; errors show on the statement page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not actor_for(request.user).is_broker:
            raise PermissionDenied
        form = PayoutForm(request.POST)
        if form.is_valid():
            try:
                commission_payout_record(
                    statement=self.object, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.error_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                messages.success(request, "Payout recorded.")
                return HttpResponseRedirect(self.object.get_absolute_url())
        context = self.get_context_data(object=self.object, payout_form=form)
        return self.render_to_response(context, status=400)


def bar_chart(values, labels):
    """Bars of an inline SVG chart, scaled to the largest value."""
    largest = max(values, default=0) or 1
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / len(values)
    bars = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = round(float(value / largest) * plot_height, 1)
        x = CHART_LEFT + index * slot
        bars.append(
            {
                "x": round(x + slot * 0.15, 1),
                "y": round(CHART_TOP + plot_height - height, 1),
                "width": round(slot * 0.7, 1),
                "height": height,
                "label": label,
                "label_x": round(x + slot / 2, 1),
                "value": value,
            }
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "top": CHART_TOP,
        "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 18,
        "largest": largest,
    }


class ProductionView(LoginRequiredMixin, TemplateView):
    """Closed volume, units, GCI and cap progress: an agent's own, or a broker's whole team."""

    template_name = "transactions/production_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = actor_for(self.request.user)
        if person.agent is None:
            raise PermissionDenied
        agents = None
        if person.is_broker:
            agents = restrict(Agent.objects.select_related("user"), self.request.user)
        form = ProductionForm(self.request.GET or None, agents=agents)
        year, chosen = timezone.localdate().year, None
        if form.is_valid():
            year = form.cleaned_data["year"] or year
            chosen = form.cleaned_data.get("agent")
        if person.is_broker and chosen is None:
            report = agent_production(year=year, brokerage=person.brokerage)
            context["brokerage_view"] = True
        else:
            report = agent_production(year=year, agent=chosen or person.agent)
            context["row"] = report.rows[0]
        context.update(
            form=form,
            report=report,
            year=year,
            years=range(timezone.localdate().year, timezone.localdate().year - 6, -1),
            chart=bar_chart([figures.gci for figures in report.months], MONTH_LABELS),
        )
        return context


urlpatterns = [
    path("statements/<int:pk>/", StatementDetailView.as_view(), name="statement"),
    path("statements/<int:pk>/pdf/", StatementPdfView.as_view(), name="statement-pdf"),
    path("statements/<int:pk>/approve/", StatementApproveView.as_view(), name="statement-approve"),
    path("statements/<int:pk>/payouts/", PayoutRecordView.as_view(), name="statement-payout"),
    path("<int:pk>/statement/build/", StatementBuildView.as_view(), name="statement-build"),
    path("<int:pk>/commission-shares/", DealSharesView.as_view(), name="shares"),
    path("production/", ProductionView.as_view(), name="production"),
]
