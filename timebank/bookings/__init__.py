"""Room bookings and equipment loans: never double-booked, audited, notified, in a calendar feed."""
