"""E-mail document gateway: takes official mail in, registers each document with its số đến, and searches it."""

__version__ = "0.1.0"
