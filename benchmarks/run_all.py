"""Runs every benchmark script in this folder, one after another (`make benchmark`).

Each script measures its own baseline in the same run and prints both; nothing here
asserts a time. Use DATABASE_URL to choose the database (PostgreSQL for real figures).
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Not benchmarks: this runner, and the data generator the load test can run against.
SKIPPED = {"run_all.py", "__init__.py", "generate_prefecture.py"}


def main() -> int:
    failures = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name in SKIPPED or script.name.startswith("_"):
            continue
        print(f"=== {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script), *sys.argv[1:]], cwd=HERE.parent)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
