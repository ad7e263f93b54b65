"""Taking a raw message apart into typed values."""
