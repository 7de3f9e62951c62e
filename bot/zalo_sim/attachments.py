"""Attachments a citizen can send, and the small SVG files their URLs point to.

Real attachment URLs point at Zalo's *.zdn.vn CDN; the simulator serves its own so that nothing
reaches the Internet.
"""
from __future__ import annotations

import hashlib
from html import escape

# Sticker id -> its caption. Drawn as shapes and text, so they need no emoji font.
STICKERS: dict[str, str] = {
    "xin-chao": "Xin chào",
    "cam-on": "Cảm ơn",
    "vui": "Vui vẻ",
    "thich": "Yêu thích",
    "dong-y": "Đồng ý",
    "hoi": "Cho hỏi",
}

_STICKER_ART = {
    "xin-chao": '<rect x="6" y="30" width="108" height="60" rx="30" fill="#ffd54f"/>'
                '<text x="60" y="68" font-size="20" font-weight="700" text-anchor="middle" fill="#5d4037">Xin chào!</text>',
    "cam-on": '<path d="M60 104 L18 62 A22 22 0 0 1 60 30 A22 22 0 0 1 102 62 Z" fill="#ff6f61"/>'
              '<text x="60" y="70" font-size="18" font-weight="700" text-anchor="middle" fill="#fff">Cảm ơn</text>',
    "vui": '<circle cx="60" cy="60" r="50" fill="#ffca28"/><circle cx="43" cy="48" r="6" fill="#5d4037"/>'
           '<circle cx="77" cy="48" r="6" fill="#5d4037"/>'
           '<path d="M36 70 Q60 96 84 70" stroke="#5d4037" stroke-width="6" fill="none" stroke-linecap="round"/>',
    "thich": '<path d="M60 104 L16 60 A24 24 0 0 1 60 26 A24 24 0 0 1 104 60 Z" fill="#e53935"/>',
    "dong-y": '<circle cx="60" cy="60" r="50" fill="#43a047"/>'
              '<path d="M36 62 L54 80 L86 44" stroke="#fff" stroke-width="10" fill="none" stroke-linecap="round"/>',
    "hoi": '<circle cx="60" cy="60" r="50" fill="#1e88e5"/>'
           '<text x="60" y="84" font-size="64" font-weight="700" text-anchor="middle" fill="#fff">?</text>',
}

SAMPLE_FILE_NAME = "to-khai-mau.txt"
SAMPLE_FILE = "Tờ khai mẫu (tệp thử của trình mô phỏng Zalo)\n".encode("utf-8")

_AVATAR_COLOURS = ("#0068ff", "#00a86b", "#f5a623", "#d0021b", "#7b61ff", "#13a3b5")


def sticker(base_url: str, sticker_id: str) -> dict[str, object]:
    return {"type": "sticker", "payload": {"id": sticker_id, "url": f"{base_url}/media/sticker/{sticker_id}.svg"}}


def image(base_url: str, url: str | None = None) -> dict[str, object]:
    url = url or f"{base_url}/media/image/giay-to-mau.svg"
    return {"type": "image", "payload": {"thumbnail": url, "url": url}}


def file(base_url: str) -> dict[str, object]:
    return {
        "type": "file",
        "payload": {
            "size": str(len(SAMPLE_FILE)),
            "name": SAMPLE_FILE_NAME,
            "checksum": hashlib.md5(SAMPLE_FILE).hexdigest(),
            "type": "txt",
            "url": f"{base_url}/media/file/{SAMPLE_FILE_NAME}",
        },
    }


def location(latitude: float, longitude: float) -> dict[str, object]:
    # Zalo sends coordinates as strings.
    return {"type": "location", "payload": {"coordinates": {"latitude": str(latitude), "longitude": str(longitude)}}}


def sticker_svg(sticker_id: str) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120" '
        f'font-family="sans-serif">{_STICKER_ART[sticker_id]}</svg>'
    )


def sample_image_svg() -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">'
        '<rect width="320" height="180" rx="8" fill="#e8eef7"/>'
        '<rect x="96" y="20" width="128" height="140" rx="4" fill="#fff" stroke="#9fb3cf"/>'
        '<g stroke="#c5d2e4" stroke-width="6" stroke-linecap="round">'
        '<line x1="114" y1="50" x2="206" y2="50"/><line x1="114" y1="72" x2="206" y2="72"/>'
        '<line x1="114" y1="94" x2="180" y2="94"/></g>'
        '<text x="160" y="140" font-family="sans-serif" font-size="14" text-anchor="middle" fill="#456">'
        "Ảnh giấy tờ mẫu</text></svg>"
    )


def avatar_svg(display_name: str, user_id: str) -> str:
    """A circle with the initial of the given name (the last word of a Vietnamese name)."""
    words = display_name.split()
    initial = escape(words[-1][0].upper() if words else "?")
    colour = _AVATAR_COLOURS[int(user_id) % len(_AVATAR_COLOURS)] if user_id.isdigit() else _AVATAR_COLOURS[0]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">'
        f'<circle cx="120" cy="120" r="120" fill="{colour}"/>'
        f'<text x="120" y="152" font-family="sans-serif" font-size="96" text-anchor="middle" fill="#fff">{initial}</text>'
        "</svg>"
    )
