from transactions.models.commissions import (
    CommissionPlan,
    CommissionStatement,
    Payout,
    PlanAssignment,
)
from transactions.models.deals import (
    ChecklistItem,
    ChecklistTemplate,
    CommissionShare,
    Milestone,
    Party,
    Transaction,
)
from transactions.models.documents import Document, Signer, SigningRequest

__all__ = [
    "ChecklistItem",
    "ChecklistTemplate",
    "CommissionPlan",
    "CommissionShare",
    "CommissionStatement",
    "Document",
    "Milestone",
    "Party",
    "Payout",
    "PlanAssignment",
    "Signer",
    "SigningRequest",
    "Transaction",
]
