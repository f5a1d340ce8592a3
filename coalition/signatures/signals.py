"""What the signatures app tells the apps above it, without importing them."""

from django.dispatch import Signal

# Sent with `signature_ids` after a signer's personal data is erased, inside the same transaction: whatever an app
# above keeps about those signatures (a member's places, their declaration) goes with it.
personal_data_erased = Signal()

# Sent with `signature_ids` when a signer downloads everything the coalition holds about them: each app above that
# keeps something about those signatures answers (section name, data), and the download includes it.
signer_data_requested = Signal()
