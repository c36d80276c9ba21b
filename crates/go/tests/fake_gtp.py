#!/usr/bin/env python3
"""A scripted fake GTP engine for the match runner's tests (tests/matchplay.rs).

It knows no rules: genmove answers the next scripted move whose point nobody has
played yet (captures are not tracked), then passes. Options:

  --moves C3,D4     moves to play, in order (default: none, so it always passes)
  --verbatim        answer the scripted moves as they are, occupied or not
  --score TEXT      final_score's answer (default: '? cannot score')
  --name NAME       name's answer (default: fake)
  --hang-on CMD     never answer CMD (sleep for an hour instead)
  --crash-on CMD    exit with status 3 on CMD
  --resign-after N  answer 'resign' to the N+1-th genmove
  --log FILE        append every command received to FILE
"""

import sys
import time


def main():
    args = sys.argv[1:]
    opts = {"moves": "", "score": None, "name": "fake", "hang": None, "crash": None, "resign": None, "log": None}
    verbatim = False
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--verbatim":
            verbatim = True
            i += 1
            continue
        key = {"--moves": "moves", "--score": "score", "--name": "name", "--hang-on": "hang",
               "--crash-on": "crash", "--resign-after": "resign", "--log": "log"}[a]
        opts[key] = args[i + 1]
        i += 2
    script = [m for m in opts["moves"].split(",") if m]
    played = set()
    genmoves = 0
    next_move = 0

    def reply(text, ok=True):
        sys.stdout.write(("= " if ok else "? ") + text + "\n\n")
        sys.stdout.flush()

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if opts["log"]:
            with open(opts["log"], "a") as log:
                log.write(line)
        if cmd == opts["hang"]:
            time.sleep(3600)
        if cmd == opts["crash"]:
            sys.exit(3)
        if cmd == "quit":
            reply("")
            return
        if cmd == "protocol_version":
            reply("2")
        elif cmd == "name":
            reply(opts["name"])
        elif cmd == "version":
            reply("1")
        elif cmd in ("boardsize", "komi"):
            reply("")
        elif cmd == "clear_board":
            played.clear()
            next_move = 0
            genmoves = 0
            reply("")
        elif cmd == "play":
            played.add(words[2].upper())
            reply("")
        elif cmd == "genmove":
            genmoves += 1
            if opts["resign"] is not None and genmoves > int(opts["resign"]):
                reply("resign")
                continue
            move = "pass"
            while next_move < len(script):
                candidate = script[next_move].upper()
                next_move += 1
                if verbatim or candidate not in played:
                    move = candidate
                    break
            if move != "pass":
                played.add(move)
            reply(move)
        elif cmd == "final_score":
            if opts["score"] is None:
                reply("cannot score", ok=False)
            else:
                reply(opts["score"])
        else:
            reply("unknown command", ok=False)


if __name__ == "__main__":
    main()
