"""The README's Python API block names only what exists: every ``run.<name>`` is an attribute of
the object ``load_run`` returns."""

import re
from pathlib import Path

from rulesfacts.training.rundir import Run

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_run_attributes_exist():
    block = README.read_text().split("## The Python API", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    names = set(re.findall(r"\brun\.(\w+)", block))
    assert {"config", "metrics", "summary", "weights", "snapshot_epochs", "snapshot"} <= names
    fields = set(Run.__dataclass_fields__)
    assert all(hasattr(Run, n) or n in fields for n in names), names - fields
