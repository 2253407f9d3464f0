"""outbox/preview/: each message still to go, as an .eml a person can open before it is sent."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from amends.followups import mail, messages
from amends.followups.review import Review
from amends.incremental.cache import NO_CACHE, Cache
from amends.incremental.files import write_atomic
from amends.incremental.progress import NO_PROGRESS, Progress

def file_names(folder: Path) -> set[str]:
    """The names in a folder, from one directory scan (none if it does not exist)."""
    try:
        return {entry.name for entry in os.scandir(folder)}
    except OSError:
        return set()


def write_previews(state: Review, outbox_dir: Path, now: datetime, cache: Cache = NO_CACHE,
                   progress: Progress = NO_PROGRESS) -> int:
    """Keep outbox/preview/ holding each message still to go as an .eml a person can open in a mail client.

    A preview whose words have not changed is left as it is; previews of messages
    no longer to go are removed. Returns how many previews there are.
    """
    folder = outbox_dir / "preview"
    there = file_names(folder)
    known = cache.load("previews", str(outbox_dir.resolve())) or {}
    current = {}
    for item in progress.count(state.prepared, "writing previews"):
        if item.rendered is None or item.followup.is_task:  # a call sheet or letter is no email
            continue
        name = mail.file_name(item.followup.key)
        current[name] = item.rendered.digest
        if known.get(name) != current[name] or name not in there:
            msg = messages.build(item.rendered, item.followup.key, state.project.config, now,
                                 item.followup.case.message_id)
            write_atomic(folder / name, msg.as_bytes(), durable=False)
    for stale in there - current.keys():
        if stale.endswith(".eml"):
            (folder / stale).unlink()
    cache.save("previews", str(outbox_dir.resolve()), current)
    return len(current)
