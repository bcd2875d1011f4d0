"""``GET /v1/issuers/{issuer}[/badges/{badge}]/assertions``: filtered, sorted, paginated assertion lists."""
