"""A development and test double of the Zalo OA Open API, and a chat page playing a citizen's Zalo app.

The connector reaches it only through Zalo's documented HTTP API, by base URL and keys
(../shared/zalo-oa-api.md); nothing here is imported by `connectors/`.
"""
