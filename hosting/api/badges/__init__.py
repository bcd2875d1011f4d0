"""``/v1/issuers/{issuer}/badges``: badge classes."""
