"""Electronic signatures on PDF documents: the signature page, the signed PDF and its checks.

Signing appends to the original PDF as an incremental update, so the signed file starts with the
original document byte for byte, followed by the signature page and the signing record: the
evidence of every signer as JSON, attached to the PDF as ``signing-record.json``. The signed PDF
therefore carries its own evidence, and anyone holding it can show that the document signed is
the document sent: its first ``original_size`` bytes hash to the SHA-256 taken before signing.
The SHA-256 of the whole signed file is recorded at signing (by the model layer, and on the audit
certificate); any later change, one byte or a page added, removed or saved again by another
program, gives a different hash and fails ``pdf_verify`` with a reason a person can read.

This module knows nothing about models or requests. The ``transactions`` models keep the signing
request, issue and email the one-time links and record each signer's evidence, then call these
functions, directly or through a ``SignatureProvider``. Output is deterministic: the same document
and the same evidence give the same bytes.
"""

import hashlib
import ipaddress
import json
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject, TextStringObject
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PRODUCT_NAME = "Brokerage CRM"
RECORD_ATTACHMENT = "signing-record.json"
RECORD_FORMAT = "signing-record/1"
# What a signer is shown and agrees to before their typed name counts as their signature.
CONSENT_STATEMENT = (
    "I agree to sign this document electronically. Typing my name is my signature and has the "
    "same effect as signing by hand. I can ask for a paper copy of this document."
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
# A later signing of an already signed PDF adds its record under the next free name.
_RECORD_NAME = re.compile(r"signing-record(?:-\d+)?\.json")
# PDF readers look for the header within the first kilobyte, after stray bytes if need be.
_HEADER_WINDOW = 1024
# pypdf's own limit on the object numbers of a PDF it updates.
_MAX_OBJECT_NUMBER = 1_000_000
# Incremental updates are written with a cross-reference stream, which needs PDF 1.5.
_XREF_STREAM_VERSION = (1, 5)

_PAGE_WIDTH, _PAGE_HEIGHT = LETTER
_MARGIN = 54
_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_TITLE_FONT = "Helvetica-Bold"
_HEADING_FONT = "Helvetica-Bold"
_BODY_FONT = "Helvetica"
_SIGNATURE_FONT = "Helvetica-Oblique"
_HASH_FONT = "Courier"
# Letters with a stroke have no decomposition in Unicode, so they are mapped by hand.
_STROKED_LETTERS = str.maketrans("ŁłĐđĦħıŦŧ", "LlDdHhiTt")
_SIGNATURE_PAGE_TITLE = "Signature page"
_CERTIFICATE_TITLE = "Audit certificate"
# A browser's user agent can run to hundreds of characters; the signature page shows enough to
# identify the browser and the certificate shows more. The signing record keeps all of it.
_USER_AGENT_LINES_ON_PAGE = 2
_USER_AGENT_LINES_ON_CERTIFICATE = 6


def document_sha256(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as 64 lowercase hexadecimal digits."""
    return hashlib.sha256(data).hexdigest()


def _check_sha256(name, value):
    """A SHA-256 given as hexadecimal, in lowercase; anything else is an error."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value.lower()):
        raise ValueError(f"{name} must be a SHA-256 in hexadecimal (64 digits), not {value!r}.")
    return value.lower()


def _utc_iso(moment):
    """A UTC time as ISO 8601 to the second, the way the signature page and certificate show it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pdf_date(moment):
    """A UTC time in the PDF date format used by document information and attachments."""
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


@dataclass(frozen=True)
class SignerEvidence:
    """What one signer did to sign: the name typed, the consent accepted, when and from where."""

    name: str
    email: str
    consent_text: str
    consent_accepted: bool
    signed_at: datetime
    ip: str
    user_agent: str

    def __post_init__(self):
        name = " ".join(str(self.name).split())
        if not name:
            raise ValueError("A signer must type their name to sign.")
        email = str(self.email).strip()
        if "@" not in email:
            raise ValueError(f"{self.email!r} is not an email address.")
        if not str(self.consent_text).strip():
            raise ValueError("The consent statement shown to the signer is missing.")
        if self.consent_accepted is not True:
            raise ValueError("A signer must agree to sign electronically before their name counts.")
        if not isinstance(self.signed_at, datetime) or self.signed_at.utcoffset() is None:
            raise ValueError("The signing time must be a datetime with a time zone.")
        try:
            ip = str(ipaddress.ip_address(str(self.ip).strip()))
        except ValueError:
            raise ValueError(f"{self.ip!r} is not an IP address.") from None
        # Frozen, so the normalised values are set the way dataclasses set them.
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "email", email)
        object.__setattr__(self, "signed_at", self.signed_at.astimezone(UTC))
        object.__setattr__(self, "ip", ip)
        object.__setattr__(self, "user_agent", str(self.user_agent))

    def as_dict(self):
        return {
            "name": self.name,
            "email": self.email,
            "consent_text": self.consent_text,
            "consent_accepted": self.consent_accepted,
            "signed_at": self.signed_at.isoformat(),
            "ip": self.ip,
            "user_agent": self.user_agent,
        }

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise ValueError("a signer's evidence is not an object")
        try:
            signed_at = datetime.fromisoformat(data["signed_at"])
            return cls(
                name=_text(data, "name"),
                email=_text(data, "email"),
                consent_text=_text(data, "consent_text"),
                consent_accepted=data["consent_accepted"],
                signed_at=signed_at,
                ip=_text(data, "ip"),
                user_agent=_text(data, "user_agent"),
            )
        except KeyError as exc:
            raise ValueError(f"a signer's {exc.args[0]} is missing") from None
        except TypeError as exc:
            raise ValueError(f"a signer's evidence is malformed ({exc})") from None


def _text(data, key):
    """A string value of a parsed record, or a ValueError that names the field."""
    value = data[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


@dataclass(frozen=True)
class SigningRecord:
    """The evidence of one signing request: the document as sent and every signer's evidence."""

    document_title: str
    request_reference: str
    sha256_before: str
    signers: tuple[SignerEvidence, ...]

    def __post_init__(self):
        title = " ".join(str(self.document_title).split())
        if not title:
            raise ValueError("The document needs a title.")
        reference = str(self.request_reference).strip()
        if not reference:
            raise ValueError("The signing request needs a reference.")
        signers = tuple(self.signers)
        if not signers:
            raise ValueError("A signing record needs at least one signer.")
        if not all(isinstance(signer, SignerEvidence) for signer in signers):
            raise TypeError("Signers must be SignerEvidence.")
        object.__setattr__(self, "document_title", title)
        object.__setattr__(self, "request_reference", reference)
        object.__setattr__(
            self, "sha256_before", _check_sha256("sha256_before", self.sha256_before)
        )
        object.__setattr__(self, "signers", signers)

    @property
    def completed_at(self):
        """When the last signer signed: the moment the document became signed."""
        return max(signer.signed_at for signer in self.signers)

    def as_dict(self):
        return {
            "document_title": self.document_title,
            "request_reference": self.request_reference,
            "sha256_before": self.sha256_before,
            "signers": [signer.as_dict() for signer in self.signers],
        }

    @classmethod
    def from_dict(cls, data):
        if not isinstance(data, dict):
            raise ValueError("the record is not an object")
        try:
            signers = data["signers"]
            if not isinstance(signers, list):
                raise ValueError("signers is not a list")
            return cls(
                document_title=_text(data, "document_title"),
                request_reference=_text(data, "request_reference"),
                sha256_before=_text(data, "sha256_before"),
                signers=tuple(SignerEvidence.from_dict(signer) for signer in signers),
            )
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]} is missing") from None


@dataclass(frozen=True)
class SignedDocument:
    """A signed PDF and its fingerprints: the document's SHA-256 before and the file's after."""

    data: bytes = field(repr=False)
    sha256_before: str
    sha256_after: str
    original_page_count: int
    page_count: int


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a signed PDF: ``ok`` when nothing is wrong, else the reasons why."""

    ok: bool
    problems: list[str]
    sha256: str
    record: SigningRecord | None = None


@dataclass(frozen=True)
class _EmbeddedRecord:
    """The signing record attached to a signed PDF, with where its parts sit in the file."""

    record: SigningRecord
    original_size: int
    original_page_count: int
    signature_page_count: int


# --- Reading PDFs -----------------------------------------------------------------------------


def _read_pdf(data):
    """A reader for a PDF that can be signed, or a ValueError that tells the uploader what to do."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"A PDF is given as bytes, not {type(data).__name__}.")
    if not data.startswith(b"%PDF-"):
        if b"%PDF-" in data[:_HEADER_WINDOW]:
            # Offsets in such a file count from the header or from the first byte depending on
            # the reader, so an update appended to it would not read the same everywhere.
            raise ValueError(
                "This PDF has stray data before its beginning, so it cannot be signed. Save or "
                "export it as a PDF again and upload the new file."
            )
        raise ValueError("This file is not a PDF.")
    try:
        reader = PdfReader(BytesIO(bytes(data)))
        encrypted = reader.is_encrypted
        page_count = 0 if encrypted else len(reader.pages)
    # pypdf raises many kinds of error on a damaged file (KeyError, struct.error, zlib.error and
    # more besides its own PdfReadError); all of them mean the same thing to the uploader.
    except Exception as exc:
        raise ValueError(
            "This PDF cannot be read; it may be damaged. Save or export it as a PDF again and "
            "upload the new file."
        ) from exc
    if encrypted:
        raise ValueError(
            "This PDF is password-protected, so it cannot be signed. Remove the protection (for "
            "example, print it to a new PDF) and upload it again."
        )
    if page_count == 0:
        raise ValueError("This PDF has no pages.")
    return reader


def pdf_check(data: bytes) -> int:
    """The page count of a PDF that can be signed; a ValueError says why one cannot be."""
    return len(_read_pdf(data).pages)


def _pdf_version(text):
    """A PDF version such as ``1.4`` as a comparable tuple; an unreadable one counts as 1.0."""
    match = re.fullmatch(r"/?(\d+)\.(\d+)", str(text).strip())
    return (int(match[1]), int(match[2])) if match else (1, 0)


# --- Drawing the signature page and the certificate ------------------------------------------


def _printable(text):
    """Text the built-in PDF fonts can draw: characters outside Windows-1252 are spelled plainly.

    Letters with marks the fonts lack (such as "ć" or "ł") lose the mark; anything else becomes
    "?". The signing record keeps the exact text.
    """
    characters = []
    for character in " ".join(str(text).split()):
        try:
            character.encode("cp1252")
            characters.append(character)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", character.translate(_STROKED_LETTERS))
            characters.append(plain.encode("cp1252", "ignore").decode("cp1252") or "?")
    return "".join(characters)


def _wrap(text, *, font, size, width, max_lines=None):
    """Lines of ``text`` that fit ``width``, breaking inside words that are wider than a line."""
    lines = []
    line = ""
    for word in _printable(text).split(" "):
        candidate = f"{line} {word}" if line else word
        if stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        # A word too long for one line (a user agent token, a long email) is cut where it fills it.
        for character in word:
            if stringWidth(line + character, font, size) > width and line:
                lines.append(line)
                line = ""
            line += character
    if line or not lines:
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and stringWidth(last + "...", font, size) > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "..."]
    return lines


@dataclass(frozen=True)
class _Line:
    """One line of text to draw, with the vertical space it takes."""

    text: str
    font: str = _BODY_FONT
    size: float = 10
    leading: float = 14
    indent: float = 0
    rule_below: bool = False


def _paragraph(text, *, font=_BODY_FONT, size=10, indent=0, max_lines=None):
    """The lines of a wrapped paragraph."""
    leading = size * 1.4
    return [
        _Line(text=line, font=font, size=size, leading=leading, indent=indent)
        for line in _wrap(
            text, font=font, size=size, width=_TEXT_WIDTH - indent, max_lines=max_lines
        )
    ]


def _field(label, value):
    """A labelled value, wrapped like a paragraph."""
    return _paragraph(f"{label}: {value}")


def _gap(height):
    return [_Line(text="", leading=height)]


class _PageFlow:
    """A letter-size canvas filled from the top, going on to a new page when one is full."""

    def __init__(self, *, title, subject, created_at):
        self.buffer = BytesIO()
        # Invariant mode fixes the file identifier and dates, so the same input gives the same
        # bytes; the dates shown are then set from the signing time instead of the clock.
        self.canvas = Canvas(self.buffer, pagesize=LETTER, invariant=True, pageCompression=1)
        self.canvas.setDateFormatter(lambda *_: _pdf_date(created_at))
        self.canvas.setTitle(_printable(title))
        self.canvas.setAuthor(PRODUCT_NAME)
        self.canvas.setCreator(PRODUCT_NAME)
        self.canvas.setSubject(_printable(subject))
        self.title = title
        self.page_count = 0
        self._start_page()

    def _start_page(self):
        self.page_count += 1
        self.y = _PAGE_HEIGHT - _MARGIN
        title = self.title if self.page_count == 1 else f"{self.title} (continued)"
        self._draw(_Line(text=title, font=_TITLE_FONT, size=18, leading=30))

    def _draw(self, line):
        self.y -= line.leading
        if line.text:
            self.canvas.setFont(line.font, line.size)
            self.canvas.drawString(_MARGIN + line.indent, self.y, line.text)
        if line.rule_below:
            self.canvas.setLineWidth(0.75)
            self.canvas.line(_MARGIN, self.y - 6, _MARGIN + _TEXT_WIDTH, self.y - 6)

    def add(self, lines):
        """Draw lines, moving a block that would be split to the next page when it fits on one."""
        height = sum(line.leading for line in lines)
        usable = _PAGE_HEIGHT - 2 * _MARGIN - 30
        if height <= usable and self.y - height < _MARGIN:
            self._new_page()
        for line in lines:
            if self.y - line.leading < _MARGIN:
                self._new_page()
            self._draw(line)

    def _new_page(self):
        self.canvas.showPage()
        self._start_page()

    def finish(self):
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _signer_block(signer, *, number, count, user_agent_lines):
    """The lines that show one signer's signature and evidence."""
    signature = _wrap(signer.name, font=_SIGNATURE_FONT, size=24, width=_TEXT_WIDTH)
    # Kept compact so that four signers (two buyers, two sellers) fit on one signature page.
    return [
        *_gap(8),
        _Line(text=f"Signer {number} of {count}", font=_HEADING_FONT, size=9, leading=12),
        *[
            _Line(
                text=line,
                font=_SIGNATURE_FONT,
                size=24,
                leading=30,
                # The typed name sits on a line, as a signature would.
                rule_below=index == len(signature) - 1,
            )
            for index, line in enumerate(signature)
        ],
        *_gap(8),
        *_paragraph(f"Name typed: {signer.name} \u00b7 Email: {signer.email}", size=9),
        *_paragraph(
            f"Signed at: {_utc_iso(signer.signed_at)} (UTC) \u00b7 IP address: {signer.ip}", size=9
        ),
        *_paragraph(
            f"Browser: {signer.user_agent or 'not given'}", size=8, max_lines=user_agent_lines
        ),
        *_paragraph(f"Agreed to: \u201c{signer.consent_text}\u201d", size=8),
    ]


def signature_page_pdf(record: SigningRecord) -> bytes:
    """The signature page for a signed document, as a PDF (one page, more for many signers)."""
    flow = _PageFlow(
        title=_SIGNATURE_PAGE_TITLE,
        subject=record.document_title,
        created_at=record.completed_at,
    )
    count = len(record.signers)
    flow.add(
        [
            *_paragraph(
                "Every person below received a one-time link by email, reviewed this document, "
                "agreed to sign electronically and typed their name as their signature."
            ),
            *_gap(6),
            *_field("Document", record.document_title),
            *_field("Signing reference", record.request_reference),
            *_paragraph("SHA-256 of the document before signing:"),
            _Line(text=record.sha256_before, font=_HASH_FONT, size=9, leading=14),
        ]
    )
    for number, signer in enumerate(record.signers, start=1):
        flow.add(
            _signer_block(
                signer, number=number, count=count, user_agent_lines=_USER_AGENT_LINES_ON_PAGE
            )
        )
    flow.add(
        [
            *_gap(12),
            *_paragraph(
                f"{PRODUCT_NAME} added this page when the last signer signed. The full signing "
                f"record is attached to this PDF as {RECORD_ATTACHMENT}.",
                size=8,
            ),
        ]
    )
    return flow.finish()


def audit_certificate_pdf(*, record: SigningRecord, sha256_after: str) -> bytes:
    """The audit certificate of a signing: the evidence, both fingerprints and how to check them."""
    sha256_after = _check_sha256("sha256_after", sha256_after)
    flow = _PageFlow(
        title=_CERTIFICATE_TITLE,
        subject=record.document_title,
        created_at=record.completed_at,
    )
    flow.add(
        [
            *_paragraph(f"Electronic signature completed with {PRODUCT_NAME}."),
            *_gap(6),
            *_field("Document", record.document_title),
            *_field("Signing reference", record.request_reference),
            *_field("Completed at", f"{_utc_iso(record.completed_at)} (UTC)"),
            *_field("Signers", str(len(record.signers))),
            *_gap(8),
            _Line(text="Document fingerprints (SHA-256)", font=_HEADING_FONT, size=12, leading=18),
            *_paragraph("Before signing (the document as sent to the signers):"),
            _Line(text=record.sha256_before, font=_HASH_FONT, size=9, leading=14),
            *_paragraph("After signing (the signed PDF, with its signature page):"),
            _Line(text=sha256_after, font=_HASH_FONT, size=9, leading=14),
            *_gap(4),
            _Line(text="Signers", font=_HEADING_FONT, size=12, leading=18),
        ]
    )
    count = len(record.signers)
    for number, signer in enumerate(record.signers, start=1):
        flow.add(
            _signer_block(
                signer,
                number=number,
                count=count,
                user_agent_lines=_USER_AGENT_LINES_ON_CERTIFICATE,
            )
            + _field("Consent accepted", "yes")
        )
    flow.add(
        [
            *_gap(12),
            _Line(text="How to verify the signed PDF", font=_HEADING_FONT, size=12, leading=18),
            *_paragraph(
                "1. Compute the SHA-256 of the signed PDF file, for example with "
                '"shasum -a 256 signed.pdf" (macOS, Linux) or "certutil -hashfile signed.pdf '
                'SHA256" (Windows). It must equal the fingerprint after signing above. Any change '
                "to the file, even one byte, gives a different value."
            ),
        ]
    )
    flow.add(
        _paragraph(
            "2. The signed PDF begins with the document exactly as it was sent. The signing "
            f"record attached to it ({RECORD_ATTACHMENT}) gives its length in bytes as "
            "original_size; the SHA-256 of that many bytes from the start of the signed file "
            "must equal the fingerprint before signing."
        )
    )
    flow.add(
        _paragraph(
            "3. The signature page follows the pages of the document and shows the fingerprint "
            "before signing. The signing record lists the same signers, times, IP addresses and "
            "browsers as this certificate."
        )
    )
    return flow.finish()


# --- Signing and verifying --------------------------------------------------------------------


def _record_json(*, record, original_size, original_page_count, signature_page_count):
    """The signing record as attached to the signed PDF, readable by a person and a program."""
    evidence = {
        "format": RECORD_FORMAT,
        **record.as_dict(),
        "original_size": original_size,
        "original_page_count": original_page_count,
        "signature_page_count": signature_page_count,
    }
    return json.dumps(evidence, indent=2, ensure_ascii=False).encode() + b"\n"


def _record_parse(data):
    """The signing record from its attached JSON; a ValueError says what is wrong with it."""
    try:
        evidence = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"it is not JSON ({exc})") from None
    if not isinstance(evidence, dict):
        raise ValueError("it is not a JSON object")
    if evidence.get("format") != RECORD_FORMAT:
        raise ValueError(f"its format is {evidence.get('format')!r}, not {RECORD_FORMAT!r}")
    counts = {}
    for key in ("original_size", "original_page_count", "signature_page_count"):
        value = evidence.get(key)
        if type(value) is not int or value < 1:
            raise ValueError(f"{key} is not a positive whole number")
        counts[key] = value
    return _EmbeddedRecord(record=SigningRecord.from_dict(evidence), **counts)


def _free_record_name(reader):
    """The attachment name for a new signing record: a PDF signed before keeps its own record."""
    taken = {attachment.name for attachment in reader.attachment_list}
    name = RECORD_ATTACHMENT
    number = 2
    while name in taken:
        name = f"signing-record-{number}.json"
        number += 1
    return name


def _skip_used_object_numbers(writer, reader):
    """Number the signature's objects after every number the original has used.

    pypdf numbers new objects after the highest one its cross-reference lists, but an update
    written earlier (pypdf's own, for one) may have used the numbers up to the trailer's size
    for its cross-reference stream; a new object given such a number is hidden from readers.
    """
    size = reader.trailer.get("/Size")
    if not isinstance(size, int):
        return
    if size > _MAX_OBJECT_NUMBER:
        raise ValueError(f"The PDF claims {size} objects, more than a document can sign.")
    # pypdf 7.1 has no public way to reserve object numbers; unused slots are not written.
    missing = size - 1 - len(writer._objects)
    if missing > 0:
        writer._objects.extend([None] * missing)


def pdf_sign(*, original: bytes, record: SigningRecord) -> SignedDocument:
    """The original PDF with its signature page appended and the signing record attached.

    The original's bytes are kept as they are and the signature is an incremental update after
    them, so every original page stays exactly as the signers saw it.
    """
    reader = _read_pdf(original)
    original = bytes(original)
    sha256_before = document_sha256(original)
    if sha256_before != record.sha256_before:
        raise ValueError(
            f"The signing record is for another document: it was taken from a document with "
            f"SHA-256 {record.sha256_before}, and this one has {sha256_before}."
        )
    original_page_count = len(reader.pages)
    signature_page = PdfReader(BytesIO(signature_page_pdf(record)))
    signature_page_count = len(signature_page.pages)
    evidence = _record_json(
        record=record,
        original_size=len(original),
        original_page_count=original_page_count,
        signature_page_count=signature_page_count,
    )
    completed_at = record.completed_at
    # The update must start on a line of its own; a file that ends right after "%%EOF" gets a
    # line break first, which belongs to the update and leaves the original's bytes unchanged.
    base = original if original.endswith((b"\n", b"\r")) else original + b"\n"
    try:
        writer = PdfWriter(PdfReader(BytesIO(base)), incremental=True)
        _skip_used_object_numbers(writer, reader)
        for page in signature_page.pages:
            writer.add_page(page)
        attachment = writer.add_attachment(_free_record_name(reader), evidence)
        attachment.subtype = NameObject("/application#2Fjson")
        attachment.description = TextStringObject("Signing record: the evidence of each signer")
        attachment.size = NumberObject(len(evidence))
        attachment.modification_date = completed_at
        writer.add_metadata({"/ModDate": _pdf_date(completed_at)})
        version = max(
            _pdf_version(reader.pdf_header.removeprefix("%PDF-")),
            _pdf_version(reader.root_object.get("/Version", "")),
        )
        if version < _XREF_STREAM_VERSION:
            writer.root_object[NameObject("/Version")] = NameObject("/1.5")
        output = BytesIO()
        writer.write(output)
    # As in reading: a structure pypdf cannot rewrite shows up as any kind of error.
    except Exception as exc:
        raise ValueError(
            "This PDF could not be signed because of how it is built. Save or export it as a PDF "
            "again and upload the new file."
        ) from exc
    signed = output.getvalue()
    sha256_after = document_sha256(signed)
    # A PDF built in a way the update does not fit is refused now, not found out at verification.
    verification = pdf_verify(
        signed=signed, expected_sha256_after=sha256_after, expected_sha256_before=sha256_before
    )
    if not verification.ok:
        raise ValueError(
            "This PDF could not be signed because of how it is built. Save or export it as a PDF "
            "again and upload the new file."
        )
    return SignedDocument(
        data=signed,
        sha256_before=sha256_before,
        sha256_after=sha256_after,
        original_page_count=original_page_count,
        page_count=original_page_count + signature_page_count,
    )


def _embedded_record(reader, problems):
    """The latest signing record attached to a signed PDF, adding a problem when there is none."""
    found = []
    try:
        attachments = [
            attachment
            for attachment in reader.attachment_list
            if _RECORD_NAME.fullmatch(attachment.name)
        ]
        for attachment in attachments:
            try:
                found.append(_record_parse(attachment.content))
            except ValueError as exc:
                problems.append(f"The signing record {attachment.name} cannot be read: {exc}.")
    except Exception as exc:  # pypdf, on a damaged attachment tree; see _read_pdf.
        problems.append(f"The attachments of the PDF cannot be read ({exc}).")
        return None
    if not attachments:
        problems.append(f"The signing record ({RECORD_ATTACHMENT}) is not attached to the PDF.")
        return None
    # Each signing appends to the file signed before, so the latest covers the longest original.
    return max(found, key=lambda embedded: embedded.original_size, default=None)


def pdf_verify(
    *, signed: bytes, expected_sha256_after: str, expected_sha256_before: str | None = None
) -> Verification:
    """Check a signed PDF against the fingerprint recorded at signing and its own evidence."""
    expected_after = _check_sha256("expected_sha256_after", expected_sha256_after)
    expected_before = (
        None
        if expected_sha256_before is None
        else _check_sha256("expected_sha256_before", expected_sha256_before)
    )
    signed = bytes(signed)
    sha256 = document_sha256(signed)
    problems = []
    if sha256 != expected_after:
        problems.append(
            f"The file has changed since it was signed: its SHA-256 is {sha256}, but "
            f"{expected_after} was recorded at signing."
        )
    try:
        reader = _read_pdf(signed)
    except ValueError:
        problems.append("The file can no longer be read as a PDF, so nothing in it can be checked.")
        return Verification(ok=False, problems=problems, sha256=sha256)

    embedded = _embedded_record(reader, problems)
    if embedded is None:
        return Verification(ok=False, problems=problems, sha256=sha256)
    record = embedded.record
    if expected_before is not None and record.sha256_before != expected_before:
        problems.append(
            f"The signing record attached to the PDF is for another document: it gives SHA-256 "
            f"{record.sha256_before} before signing, but {expected_before} was recorded."
        )
    if embedded.original_size > len(signed):
        problems.append(
            f"The file is shorter ({len(signed)} bytes) than the document it was signed from "
            f"({embedded.original_size} bytes)."
        )
    else:
        original_sha256 = document_sha256(signed[: embedded.original_size])
        if original_sha256 != record.sha256_before:
            problems.append(
                f"The document inside the signed PDF is not the one that was signed: its first "
                f"{embedded.original_size} bytes have SHA-256 {original_sha256}, but the signing "
                f"record gives {record.sha256_before}."
            )
        else:
            # The signature is one update after the original, ending in one "startxref"; each
            # further one is a change added later, which viewers show as part of the document.
            later_updates = signed.count(b"startxref", embedded.original_size) - 1
            if later_updates > 0:
                problems.append(
                    f"Changes were added to the PDF after it was signed ({later_updates} "
                    f"update(s) after the signature)."
                )
    expected_pages = embedded.original_page_count + embedded.signature_page_count
    if len(reader.pages) != expected_pages:
        problems.append(
            f"The PDF has {len(reader.pages)} pages, but it had {expected_pages} when signed "
            f"({embedded.original_page_count} of the document and "
            f"{embedded.signature_page_count} signature page(s))."
        )
    if embedded.original_page_count < len(reader.pages):
        try:
            page_text = reader.pages[embedded.original_page_count].extract_text()
        except Exception:  # pypdf, on a damaged content stream; see _read_pdf.
            page_text = ""
        if record.sha256_before not in "".join(page_text.split()):
            problems.append(
                f"Page {embedded.original_page_count + 1} is not the signature page: it does not "
                f"show the document's SHA-256 before signing."
            )
    return Verification(ok=not problems, problems=problems, sha256=sha256, record=record)


# --- Signature providers -----------------------------------------------------------------------


class SignatureState(StrEnum):
    """Where a signing request stands with the provider carrying it out."""

    # The local flow is only ever sent or completed: when a signer declines or a request is
    # cancelled on our own pages, the model layer records it. Outside services report all four.
    SENT = "sent"
    COMPLETED = "completed"
    DECLINED = "declined"
    VOIDED = "voided"


@dataclass(frozen=True)
class Signer:
    """A person asked to sign, with their evidence once they have signed on our own pages."""

    name: str
    email: str
    evidence: SignerEvidence | None = None


@dataclass(frozen=True)
class SignatureRequest:
    """A document sent to one or more signers, as the model layer hands it to a provider."""

    reference: str
    document_title: str
    document: bytes = field(repr=False)
    signers: tuple[Signer, ...]


@dataclass(frozen=True)
class SignatureStatus:
    """A provider's answer on a request: its state and the emails of those who have signed."""

    state: SignatureState
    signed_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompletedSigning:
    """What a provider hands back once everyone has signed: the signed PDF and its certificate."""

    document: SignedDocument
    certificate: bytes = field(repr=False)


class SignatureProvider(ABC):
    """Where signing requests are carried out: our own signing pages, or an outside service.

    An outside provider (DocuSign, Dropbox Sign) implements the four methods with its API:
    ``send`` creates the envelope or signature request from the document and signers and returns
    the service's id for it; the service emails the signers itself (``emails_signers``).
    ``status`` reads the request's state from the service, on a schedule or when its webhook
    calls. ``completed`` downloads the signed PDF and the service's own audit certificate and
    returns them with the document's SHA-256 before and the downloaded file's after. ``cancel``
    voids the request so signers stop receiving reminders. Such a PDF carries the service's
    evidence, not our signing record, so ``pdf_verify`` is for documents signed locally; for the
    others the SHA-256 after, recorded on download, is what a later check compares.
    """

    # The key the model layer stores with each request to know which provider carries it out.
    key: str
    # Whether the provider emails signers their links; when not, the model layer sends them.
    emails_signers: bool

    @abstractmethod
    def send(self, request: SignatureRequest) -> str:
        """Start collecting signatures on the request's document; the provider's id for it."""

    @abstractmethod
    def status(self, *, request: SignatureRequest, external_id: str) -> SignatureStatus:
        """Where the request stands: who has signed, and whether it is complete."""

    @abstractmethod
    def completed(self, *, request: SignatureRequest, external_id: str) -> CompletedSigning:
        """The signed PDF and audit certificate of a request everyone has signed."""

    @abstractmethod
    def cancel(self, *, request: SignatureRequest, external_id: str) -> None:
        """Stop a request before everyone has signed."""


def _signer_evidence(signer, evidence):
    """The evidence of one signer, checked to be theirs."""
    if evidence.email.casefold() != signer.email.strip().casefold():
        raise ValueError(f"The evidence recorded for {signer.email} belongs to {evidence.email}.")
    return evidence


class LocalSignatureProvider(SignatureProvider):
    """Signing on our own pages: signers follow a one-time link, type their name and agree.

    The model layer issues and emails the one-time links and records each signer's evidence on
    the request; this provider checks the document can be signed, reports progress from that
    evidence and produces the signed PDF and audit certificate with the functions above.
    """

    key = "local"
    emails_signers = False

    def send(self, request: SignatureRequest) -> str:
        """Check the document can be signed and the signers are distinct; the reference."""
        pdf_check(request.document)
        if not request.signers:
            raise ValueError("Add at least one signer.")
        emails = [signer.email.strip().casefold() for signer in request.signers]
        if len(set(emails)) != len(emails):
            raise ValueError("Each signer needs their own email address.")
        if not request.reference.strip():
            raise ValueError("The signing request needs a reference.")
        return request.reference

    def status(self, *, request: SignatureRequest, external_id: str) -> SignatureStatus:
        """Complete once every signer's evidence is recorded, else sent."""
        self._check_id(request, external_id)
        signed = tuple(signer.email for signer in request.signers if signer.evidence is not None)
        state = (
            SignatureState.COMPLETED if len(signed) == len(request.signers) else SignatureState.SENT
        )
        return SignatureStatus(state=state, signed_emails=signed)

    def completed(self, *, request: SignatureRequest, external_id: str) -> CompletedSigning:
        """Stamp the signature page onto the document and write the audit certificate."""
        self._check_id(request, external_id)
        waiting = [signer.email for signer in request.signers if signer.evidence is None]
        if waiting:
            raise ValueError(f"Still waiting for {', '.join(waiting)} to sign.")
        record = SigningRecord(
            document_title=request.document_title,
            request_reference=request.reference,
            sha256_before=document_sha256(request.document),
            signers=tuple(_signer_evidence(signer, signer.evidence) for signer in request.signers),
        )
        document = pdf_sign(original=request.document, record=record)
        certificate = audit_certificate_pdf(record=record, sha256_after=document.sha256_after)
        return CompletedSigning(document=document, certificate=certificate)

    def cancel(self, *, request: SignatureRequest, external_id: str) -> None:
        """Nothing to call: the request's one-time links are the model layer's to revoke."""
        self._check_id(request, external_id)

    @staticmethod
    def _check_id(request, external_id):
        if external_id != request.reference:
            raise ValueError(
                f"{external_id!r} is not the reference of signing request {request.reference!r}."
            )


__all__ = [
    "CONSENT_STATEMENT",
    "RECORD_ATTACHMENT",
    "CompletedSigning",
    "LocalSignatureProvider",
    "SignatureProvider",
    "SignatureRequest",
    "SignatureState",
    "SignatureStatus",
    "SignedDocument",
    "Signer",
    "SignerEvidence",
    "SigningRecord",
    "Verification",
    "audit_certificate_pdf",
    "document_sha256",
    "pdf_check",
    "pdf_sign",
    "pdf_verify",
    "signature_page_pdf",
]
