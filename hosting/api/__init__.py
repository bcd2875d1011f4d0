"""The issuer API (``/v1``): one module or folder per area, mounted by :func:`.router.api_router`."""
