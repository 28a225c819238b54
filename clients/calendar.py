"""The agent's calendar: showings and tasks by week, and the iCalendar feed of them.

The feed is subscribed to by Google Calendar, Apple Calendar and Outlook. They display
VEVENTs from a subscription but ignore VTODOs (Google and Outlook drop them, Apple shows
them only over CalDAV), so a task due on a day is an all-day, transparent VEVENT: it shows
on the right day everywhere and never marks the agent busy.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from icalendar import Calendar, Event, vDuration

from clients.choices import ShowingStatus
from clients.models import CalendarFeed, Showing, Task
from clients.services.showings import clock_label
from realestate.permissions import restrict

# What the feed holds: recent history for context, and as far ahead as anyone books.
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=180)
# How often calendar apps are asked to fetch the feed again (few honour less than hours).
FEED_REFRESH = timedelta(minutes=15)
PRODID = "-//Brokerage CRM//Showings calendar//EN"
ICAL_STATUS = {
    ShowingStatus.REQUESTED: "TENTATIVE",
    ShowingStatus.CONFIRMED: "CONFIRMED",
    ShowingStatus.COMPLETED: "CONFIRMED",
    ShowingStatus.CANCELLED: "CANCELLED",
}
# The hours the week view always shows; a showing outside them widens the view.
DAY_STARTS, DAY_ENDS = 8, 20


def showing_list():
    """Showings with what a list, a calendar or an API row reads, in time order."""
    return Showing.objects.select_related("listing", "client", "agent__user").order_by(
        "starts_at", "pk"
    )


def calendar_feed_get(*, token):
    """The working feed of an active agent with this token, or None."""
    if not token:
        return None
    return (
        CalendarFeed.objects.select_related("agent__brokerage", "agent__user")
        .filter(
            token=token,
            revoked_at__isnull=True,
            agent__is_active=True,
            agent__user__is_active=True,
        )
        .first()
    )


def calendar_feed_active(*, agent):
    """The agent's working feed, or None."""
    return CalendarFeed.objects.filter(agent=agent, revoked_at__isnull=True).first()


def calendar_feed_url(feed):
    """The absolute subscription address of a feed, on the site's public address."""
    return f"{settings.SITE_URL.rstrip('/')}{feed.get_absolute_url()}"


def _site_link(path):
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _showing_event(showing, *, uid_host):
    listing = showing.listing
    cancelled = showing.status == ShowingStatus.CANCELLED
    summary = f"Showing: {listing.street_address}"
    if showing.client_id:
        summary += f" with {showing.client.name}"
    if cancelled:
        # Some apps ignore STATUS:CANCELLED in a subscription; the title says it anyway.
        summary = f"Cancelled: {summary}"
    lines = []
    if showing.client_id:
        client = showing.client
        lines.append(f"Client: {client.name}")
        lines.extend(value for value in (client.phone, client.email) if value)
    lines.append(f"Status: {showing.get_status_display()}")
    if showing.notes:
        lines.extend(["", showing.notes])
    lines.extend(["", _site_link(showing.get_absolute_url())])
    event = Event()
    event.add("uid", f"showing-{showing.pk}@{uid_host}")
    # Without METHOD, DTSTAMP is when the event last changed in our store (RFC 5545 3.8.7.2):
    # the feed stays byte-identical until something changes, so its ETag holds.
    event.add("dtstamp", showing.updated_at.astimezone(UTC))
    event.add("last-modified", showing.updated_at.astimezone(UTC))
    event.add("dtstart", showing.starts_at.astimezone(UTC))
    event.add("dtend", showing.ends_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("location", listing.address_line)
    event.add("description", "\n".join(lines))
    event.add("status", ICAL_STATUS[showing.status])
    event.add("sequence", showing.sequence)
    event.add("url", _site_link(showing.get_absolute_url()))
    if cancelled:
        event.add("transp", "TRANSPARENT")
    return event


def _task_event(task, *, uid_host):
    summary = f"Task: {task.title}"
    if task.due_time:
        summary += f" (by {formats.time_format(task.due_time, 'g:i A')})"
    lines = [f"Priority: {task.get_priority_display()}"]
    if task.client_id:
        lines.append(f"Client: {task.client.name}")
    if task.notes:
        lines.extend(["", task.notes])
    week_url = f"{reverse('clients:calendar')}?{urlencode({'date': task.due_date.isoformat()})}"
    calendar_link = _site_link(week_url)
    lines.extend(["", calendar_link])
    event = Event()
    event.add("uid", f"task-{task.pk}@{uid_host}")
    event.add("dtstamp", task.created_at.astimezone(UTC))
    event.add("dtstart", task.due_date)
    event.add("dtend", task.due_date + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")
    event.add("url", calendar_link)
    return event


def agent_calendar(*, agent, now=None):
    """The agent's showings and open tasks as an RFC 5545 calendar (bytes)."""
    now = now or timezone.now()
    # Identifiers built on the brokerage, not the site's address: they survive a move of the
    # site, so subscribed calendars never see the same showing twice.
    uid_host = f"{agent.brokerage.slug}.brokerage-crm"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Showings · {agent.name} · {agent.brokerage.name}")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    # An unknown property has no type for icalendar to infer: say it is a duration.
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    showings = showing_list().filter(
        agent=agent, starts_at__gte=now - FEED_PAST, starts_at__lt=now + FEED_FUTURE
    )
    for showing in showings:
        calendar.add_component(_showing_event(showing, uid_host=uid_host))
    today = timezone.localdate(now)
    tasks = (
        Task.objects.select_related("client")
        .filter(
            assigned_agent=agent,
            done_at__isnull=True,
            due_date__gte=today - FEED_PAST,
            due_date__lt=today + FEED_FUTURE,
        )
        .order_by("due_date", "due_time", "pk")
    )
    for task in tasks:
        calendar.add_component(_task_event(task, uid_host=uid_host))
    return calendar.to_ical()


# ---------- The week view ----------


@dataclass
class CalendarEntry:
    """A showing placed in its day column: top and height in percent of the day shown."""

    showing: Showing
    top: float
    height: float
    lane: int = 0
    lanes: int = 1

    @property
    def left(self):
        return round(100 * self.lane / self.lanes, 3)

    @property
    def width(self):
        return round(100 / self.lanes, 3)

    @property
    def time_label(self):
        return f"{clock_label(self.showing.starts_at)} – {clock_label(self.showing.ends_at)}"

    @property
    def is_short(self):
        return self.showing.ends_at - self.showing.starts_at <= timedelta(minutes=30)


@dataclass
class CalendarDay:
    day: date
    is_today: bool
    entries: list = field(default_factory=list)
    tasks: list = field(default_factory=list)


@dataclass
class CalendarWeek:
    """One week of an agent's calendar, ready for the week template."""

    start: date
    days: list
    hours: list
    first_hour: int
    last_hour: int

    @property
    def end(self):
        return self.start + timedelta(days=6)

    @property
    def previous(self):
        return self.start - timedelta(days=7)

    @property
    def next(self):
        return self.start + timedelta(days=7)

    @property
    def count(self):
        return sum(len(day.entries) for day in self.days)


def week_start(day):
    """The first day of the week holding ``day`` (Sunday or Monday, as the locale says)."""
    first = int(formats.get_format("FIRST_DAY_OF_WEEK"))
    # date.weekday(): Monday is 0; FIRST_DAY_OF_WEEK: Sunday is 0.
    offset = (day.weekday() + 1 - first) % 7
    return day - timedelta(days=offset)


def _assign_lanes(entries):
    """Side by side lanes for showings that overlap (a cancelled one under a new booking).

    Only the showings of one overlapping group share its width; the others keep the column.
    """
    group, lane_ends = [], []
    for entry in [*entries, None]:
        if entry is None or (lane_ends and entry.showing.starts_at >= max(lane_ends)):
            for member in group:
                member.lanes = len(lane_ends)
            group, lane_ends = [], []
        if entry is None:
            break
        group.append(entry)
        for lane, ends in enumerate(lane_ends):
            if ends <= entry.showing.starts_at:
                entry.lane, lane_ends[lane] = lane, entry.showing.ends_at
                break
        else:
            entry.lane = len(lane_ends)
            lane_ends.append(entry.showing.ends_at)


def calendar_week(*, agent, user, day, now=None):
    """The week holding ``day`` of ``agent``'s showings and open tasks that ``user`` may see."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now or timezone.now())
    start = week_start(day)
    days = [start + timedelta(days=offset) for offset in range(7)]
    window_start = datetime.combine(start, time.min, tzinfo=zone)
    window_end = datetime.combine(start + timedelta(days=7), time.min, tzinfo=zone)
    showings = list(
        restrict(showing_list(), user).filter(
            agent=agent, starts_at__lt=window_end, ends_at__gt=window_start
        )
    )
    tasks = list(
        restrict(Task.objects.select_related("client"), user)
        .filter(assigned_agent=agent, done_at__isnull=True, due_date__range=(days[0], days[-1]))
        .order_by("due_date", "due_time", "pk")
    )
    first_hour, last_hour = DAY_STARTS, DAY_ENDS
    for showing in showings:
        starts = timezone.localtime(showing.starts_at, zone)
        ends = timezone.localtime(showing.ends_at, zone)
        if ends.date() != starts.date():
            first_hour, last_hour = 0, 24  # past midnight: both days need their whole column
            break
        first_hour = min(first_hour, starts.hour)
        last_hour = max(last_hour, ends.hour + (1 if ends.minute or ends.second else 0))
    span = (last_hour - first_hour) * 60
    by_day = {d: CalendarDay(day=d, is_today=d == today) for d in days}
    for showing in showings:
        starts = timezone.localtime(showing.starts_at, zone)
        ends = timezone.localtime(showing.ends_at, zone)
        for d in days:
            day_open = datetime.combine(d, time(first_hour), tzinfo=zone)
            day_close = day_open + timedelta(minutes=span)
            if starts >= day_close or ends <= day_open:
                continue
            top = max((starts - day_open).total_seconds() / 60, 0)
            bottom = min((ends - day_open).total_seconds() / 60, span)
            by_day[d].entries.append(
                CalendarEntry(
                    showing=showing,
                    top=round(100 * top / span, 3),
                    # A short showing keeps a height that can be read and clicked.
                    height=round(100 * min(max(bottom - top, 20), span - top) / span, 3),
                )
            )
    for task in tasks:
        by_day[task.due_date].tasks.append(task)
    for calendar_day in by_day.values():
        _assign_lanes(calendar_day.entries)
    return CalendarWeek(
        start=start,
        days=list(by_day.values()),
        hours=list(range(first_hour, last_hour)),
        first_hour=first_hour,
        last_hour=last_hour,
    )
