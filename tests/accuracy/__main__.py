"""Print precision and recall per category on the labelled set: python -m tests.accuracy [-v]"""

import sys

from .labelled import case_files, score

counts, misses = score()
print(f"labelled set: {len(case_files())} notebooks\n")
print(f"{'category':<24}{'labels':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>8}")
total = [0, 0, 0]
for cat, (tp, fp, fn) in counts.items():
    total = [a + b for a, b in zip(total, (tp, fp, fn))]
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(f"{cat:<24}{tp + fn:>7}{tp:>5}{fp:>5}{fn:>5}{p:>11.3f}{r:>8.3f}")
tp, fp, fn = total
print(f"{'all':<24}{tp + fn:>7}{tp:>5}{fp:>5}{fn:>5}{tp / max(1, tp + fp):>11.3f}{tp / max(1, tp + fn):>8.3f}")
if "-v" in sys.argv or misses:
    print()
    print("\n".join(misses))
