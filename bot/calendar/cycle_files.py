"""Cycle files: parsing and validating a district's YAML (errors name the file, line, step and field), and the library of every cycle the bot knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from bot.calendar.cycles import Cycle, CycleError
from bot.calendar.editions import link_editions

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "schedules" / "cycles"


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at pydantic location ``loc`` (closest ancestor)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        else:
            nxt = None
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line + 1
    return line


class _Loader(yaml.SafeLoader):
    """YAML's safe loader that leaves dates as text: PyYAML builds a date from 2021-11-31 and
    fails with a bare ValueError (no file, no line); read as text, the cycle model checks it
    and the error names the file, the line, the step and the field."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_cycle(text: str, filename: str) -> Cycle:
    """Validate one cycle file's text; raise CycleError naming file, line, step and field."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader (dates left as text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise CycleError(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise CycleError(f"{filename}:1: a cycle file is a mapping with id, title, reference_year and steps")
    try:
        return Cycle.model_validate(data)
    except (ValueError, TypeError, OverflowError) as exc:
        if not isinstance(exc, ValidationError):  # a check outside pydantic's: still one line naming the file
            raise CycleError(f"{filename}: {type(exc).__name__}: {exc}") from None
        return _invalid(exc, root, data, filename)


def _invalid(exc: ValidationError, root: yaml.Node | None, data: dict[str, Any], filename: str) -> Cycle:
    """Raise the CycleError of a validation error: up to five problems, each with its line."""
    problems = []
    for err in exc.errors()[:5]:
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in ("function-after", "function-before")))
        line = _node_line(root, loc)
        step = ""
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            steps = data.get("steps") or []
            sid = steps[loc[1]].get("id") if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) else None
            step = f" step '{sid}'" if sid else f" step #{loc[1] + 1}"
            loc = loc[2:]
        fieldname = ".".join(str(p) for p in loc) or "(the file)"
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{filename}:{line}:{step} field '{fieldname}': {msg}")
    raise CycleError("\n".join(problems)) from None


def load_cycle_file(path: Path) -> Cycle:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CycleError(f"{path}: cannot read the file ({exc})") from None
    return parse_cycle(text, str(path))


@dataclass
class CycleLibrary:
    """The cycles available: the built-in files, replaced or extended by a district's own."""

    cycles: dict[str, Cycle] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, *dirs: Path | None) -> "CycleLibrary":
        lib = cls()
        for folder in (BUILTIN_DIR, *dirs):
            if folder is None or not Path(folder).is_dir():
                continue
            for path in sorted(Path(folder).glob("*.y*ml")):
                try:
                    cycle = load_cycle_file(path)
                except CycleError as exc:
                    lib.errors.append(str(exc))
                    continue
                except Exception as exc:  # noqa: BLE001 - a district's file never stops the bot: skipped and listed
                    lib.errors.append(f"{path}: cannot be read as a cycle file ({type(exc).__name__}: {exc})")
                    continue
                lib.cycles[cycle.id] = cycle
                lib.origins[cycle.id] = str(path)
        link_editions(lib.cycles.values())
        return lib

    def get(self, cycle_id: str) -> Cycle | None:
        return self.cycles.get(cycle_id)

    def ids(self) -> list[str]:
        return sorted(self.cycles)
