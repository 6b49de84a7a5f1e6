"""Failures a port reports that the callers of a use case act on."""


class DatabaseUnavailable(Exception):
    """The database could not be reached or dropped the connection; worth retrying later.

    Every port that stores or reads raises it for an outage; a mistake in a query still
    raises its own error.
    """


class StaleAppointment(Exception):
    """Someone changed the appointment since it was read: its version moved on."""
