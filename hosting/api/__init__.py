"""The issuer API (``/v1``): one module or folder per area, mounted by :func:`hosting.api.router.api_router`."""
