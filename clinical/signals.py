"""Signals the chart sends to apps that build on it (which clinical must not import)."""

from django.dispatch import Signal

# Sent after a golden database was rebuilt and put in place; kwargs: alias.
# Copies made from the previous golden database are stale from then on.
golden_rebuilt = Signal()

# Sent while a golden database is built, once its population and scenario overlay are in (before it is put in
# place); kwargs: using (the alias being built), reference_date (the population's "today", or None).
population_seeded = Signal()
