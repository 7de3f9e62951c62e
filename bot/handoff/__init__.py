"""Hand-off to people: departments and their office hours, routing, tickets, staff."""
