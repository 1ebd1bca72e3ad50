"""The rule files are checked against their schemas at start: a typo in a reviewed file is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import danger_rules, outcome_rules
from bot.language.rule_files import DangerFile, OutcomeFile, check, load_rules


def test_both_rule_files_fit_their_schemas() -> None:
    danger = load_rules(danger_rules.PATTERNS_FILE, DangerFile)
    outcomes = load_rules(outcome_rules.PATTERNS_FILE, OutcomeFile)
    assert len(danger.groups) > 20 and len(outcomes.groups) > 20
    assert danger.cues.hope_reach >= 1


def _danger_group(**extra: object) -> dict:  # type: ignore[type-arg]
    return {"name": "x", "kind": "danger", "tier": "clear", "patterns": ["knife"], **extra}


@pytest.mark.parametrize("group, says", [
    (_danger_group(firmm=True), "unknown option at groups.0.firmm"),
    (_danger_group(tier="urgent"), "at groups.0.tier"),
    ({"name": "x", "kind": "danger", "tier": "clear"}, "at groups.0.patterns"),
])
def test_a_typo_in_the_danger_file_names_the_file_and_the_place(group: dict, says: str) -> None:  # type: ignore[type-arg]
    data = {"groups": [group], "cries": {"words": ["help"], "core": ["help"]},
            "cues": load_rules(danger_rules.PATTERNS_FILE, DangerFile).cues.dict()}
    with pytest.raises(ValueError, match=f"^danger.yml: .*{says}"):
        check("danger.yml", data, DangerFile)


def test_an_unknown_cue_list_is_an_error(tmp_path: Path) -> None:
    cues = {**load_rules(danger_rules.PATTERNS_FILE, DangerFile).cues.dict(), "negatoin": ["not"]}
    data = {"groups": [_danger_group()], "cries": {"words": ["help"], "core": ["help"]}, "cues": cues}
    with pytest.raises(ValueError, match="unknown option at cues.negatoin"):
        check("danger.yml", data, DangerFile)
