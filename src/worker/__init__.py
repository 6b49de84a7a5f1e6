"""The outbox relay and the queue consumer that decides appointment requests."""
