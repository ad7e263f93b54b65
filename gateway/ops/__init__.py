"""What operators do besides running the daemon: backup and restore, status, doctor, quarantine decisions."""
