"""Events of the conversation layer that higher layers react to (they import this; it imports none of them)."""

from django.dispatch import Signal

# Outbound messages of a conversation went out or failed (kwargs: conversation). The console refreshes.
delivered = Signal()

# Admins asked to process these inbound events again (kwargs: event_ids). The pipeline queues them.
retry_requested = Signal()
