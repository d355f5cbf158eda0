"""A stand-in trainer for experiments: no framework, runs in a second.

It "trains" for --steps epochs towards a loss that depends on --x and --y (Branin's function, so
the best loss is 0.397887 near x=3.14, y=2.27), printing `epoch=N loss=V` lines, Katib's StdOut
metric format, with --delay seconds between epochs. --quiet prints no loss (an objective metric
the trials never report).
"""
import argparse
import math
import time


def branin(x, y):
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--x", type=float, required=True)
    p.add_argument("--y", type=float, default=2.275)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args()
    final = branin(a.x, a.y)
    for epoch in range(1, a.steps + 1):
        # The loss decays towards the final value: later epochs are better, as in training.
        loss = final * (1 + 2.0 / epoch)
        print(f"epoch={epoch} loss={loss:.6f}" if not a.quiet else f"epoch {epoch} done", flush=True)
        time.sleep(a.delay)


if __name__ == "__main__":
    main()
