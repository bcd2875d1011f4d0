"""The public OB 2.0 endpoints (``/public/*``): the reader service, document rendering, the HTML badge page."""
