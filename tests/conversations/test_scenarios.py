"""Whole conversations over HTTP against the real servers, records checked field by field.

The shared samples run first, then this project's own scenarios, in file
order against one database (a review scenario relies on its enquiry's
earlier outcomes scenario).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from tests.conversations.driver import Conversation, compare, run_scenario
from tests.live import Live

pytestmark = pytest.mark.e2e

SAMPLES = PROJECT_ROOT.parent / "shared" / "samples" / "scenarios.json"
OWN = Path(__file__).with_name("scenarios.yml")


def load_scenarios() -> List[Dict[str, Any]]:
    scenarios: List[Dict[str, Any]] = []
    if SAMPLES.exists():
        scenarios += json.loads(SAMPLES.read_text())
    scenarios += yaml.safe_load(OWN.read_text())["scenarios"]
    return scenarios


SCENARIOS = load_scenarios()


def _sender(index: int, name: str) -> str:
    return f"e2e-{index:03d}-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]


def _stage(scenario: Dict[str, Any]) -> str:
    match = re.search(r'"stage"\s*:\s*"(\w+)"', scenario["start"])
    return match.group(1) if match else "outcomes"


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 25


@pytest.mark.parametrize(
    "index, scenario", list(enumerate(SCENARIOS)), ids=[s["name"] for s in SCENARIOS]
)
def test_scenario(live: Live, index: int, scenario: Dict[str, Any]) -> None:
    conversation = Conversation(live.url, live.token, _sender(index, scenario["name"]))
    asked = run_scenario(conversation, scenario)
    record = live.record(conversation.sender, _stage(scenario))
    problems = compare(record, scenario.get("expect") or {})
    transcript = "\n".join(f"  bot: {r.get('text')}" for r in conversation.replies)
    assert not problems, (
        f"{scenario['name']}: {problems}\nasked: {asked}\nrecord: {json.dumps(record, indent=1)}"
        f"\n{transcript}"
    )
