from django.db import models


class Role(models.TextChoices):
    """A person's role in their brokerage; each is a Django group of the same label."""

    BROKER = "broker", "Broker"
    AGENT = "agent", "Agent"
    ASSISTANT = "assistant", "Assistant"
    VIEWER = "viewer", "Viewer"


# Highest first: a user in several role groups acts with the highest one.
ROLE_PRECEDENCE = (Role.BROKER, Role.AGENT, Role.ASSISTANT, Role.VIEWER)


class Specialty(models.TextChoices):
    BUYERS = "buyers", "Buyer representation"
    SELLERS = "sellers", "Listing / seller representation"
    LUXURY = "luxury", "Luxury homes"
    FIRST_TIME = "first_time", "First-time buyers"
    CONDOS = "condos", "Condominiums"
    LAND = "land", "Land and lots"
    INVESTMENT = "investment", "Investment and multifamily"
    RELOCATION = "relocation", "Relocation"
    NEW_CONSTRUCTION = "new_construction", "New construction"
