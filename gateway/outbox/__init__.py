"""Outbound mail: forwards to department mailboxes and receipts to senders, queued then sent with retries."""
