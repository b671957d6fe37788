"""A call in the background: the step goes on only once the call's request has left, so its
bookkeeping never competes with the request's own serialising and sending."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import httpx

from envol.jobs.overlap import in_background
from envol.networks.ssrf import GuardedTransport
from envol.testing.outbound import ScriptedNetwork


def test_the_step_goes_on_once_the_request_has_left() -> None:
    received: list[bytes] = []

    def server(address: str, request: httpx.Request) -> httpx.Response:
        received.append(request.content)
        return httpx.Response(200)

    network = ScriptedNetwork(server)
    transport = GuardedTransport(
        allow_private=True, resolver=lambda host, port: ["127.0.0.1"], network=network
    )
    finish = threading.Event()
    body = b"x" * 200_000

    def call() -> int:
        with httpx.Client(transport=transport) as client:
            status = client.post("http://pds.test/xrpc/com.atproto.repo.applyWrites", content=body)
        finish.wait(30)  # the answer is held back until the test has looked
        return status.status_code

    answer = in_background(call, head_start_s=60)
    # Not the head start's end, nor the call's: the request's whole body was at the server.
    assert received == [body] and not answer.done()
    finish.set()
    assert answer.result() == 200


def test_a_call_that_ends_without_a_request_releases_the_step_at_once() -> None:
    """No request, no signal: the call's end releases the step, not the head start's."""

    def call() -> int:
        raise ValueError("no request")

    answers: list[Future[int]] = []
    stepping = threading.Thread(
        target=lambda: answers.append(in_background(call, head_start_s=3600))
    )
    stepping.start()
    stepping.join(30)
    assert not stepping.is_alive()
    assert isinstance(answers[0].exception(), ValueError)
