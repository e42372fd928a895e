"""Reading back what the kiosk sent a thermal printer (the "file" backend appends every job)."""

from __future__ import annotations

CUT = b"\x1dV\x00"  # GS V 0: the paper cut that ends every ticket
RASTER = b"\x1dv0"  # GS v 0 m xL xH yL yH d1..dk: a raster image, k = (xL + 256 xH)(yL + 256 yH)


def print_jobs(data: bytes) -> list[bytes]:
    """The tickets of a printer's byte stream, each up to its cut (and the NUL after it).
    A raster image's bytes are skipped whole: a picture may hold the cut's three bytes."""
    jobs, start, i = [], 0, 0
    while i < len(data):
        if data.startswith(RASTER, i) and i + 8 <= len(data):
            width = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            i += 8 + width * height
        elif data.startswith(CUT, i):
            i += len(CUT)
            if data[i:i + 1] == b"\x00":
                i += 1
            jobs.append(data[start:i])
            start = i
        else:
            i += 1
    if start < len(data):
        jobs.append(data[start:])  # a job cut short (the kiosk stopped mid-ticket)
    return jobs
