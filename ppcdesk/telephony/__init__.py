"""Telephony: the provider Protocol, the Twilio adapter, and the sync job."""
