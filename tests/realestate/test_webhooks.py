"""Signing and verifying by the Standard Webhooks scheme."""

import pytest

from realestate.webhooks import SignatureInvalid, secret_generate, sign, signed_headers, verify

# The published example of the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = '{"test": 2432232314}'


def test_signature_matches_the_specifications_known_answer():
    signature = sign(secret=SECRET, message_id=MESSAGE_ID, timestamp=TIMESTAMP, body=BODY)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_headers_verify_and_name_the_message():
    secret = secret_generate()
    headers = signed_headers(secret=secret, message_id="msg_1", body=b'{"a": 1}', timestamp=1000)
    assert verify(secret=secret, headers=headers, body=b'{"a": 1}', now=1000) == "msg_1"


def test_one_matching_signature_among_several_is_enough():
    headers = {
        "webhook-id": MESSAGE_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": "v1,bm90IGl0 v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    assert verify(secret=SECRET, headers=headers, body=BODY, now=TIMESTAMP) == MESSAGE_ID


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": '{"test": 2432232315}'}, "does not match"),
        ({"secret": secret_generate()}, "does not match"),
        ({"now": TIMESTAMP + 301}, "five minutes"),
        ({"now": TIMESTAMP - 301}, "five minutes"),
        ({"headers": {"webhook-id": MESSAGE_ID}}, "headers are required"),
        (
            {
                "headers": {
                    "webhook-id": MESSAGE_ID,
                    "webhook-timestamp": "yesterday",
                    "webhook-signature": "v1,x",
                }
            },
            "Unix time",
        ),
    ],
)
def test_a_changed_body_wrong_secret_stale_time_or_missing_header_is_refused(change, reason):
    arguments = {
        "secret": SECRET,
        "headers": signed_headers(
            secret=SECRET, message_id=MESSAGE_ID, body=BODY, timestamp=TIMESTAMP
        ),
        "body": BODY,
        "now": TIMESTAMP,
    }
    arguments.update(change)
    with pytest.raises(SignatureInvalid, match=reason):
        verify(**arguments)
