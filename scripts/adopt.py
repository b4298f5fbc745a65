"""Give a project made from the template its own name (a copier task; safe to run again).

Sets the README's title and first paragraph, pyproject's description, and the model's name
in the registry (`artifact.name` of the selected dataset, and in params.yaml). Standard
library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path


def set_readme(text: str, name: str, description: str) -> str:
    """The first heading becomes the name and the paragraph under it the description."""
    lines = text.splitlines()
    end = next((i for i in range(2, len(lines)) if not lines[i].strip()), len(lines))
    intro = [
        description,
        "Made from the reproducible ML pipeline template: its version is in",
        "`.copier-answers.yml`, and `copier update --trust` brings its later releases.",
    ]
    return "\n".join([f"# {name}", "", *intro, *lines[end:]]) + "\n"


def set_key(text: str, pattern: str, value: str, path: Path) -> str:
    changed, count = re.subn(pattern, lambda m: m.group(1) + value, text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"adopt: {path}: found no line matching {pattern!r}")
    return changed


def selected_dataset(root: Path) -> str:
    match = re.search(r"(?m)^\s*-\s*dataset:\s*([\w-]+)", (root / "conf/config.yaml").read_text())
    if not match:
        raise SystemExit("adopt: conf/config.yaml selects no dataset")
    return match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--description", required=True)
    parser.add_argument("--artifact", required=True)
    args = parser.parse_args()
    root = Path.cwd()
    readme = root / "README.md"
    readme.write_text(set_readme(readme.read_text(), args.name, args.description))
    pyproject = root / "pyproject.toml"
    description = args.description.replace('"', "'")
    pyproject.write_text(
        set_key(pyproject.read_text(), r'^(description = ")[^"]*', description, pyproject)
    )
    # The artifact's name: `name:` of the `artifact:` block, in the dataset file and params.
    artifact = r"^(\s*artifact:\n\s+name: )\S+"
    dataset = root / "conf" / "dataset" / f"{selected_dataset(root)}.yaml"
    for path in (dataset, root / "params.yaml"):
        path.write_text(set_key(path.read_text(), artifact, args.artifact, path))
    print(f"adopt: {args.name}, model {args.artifact}")


if __name__ == "__main__":
    main()
