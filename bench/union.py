"""The workloads of bench/union, one per call, timed inside the process
(process start is not counted). Prints the seconds taken.

  union.py tree DIR N          make N small files under DIR (100 per directory)
  union.py cold DIR            stat and read every file under DIR (a web
                               server's cold pass; bench/union drops the
                               page cache first)
  union.py hot DIR N           N open/read/close of ten files under DIR
                               (a web server's steady state)
  union.py write DIR N         N comment files written under DIR (open,
                               write 200 bytes, close), as whoever runs it
"""

import os
import sys
import time


def tree(root, n):
    for i in range(n):
        d = os.path.join(root, "posts", f"p{i // 100:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i % 100:02d}.html"), "w") as f:
            # 200 to 2,000 bytes: small pages.
            f.write(f"<p>page {i}</p>\n" * (10 + i % 90))


def cold(root):
    t = time.perf_counter()
    n = 0
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            os.stat(p)
            with open(p, "rb") as f:
                f.read()
            n += 1
    took = time.perf_counter() - t
    if n == 0:
        sys.exit(f"union.py: no files under {root}")
    return took


def hot(root, n):
    files = [os.path.join(root, "posts", "p000", f"f{i:02d}.html") for i in range(10)]
    for p in files:
        with open(p, "rb") as f:
            f.read()
    t = time.perf_counter()
    for i in range(n):
        with open(files[i % 10], "rb") as f:
            f.read()
    return time.perf_counter() - t


def write(root, n):
    body = b"x" * 200
    t = time.perf_counter()
    for i in range(n):
        with open(os.path.join(root, f"c{i:05d}.txt"), "wb") as f:
            f.write(body)
    return time.perf_counter() - t


def main():
    what, root, *rest = sys.argv[1:]
    if what == "tree":
        tree(root, int(rest[0]))
        return
    took = {"cold": lambda: cold(root), "hot": lambda: hot(root, int(rest[0])),
            "write": lambda: write(root, int(rest[0]))}[what]()
    print(f"{took:.6f}")


if __name__ == "__main__":
    main()
