"""The simulator's HTTP areas; each module has one `router` for the app to include."""
