"""The outbox relay, the queue consumer that decides appointment requests, and the
dead-letter sweeper."""
