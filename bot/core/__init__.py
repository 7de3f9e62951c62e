"""The conversation core: what a citizen's message means, whichever channel brought it.

Channels (Zalo, Rasa's REST channel, the simulator through Zalo's) and the action server only
translate: they build a `Citizen` and call a use case here, then send the `Outcome`'s replies.
Every rule about a turn lives here, in one database transaction per message: the open-ticket
rules (append, one "Đã thêm vào yêu cầu #…", "thôi không cần nữa"), the rating and comment after a
resolved request and "có"/"không" on an answer (`satisfaction.py`), the dialogue (the "Ý bạn
là…?" follow-up, "gặp cán bộ" without a subject, "xem căn cứ", the decision), the hand-off and its
rate, the decision log. Outbound messages that do not answer a turn (an officer's signed reply,
the "resolved" message with its rating question, from the inbox) go through the `CitizenOutbox`
port (`ports.py`), which each channel implements.

Nothing here imports a channel (`connectors/`): tests/test_import_rules.py checks it.
"""
