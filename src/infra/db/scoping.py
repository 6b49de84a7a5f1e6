"""Row-level visibility by viewer: the one place every read path takes it from."""

from sqlalchemy import BindParameter, ColumnElement, bindparam, exists, select, true

from domain.viewer import Role, Viewer
from infra.db.tables import appointments, patients, psychologists


def visible_appointments(viewer: Viewer) -> ColumnElement[bool]:
    # Named, so that a prepared statement can bind it again (see viewer_values).
    return visible_appointments_of(viewer.role, bindparam("viewer_subject", viewer.subject))


def visible_appointments_of(role: Role, subject: str | BindParameter[str]) -> ColumnElement[bool]:
    """The same, with the subject given as a value or as a parameter bound at execution
    (for a statement built once per role and executed for every viewer of that role)."""
    if role is Role.ADMIN:
        return true()
    if role is Role.PATIENT:
        own = select(patients.c.id).where(patients.c.subject == subject)
        return appointments.c.patient_id.in_(own.scalar_subquery())
    own = select(psychologists.c.id).where(psychologists.c.subject == subject)
    return appointments.c.psychologist_id.in_(own.scalar_subquery())


def viewer_values(viewer: Viewer) -> dict[str, object]:
    """The values ``visible_appointments`` binds, by parameter name."""
    return {} if viewer.role is Role.ADMIN else {"viewer_subject": viewer.subject}


def visible_patients(viewer: Viewer) -> ColumnElement[bool]:
    """A patient sees themselves; a psychologist, the patients on their schedule."""
    if viewer.role is Role.ADMIN:
        return true()
    if viewer.role is Role.PATIENT:
        return patients.c.subject == viewer.subject
    own = select(psychologists.c.id).where(psychologists.c.subject == viewer.subject)
    return exists().where(
        appointments.c.patient_id == patients.c.id,
        appointments.c.psychologist_id.in_(own.scalar_subquery()),
    )
