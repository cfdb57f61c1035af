"""AI-use disclosures, per question, as the course policy asks students to write them.

No automatic penalty: the disclosure is shown to TAs (report, gradebook); a rubric may set one.
"""

from __future__ import annotations

import re

from grader.ingest.document import Document
from grader.kinds.base import Fragment
from grader.rubric import Rubric


def find_disclosures(docs: list[Document], fragments: dict[str, Fragment], rubric: Rubric) -> dict[str, str]:
    """{question number: the sentence disclosing tool use}; sheets may state it per part."""
    out: dict[str, str] = {}
    for doc in docs:
        for part_id, note in doc.ai_use.items():
            question = part_id.split(".")[0]
            out.setdefault(question, note.strip())
    patterns = [re.compile(p, re.I) for p in rubric.ai_policy.patterns]
    for part in rubric.parts:
        fragment = fragments.get(part.id)
        if fragment is None or not fragment.text:
            continue
        for pattern in patterns:
            m = pattern.search(fragment.text)
            if m:
                out.setdefault(str(part.question), " ".join(m.group(0).split())[:200])
                break
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))
