"""Copy a cosmic-ray session so that only its surviving mutants run again (with stronger tests).

Usage: python mutation/rerun_survivors.py SESSION.sqlite NEW.sqlite

In the copy, killed mutants keep their result (tests are only ever added, so they stay killed), surviving
mutants lose theirs (they run again on ``cosmic-ray exec CONFIG NEW.sqlite``), and mutants the first run
never reached are removed, so the before and after scores cover the same mutants.
"""

import shutil
import sqlite3
import sys


def main(source: str, target: str) -> None:
    shutil.copyfile(source, target)
    db = sqlite3.connect(target)
    reached = "SELECT job_id FROM work_results"
    db.execute(f"DELETE FROM mutation_specs WHERE job_id NOT IN ({reached})")
    db.execute(f"DELETE FROM work_items WHERE job_id NOT IN ({reached})")
    db.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'")
    db.commit()
    left = db.execute("SELECT COUNT(*) FROM work_items WHERE job_id NOT IN (SELECT job_id FROM work_results)")
    print(f"{left.fetchone()[0]} surviving mutants to run again")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
