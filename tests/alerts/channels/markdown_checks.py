"""What a chat robot would make of a markdown message: its links, its HTML and its blocks,
read by a CommonMark parser and by the naive pattern a simpler renderer might use."""

from __future__ import annotations

import re
import time

from markdown_it import MarkdownIt

from octopus.alerts import rules
from octopus.link import reports
from octopus.runs.models import Run

# Printed by a job: a link that claims to go somewhere, a mention, a font tag, emphasis, an
# image, a heading and a list at the start of a line, an HTML entity that spells a link.
HOSTILE = (
    "[Reset your password](http://evil.example/reset) <@zhangsan> "
    '<font color="warning">urgent</font> **bold** `code` ![x](http://evil.example/p.png) '
    "&#91;entity&#93;&#40;http://evil.example/e&#41; [ref]\n# Heading\n- item\n1. first"
)
NAIVE_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def links(markdown: str) -> list[tuple[str, str]]:
    """(text, href) of every link a CommonMark renderer makes, and every `[text](href)` a
    renderer that ignores backslash escapes could make."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    found = []
    for block in tokens:
        children = block.children or []
        for i, token in enumerate(children):
            if token.type == "link_open":
                found.append((children[i + 1].content, str(token.attrs["href"])))
            if token.type == "image":
                found.append((token.content, str(token.attrs["src"])))
    naive = [(text, href) for text, href in NAIVE_LINK.findall(markdown)]
    return found + [pair for pair in naive if pair not in found]


def html_and_blocks(markdown: str, bold_title: bool = False) -> set[str]:
    """The token types beyond the paragraphs, lists, quotes and heading our own format
    makes (with `bold_title`: and the first line's bold, WeCom's title)."""
    if bold_title:
        first, _, rest = markdown.partition("\n")
        assert first.startswith("**") and first.endswith("**"), first
        markdown = first[2:-2] + "\n" + rest
    ours = {
        "paragraph_open", "paragraph_close", "inline", "bullet_list_open", "bullet_list_close",
        "list_item_open", "list_item_close", "blockquote_open", "blockquote_close",
        "heading_open", "heading_close",
    }  # fmt: skip
    tokens = MarkdownIt("commonmark").parse(markdown)
    kinds = {t.type for t in tokens} - ours
    for block in tokens:
        kinds |= {
            t.type
            for t in block.children or []
            if t.type not in ("text", "softbreak", "link_open", "link_close")
        }
    return kinds


def alert_on_hostile_output(job, worker) -> None:
    """A run of `job` prints HOSTILE at error level (a log-level alert) and the job's
    failure alert has a link-shaped title: both alerts carry text from outside."""
    run = Run.objects.create(job=job, trigger="manual", worker=worker, state="running")
    printed = f"2026/11/25:10:00:00 etl error {HOSTILE}".replace("\n", " ")
    reports.apply_spooled(
        worker,
        {"type": "log", "id": 1, "run_id": run.id, "lines": [[1, time.time(), "stdout", printed]]},
    )
    rules.raise_alert("run_failed", job=job, title="etl failed: [Help](http://evil.example/)")
