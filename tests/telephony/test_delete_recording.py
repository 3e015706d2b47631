"""Deleting a recording on Twilio: the adapter through the SDK against the fake Twilio."""

from __future__ import annotations

import pytest
from ppcdesk.telephony.fake_twilio import FakeTwilio
from ppcdesk.telephony.provider import BadRecordError
from ppcdesk.telephony.retry import RetryPolicy
from ppcdesk.telephony.twilio_provider import TwilioProvider

FAST = RetryPolicy(max_attempts=2, network_attempts=2, base_delay=0.0, max_delay=0.0)


def test_a_deleted_recording_is_gone_and_deleting_it_again_is_fine(
        fake_twilio: FakeTwilio) -> None:
    call = fake_twilio.add_call("+18885550100", "+13125550123", 1_767_225_600)[0]
    kept = fake_twilio.add_recording(call.sid)
    gone = fake_twilio.add_recording(call.sid)
    with TwilioProvider(fake_twilio.account_sid, auth_token=fake_twilio.auth_token,
                        base_url=fake_twilio.url, policy=FAST,
                        sleep=lambda _s: None) as provider:
        provider.delete_recording(gone.sid)
        listed = [r.sid for page in provider.recordings(0) for r in page.records]
        assert listed == [kept.sid]
        provider.delete_recording(gone.sid)  # a retry after a lost answer: already gone
        with pytest.raises(BadRecordError, match="not a recording SID"):
            provider.delete_recording("CA" + "0" * 32)
    deletes = [(r.method, r.status) for r in fake_twilio.requests if r.method == "DELETE"]
    assert deletes == [("DELETE", 204), ("DELETE", 404)]
