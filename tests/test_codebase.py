"""Rules of the code base that reviews would otherwise have to catch by eye."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "worker", "model", "redis_access")
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


def imports_of(path: Path) -> set[str]:
    """The modules a file imports (``from a.b import c`` gives ``a.b``), at any depth."""
    found = re.findall(
        r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", path.read_text(), re.M
    )
    return {a or b for a, b in found}


def test_the_bot_takes_only_the_contract_from_the_worker() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources("bot")
        for name in sorted(imports_of(path))
        if name.split(".")[0] == "worker"
        and name not in ("worker", "worker.contract")
        or name == "worker"
        and re.search(r"from worker import (?!contract\b)", path.read_text())
    ]
    assert offenders == [], "the bot reaches the worker through worker.contract only"


def test_shared_code_imports_neither_process() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources("redis_access")
        for name in sorted(imports_of(path))
        if name.split(".")[0] in ("bot", "worker", "model")
    ]
    assert offenders == []


def test_the_model_limits_import_only_the_standard_library() -> None:
    assert imports_of(ROOT / "model" / "limits.py") <= {"__future__", "typing"}


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
