from transactions.models.deals import (
    ChecklistItem,
    ChecklistTemplate,
    Milestone,
    Party,
    Transaction,
)

__all__ = ["ChecklistItem", "ChecklistTemplate", "Milestone", "Party", "Transaction"]
