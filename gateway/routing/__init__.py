"""Routing: rule files decide which departments handle a document, by when, and what mail goes out."""
