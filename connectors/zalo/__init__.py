"""The Zalo Official Account channel for Rasa (input and output) and its OA API client."""
