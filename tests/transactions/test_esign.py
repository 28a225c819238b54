import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from transactions.esign import (
    CONSENT_STATEMENT,
    RECORD_ATTACHMENT,
    LocalSignatureProvider,
    SignatureRequest,
    SignatureState,
    Signer,
    SignerEvidence,
    SigningRecord,
    audit_certificate_pdf,
    document_sha256,
    pdf_check,
    pdf_sign,
    pdf_verify,
    signature_page_pdf,
)

SIGNED_AT = datetime(2025, 3, 4, 15, 22, 10, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def purchase_agreement_pdf(pages=2):
    """A small real PDF, as an agent would upload it."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=True)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"Residential purchase agreement, 12 Elm Street: page {number}")
        canvas.drawString(72, 700, "Purchase price: $450,000.00. Closing within 30 days.")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def evidence(name, email, *, signed_at=SIGNED_AT, ip="203.0.113.7", user_agent=CHROME):
    return SignerEvidence(
        name=name,
        email=email,
        consent_text=CONSENT_STATEMENT,
        consent_accepted=True,
        signed_at=signed_at,
        ip=ip,
        user_agent=user_agent,
    )


BUYER = evidence("Jane Q. Buyer", "jane@example.com")
SELLER = evidence(
    "Robert Seller",
    "robert@example.com",
    # Signed two hours later from New York: the evidence keeps the moment, in UTC.
    signed_at=(SIGNED_AT + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5))),
    ip="2001:db8::1",
    user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1",
)


def signing_record(original, signers=(BUYER, SELLER), reference="SR-2025-0042"):
    return SigningRecord(
        document_title="Purchase agreement, 12 Elm Street",
        request_reference=reference,
        sha256_before=document_sha256(original),
        signers=list(signers),
    )


def page_texts(data):
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def rewritten(data, change=None):
    """The PDF saved again by pypdf, after an optional change to its pages."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(data)))
    if change is not None:
        change(writer)
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def flip_byte_in_content_stream(data, page_index):
    """The file with one byte changed inside the content stream of a page."""
    reader = PdfReader(BytesIO(data))
    number = reader.pages[page_index]["/Contents"].indirect_reference.idnum
    # The last definition of the object is the one in force (an update may redefine it).
    start = data.rindex(f"\n{number} 0 obj".encode())
    offset = data.index(b"stream\n", start) + len(b"stream\n") + 5
    changed = bytearray(data)
    changed[offset] ^= 0x01
    return bytes(changed)


@pytest.fixture(scope="module")
def original():
    return purchase_agreement_pdf()


@pytest.fixture(scope="module")
def record(original):
    return signing_record(original)


@pytest.fixture(scope="module")
def signed(original, record):
    return pdf_sign(original=original, record=record)


def verify(data, signed):
    return pdf_verify(signed=data, expected_sha256_after=signed.sha256_after)


# --- Signing ---------------------------------------------------------------------------------


def test_signing_appends_one_signature_page_after_the_original_pages(original, signed):
    texts = page_texts(signed.data)

    assert len(texts) == 3
    assert (signed.original_page_count, signed.page_count) == (2, 3)
    assert texts[:2] == page_texts(original)
    assert texts[2].startswith("Signature page")


def test_signed_file_begins_with_the_original_bytes_unchanged(original, signed):
    assert signed.data.startswith(original)
    assert len(signed.data) > len(original)


def test_signature_page_shows_both_signers_and_the_hash_before_signing(signed, record):
    text = page_texts(signed.data)[-1]

    assert record.sha256_before in text
    assert "Purchase agreement, 12 Elm Street" in text
    assert "SR-2025-0042" in text
    for signer in ("Jane Q. Buyer", "Robert Seller"):
        assert signer in text
    assert "jane@example.com" in text
    assert "robert@example.com" in text
    assert "2025-03-04T15:22:10Z" in text
    assert "2025-03-04T17:22:10Z" in text
    assert "203.0.113.7" in text
    assert "2001:db8::1" in text
    assert "Chrome/126.0.0.0" in text
    assert "Typing my name is my signature" in text


def test_signing_records_the_hash_before_and_after(original, signed):
    assert signed.sha256_before == document_sha256(original)
    assert signed.sha256_after == document_sha256(signed.data)
    assert signed.sha256_before != signed.sha256_after


def test_signed_pdf_carries_its_signing_record(original, signed, record):
    reader = PdfReader(BytesIO(signed.data))
    (attached,) = reader.attachments[RECORD_ATTACHMENT]
    carried = json.loads(attached)

    assert carried["format"] == "signing-record/1"
    assert carried["sha256_before"] == signed.sha256_before
    assert carried["request_reference"] == "SR-2025-0042"
    assert carried["original_size"] == len(original)
    assert carried["original_page_count"] == 2
    assert carried["signature_page_count"] == 1
    assert [signer["name"] for signer in carried["signers"]] == ["Jane Q. Buyer", "Robert Seller"]
    assert carried["signers"][1]["signed_at"] == "2025-03-04T17:22:10+00:00"
    assert carried["signers"][1]["consent_accepted"] is True
    assert reader.metadata["/ModDate"] == "D:20250304172210+00'00'"


def test_signing_the_same_document_and_evidence_gives_the_same_bytes(original, record, signed):
    again = pdf_sign(original=original, record=signing_record(original))

    assert again.data == signed.data
    assert signature_page_pdf(record) == signature_page_pdf(record)


def test_signing_rejects_a_record_taken_from_another_document(original):
    other = purchase_agreement_pdf(pages=3)

    with pytest.raises(ValueError, match="for another document"):
        pdf_sign(original=original, record=signing_record(other))


def test_a_file_that_is_not_a_pdf_is_rejected():
    word_document = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200

    with pytest.raises(ValueError, match="not a PDF"):
        pdf_check(word_document)
    with pytest.raises(ValueError, match="not a PDF"):
        pdf_sign(original=word_document, record=signing_record(word_document))


def test_a_damaged_pdf_is_rejected():
    damaged = b"%PDF-1.4\n" + bytes(range(256)) * 4

    with pytest.raises(ValueError, match="cannot be read"):
        pdf_check(damaged)


def test_a_pdf_with_stray_data_before_it_is_rejected(original):
    with pytest.raises(ValueError, match="stray data before its beginning"):
        pdf_check(b"Content-Type: application/pdf\r\n\r\n" + original)


def test_a_password_protected_pdf_is_rejected(original):
    writer = PdfWriter(clone_from=PdfReader(BytesIO(original)))
    writer.encrypt(user_password="", owner_password="broker-only", algorithm="AES-128")
    output = BytesIO()
    writer.write(output)
    protected = output.getvalue()

    with pytest.raises(ValueError, match="password-protected"):
        pdf_check(protected)
    with pytest.raises(ValueError, match="password-protected"):
        pdf_sign(original=protected, record=signing_record(protected))


def test_a_pdf_without_a_line_break_at_the_end_is_signed_unchanged(original):
    bare = original.rstrip(b"\r\n")
    signed = pdf_sign(original=bare, record=signing_record(bare))

    assert signed.data.startswith(bare)
    assert verify(signed.data, signed).ok


def test_two_buyers_and_two_sellers_fit_on_one_signature_page(original):
    signers = [
        evidence(f"Alexandra Montgomery-Whitfield {n}", f"alexandra{n}@example-brokerage.com")
        for n in range(1, 5)
    ]
    signed = pdf_sign(original=original, record=signing_record(original, signers))

    assert signed.page_count == 3
    assert all(signer.name in page_texts(signed.data)[-1] for signer in signers)


def test_many_signers_continue_on_a_second_signature_page(original):
    signers = [evidence(f"Signer Number {n}", f"signer{n}@example.com") for n in range(1, 9)]
    signed = pdf_sign(original=original, record=signing_record(original, signers))
    texts = page_texts(signed.data)

    assert signed.page_count == len(texts) > 3
    assert texts[3].startswith("Signature page (continued)")
    assert all(f"Signer Number {n}" in "".join(texts) for n in range(1, 9))
    assert verify(signed.data, signed).ok


def test_a_signed_pdf_signed_again_keeps_both_records_and_verifies(signed):
    addendum = signing_record(
        signed.data, [evidence("Pat Listing Agent", "pat@example.com")], reference="SR-2025-0043"
    )
    countersigned = pdf_sign(original=signed.data, record=addendum)
    verification = verify(countersigned.data, countersigned)

    assert verification.ok, verification.problems
    assert verification.record == addendum
    assert countersigned.data.startswith(signed.data)
    attachments = PdfReader(BytesIO(countersigned.data)).attachments
    assert sorted(attachments) == ["signing-record-2.json", "signing-record.json"]


def test_names_the_fonts_cannot_draw_are_kept_exactly_in_the_record(original):
    signer = evidence("Łukasz Żółć", "lukasz@example.com")
    signed = pdf_sign(original=original, record=signing_record(original, [signer]))

    assert "Lukasz Zólc" in page_texts(signed.data)[-1]
    assert verify(signed.data, signed).record.signers[0].name == "Łukasz Żółć"


def test_a_very_long_user_agent_is_shortened_on_the_page_and_kept_in_the_record(original):
    agent = CHROME + " " + "Extension/1.0" * 60
    signed = pdf_sign(
        original=original, record=signing_record(original, [evidence("Jane", "j@example.com")])
    )
    long_signed = pdf_sign(
        original=original,
        record=signing_record(original, [evidence("Jane", "j@example.com", user_agent=agent)]),
    )

    assert long_signed.page_count == signed.page_count == 3
    assert "..." in page_texts(long_signed.data)[-1]
    assert verify(long_signed.data, long_signed).record.signers[0].user_agent == agent


# --- Evidence -----------------------------------------------------------------------------


def test_evidence_is_kept_in_utc():
    assert SELLER.signed_at == datetime(2025, 3, 4, 17, 22, 10, tzinfo=UTC)
    assert SELLER.signed_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "   "}, "type their name"),
        ({"consent_accepted": False}, "agree to sign electronically"),
        ({"consent_text": ""}, "consent statement"),
        ({"signed_at": datetime(2025, 3, 4, 15, 22, 10)}, "time zone"),
        ({"ip": "not-an-address"}, "not an IP address"),
        ({"email": "jane.example.com"}, "not an email address"),
    ],
)
def test_incomplete_evidence_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        replace(BUYER, **change)


def test_a_record_needs_a_signer_and_a_real_hash(original):
    with pytest.raises(ValueError, match="at least one signer"):
        signing_record(original, signers=[])
    with pytest.raises(ValueError, match="SHA-256"):
        replace(signing_record(original), sha256_before="abc")


# --- Verification ---------------------------------------------------------------------------


def test_verification_passes_on_the_signed_bytes(signed, record):
    verification = pdf_verify(
        signed=signed.data,
        expected_sha256_after=signed.sha256_after,
        expected_sha256_before=signed.sha256_before,
    )

    assert verification.ok
    assert verification.problems == []
    assert verification.sha256 == signed.sha256_after
    assert verification.record == record


def test_a_byte_changed_in_an_original_page_fails_verification(signed):
    tampered = flip_byte_in_content_stream(signed.data, page_index=0)
    verification = verify(tampered, signed)

    assert not verification.ok
    assert any("changed since it was signed" in problem for problem in verification.problems)
    assert any("not the one that was signed" in problem for problem in verification.problems)


def test_a_byte_changed_in_the_signature_page_fails_verification(signed):
    tampered = flip_byte_in_content_stream(signed.data, page_index=2)
    verification = verify(tampered, signed)

    assert not verification.ok
    assert any("changed since it was signed" in problem for problem in verification.problems)


def test_a_page_appended_with_pypdf_fails_verification(signed):
    tampered = rewritten(signed.data, lambda writer: writer.add_blank_page())
    verification = verify(tampered, signed)

    assert not verification.ok
    assert any("has 4 pages, but it had 3" in problem for problem in verification.problems)


def test_a_change_appended_as_an_update_fails_verification_though_the_original_is_intact(signed):
    # An update after the signature leaves every signed byte in place but changes what a viewer
    # shows: here the first page is turned on its side.
    writer = PdfWriter(PdfReader(BytesIO(signed.data)), incremental=True)
    writer.pages[0].rotate(90)
    output = BytesIO()
    writer.write(output)
    tampered = output.getvalue()
    verification = verify(tampered, signed)

    assert tampered.startswith(signed.data)
    assert not verification.ok
    assert any("changed since it was signed" in problem for problem in verification.problems)
    assert any("added to the PDF after it" in problem for problem in verification.problems)
    assert not any("not the one that was signed" in problem for problem in verification.problems)


def test_a_page_removed_with_pypdf_fails_verification(signed):
    def remove_first_page(writer):
        del writer.pages[0]

    verification = verify(rewritten(signed.data, remove_first_page), signed)

    assert not verification.ok
    assert any("has 2 pages, but it had 3" in problem for problem in verification.problems)


def test_a_pdf_saved_again_with_pypdf_fails_verification(signed):
    verification = verify(rewritten(signed.data), signed)

    assert not verification.ok
    assert any("changed since it was signed" in problem for problem in verification.problems)
    assert any("not the one that was signed" in problem for problem in verification.problems)


def test_evidence_edited_inside_the_signed_pdf_fails_verification(signed):
    # The signing record is stored uncompressed, so its text can be edited in place.
    tampered = signed.data.replace(b'"ip": "203.0.113.7"', b'"ip": "203.0.113.8"')
    verification = verify(tampered, signed)

    assert tampered != signed.data
    assert not verification.ok
    assert verification.record.signers[0].ip == "203.0.113.8"
    assert verification.problems[0].startswith("The file has changed since it was signed")


def test_a_truncated_signed_pdf_fails_verification(signed):
    verification = verify(signed.data[: len(signed.data) // 2], signed)

    assert not verification.ok
    assert verification.problems[0].startswith("The file has changed since it was signed")


def test_a_pdf_without_a_signing_record_fails_verification(original):
    verification = pdf_verify(signed=original, expected_sha256_after=document_sha256(original))

    assert not verification.ok
    assert verification.problems == [
        f"The signing record ({RECORD_ATTACHMENT}) is not attached to the PDF."
    ]


def test_verification_against_another_documents_hash_before_fails(signed):
    verification = pdf_verify(
        signed=signed.data,
        expected_sha256_after=signed.sha256_after,
        expected_sha256_before="0" * 64,
    )

    assert not verification.ok
    assert "is for another document" in verification.problems[0]


# --- Audit certificate ------------------------------------------------------------------------


def test_certificate_lists_both_hashes_and_every_signer(signed, record):
    certificate = audit_certificate_pdf(record=record, sha256_after=signed.sha256_after)
    text = "\n".join(page_texts(certificate))

    assert text.startswith("Audit certificate")
    assert signed.sha256_before in text
    assert signed.sha256_after in text
    assert "Jane Q. Buyer" in text
    assert "Robert Seller" in text
    assert "203.0.113.7" in text
    assert "How to verify the signed PDF" in text
    assert PdfReader(BytesIO(certificate)).metadata["/CreationDate"] == "D:20250304172210+00'00'"


def test_certificate_is_the_same_for_the_same_evidence(signed, record):
    first = audit_certificate_pdf(record=record, sha256_after=signed.sha256_after)

    assert audit_certificate_pdf(record=record, sha256_after=signed.sha256_after) == first


# --- The local signature provider --------------------------------------------------------------


def signature_request(original, buyer_evidence=None, seller_evidence=None):
    return SignatureRequest(
        reference="SR-2025-0042",
        document_title="Purchase agreement, 12 Elm Street",
        document=original,
        signers=(
            Signer(name="Jane Buyer", email="jane@example.com", evidence=buyer_evidence),
            Signer(name="Robert Seller", email="robert@example.com", evidence=seller_evidence),
        ),
    )


def test_local_provider_collects_signatures_and_completes_a_verifiable_document(original):
    provider = LocalSignatureProvider()
    request = signature_request(original)

    external_id = provider.send(request)
    assert external_id == "SR-2025-0042"
    assert not provider.emails_signers
    assert provider.status(request=request, external_id=external_id).state == SignatureState.SENT

    request = signature_request(original, buyer_evidence=BUYER)
    status = provider.status(request=request, external_id=external_id)
    assert (status.state, status.signed_emails) == (SignatureState.SENT, ("jane@example.com",))
    with pytest.raises(ValueError, match="Still waiting for robert@example.com"):
        provider.completed(request=request, external_id=external_id)

    request = signature_request(original, buyer_evidence=BUYER, seller_evidence=SELLER)
    status = provider.status(request=request, external_id=external_id)
    assert status.state == SignatureState.COMPLETED
    completed = provider.completed(request=request, external_id=external_id)

    assert completed.document.sha256_before == document_sha256(original)
    assert pdf_verify(
        signed=completed.document.data, expected_sha256_after=completed.document.sha256_after
    ).ok
    assert completed.document.sha256_after in "".join(page_texts(completed.certificate))


def test_local_provider_refuses_a_document_that_cannot_be_signed():
    with pytest.raises(ValueError, match="not a PDF"):
        LocalSignatureProvider().send(signature_request(b"plain text, not a PDF"))


def test_local_provider_refuses_two_signers_with_one_email(original):
    request = replace(
        signature_request(original),
        signers=(Signer("Jane", "jane@example.com"), Signer("Jane B", "JANE@example.com")),
    )

    with pytest.raises(ValueError, match="own email address"):
        LocalSignatureProvider().send(request)


def test_local_provider_refuses_evidence_given_from_another_email(original):
    request = signature_request(original, buyer_evidence=SELLER, seller_evidence=SELLER)

    with pytest.raises(ValueError, match="belongs to robert@example.com"):
        LocalSignatureProvider().completed(request=request, external_id="SR-2025-0042")


def test_local_provider_refuses_another_requests_id(original):
    with pytest.raises(ValueError, match="not the reference"):
        LocalSignatureProvider().status(request=signature_request(original), external_id="SR-1")
