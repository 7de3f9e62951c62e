"""The web process (`uvicorn bot.web.app:app`): health, and the Zalo simulator in development."""
