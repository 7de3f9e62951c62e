"""What the hand-off services refuse, as stable codes with parameters.

The services say *what* went wrong; the words an officer reads are chosen at the edge, in one
catalogue (`bot/web/error_messages.py`). Callers branch on the class or on `code`, never on text.

    TicketError                    (code, params)
     ├── TicketNotFound            ticket_not_found
     ├── Forbidden                 forbidden            why: other_department | not_teacher | …
     ├── TicketClosed              ticket_closed
     ├── ClaimFirst                claim_first
     ├── HeldByOther               held_by_other        holder
     ├── TicketChanged             ticket_changed       (the ticket moved under the action: retry)
     ├── UnknownDepartment         unknown_department   code
     ├── SameDepartment            same_department
     ├── ReasonRequired            reason_required
     ├── EmptyNote                 empty_note
     ├── EmptyReply                empty_reply
     ├── ReplyTooLong              reply_too_long       limit, length
     └── WrongChannel              wrong_channel        channel
    DepartmentError                (code, params)
     ├── NameRequired              name_required
     ├── ResponseHoursOutOfRange   response_hours_range
     ├── ResponseHoursNotNumber    response_hours_not_number
     ├── NoWorkingTime             no_working_time
     ├── CannedReplyIncomplete     canned_reply_incomplete
     ├── BadWorkingDay             bad_working_day      part
     ├── BadPeriod                 bad_period           part
     ├── PeriodEndsBeforeStart     period_ends_before_start  part
     └── PeriodsOverlap            periods_overlap
"""
from __future__ import annotations

from typing import Any, ClassVar

class CodedError(Exception):
    """An error with a stable `code` and the `params` its message needs."""

    code: ClassVar[str] = "error"

    def __init__(self, legacy_text: str | None = None, **params: Any) -> None:
        # `legacy_text`: only for callers not yet moved to a coded class; the edge shows it as is.
        self.params: dict[str, Any] = dict(params)
        self.legacy_text = legacy_text
        super().__init__(legacy_text or self.code)

    def __str__(self) -> str:
        if self.legacy_text is not None:
            return self.legacy_text
        details = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.code}({details})" if details else self.code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class TicketError(CodedError):
    """An action that cannot be done on this ticket now."""

    code = "ticket_error"


class TicketNotFound(TicketError):
    code = "ticket_not_found"

    def __init__(self, ticket_id: int | None = None) -> None:
        super().__init__(ticket_id=ticket_id)


class Forbidden(TicketError):
    """The staff member may not do this on this ticket (a 403, not a 409)."""

    code = "forbidden"

    def __init__(self, why: str = "other_department") -> None:
        super().__init__(why=why)


class TicketClosed(TicketError):
    code = "ticket_closed"

    def __init__(self, ticket_id: int | None = None) -> None:
        super().__init__(ticket_id=ticket_id)


class ClaimFirst(TicketError):
    code = "claim_first"

    def __init__(self) -> None:
        super().__init__()


class HeldByOther(TicketError):
    code = "held_by_other"

    def __init__(self, holder: str | None) -> None:
        super().__init__(holder=holder)


class TicketChanged(TicketError):
    """The ticket changed between reading it and acting on it (another officer acted first)."""

    code = "ticket_changed"

    def __init__(self, ticket_id: int | None = None) -> None:
        super().__init__(ticket_id=ticket_id)


class UnknownDepartment(TicketError):
    code = "unknown_department"

    def __init__(self, department: str) -> None:
        super().__init__(department=department)


class SameDepartment(TicketError):
    code = "same_department"

    def __init__(self) -> None:
        super().__init__()


class ReasonRequired(TicketError):
    code = "reason_required"

    def __init__(self) -> None:
        super().__init__()


class EmptyNote(TicketError):
    code = "empty_note"

    def __init__(self) -> None:
        super().__init__()


class EmptyReply(TicketError):
    code = "empty_reply"

    def __init__(self) -> None:
        super().__init__()


class ReplyTooLong(TicketError):
    code = "reply_too_long"

    def __init__(self, limit: int, length: int) -> None:
        super().__init__(limit=limit, length=length)


class WrongChannel(TicketError):
    code = "wrong_channel"

    def __init__(self, channel: str) -> None:
        super().__init__(channel=channel)


class DepartmentError(CodedError, ValueError):
    """A department or holiday change that cannot be made; nothing was changed."""

    code = "department_error"


class NameRequired(DepartmentError):
    code = "name_required"

    def __init__(self) -> None:
        super().__init__()


class ResponseHoursOutOfRange(DepartmentError):
    code = "response_hours_range"

    def __init__(self, highest: float) -> None:
        super().__init__(highest=highest)


class ResponseHoursNotNumber(DepartmentError):
    code = "response_hours_not_number"

    def __init__(self) -> None:
        super().__init__()


class NoWorkingTime(DepartmentError):
    code = "no_working_time"

    def __init__(self) -> None:
        super().__init__()


class CannedReplyIncomplete(DepartmentError):
    code = "canned_reply_incomplete"

    def __init__(self) -> None:
        super().__init__()


class BadWorkingDay(DepartmentError):
    code = "bad_working_day"

    def __init__(self, part: str) -> None:
        super().__init__(part=part)


class BadPeriod(DepartmentError):
    code = "bad_period"

    def __init__(self, part: str) -> None:
        super().__init__(part=part)


class PeriodEndsBeforeStart(DepartmentError):
    code = "period_ends_before_start"

    def __init__(self, part: str) -> None:
        super().__init__(part=part)


class PeriodsOverlap(DepartmentError):
    code = "periods_overlap"

    def __init__(self) -> None:
        super().__init__()
