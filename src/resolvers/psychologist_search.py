"""Finding psychologists by free time: the candidates the filter matches, their free slots
in the window from one read, kept when they have one, ordered by name or by the first
free slot, and paged in memory with keyset cursors."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from application.free_slots import SlotQuery
from domain.listing import Key, Page, PageRequest, PsychologistFilter, PsychologistOrderField
from domain.people import Psychologist
from domain.schedule import Interval
from resolvers.context import Context
from resolvers.errors import bad_user_input
from resolvers.pagination import parse_datetime_key, parse_text_key
from resolvers.slots import slot_query
from resolvers.types.inputs import AvailableBetweenInput

# A practice's psychologists all fit; a directory larger than this is searched by name.
MAX_CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class Found:
    psychologist: Psychologist
    next_slot: Interval | None


def ordering_of(field: PsychologistOrderField) -> str:
    return f"psychologists:{field.value}:ASC"


def key_parser(field: PsychologistOrderField) -> Callable[[str], object]:
    return parse_datetime_key if field is PsychologistOrderField.NEXT_AVAILABLE else parse_text_key


def key_of(found: Found, field: PsychologistOrderField) -> Key:
    if field is PsychologistOrderField.NEXT_AVAILABLE and found.next_slot is not None:
        return found.next_slot.start, found.psychologist.id
    return found.psychologist.name, found.psychologist.id


async def search(
    context: Context,
    wanted: PsychologistFilter,
    available: AvailableBetweenInput | None,
    field: PsychologistOrderField,
) -> list[Found]:
    if available is None:
        raise bad_user_input(
            "Ordering by NEXT_AVAILABLE needs filter.availableBetween.", argument="orderBy"
        )
    services = context.services
    query = slot_query(
        services,
        from_=available.from_,
        to=available.to,
        duration_minutes=available.duration_minutes,
        step_minutes=None,
        appointment_type=None,
    )
    candidates = await services.people.psychologists_matching(wanted, limit=MAX_CANDIDATES)
    slots = await services.free_slots([p.id for p in candidates], _whole(query))
    found = [
        Found(psychologist, slots[psychologist.id][0])
        for psychologist in candidates
        if slots.get(psychologist.id)
    ]
    found.sort(key=lambda item: key_of(item, field))  # type: ignore[arg-type, return-value]
    return found


def _whole(query: SlotQuery) -> SlotQuery:
    return replace(query, step_minutes=15)


def page_of(
    found: Sequence[Found], field: PsychologistOrderField, request: PageRequest
) -> Page[Found]:
    """The page of ``found`` (already in order) the request asks for."""
    keys = [key_of(item, field) for item in found]
    low = 0 if request.after is None else _after(keys, request.after)
    high = len(found) if request.before is None else _before(keys, request.before)
    window = list(found[low:high])
    if request.backwards:
        kept = window[-request.size :] if request.size else []
        has_previous, has_next = len(window) > len(kept), high < len(found)
    else:
        kept = window[: request.size]
        has_next, has_previous = len(window) > len(kept), low > 0
    return Page(kept, has_next=has_next, has_previous=has_previous, total=len(found))


def _after(keys: list[Key], cursor: Key) -> int:
    return next((i for i, key in enumerate(keys) if _later(key, cursor)), len(keys))


def _before(keys: list[Key], cursor: Key) -> int:
    return next((i for i, key in enumerate(keys) if not _later(cursor, key)), len(keys))


def _later(key: Key, other: Key) -> bool:
    return (key[0], str(key[1])) > (other[0], str(other[1]))  # type: ignore[operator]
