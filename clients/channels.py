"""The ways an outreach message leaves the building: email through Django's mail backend, texts
through an HTTP provider (or the console on a laptop). One small interface, one class each.

A channel either returns the provider's message id (the message was accepted) or raises
:class:`ChannelError`; ``ChannelError.permanent`` says whether trying again can help.
"""

import logging
import smtplib
import sys
import uuid
from dataclasses import dataclass, field
from email.utils import make_msgid

import requests
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from clients.choices import OutreachChannel

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    """The provider did not take the message."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.permanent = permanent


@dataclass
class OutgoingMessage:
    """What a channel sends: the address, the rendered text and the mail headers."""

    to: str
    body: str
    subject: str = ""
    html_body: str = ""
    from_email: str = ""
    reply_to: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)


class EmailChannel:
    """Email through the project's mail backend (SMTP in production)."""

    def send(self, message):
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or None
        message_id = make_msgid(domain=domain)
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            reply_to=message.reply_to or None,
            headers={**message.headers, "Message-ID": message_id},
            connection=get_connection(),
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            message = f"The mail server refused the address: {error}"
            raise ChannelError(message, permanent=True) from error
        except (smtplib.SMTPException, OSError) as error:
            raise ChannelError(f"The mail server did not take the email: {error}") from error
        return message_id.strip("<>")


class HttpSmsChannel:
    """Texts through an HTTP provider: ``POST {SMS_API_URL}`` with a JSON body
    ``{"to", "from", "body"}`` and ``Authorization: Bearer {SMS_API_TOKEN}``; the answer's
    ``id`` (or ``sid``/``message_id``) is the provider's message id."""

    def __init__(self, url=None, token=None, sender=None, timeout=None):
        self.url = url or settings.SMS_API_URL
        self.token = token if token is not None else settings.SMS_API_TOKEN
        self.sender = sender if sender is not None else settings.SMS_FROM_NUMBER
        self.timeout = timeout or settings.SMS_API_TIMEOUT

    def send(self, message):
        session = requests.Session()
        session.trust_env = False  # the configured provider, never an environment proxy
        try:
            response = session.post(
                self.url,
                json={"to": message.to, "from": self.sender, "body": message.body},
                headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise ChannelError(f"The text provider could not be reached: {error}") from error
        finally:
            session.close()
        if response.status_code >= 500 or response.status_code == 429:
            raise ChannelError(f"The text provider answered {response.status_code}.")
        if response.status_code >= 400:
            raise ChannelError(
                f"The text provider refused the text ({response.status_code}): "
                f"{response.text[:200]}",
                permanent=True,
            )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return str(answer.get("id") or answer.get("sid") or answer.get("message_id") or "")


class ConsoleSmsChannel:
    """Texts printed to the console, for development without a provider."""

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, message):
        message_id = f"console-{uuid.uuid4()}"
        stream = self.stream or sys.stdout
        stream.write(f"Text to {message.to} ({message_id}):\n{message.body}\n{'-' * 40}\n")
        stream.flush()
        return message_id


def channel_for(channel):
    """The sender of a channel, as the settings configure it."""
    if channel == OutreachChannel.EMAIL:
        return EmailChannel()
    if channel == OutreachChannel.TEXT:
        return HttpSmsChannel() if settings.SMS_API_URL else ConsoleSmsChannel()
    raise ValueError(f"unknown outreach channel {channel!r}")
