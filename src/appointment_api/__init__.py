"""appointment_api."""
