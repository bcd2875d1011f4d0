"""Open Badges 3.0: credentials (Data Integrity, VC-JWT), status lists, DID documents and their public endpoints."""
