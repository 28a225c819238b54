"""Lead score: 0–100 from signals an agent can read and check, each with its reason."""

from datetime import timedelta

from django.utils import timezone

from clients.choices import ActivityKind, PreApproval, Timeline

ENGAGEMENT_WINDOW = timedelta(days=30)
# Points per signal; the four maxima add up to 100.
ENGAGEMENT_POINTS_EACH, ENGAGEMENT_MAX = 5, 30
PREAPPROVAL_POINTS = {
    PreApproval.CASH: 25,
    PreApproval.PREAPPROVED: 25,
    PreApproval.PREQUALIFIED: 15,
}
TIMELINE_POINTS = {Timeline.NOW: 25, Timeline.SOON: 15, Timeline.LATER: 5}
RECENCY_POINTS = ((timedelta(days=7), 20), (timedelta(days=30), 10), (timedelta(days=90), 5))
# Activities that show the client engaging: conversations and what they do with alerts.
ENGAGEMENT_KINDS = (
    ActivityKind.CALL,
    ActivityKind.EMAIL,
    ActivityKind.TEXT,
    ActivityKind.MEETING,
    ActivityKind.SHOWING,
)


def lead_score(*, preference, engagement_count, last_touch, now=None):
    """The score and its reasons: ``(score, [{"signal", "points", "reason"}, ...])``."""
    now = now or timezone.now()
    reasons = []

    points = min(engagement_count * ENGAGEMENT_POINTS_EACH, ENGAGEMENT_MAX)
    reasons.append(
        {
            "signal": "engagement",
            "points": points,
            "reason": f"{engagement_count} conversation(s), showing(s) or alert click(s) "
            f"in the last {ENGAGEMENT_WINDOW.days} days",
        }
    )

    status = preference.preapproval_status if preference else PreApproval.NONE
    points = PREAPPROVAL_POINTS.get(status, 0)
    reason = PreApproval(status).label if status else PreApproval.NONE.label
    if preference and preference.preapproval_amount and points:
        reason += f" for ${preference.preapproval_amount:,.0f}"
    reasons.append({"signal": "preapproval", "points": points, "reason": f"Financing: {reason}"})

    timeline = preference.timeline if preference else ""
    points = TIMELINE_POINTS.get(timeline, 0)
    label = Timeline(timeline).label if timeline else "not known"
    reasons.append({"signal": "timeline", "points": points, "reason": f"Timeline: {label}"})

    points, reason = 0, "No contact yet"
    if last_touch is not None:
        age = now - last_touch
        reason = f"Last contact {age.days} day(s) ago"
        for limit, value in RECENCY_POINTS:
            if age <= limit:
                points = value
                break
    reasons.append({"signal": "recency", "points": points, "reason": reason})

    return min(sum(r["points"] for r in reasons), 100), reasons
