"""The BadgeKit API (Mozilla BadgeKit's routes, auth and shapes) over the hosting store."""
