"""Every exchange's conversation: its parties' people and the coordinators write plain-text messages."""
