"""Memory of a whole process tree, read from /proc: the benchmarks' one way to measure peak memory.

PSS (proportional set size) splits shared pages between the processes that share them, so the PSS sum of a tree
is the memory it really holds; the RSS sum counts shared pages once per process (an upper bound).
"""

from __future__ import annotations

import os

__all__ = ["descendants", "parent_of", "memory_mb", "tree_memory_mb"]


def parent_of(pid: int) -> int | None:
    """The parent id of `pid`, from /proc/PID/stat; None when it has ended."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(root: int) -> list[int]:
    """root and every process below it, from the parent ids in /proc/*/stat."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (parent := parent_of(int(entry))) is not None:  # None: it ended meanwhile
            parents[int(entry)] = parent
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def memory_mb(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of one process in MB, from /proc/PID/smaps_rollup; zeros when it has ended."""
    pss = rss = 0.0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) / 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return pss, rss


def tree_memory_mb(root: int) -> tuple[float, float]:
    """(PSS sum, RSS sum) in MB of `root` and every process below it, now."""
    sizes = [memory_mb(pid) for pid in descendants(root)]
    return sum(p for p, _ in sizes), sum(r for _, r in sizes)
