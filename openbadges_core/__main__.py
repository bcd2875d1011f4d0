"""``python -m openbadges_core …`` runs the ``openbadges`` command."""

from openbadges_core._cli import main

main()
