"""Zalo's OA API error codes with the messages its error table gives (DOCS phu-luc/ma-loi).

Zalo reports these with HTTP 200 and `{"error": <code>, "message": ...}`; callers must read `error`.
"""
from __future__ import annotations

RATE_LIMITED = -32
INVALID_PARAMETER = -201
PARAMETER_OVER_LIMIT = -210
INVALID_ACCESS_TOKEN = -216
EXPIRED_ACCESS_TOKEN = -220
NO_INTERACTION_7_DAYS = -230
NO_INTERACTION = -232

MESSAGES: dict[int, str] = {
    RATE_LIMITED: "Your application reached limit call api",
    -200: "Send message failed",
    INVALID_PARAMETER: "<data_field> is invalid!",
    PARAMETER_OVER_LIMIT: "Parameter exceeds allowable limit",
    -213: "User has not followed OA",
    INVALID_ACCESS_TOKEN: "Access token is invalid",
    -217: "User has blocked invitation from OA",
    -218: "Out of quota receive",
    EXPIRED_ACCESS_TOKEN: "access_token is expired or removed",
    -227: "User is banned or has been inactive for more than 45 days",
    NO_INTERACTION_7_DAYS: "User has not interacted with the OA in the past 7 days",
    NO_INTERACTION: "User has not interacted with the OA, or the last interaction has expired",
    -234: "This message cannot be sent at night (10:00PM - 6:00AM)",
    -244: "User has restricted this message type from your OA",
}

# OAuth errors are not in the OA table; -14014 is what integrators report for a used refresh
# token and -14003 for a bad parameter (fact sheet §4, unconfirmed in DOCS).
OAUTH_INVALID_PARAMETER = -14003
OAUTH_INVALID_REFRESH_TOKEN = -14014


class ZaloError(Exception):
    """An OA API failure that Zalo reports in the body as `error` and `message`."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message or MESSAGES.get(code, "Unknown error")
        super().__init__(f"Zalo error {code}: {self.message}")

    @classmethod
    def invalid(cls, field: str) -> ZaloError:
        """-201 naming the field, the way Zalo words it ("recipient is invalid!")."""
        return cls(INVALID_PARAMETER, f"{field} is invalid!")

    def body(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message}


class ForcedHttpError(Exception):
    """A test switch asked for a transport-level failure (e.g. HTTP 500) instead of a Zalo error."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(f"forced HTTP {status_code}")


class OAuthError(Exception):
    """An OAuth v4 failure, reported as `error`, `error_name` and `error_description`."""

    def __init__(self, code: int, name: str, description: str) -> None:
        self.code = code
        self.name = name
        self.description = description
        super().__init__(f"OAuth error {code}: {name}")

    def body(self) -> dict[str, object]:
        return {"error": self.code, "error_name": self.name, "error_description": self.description}
