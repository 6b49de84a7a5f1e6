"""Fan-out of committed status events to live subscribers."""
