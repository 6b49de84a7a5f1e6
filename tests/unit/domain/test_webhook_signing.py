"""Signatures checked against the spec's own example and an independent implementation
(the ``standardwebhooks`` package)."""

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from domain.webhook_signing import headers, new_secret, secret_key, sign, signature_header

# The example of the Standard Webhooks specification and its reference libraries' tests.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signs_the_specifications_example_as_it_says():
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_an_independent_implementation_accepts_the_signature():
    secret = new_secret(bytes(range(32)))
    now = int(datetime.now(UTC).timestamp())
    body = b'{"type":"appointment.confirmed","data":{}}'
    sent = headers([secret], "msg_1", now, body)
    assert Webhook(secret).verify(body, sent) == {"type": "appointment.confirmed", "data": {}}


def test_while_secrets_overlap_either_one_verifies_the_message():
    old, new = new_secret(b"o" * 32), new_secret(b"n" * 32)
    now = int(datetime.now(UTC).timestamp())
    sent = headers([new, old], "msg_2", now, b"{}")
    assert len(sent["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(b"{}", sent)
    Webhook(new).verify(b"{}", sent)


def test_another_secret_or_a_changed_body_does_not_verify():
    secret, other = new_secret(b"a" * 32), new_secret(b"b" * 32)
    now = int(datetime.now(UTC).timestamp())
    sent = headers([secret], "msg_3", now, b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(b'{"a":1}', sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', sent)


def test_a_secret_is_whsec_and_the_base64_of_its_bytes():
    secret = new_secret(b"x" * 32)
    assert secret.startswith("whsec_")
    assert secret_key(secret) == b"x" * 32
    assert base64.b64decode(secret.removeprefix("whsec_")) == b"x" * 32


def test_too_short_a_secret_or_none_at_all_is_refused():
    with pytest.raises(ValueError, match="24"):
        new_secret(b"short")
    with pytest.raises(ValueError, match="no secret"):
        signature_header([], "msg", 1, b"")
