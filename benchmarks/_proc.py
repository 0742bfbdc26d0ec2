"""Memory of a process tree (Linux /proc), shared by the benchmark scripts."""

from __future__ import annotations

import os


def tree_pss_mb(root: int) -> float:
    """Proportional set size of ``root`` and every process below it, in MB (0 if unreadable).

    PSS splits pages shared between processes (forked parse workers share the parent's)
    among them, so the sum is the memory the tree really holds; summed RSS would count
    shared pages once per process.
    """
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    parents[int(entry.name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0) / 1024
        except OSError:
            pass
        todo.extend(c for c, p in parents.items() if p == pid)
    return total
