"""The public corpus (tests/corpus/, issue 14): Enamel's verdicts on 59 third-party Orthanc,
nginx and docker-compose configurations match the verdicts written by reading them, with
0 false passes, 0 false fails and no error (scripts/corpus_run.py builds each inventory)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("corpus_run", ROOT / "scripts" / "corpus_run.py")
corpus_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus_run)


def test_corpus_has_no_false_pass_no_false_fail_and_no_error(tmp_path):
    counts, notes, kinds = corpus_run.run_all(tmp_path)
    assert kinds["orthanc"] >= 40 and kinds["nginx"] >= 15
    assert counts["ok"] >= 772
    assert counts["false_pass"] == 0, "\n".join(notes)
    assert counts["false_fail"] == 0, "\n".join(notes)
    assert counts["error"] == 0 and counts["other"] == 0, "\n".join(notes)
