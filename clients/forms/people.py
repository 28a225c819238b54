"""Forms of the client pages: the client, what a buyer wants, the timeline and tasks."""

from django import forms
from django.db.models import Q

from agents.choices import Role
from agents.models import Agent
from clients.choices import LOGGED_KINDS, ActivityKind, ClientRole, MustHave, Stage, Timeline
from clients.models import BuyerPreference, Client, LeadSource, Task
from properties.choices import PropertyType
from properties.forms import CommaSeparatedListField
from realestate.permissions import CHANGE, actor_for, restrict
from transactions.choices import OPEN_DEAL_STAGES
from transactions.models import Transaction

CLIENT_FIELDSETS = (
    (
        "Name and contact",
        (
            "first_name",
            "last_name",
            "email",
            "phone",
            "alternate_email",
            "alternate_phone",
            "preferred_contact_method",
            "language",
            "time_zone",
        ),
    ),
    ("Do not contact", ("do_not_email", "do_not_call", "do_not_text")),
    ("Address", ("street_address", "city", "state_or_province", "postal_code", "government_id")),
    ("Pipeline", ("roles", "stage", "source", "assigned_agent", "co_agents", "tags")),
    ("Notes", ("notes",)),
)
# Set by the form's own fields rather than the model's: relations, and the government ID, which
# is encrypted and write-only (never sent back to the browser).
FORM_ONLY_FIELDS = ("co_agents", "tags", "government_id")
CLIENT_MODEL_FIELDS = tuple(
    name for _, names in CLIENT_FIELDSETS for name in names if name not in FORM_ONLY_FIELDS
)
PREFERENCE_FIELDS = (
    "property_types",
    "min_price",
    "max_price",
    "min_beds",
    "min_baths",
    "min_area",
    "max_area",
    "cities",
    "postal_codes",
    "must_haves",
    "timeline",
    "preapproval_status",
    "preapproval_amount",
    "motivation",
)


def brokerage_agents(user, keep=()):
    """Active agents of the person's brokerage, by name, plus ``keep`` (already chosen ones)."""
    keep_pks = [agent.pk for agent in keep if agent is not None]
    return (
        restrict(Agent.objects.select_related("user"), user)
        .filter(Q(is_active=True) | Q(pk__in=keep_pks))
        .order_by("user__first_name", "user__last_name", "pk")
    )


def assigns_anyone(user):
    """Brokers and assistants hand clients and tasks to any agent; an agent keeps their own."""
    who = actor_for(user)
    return who.is_broker or who.role == Role.ASSISTANT


class AgentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, agent):
        return agent.name


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, agent):
        return agent.name


class ClientForm(forms.ModelForm):
    """A client's details, their place in the pipeline, tags and the colleagues sharing them."""

    roles = forms.MultipleChoiceField(
        choices=ClientRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    assigned_agent = AgentChoiceField(queryset=Agent.objects.none(), required=False, label="Agent")
    co_agents = AgentMultipleChoiceField(
        queryset=Agent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Shared with",
        help_text="Colleagues who work this client with the agent: they see and change it.",
    )
    tags = CommaSeparatedListField(label="Tags", help_text="e.g. investor, relocating.")
    government_id = forms.CharField(
        required=False,
        max_length=50,
        label="Government ID",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="e.g. a passport number. Stored encrypted, shown as •••• 1234; blank keeps it.",
    )

    class Meta:
        model = Client
        fields = CLIENT_MODEL_FIELDS
        labels = {"preferred_contact_method": "Prefers", "time_zone": "Time zone"}
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "alternate_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        client = self.instance
        current_agent = client.assigned_agent if client.pk else None
        co_agents = list(client.co_agents.all()) if client.pk else []
        self.fields["assigned_agent"].queryset = brokerage_agents(user, keep=[current_agent])
        # Sharing a client with oneself means nothing: the person is not offered.
        self.fields["co_agents"].queryset = brokerage_agents(user, keep=co_agents).exclude(
            Q(user=user) & ~Q(pk__in=[agent.pk for agent in co_agents])
        )
        self.fields["source"].queryset = restrict(LeadSource.objects.all(), user).filter(
            Q(is_active=True) | Q(pk=client.source_id)
        )
        self.fields["source"].empty_label = "Unknown"
        if not assigns_anyone(user):
            # An agent keeps their clients: the agent is shown, not chosen.
            self.fields["assigned_agent"].disabled = True
        if client.pk:
            self.initial["co_agents"] = [agent.pk for agent in co_agents]
            self.initial["tags"] = [tag.name for tag in client.tags.all()]
        else:
            # Also when bound: a disabled field takes its value from the initial data.
            agent = actor_for(user).agent
            if agent is not None:
                self.initial.setdefault("assigned_agent", agent.pk)

    @property
    def fieldsets(self):
        """(title, [bound fields]) in page order."""
        return [(title, [self[name] for name in names]) for title, names in CLIENT_FIELDSETS]

    def client_data(self):
        """Every cleaned client value, for adding a client."""
        data = {name: self.cleaned_data[name] for name in CLIENT_MODEL_FIELDS}
        return {**data, **self._government_id()}

    def _government_id(self):
        value = self.cleaned_data.get("government_id", "").strip()
        return {"government_id": value} if value else {}

    def changed_client_data(self):
        """Only the client values the person changed, for saving a client."""
        changed = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in CLIENT_MODEL_FIELDS
        }
        return {**changed, **self._government_id()}

    def changed_relations(self):
        """Tags and co-agents when changed, else ``None`` (the service leaves them as they are)."""
        return {
            name: (self.cleaned_data[name] if name in self.changed_data else None)
            for name in ("tags", "co_agents")
        }


class BuyerPreferenceForm(forms.ModelForm):
    """What a buyer is looking for: homes, price, size, places, must-haves and financing."""

    property_types = forms.MultipleChoiceField(
        choices=PropertyType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Property types",
    )
    cities = CommaSeparatedListField(label="Cities")
    postal_codes = CommaSeparatedListField(label="Postal codes")
    must_haves = forms.MultipleChoiceField(
        choices=MustHave.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Must-haves",
    )

    class Meta:
        model = BuyerPreference
        fields = PREFERENCE_FIELDS
        labels = {
            "min_price": "Minimum price ($)",
            "max_price": "Maximum price ($)",
            "min_beds": "Minimum bedrooms",
            "min_baths": "Minimum bathrooms",
            "preapproval_amount": "Pre-approved amount ($)",
        }
        widgets = {"motivation": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timeline"].choices = [("", "Not known"), *Timeline.choices]

    def preference_data(self):
        return {name: self.cleaned_data[name] for name in PREFERENCE_FIELDS}


class ActivityForm(forms.Form):
    """A call, email, text, meeting or note logged on a client's timeline."""

    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in LOGGED_KINDS],
        initial=ActivityKind.CALL,
        label="What",
    )
    subject = forms.CharField(max_length=200, label="Summary")
    body = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Details"
    )
    occurred_at = forms.DateTimeField(
        required=False,
        label="When",
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)


class ShareForm(forms.Form):
    """A colleague to share one client with, to read or also to change."""

    agent = AgentChoiceField(queryset=Agent.objects.none(), label="Colleague")
    can_change = forms.BooleanField(required=False, label="They may also change the client")

    def __init__(self, *args, user, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = (
            brokerage_agents(user)
            .filter(is_active=True)
            .exclude(pk=client.assigned_agent_id)
            .exclude(user=user)
        )


class TaskForm(forms.ModelForm):
    """A task: what, by when, how urgent, and perhaps about which client or deal."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False)
    transaction = forms.ModelChoiceField(
        queryset=Transaction.objects.none(), required=False, label="Deal"
    )
    assigned_agent = AgentChoiceField(queryset=Agent.objects.none(), required=False, label="For")
    done = forms.BooleanField(required=False, label="Done")

    class Meta:
        model = Task
        fields = ("title", "due_date", "due_time", "priority", "client", "transaction", "notes")
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        task = self.instance
        changeable = restrict(Client.objects.all(), user, CHANGE).values("pk")
        self.fields["client"].queryset = Client.objects.filter(
            Q(pk__in=changeable) | Q(pk=task.client_id)
        ).order_by("last_name", "first_name", "pk")
        self.fields["client"].empty_label = "No client"
        deals = restrict(Transaction.objects.all(), user).filter(stage__in=OPEN_DEAL_STAGES)
        self.fields["transaction"].queryset = Transaction.objects.filter(
            Q(pk__in=deals.values("pk")) | Q(pk=task.transaction_id)
        ).order_by("name", "pk")
        self.fields["transaction"].empty_label = "No deal"
        if task.pk:
            # The agent of a task is chosen when it is added.
            del self.fields["assigned_agent"]
            self.initial["done"] = task.is_done
        else:
            del self.fields["done"]
            if assigns_anyone(user):
                self.fields["assigned_agent"].queryset = brokerage_agents(user)
                self.fields["assigned_agent"].empty_label = "Me"
            else:
                del self.fields["assigned_agent"]

    def task_data(self):
        """Every cleaned task value, for adding a task."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def changed_task_data(self):
        """Only what the person changed (and whether it is done), for saving a task."""
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.Meta.fields or name == "done"
        }
