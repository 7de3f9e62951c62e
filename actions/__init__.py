"""Rasa SDK custom actions: thin adapters over bot.conversation."""
