"""Everything the action server loads (`rasa run actions --actions bot.actions`).

rasa_sdk imports every submodule of this package and registers each concrete
Action subclass it finds; abstract bases (with an abstract `name`) are skipped.
"""
