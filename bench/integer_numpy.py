#!/usr/bin/env python3
"""The integer-percentage test (Kobak, Shpilkin & Pshenichnikov 2016), as
vigil's internal/integrity/forensics.IntegerTest computes it, vectorised
with NumPy: the baseline that docs/performance/forensics.md compares the Go
implementation with.

Usage: python3 bench/integer_numpy.py [YEAR] [REPLICATES] [SEED]
       (defaults 2012 1000 1; reads ../shared/election-data or $VIGIL_DATA)
       python3 bench/integer_numpy.py --csv FILE [REPLICATES] [SEED]
       (a file of bench/gen-stations: columns registered, issued, valid,
       invalid and Leader; loading with np.loadtxt is timed apart)

Same inclusion rule, same exact integer criterion (|100x - k d| <= d/20),
same statistics (count and sums weighted by V, G, L of stations whose
result, turnout or either is integer), same summary (mean, sd with n - 1,
NumPy's default linear 99.9th percentile). The random streams differ from
Go's, so replicate statistics agree only within Monte Carlo error.
NumPy's binomial sampler is single-threaded; the script uses one core.
"""
import csv
import io
import os
import sys
import time
import zipfile

import numpy as np


def data_dir():
    d = os.environ.get("VIGIL_DATA")
    if d:
        return d
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "shared", "election-data")


def load(year):
    path = os.path.join(data_dir(), "russia-kobak-shpilkin", f"{year}.csv.zip")
    with zipfile.ZipFile(path) as z:
        name = z.namelist()[0]
        rows = list(csv.reader(io.TextIOWrapper(z.open(name), encoding="utf-8")))
    h = [c.strip() for c in rows[0]]

    def cols(pred):
        return [i for i, c in enumerate(h) if pred(c)]

    v = cols(lambda c: (c.startswith("Число избирателей") or c.startswith("Число участников голосования")) and "в спис" in c)
    g = cols(lambda c: "выданн" in c.lower() and "бюллетен" in c.lower() and "открепит" not in c.lower())
    r = cols(lambda c: "недействительн" in c.lower()) + (
        cols(lambda c: c in ("ДА", "НЕТ")) if year == "2020" else cols(lambda c: c.startswith("Число действительных")))
    l = cols(lambda c: "Путин" in c or "ЕДИНАЯ РОССИЯ" in c or "Медведев" in c or c == "ДА")
    out = []
    for row in rows[1:]:
        try:
            out.append((sum(int(row[i]) for i in v), sum(int(row[i]) for i in g),
                        sum(int(row[i]) for i in r), sum(int(row[i]) for i in l)))
        except (ValueError, IndexError):
            continue  # a station with no data
    a = np.array(out, dtype=np.int64)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def is_int(x, d):
    k = np.floor(100.0 * x / d + 0.5).astype(np.int64)
    return 20 * np.abs(100 * x - k * d) <= d


def integer_test(V, G, R, L, reps, seed):
    keep = (R > 0) & (V >= 100) & (G >= 0) & (L >= 0) & (100 * G <= 99 * V) & (100 * L <= 99 * R)
    V, G, R, L = V[keep], G[keep], R[keep], L[keep]
    W = np.stack([np.ones_like(V), V, G, L], axis=1)  # n x 4 weights

    def stats(l, g):
        ir, it = is_int(l, R), is_int(g, V)
        return np.concatenate([ir.astype(np.int64) @ W, it.astype(np.int64) @ W, (ir | it).astype(np.int64) @ W])

    obs = stats(L, G)
    rng = np.random.default_rng(seed)
    pl, pg = L / R, G / V
    sims = np.empty((reps, 12), dtype=np.int64)
    for i in range(reps):
        sims[i] = stats(rng.binomial(R, pl), rng.binomial(V, pg))
    mean = sims.mean(axis=0)
    sd = sims.std(axis=0, ddof=1)
    p999 = np.percentile(sims, 99.9, axis=0)
    return len(V), obs, mean, sd, p999


def load_csv(path):
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split(",")
    cols = [head.index(c) for c in ("registered", "issued", "valid", "invalid", "Leader")]
    a = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=np.int64)
    return a[:, 0], a[:, 1], a[:, 2] + a[:, 3], a[:, 4]


def main_csv():
    path = sys.argv[2]
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    t0 = time.perf_counter()
    V, G, R, L = load_csv(path)
    t1 = time.perf_counter()
    n, obs, mean, sd, p999 = integer_test(V, G, R, L, reps, seed)
    t2 = time.perf_counter()
    print(f"numpy {np.__version__}: {path}, {n} stations, {reps} replicates: load {t1 - t0:.2f} s, test {t2 - t1:.2f} s, total {t2 - t0:.2f} s")
    for c, cname in enumerate(["result", "turnout", "either"]):
        i = 4 * c
        z = (obs[i] - mean[i]) / sd[i] if sd[i] > 0 else 0.0
        print(f"  {cname:8s} observed {obs[i]:6d} expected {mean[i]:9.1f} sd {sd[i]:6.1f} z {z:5.1f} p999 {p999[i]:8.1f}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--csv":
        main_csv()
        return
    year = sys.argv[1] if len(sys.argv) > 1 else "2012"
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    V, G, R, L = load(year)
    t0 = time.perf_counter()
    n, obs, mean, sd, p999 = integer_test(V, G, R, L, reps, seed)
    dt = time.perf_counter() - t0
    print(f"numpy {np.__version__}: Russia {year}, {n} stations, {reps} replicates: {dt:.2f} s (test only, loading excluded)")
    names = ["result", "turnout", "either"]
    for c, cname in enumerate(names):
        i = 4 * c
        z = (obs[i] - mean[i]) / sd[i] if sd[i] > 0 else 0.0
        print(f"  {cname:8s} observed {obs[i]:6d} expected {mean[i]:9.1f} sd {sd[i]:6.1f} z {z:5.1f} p999 {p999[i]:8.1f}")


if __name__ == "__main__":
    main()
