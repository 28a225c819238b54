"""Forms of the showing pages."""

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone

from agents.choices import Role
from agents.models import Agent
from clients.models import Client, Showing
from clients.services.showings import FEEDBACK_RATINGS
from properties.choices import ON_MARKET_STATUSES
from properties.models import Property
from realestate.permissions import CHANGE, actor_for, restrict

DURATION_CHOICES = [
    (15, "15 minutes"),
    (30, "30 minutes"),
    (45, "45 minutes"),
    (60, "1 hour"),
    (90, "1½ hours"),
    (120, "2 hours"),
    (180, "3 hours"),
]
DEFAULT_DURATION = 30
# The form's field for each service field it does not have under the same name.
SERVICE_FIELDS = {"starts_at": "start_time", "ends_at": "duration"}
# The columns a listing choice reads, out of the listing's many.
LISTING_CHOICE_FIELDS = (
    "street_number",
    "street_dir_prefix",
    "street_name",
    "street_suffix",
    "unit_number",
    "city",
)


class ShowingForm(forms.Form):
    """Book or move a showing: a listing, a client, a day, a start time and how long."""

    listing = forms.ModelChoiceField(queryset=Property.objects.none())
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="No client (a preview)",
    )
    agent = forms.ModelChoiceField(queryset=Agent.objects.none(), label="On the calendar of")
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Starts at", widget=forms.TimeInput(attrs={"type": "time"}))
    duration = forms.TypedChoiceField(
        choices=DURATION_CHOICES, coerce=int, initial=DEFAULT_DURATION
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Lockbox code, gate instructions, what the client wants to see.",
    )

    def __init__(self, *args, user, instance=None, prefill=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        who = actor_for(user)
        current = instance or Showing()
        prefill = prefill or {}
        listing_pk = current.listing_id or prefill.get("listing")
        self.fields["listing"].queryset = (
            restrict(Property.objects.only(*LISTING_CHOICE_FIELDS), user)
            .filter(
                Q(archived_at__isnull=True, standard_status__in=ON_MARKET_STATUSES)
                | Q(pk=listing_pk or 0)
            )
            .order_by("street_name", "street_number", "pk")
        )
        self.fields["listing"].label_from_instance = lambda p: f"{p.street_address}, {p.city}"
        # The clients the person works with, and the one already on the showing.
        changeable = restrict(Client.objects.all(), user, CHANGE).values("pk")
        self.fields["client"].queryset = Client.objects.filter(
            Q(pk__in=changeable) | Q(pk=current.client_id or 0)
        )
        self.fields["client"].label_from_instance = lambda client: client.name
        if who.is_broker or who.role == Role.ASSISTANT:
            self.fields["agent"].queryset = (
                restrict(Agent.objects.select_related("user"), user)
                .filter(Q(is_active=True) | Q(pk=current.agent_id or 0))
                .order_by("user__first_name", "user__last_name", "pk")
            )
            self.fields["agent"].label_from_instance = lambda agent: agent.name
        else:
            del self.fields["agent"]
        if self.is_bound:
            return
        if instance is not None:
            starts = timezone.localtime(instance.starts_at)
            minutes = int((instance.ends_at - instance.starts_at).total_seconds() // 60)
            if minutes not in dict(DURATION_CHOICES):
                self.fields["duration"].choices = [
                    *DURATION_CHOICES,
                    (minutes, f"{minutes} minutes"),
                ]
            self.initial.update(
                listing=instance.listing_id,
                client=instance.client_id,
                agent=instance.agent_id,
                date=starts.date(),
                start_time=starts.time().replace(second=0, microsecond=0),
                duration=minutes,
                notes=instance.notes,
            )
        else:
            self.initial.update({key: value for key, value in prefill.items() if value})
            if "agent" in self.fields and who.agent is not None:
                self.initial.setdefault("agent", who.agent.pk)

    def clean(self):
        cleaned = super().clean()
        day, start = cleaned.get("date"), cleaned.get("start_time")
        if day is not None and start is not None and cleaned.get("duration"):
            # The times are typed in the brokerage's time zone.
            try:
                starts_at = timezone.make_aware(datetime.combine(day, start))
                cleaned["ends_at"] = starts_at + timedelta(minutes=cleaned["duration"])
                cleaned["starts_at"] = starts_at
            except OverflowError:
                self.add_error("date", "Enter a date in the calendar.")
        return cleaned

    def service_errors(self, error):
        """The services' errors on this form's fields: a time error goes next to the time."""
        if not hasattr(error, "error_dict"):
            return error
        placed = {}
        for field, messages in error.message_dict.items():
            field = SERVICE_FIELDS.get(field, field)
            placed.setdefault(field if field in self.fields else NON_FIELD_ERRORS, []).extend(
                messages
            )
        return ValidationError(placed)

    def showing_data(self):
        """What the showing services take."""
        data = {
            name: self.cleaned_data[name]
            for name in ("listing", "client", "starts_at", "ends_at", "notes")
        }
        if "agent" in self.fields:
            data["agent"] = self.cleaned_data["agent"]
        return data


class ShowingCompleteForm(forms.Form):
    """How the showing went: the client's feedback and their rating of the home."""

    feedback = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the client liked and did not like; it goes on their timeline.",
    )
    rating = forms.TypedChoiceField(
        choices=[("", "No rating"), *((n, f"{n} / 5") for n in FEEDBACK_RATINGS)],
        coerce=int,
        empty_value=None,
        required=False,
        label="The client's rating",
    )

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance


class ShowingCancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)
