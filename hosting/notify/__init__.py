"""Recipient emails: queued in the issuing transaction (outbox), delivered over SMTP by a sender."""
