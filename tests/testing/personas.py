"""The people every page and endpoint is tested for.

* ``agent``     — lists homes and owns clients in brokerage A
* ``colleague`` — another agent of brokerage A
* ``assistant`` — an assistant in brokerage A
* ``viewer``    — a read-only member of brokerage A
* ``broker``    — runs brokerage A
* ``stranger``  — an agent of brokerage B
* ``anonymous`` — not signed in
"""

from dataclasses import dataclass

from agents.choices import Role
from tests.testing.factories import make_agent, make_brokerage, make_office

PERSONA_NAMES = ("agent", "colleague", "assistant", "viewer", "broker", "stranger", "anonymous")


@dataclass
class Personas:
    brokerage: object
    other_brokerage: object
    office: object
    agent: object
    colleague: object
    assistant: object
    viewer: object
    broker: object
    stranger: object

    def user(self, name):
        """The user behind a persona name; ``None`` for anonymous."""
        if name == "anonymous":
            return None
        return getattr(self, name).user


def build_personas():
    brokerage = make_brokerage("Maple Realty")
    other = make_brokerage("Harbor Homes")
    office = make_office(brokerage, "Downtown")
    return Personas(
        brokerage=brokerage,
        other_brokerage=other,
        office=office,
        agent=make_agent(brokerage, Role.AGENT, office=office, username="alice"),
        colleague=make_agent(brokerage, Role.AGENT, office=office, username="carol"),
        assistant=make_agent(brokerage, Role.ASSISTANT, office=office, username="ava"),
        viewer=make_agent(brokerage, Role.VIEWER, username="victor"),
        broker=make_agent(brokerage, Role.BROKER, office=office, username="bruno"),
        stranger=make_agent(other, Role.AGENT, username="sam"),
    )
