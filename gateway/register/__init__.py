"""The incoming register: database models, numbering, storage of blobs and search."""
