"""Rasa 3.6 graph components for Vietnamese: the only part of `bot` that imports Rasa."""
