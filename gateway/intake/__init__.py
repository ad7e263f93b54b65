"""Ways mail comes in: the SMTP listener, IMAP pollers and file import; each ends by writing to the spool."""
