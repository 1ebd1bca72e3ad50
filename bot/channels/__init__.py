"""Input channels of the Rasa server (loaded by module path from credentials.yml).

Nothing here imports bot.actions: a channel decides what a request is, never
what the assistant says.
"""
