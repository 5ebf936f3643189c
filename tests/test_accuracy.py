"""Accuracy on the labelled set: every category at least 0.95 precision and recall."""

from accuracy.labelled import case_files, parse_case, score


def test_labelled_set_parses_and_covers_every_category():
    from nbguard.model import CATEGORIES

    cats = set()
    for path in case_files():
        _, labels = parse_case(path)
        cats |= {lb.category for lb in labels}
    assert cats == set(CATEGORIES)


def test_precision_and_recall_per_category():
    counts, misses = score()
    for cat, (tp, fp, fn) in counts.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        assert precision >= 0.95 and recall >= 0.95, (cat, precision, recall, misses)
