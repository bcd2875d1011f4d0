"""Users and the OAuth2 authorization server (``/o/token``, ``/o/authorize``, ``/o/revoke_token``) on Authlib."""
