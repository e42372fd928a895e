"""Statistics for managers: tickets per day, hour and service, waits, no-shows, CSV export."""
