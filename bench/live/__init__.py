"""Live status fan-out: many websocket subscribers on one API process."""
