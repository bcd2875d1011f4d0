"""The earner side: accept links for pending assertions, claim codes, and their public pages."""
