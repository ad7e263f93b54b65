"""Reading official-document metadata (ND30 fields) from an extracted message."""
