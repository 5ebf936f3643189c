"""python -m tests.review: precision per rule on the corpus review set, and the unjudged findings."""

from . import CATEGORIES, corpus_findings, finding_key, load, must_judge, precision, row, sample_shortfall, table

findings = corpus_findings()
judged = load()
counts = table(findings, judged)
print(f"{'rule':<16}{'findings':>9}{'true':>6}{'false':>6}{'unjudged':>9}{'precision':>11}")
for name in sorted(counts, key=lambda n: (n in CATEGORIES, n)):
    n, t, f, u = counts[name]
    print(f"{name:<16}{n:>9}{t:>6}{f:>6}{u:>9}{precision(counts[name]):>11.3f}")
for cat in CATEGORIES:
    if cat not in counts:
        print(f"{cat:<16}{0:>9}{0:>6}{0:>6}{0:>9}{'(none)':>11}")
new = [row(finding_key(f)) for f in must_judge(findings, judged)]
new += [row(k) for _, next_keys in sample_shortfall(findings, judged).values() for k in next_keys]
if new:
    print("\nto judge (add to corpus_secrets_review.tsv for secrets and data-exposure, corpus_rules_review.tsv"
          " for the rest, with a verdict and a reason):")
    print("\n".join(new))
