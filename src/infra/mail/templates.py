"""The emails' words: plain text and HTML from jinja2 templates (HTML escaped), and the
calendar invitation the domain builds."""

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

from application.notification_ports import EmailContent, People
from domain.appointments import Appointment
from domain.calendar_invite import invite
from domain.notices import Notice, Recipient, reason_in_words

SUBJECTS = {
    Notice.CONFIRMED: "Your session on {when} is confirmed",
    Notice.REJECTED: "Your session request for {when} could not be accepted",
    Notice.RESCHEDULED: "Your session has moved to {when}",
    Notice.CANCELLED: "Your session on {when} is cancelled",
    Notice.REMINDER: "Reminder: your session on {when}",
}

HEADLINES = {
    Notice.CONFIRMED: "is confirmed",
    Notice.REJECTED: "could not be accepted",
    Notice.RESCHEDULED: "has moved to a new time",
    Notice.CANCELLED: "is cancelled",
    Notice.REMINDER: "is coming up",
}

TEXT = """Hello {{ name }},

Your {{ kind }} session with {{ other }} {{ headline }}.

When: {{ when }} ({{ zone }}), {{ minutes }} minutes
How: {{ meeting }}{% if url %}
Link: {{ url }}{% endif %}
{% if notice == "REJECTED" %}
Why: {{ reason }}.
You may request another time.
{% elif notice == "CANCELLED" and reason %}
Reason given: {{ reason }}
{% endif %}{% if notice == "REMINDER" %}
It starts in {{ before }}.
{% endif %}{% if invite %}
The attached calendar file {{ "removes the session from" if invite == "CANCEL" else "adds the session to" }} your calendar.
{% endif %}
Appointments
"""

HTML = """<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello {{ name }},</p>
<p>Your {{ kind }} session with <strong>{{ other }}</strong> {{ headline }}.</p>
<table>
<tr><th align="left">When</th><td>{{ when }} ({{ zone }}), {{ minutes }} minutes</td></tr>
<tr><th align="left">How</th><td>{{ meeting }}</td></tr>
{% if url %}<tr><th align="left">Link</th><td><a href="{{ url }}">{{ url }}</a></td></tr>{% endif %}
</table>
{% if notice == "REJECTED" %}<p>Why: {{ reason }}. You may request another time.</p>
{% elif notice == "CANCELLED" and reason %}<p>Reason given: {{ reason }}</p>{% endif %}
{% if notice == "REMINDER" %}<p>It starts in {{ before }}.</p>{% endif %}
{% if invite %}<p>The attached calendar file {{ "removes the session from" if invite == "CANCEL" else "adds the session to" }} your calendar.</p>{% endif %}
</body></html>
"""


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []) + (
        [f"{rest} minute{'s' if rest != 1 else ''}"] if rest else []
    )
    return " ".join(parts) or "0 minutes"


class TemplateComposer:
    """The Composer port on jinja2."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=DictLoader({"email.txt": TEXT, "email.html": HTML}),
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def compose(
        self,
        notice: Notice,
        *,
        recipient: Recipient,
        appointment: Appointment,
        people: People,
        reason: str | None,
        at: datetime,
        before_minutes: int | None = None,
    ) -> EmailContent:
        me, other = (
            (people.patient, people.psychologist)
            if recipient is Recipient.PATIENT
            else (people.psychologist, people.patient)
        )
        zone = ZoneInfo(me.time_zone)
        when = appointment.scheduled_at.astimezone(zone).strftime("%A %d %B %Y at %H:%M")
        if notice is Notice.REJECTED:
            reason = reason_in_words(reason)
        calendar = (
            invite(
                appointment, psychologist=people.psychologist, patient=people.patient, stamped_at=at
            )
            if notice is not Notice.REMINDER
            else None
        )
        values = {
            "name": me.name,
            "other": other.name,
            "kind": appointment.appointment_type.value.replace("_", " ").lower(),
            "headline": HEADLINES[notice],
            "when": when,
            "zone": me.time_zone,
            "minutes": appointment.duration_minutes,
            "meeting": appointment.meeting_type.value.replace("_", " ").lower(),
            "url": appointment.meeting_url,
            "notice": notice.value,
            "reason": reason,
            "before": _duration(before_minutes or 0),
            "invite": calendar.method if calendar else None,
        }
        return EmailContent(
            subject=SUBJECTS[notice].format(when=when),
            text=self._env.get_template("email.txt").render(values),
            html=self._env.get_template("email.html").render(values),
            invite=calendar,
        )
