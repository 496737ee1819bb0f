"""Per-module mutation score and surviving mutants of a cosmic-ray session database.

Usage: python mutation/summary.py SESSION.sqlite
"""

import sqlite3
import sys
from collections import defaultdict


def main(path: str) -> None:
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT s.module_path, s.operator_name, s.start_pos_row, r.test_outcome, r.worker_outcome "
        "FROM mutation_specs s LEFT JOIN work_results r ON s.job_id = r.job_id").fetchall()
    score = defaultdict(lambda: {"killed": 0, "survived": 0, "pending": 0, "skipped": 0})
    survivors = []
    for module, operator, line, test_outcome, worker_outcome in rows:
        entry = score[module]
        if worker_outcome == "SKIPPED":
            entry["skipped"] += 1
        elif test_outcome is None:
            entry["pending"] += 1
        elif test_outcome == "SURVIVED":
            entry["survived"] += 1
            survivors.append((module, line, operator))
        else:  # KILLED or INCOMPETENT (the mutant does not even run): both caught
            entry["killed"] += 1
    print(f"{'module':55s} {'killed':>7s} {'survived':>9s} {'score':>7s} {'pending':>8s} {'filtered':>9s}")
    for module, e in sorted(score.items()):
        done = e["killed"] + e["survived"]
        rate = f"{100 * e['killed'] / done:6.1f}%" if done else "     -"
        print(f"{module:55s} {e['killed']:7d} {e['survived']:9d} {rate:>7s} {e['pending']:8d} {e['skipped']:9d}")
    print("\nsurviving mutants (module:line operator):")
    for module, line, operator in sorted(survivors):
        print(f"  {module}:{line} {operator}")


if __name__ == "__main__":
    main(sys.argv[1])
