"""Who may change what: a psychologist their own calendar and profile, an admin anyone's."""

from application.outcomes import Problem
from domain.people import Psychologist
from domain.viewer import Role, Viewer

NOT_YOURS = Problem(
    "FORBIDDEN", ("psychologistId",), "Only this psychologist or an admin may change this."
)
ADMINS_ONLY = Problem("FORBIDDEN", (), "Only an admin may do this.")
PATIENTS_ONLY = Problem("FORBIDDEN", (), "Only a patient has a profile of their own here.")
NO_PSYCHOLOGIST = Problem("NOT_FOUND", ("psychologistId",), "No such psychologist.")


def manages(viewer: Viewer, psychologist: Psychologist) -> bool:
    return viewer.is_admin or (
        viewer.role is Role.PSYCHOLOGIST and psychologist.subject == viewer.subject
    )


def sees_private_notes(viewer: Viewer, psychologist: Psychologist) -> bool:
    """Staff of this schedule: the reasons for time off and the audit are theirs to read."""
    return manages(viewer, psychologist)
