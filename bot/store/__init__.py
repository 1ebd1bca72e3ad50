"""The record: what people told us, kept with SQLAlchemy. No Rasa imports here."""
