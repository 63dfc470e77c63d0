"""Rules of the code base that reviews would otherwise have to catch by eye."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "worker", "model")
FSM_DATA = re.compile(r"\.(get_data|set_data|update_data|get_value)\(")
IGNORE = re.compile(r"#\s*type:\s*ignore(\[[^\]]*\])?(?P<rest>.*)$")


def sources(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def test_only_the_chat_state_touches_fsm_data() -> None:
    owner = ROOT / "bot" / "chat_state.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources("bot")
        if path != owner
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FSM_DATA.search(line)
    ]
    assert offenders == [], "FSM data read or written outside bot/chat_state.py"


def test_every_type_ignore_says_why_on_its_line() -> None:
    bare = []
    for path in sources(*PACKAGES):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = IGNORE.search(line)
            if found and not found.group("rest").strip().startswith("#"):
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == [], "a `# type: ignore` without its reason after it"


def test_the_bot_never_imports_the_model() -> None:
    imports = re.compile(r"^\s*(from|import)\s+(torch|torchvision|model)\b", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in sources("bot") if imports.search(p.read_text())]
    assert offenders == []


def test_presses_are_answered_only_through_the_helper_that_survives_refusals() -> None:
    direct = re.compile(r"\b(callback|query)\.answer\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources("bot")
        if path.name != "replies.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == [], (
        "use bot.replies.answer_press: a refused answer must not stop the press"
    )
