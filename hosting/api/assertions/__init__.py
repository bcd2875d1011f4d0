"""``/v1/…/assertions``: issuing (one, batch), reading, revoking, withdrawing and replacing assertions."""
