"""Duty alerts: tell the team when a conversation shows danger or a person asks for a human."""
