"""Run the Mastodon test server on its own (sandbox demos, a client in another process).

python -m envol.testing.mastodon --port 8765 --state var/mastodon.json --user demo
"""

from __future__ import annotations

import argparse
import signal
import threading

from envol.testing.mastodon.server import MastodonTestServer


def main() -> None:
    parser = argparse.ArgumentParser(description="Mastodon API test server (127.0.0.1 only)")
    parser.add_argument("--domain", default="mastodon.test")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--state", help="JSON file that keeps the state across restarts")
    parser.add_argument("--max-characters", type=int, default=500)
    parser.add_argument("--user", help="create this local user (if missing) and print a token")
    args = parser.parse_args()
    server = MastodonTestServer.start(
        args.domain, port=args.port, state_path=args.state, max_characters=args.max_characters
    )
    print(f"Mastodon test server for {args.domain} on {server.url}", flush=True)
    if args.user:
        try:
            _, token = server.create_account(args.user)
            print(f"@{args.user}: access token {token}", flush=True)
        except ValueError:
            print(f"@{args.user} already exists (state file)", flush=True)
        server.auto_approve(args.user)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
