"""Agents' payout bank accounts: stored encrypted, changed by the agent or their broker."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from compliance.models.privacy import PayoutAccount
from realestate.permissions import actor_for


def payout_account_may_change(*, agent, user):
    """The agent themselves and their broker keep an agent's payout account."""
    who = actor_for(user)
    if user.is_superuser:
        return True
    if who.agent is not None and who.agent.pk == agent.pk:
        return True
    return who.is_broker and who.brokerage_id == agent.brokerage_id


def _digits(value, name, lengths, errors):
    value = "".join(str(value or "").split()).replace("-", "")
    if value and (not value.isdigit() or not lengths[0] <= len(value) <= lengths[1]):
        errors[name] = [f"Enter {lengths[0]}–{lengths[1]} digits."]
    return value


def _routing_checksum_ok(number):
    """The ABA check digit of a US routing number."""
    weights = (3, 7, 1) * 3
    return sum(int(digit) * weight for digit, weight in zip(number, weights, strict=True)) % 10 == 0


def payout_numbers_clean(data):
    """(account number, routing number, field errors) of what was typed; blanks stay blank."""
    errors = {}
    number = _digits(data.get("account_number"), "account_number", (4, 17), errors)
    routing = _digits(data.get("routing_number"), "routing_number", (9, 9), errors)
    if routing and "routing_number" not in errors and not _routing_checksum_ok(routing):
        errors["routing_number"] = ["This is not a valid routing number."]
    return number, routing, errors


@transaction.atomic
def payout_account_save(*, agent, data, actor):
    """Create or change an agent's payout account; a blank number keeps the stored one."""
    if not payout_account_may_change(agent=agent, user=actor):
        raise PermissionDenied("Only the agent or their broker changes payout details.")
    account = PayoutAccount.objects.filter(agent=agent).first() or PayoutAccount(
        agent=agent, brokerage_id=agent.brokerage_id
    )
    account.account_holder = " ".join(str(data.get("account_holder", "")).split())
    account.bank_name = " ".join(str(data.get("bank_name", "")).split())
    number, routing, errors = payout_numbers_clean(data)
    if number:
        account.account_number = number
    if routing:
        account.routing_number = routing
    if not account.account_number:
        errors.setdefault("account_number", ["Enter the account number."])
    if not account.routing_number:
        errors.setdefault("routing_number", ["Enter the routing number."])
    try:
        account.full_clean(exclude=[*errors, "agent", "brokerage", "updated_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    account.updated_by = actor
    account.save()
    return account
