"""The application: factory, settings, shared state, CLI, operations endpoints, error handlers, demo data."""
