"""Web UI and JSON API of the register for văn thư, lãnh đạo and department staff."""
