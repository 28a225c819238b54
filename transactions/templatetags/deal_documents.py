"""``{% deal_documents deal %}``: a deal's documents for the signed-in person, on any page."""

from django import template
from django.db.models import Prefetch

from realestate.permissions import CHANGE, actor_for, restrict
from transactions.forms.documents import SIGNER_ROWS, DocumentUploadForm
from transactions.models.documents import Document, SigningRequest

register = template.Library()


@register.inclusion_tag("transactions/includes/document_list.html", takes_context=True)
def deal_documents(context, deal):
    """Documents by checklist item, with the forms the person may use; nothing when not allowed."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    base = {"deal": deal, "csrf_token": context.get("csrf_token"), "request": request}
    if user is None or not user.is_authenticated:
        return {**base, "visible": False}
    deals = type(deal).objects.filter(pk=deal.pk)
    if not restrict(deals, user).exists():
        return {**base, "visible": False}
    documents = list(
        Document.objects.filter(transaction=deal)
        .select_related("uploaded_by", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "signing_requests",
                queryset=SigningRequest.objects.prefetch_related("signers"),
            )
        )
    )
    can_change = restrict(deals, user, CHANGE).exists()
    milestones = list(deal.milestones.all())
    by_milestone = {milestone.pk: [] for milestone in milestones}
    loose = []
    for document in documents:
        by_milestone.get(document.milestone_id, loose).append(document)
    sections = [(milestone, by_milestone[milestone.pk]) for milestone in milestones]
    upload_form = context.get("upload_form") or DocumentUploadForm(deal=deal)
    return {
        **base,
        "visible": True,
        "sections": sections,
        "loose_documents": loose,
        "can_change": can_change,
        "is_reviewer": actor_for(user).is_reviewer,
        "upload_form": upload_form,
        "signer_rows": range(SIGNER_ROWS),
        "next_url": request.get_full_path() if request else "",
    }
