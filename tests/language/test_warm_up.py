"""The action server builds every rule set at start, so the first message is not the slow one."""

from __future__ import annotations

from bot.language import danger, outcomes, repair, warm_up


def test_warm_up_builds_every_rule_set() -> None:
    for cached in (danger._rules, outcomes._rules, repair._rules):
        cached.cache_clear()
    assert warm_up() > 0
    for cached in (danger._rules, outcomes._rules, repair._rules):
        assert cached.cache_info().currsize == 1, cached

