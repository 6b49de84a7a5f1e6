"""Meeting providers behind the MeetingLinks port."""
