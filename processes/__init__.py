"""The programs this product runs, each composed here from `bot` (the core, the staff site) and
`connectors` (the channels). `bot` never imports `connectors`: the wiring lives here."""
