"""Processes: the daemon, its workers, the pipeline they run, the isolated reading child, file import, OCR backfill."""
