"""Channel adapters between messaging platforms and the Rasa server."""
