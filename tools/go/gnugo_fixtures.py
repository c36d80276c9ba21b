#!/usr/bin/env python3
"""Rules fixtures from GNU Go for crates/go/tests/gnugo_rules.rs.

Replays real professional games (the SGF files of Debian's goban-original-games, under
/usr/share/goban) and seeded random legal games on 9x9, 13x13 and 19x19 through one
`gnugo --mode gtp` process, and records after every move what GNU Go says: the stones
(`list_stones`), the prisoners (`captures`), and which empty points each colour may not
play (`is_legal`), split into ko bans and suicides with GNU Go's own `countlib`. It also
records GNU Go's `fixed_handicap N` answers for sizes 7..=19 and N 2..=9.

Standard library only (Python 3.11). From the repository root:

    python3 tools/go/gnugo_fixtures.py

writes crates/go/tests/fixtures/gnugo/{rules.jsonl.gz,fixed_handicap.json}. It refuses
any GNU Go but the pinned version unless given --any-version. Output is deterministic:
a rerun with the same GNU Go and arguments is byte-for-byte identical. See README.md.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import pathlib
import random
import shutil
import subprocess
import sys
import time

GNUGO_VERSION = "3.8"
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/go/tests/fixtures/gnugo"
SGF_DIR = pathlib.Path("/usr/share/goban")
COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # GTP's letters: no I
COLOR_WORD = {"B": "black", "W": "white"}
# Bytes of commands per write. Under the 64 KiB pipe buffer, so a write completes even
# while GNU Go is blocked writing answers we have not read yet: no deadlock.
CHUNK_BYTES = 48 * 1024


# ------------------------------------------------------------------------------ GTP


class GtpError(Exception):
    pass


class Gtp:
    """One GNU Go process spoken to over GTP, with pipelined commands."""

    def __init__(self, exe: str):
        self.proc = subprocess.Popen([exe, "--mode", "gtp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.commands = 0

    def run(self, cmds: list[str]) -> list[tuple[bool, str]]:
        """Sends `cmds` and returns `(success, text)` for each, in order."""
        answers = []
        chunk: list[str] = []
        size = 0
        for cmd in cmds + [None]:
            if cmd is None or size + len(cmd) + 1 > CHUNK_BYTES:
                self.proc.stdin.write("".join(c + "\n" for c in chunk).encode())
                self.proc.stdin.flush()
                answers.extend(self._answers(len(chunk)))
                chunk, size = [], 0
            if cmd is not None:
                chunk.append(cmd)
                size += len(cmd) + 1
        self.commands += len(cmds)
        return answers

    def ok(self, cmd: str) -> str:
        good, text = self.run([cmd])[0]
        if not good:
            raise GtpError(f"GNU Go refused '{cmd}': {text}")
        return text

    def _answers(self, n: int) -> list[tuple[bool, str]]:
        # An answer is '= text' or '? text', maybe more lines, then one empty line.
        out = []
        pos = 0
        while len(out) < n:
            end = self.buf.find(b"\n\n", pos)
            if end < 0:
                data = os.read(self.fd, 1 << 16)
                if not data:
                    raise GtpError("GNU Go closed its output")
                self.buf = self.buf[pos:] + data
                pos = 0
                continue
            text = self.buf[pos:end].decode()
            pos = end + 2
            if text[:1] not in ("=", "?"):
                raise GtpError(f"not a GTP answer: {text!r}")
            out.append((text[0] == "=", text[1:].strip()))
        self.buf = self.buf[pos:]
        return out

    def close(self):
        self.proc.stdin.write(b"quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


# ---------------------------------------------------------------------------- board


class Geometry:
    """GTP names and neighbours of the points of one board size, row by row from the top."""

    def __init__(self, size: int):
        self.size = size
        self.names = [f"{COLUMNS[x]}{size - y}" for y in range(size) for x in range(size)]
        self.index = {n: i for i, n in enumerate(self.names)}
        self.neighbours = []
        for y in range(size):
            for x in range(size):
                nb = [(x + dx, y + dy) for dx, dy in ((0, -1), (-1, 0), (1, 0), (0, 1))]
                self.neighbours.append(
                    [yy * size + xx for xx, yy in nb if 0 <= xx < size and 0 <= yy < size]
                )


class Observer:
    """Asks GNU Go about the current position and keeps the stones it reported last."""

    def __init__(self, gtp: Gtp, geo: Geometry):
        self.gtp = gtp
        self.geo = geo
        self.stones: dict[str, str] = {}  # GTP vertex -> 'B' / 'W', as GNU Go last said
        self.illegal: dict[str, set[int]] = {"B": set(), "W": set()}
        self.empties: list[int] = list(range(geo.size * geo.size))

    def play(self, color: str, vertex: str | None) -> dict | None:
        """Plays a move (None: pass) and observes; None if GNU Go refuses the move."""
        # The observation rides in the same write; if the move is refused it is unused.
        record = self.observe(f"play {COLOR_WORD[color]} {vertex or 'pass'}")
        if record is None:
            return None
        return {"move": f"{color} {vertex or 'pass'}", **record}

    def observe(self, move_cmd: str | None = None) -> dict | None:
        geo = self.geo
        ask = ["list_stones black", "list_stones white", "captures black", "captures white"]
        ans = self.gtp.run(([move_cmd] if move_cmd else []) + ask)
        if move_cmd:
            if not ans[0][0]:
                return None
            ans = ans[1:]
        for good, text in ans:
            if not good:
                raise GtpError(f"observation failed: {text}")
        captures = [int(ans[2][1]), int(ans[3][1])]
        now = {v: "B" for v in ans[0][1].split()}
        now.update({v: "W" for v in ans[1][1].split()})
        if len(now) != len(ans[0][1].split()) + len(ans[1][1].split()):
            raise GtpError("a point is listed as both black and white")
        added = {
            c: sorted((v for v in now if now[v] == c and self.stones.get(v) != c), key=geo.index.__getitem__)
            for c in "BW"
        }
        removed = sorted(
            (v for v in self.stones if v not in now or now[v] != self.stones[v]),
            key=geo.index.__getitem__,
        )
        self.stones = now
        self.empties = [i for i, n in enumerate(geo.names) if n not in now]

        # Legality of every empty point for both colours; all_legal cross-checks is_legal.
        cmds = [f"is_legal {COLOR_WORD[c]} {geo.names[i]}" for c in "BW" for i in self.empties]
        ans = self.gtp.run(cmds + ["all_legal black", "all_legal white"])
        n = len(self.empties)
        for k, c in enumerate("BW"):
            said = ans[k * n : (k + 1) * n]
            if any(not good or text not in ("0", "1") for good, text in said):
                raise GtpError(f"odd is_legal answer in {said}")
            self.illegal[c] = {i for i, (_, text) in zip(self.empties, said) if text == "0"}
            legal = {geo.names[i] for i in self.empties if i not in self.illegal[c]}
            if set(ans[2 * n + k][1].split()) != legal:
                raise GtpError(f"all_legal {COLOR_WORD[c]} disagrees with is_legal")

        record = {"captures": captures}
        for c in "BW":
            if added[c]:
                record[f"added_{COLOR_WORD[c]}"] = " ".join(added[c])
        if removed:
            record["removed"] = " ".join(removed)
        record.update(self.classify())
        return record

    def classify(self) -> dict:
        """Splits the illegal empty points into ko bans and suicides.

        With suicide forbidden and simple ko, a refused move on an empty point is a ko
        ban exactly when it would capture, that is when an opponent neighbour's string
        has one liberty; GNU Go's `countlib` says so.
        """
        geo = self.geo
        ask = sorted(
            {
                geo.names[q]
                for c in "BW"
                for p in self.illegal[c]
                for q in geo.neighbours[p]
                if self.stones.get(geo.names[q]) not in (None, c)
            },
            key=geo.index.__getitem__,
        )
        libs = {}
        for v, (good, text) in zip(ask, self.gtp.run([f"countlib {v}" for v in ask])):
            if not good:
                raise GtpError(f"countlib {v}: {text}")
            libs[v] = int(text)
        out = {}
        for c in "BW":
            ko, suicide = [], []
            for p in sorted(self.illegal[c]):
                nbrs = [geo.names[q] for q in geo.neighbours[p]]
                if any(v not in self.stones for v in nbrs):
                    raise GtpError(f"{geo.names[p]} has an empty neighbour but is illegal for {c}")
                captures = any(self.stones[v] != c and libs[v] == 1 for v in nbrs)
                (ko if captures else suicide).append(geo.names[p])
            word = COLOR_WORD[c]
            if ko:
                out[f"ko_{word}"] = " ".join(ko)
            if suicide:
                out[f"suicide_{word}"] = " ".join(suicide)
        return out


def new_game(gtp: Gtp, size: int, komi: float) -> None:
    gtp.ok(f"boardsize {size}")
    gtp.ok("clear_board")
    gtp.ok(f"komi {komi}")


# ------------------------------------------------------------------------------ SGF


def parse_sgf(text: str) -> list[dict[str, list[str]]]:
    """The main line of the first game tree: a list of nodes, each {ident: [values]}."""
    pos = 0
    n = len(text)

    def skip_ws():
        nonlocal pos
        while pos < n and text[pos].isspace():
            pos += 1

    def value() -> str:
        nonlocal pos
        assert text[pos] == "["
        pos += 1
        out = []
        while pos < n and text[pos] != "]":
            if text[pos] == "\\":
                pos += 1
            out.append(text[pos])
            pos += 1
        if pos >= n:
            raise ValueError("unterminated property value")
        pos += 1
        return "".join(out)

    def tree() -> list[dict[str, list[str]]]:
        # '(' node* tree* ')': keep this sequence and the first variation after it.
        nonlocal pos
        skip_ws()
        if pos >= n or text[pos] != "(":
            raise ValueError("expected '('")
        pos += 1
        nodes = []
        first_child = None
        while True:
            skip_ws()
            if pos >= n:
                raise ValueError("unterminated game tree")
            ch = text[pos]
            if ch == ";":
                pos += 1
                node: dict[str, list[str]] = {}
                while True:
                    skip_ws()
                    if pos < n and text[pos].isalpha():
                        start = pos
                        while pos < n and text[pos].isalpha():
                            pos += 1
                        # FF[3] allows lowercase letters in identifiers; only capitals count.
                        ident = "".join(c for c in text[start:pos] if c.isupper())
                        skip_ws()
                        vals = []
                        while pos < n and text[pos] == "[":
                            vals.append(value())
                            skip_ws()
                        node.setdefault(ident, []).extend(vals)
                    else:
                        break
                nodes.append(node)
            elif ch == "(":
                child = tree()
                if first_child is None:
                    first_child = child
            elif ch == ")":
                pos += 1
                return nodes + (first_child or [])
            else:
                raise ValueError(f"unexpected {ch!r} at offset {pos}")

    skip_ws()
    return tree()


def sgf_point(s: str, size: int) -> str | None:
    """SGF 'pd' -> GTP 'Q16'; '' or 'tt' (FF[3] on 19x19 and smaller) -> None (pass)."""
    s = s.strip()  # some records break a line inside the brackets
    if s == "" or (s == "tt" and size <= 19):
        return None
    x, y = ord(s[0]) - ord("a"), ord(s[1]) - ord("a")
    if len(s) != 2 or not (0 <= x < size and 0 <= y < size):
        raise ValueError(f"point {s!r} is off the {size}x{size} board")
    return f"{COLUMNS[x]}{size - y}"


def load_sgf(path: pathlib.Path) -> dict:
    """Size, komi, setup and moves of a record's main line; 'skip' says why not usable."""
    nodes = parse_sgf(path.read_text(encoding="latin-1"))
    root = nodes[0] if nodes else {}
    size = int(root.get("SZ", ["19"])[0].split(":")[0])
    game = {"size": size, "komi": 0.0, "setup": [], "moves": [], "skip": None}
    try:
        game["komi"] = float(root.get("KM", ["0"])[0] or 0)
    except ValueError:
        pass
    if size > 19:
        game["skip"] = "larger than GNU Go's 19x19"
        return game
    for i, node in enumerate(nodes):
        if "AW" in node or "AE" in node or ("AB" in node and i > 0):
            game["skip"] = "setup other than black stones at the root"
            return game
        if "AB" in node:
            game["setup"] = [sgf_point(v, size) for v in node["AB"]]
        for c in "BW":
            for v in node.get(c, []):
                game["moves"].append((c, sgf_point(v, size)))
        if "B" in node and "W" in node:
            game["skip"] = "a node with two moves"
            return game
    first = "W" if game["setup"] else "B"
    for k, (c, _) in enumerate(game["moves"]):
        if c != ("BW"[(k + (first == "W")) % 2]):
            game["skip"] = "colours do not alternate"
            return game
    if not game["moves"]:
        game["skip"] = "no moves"
    return game


# ---------------------------------------------------------------------------- games


class Stats:
    def __init__(self):
        self.positions = 0
        self.legality_checks = 0
        self.ko_positions = 0
        self.suicide_positions = 0
        self.capturing_moves = 0
        self.multi_stone_captures = 0
        self.passes = 0
        self.same_colour_twice = 0

    def add(self, record: dict, empties: int) -> None:
        self.positions += 1
        self.legality_checks += 2 * empties
        self.ko_positions += any(k.startswith("ko_") for k in record)
        self.suicide_positions += any(k.startswith("suicide_") for k in record)
        gone = len(record.get("removed", "").split())
        self.capturing_moves += gone > 0
        self.multi_stone_captures += gone > 1
        self.passes += record.get("move", "").endswith("pass")


def replay_real(gtp: Gtp, path: pathlib.Path, game: dict, stats: Stats) -> tuple[dict | None, str]:
    size = game["size"]
    geo = Geometry(size)
    new_game(gtp, size, game["komi"])
    if game["setup"]:
        gtp.ok("set_free_handicap " + " ".join(game["setup"]))
    obs = Observer(gtp, geo)
    start = obs.observe()
    start_empties = len(obs.empties)
    records = []
    for c, v in game["moves"]:
        if v is not None and v in obs.stones:
            return None, f"a move on an occupied point (move {len(records) + 1}, {c} {v})"
        rec = obs.play(c, v)
        if rec is None:
            return None, f"GNU Go refuses move {len(records) + 1} ({c} {v})"
        records.append((rec, len(obs.empties)))
    stats.add(start, start_empties)
    for rec, empties in records:
        stats.add(rec, empties)
    out = {
        "name": f"goban/{path.name}",
        "source": "goban",
        "size": size,
        "komi": game["komi"],
        "handicap": " ".join(game["setup"]),
        "start": start,
        "moves": [rec for rec, _ in records],
    }
    return out, ""


def own_eye(obs: Observer, color: str, p: int) -> bool:
    return all(obs.stones.get(obs.geo.names[q]) == color for q in obs.geo.neighbours[p])


def random_game(gtp: Gtp, size: int, index: int, seed: int, stats: Stats) -> dict:
    """A seeded random legal game.

    Two styles alternate. 'fill' picks uniformly among all legal points, own eyes
    included, so large groups die and the board refills; it also lets the same colour
    move twice now and then. 'eyes' never fills its own one-point eyes (as playouts do),
    so the game runs into a crowded endgame of ko fights and suicide points and ends
    when neither side has a move left. Both pass now and then.
    """
    rng = random.Random(f"{seed}/{size}/{index}")
    style = "fill" if index % 2 == 0 else "eyes"
    geo = Geometry(size)
    new_game(gtp, size, 7.5)
    handicap = []
    if size >= 13 and index % 5 == 3:
        handicap = gtp.ok(f"fixed_handicap {rng.randint(2, 9)}").split()
    obs = Observer(gtp, geo)
    start = obs.observe()
    stats.add(start, len(obs.empties))
    cap = {"fill": 4, "eyes": 6}[style] * size * size
    records = []
    color = "W" if handicap else "B"
    passes = 0
    while len(records) < cap and passes < 2:
        legal = [p for p in obs.empties if p not in obs.illegal[color]]
        if style == "eyes":
            legal = [p for p in legal if not own_eye(obs, color, p)]
        if not legal or rng.random() < 0.02:
            vertex = None
        else:
            vertex = geo.names[rng.choice(legal)]
        rec = obs.play(color, vertex)
        if rec is None:
            raise GtpError(f"GNU Go refused its own legal move {color} {vertex}")
        records.append(rec)
        stats.add(rec, len(obs.empties))
        passes = passes + 1 if vertex is None else 0
        if style == "fill" and rng.random() < 0.02:
            stats.same_colour_twice += 1
        else:
            color = "W" if color == "B" else "B"
    return {
        "name": f"random/{size}x{size}/{index}",
        "source": "random",
        "style": style,
        "size": size,
        "komi": 7.5,
        "handicap": " ".join(handicap),
        "start": start,
        "moves": records,
    }


def fixed_handicaps(gtp: Gtp) -> list[dict]:
    out = []
    for size in range(7, 20):
        gtp.ok(f"boardsize {size}")
        for n in range(2, 10):
            gtp.ok("clear_board")
            good, text = gtp.run([f"fixed_handicap {n}"])[0]
            entry = {"size": size, "stones": n}
            entry.update({"vertices": text} if good else {"error": text})
            out.append(entry)
    return out


# ----------------------------------------------------------------------------- main


def parse_counts(s: str) -> dict[int, int]:
    out = {}
    for part in s.split(","):
        size, count = part.split(":")
        out[int(size)] = int(count)
    return out


def gzip_bytes(data: bytes) -> bytes:
    # mtime 0 and no file name keep the output byte-for-byte reproducible.
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gnugo", default=shutil.which("gnugo") or "/usr/games/gnugo")
    ap.add_argument("--any-version", action="store_true", help=f"accept a GNU Go other than {GNUGO_VERSION}")
    ap.add_argument("--sgf-dir", type=pathlib.Path, default=SGF_DIR)
    ap.add_argument("--real", type=int, default=200, help="real games to replay, spread evenly over the records")
    ap.add_argument("--random", default="9:80,13:40,19:30", help="random games per size, SIZE:COUNT,...")
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args()

    if not pathlib.Path(args.gnugo).exists():
        sys.exit(f"no GNU Go at {args.gnugo}: apt-get install -y gnugo goban-original-games")
    banner = subprocess.run([args.gnugo, "--version"], capture_output=True, text=True, check=True).stdout
    version_line = banner.splitlines()[0].strip()
    if version_line != f"GNU Go {GNUGO_VERSION}" and not args.any_version:
        sys.exit(f"'{version_line}' is not the pinned GNU Go {GNUGO_VERSION}; pass --any-version to use it anyway")

    gtp = Gtp(args.gnugo)
    t0 = time.time()
    stats = Stats()
    games = []
    counts: dict[str, int] = {}

    # Real games: every record is parsed; an even spread of the usable ones is replayed.
    files = sorted(p for p in args.sgf_dir.iterdir() if p.suffix in (".sgf", ".mgt"))
    if not files:
        sys.exit(f"no SGF records in {args.sgf_dir}: apt-get install -y goban-original-games")
    skipped: dict[str, list[str]] = {}
    usable = []
    for path in files:
        try:
            game = load_sgf(path)
        except (ValueError, IndexError) as e:
            game = {"skip": f"unreadable SGF ({e})"}
        if game["skip"]:
            skipped.setdefault(game["skip"], []).append(path.name)
        else:
            usable.append((path, game))
    want = min(args.real, len(usable))
    chosen = [usable[(k * len(usable)) // want] for k in range(want)] if want else []
    for k, (path, game) in enumerate(chosen):
        record, why = replay_real(gtp, path, game, stats)
        if record is None:
            skipped.setdefault(why.split(" (")[0], []).append(f"{path.name}: {why}")
            continue
        games.append(record)
        key = f"goban_{game['size']}"
        counts[key] = counts.get(key, 0) + 1
        if (k + 1) % 20 == 0:
            print(f"  real {k + 1}/{want}  {time.time() - t0:.0f}s  {gtp.commands} commands", file=sys.stderr)
    real_time = time.time() - t0

    for size, count in parse_counts(args.random).items():
        t1 = time.time()
        for i in range(count):
            games.append(random_game(gtp, size, i, args.seed, stats))
        counts[f"random_{size}"] = count
        print(f"  random {size}x{size}: {count} games in {time.time() - t1:.0f}s", file=sys.stderr)

    handicap = fixed_handicaps(gtp)
    gtp_version = gtp.ok("version")
    gtp.close()
    elapsed = time.time() - t0

    header = {
        "format": "fovea-go GNU Go rules fixtures, version 1",
        "generator": "tools/go/gnugo_fixtures.py",
        "command": " ".join(["python3 tools/go/gnugo_fixtures.py"] + sys.argv[1:]),
        "gnugo_version": version_line,
        "gnugo_gtp_version": gtp_version,
        "seed": args.seed,
        "games": counts,
        "real_records_examined": len(files),
        "real_records_usable": len(usable),
        "real_skipped": {why: len(names) for why, names in sorted(skipped.items())},
        "real_skipped_names": {why: names for why, names in sorted(skipped.items())},
        "positions": stats.positions,
        "legality_checks": stats.legality_checks,
        "ko_positions": stats.ko_positions,
        "suicide_positions": stats.suicide_positions,
        "capturing_moves": stats.capturing_moves,
        "multi_stone_captures": stats.multi_stone_captures,
        "passes": stats.passes,
        "same_colour_twice": stats.same_colour_twice,
    }
    lines = [json.dumps(header, separators=(",", ":"))]
    lines += [json.dumps(g, separators=(",", ":")) for g in games]
    args.out.mkdir(parents=True, exist_ok=True)
    data = gzip_bytes(("\n".join(lines) + "\n").encode())
    (args.out / "rules.jsonl.gz").write_bytes(data)
    hc = {"gnugo_version": version_line, "generator": header["generator"], "answers": handicap}
    (args.out / "fixed_handicap.json").write_text(json.dumps(hc, indent=1) + "\n")

    summary = {k: v for k, v in header.items() if k not in ("real_skipped_names", "format")}
    print(json.dumps(summary, indent=1), file=sys.stderr)
    print(
        f"wrote {len(data)} bytes ({len(games)} games) in {elapsed:.0f}s "
        f"(real games {real_time:.0f}s, {gtp.commands} GTP commands)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
