"""Service Layer sessions: B1SESSION ids, ROUTEID load-balancer pinning and the idle timeout.

`POST /Login` creates a session bound to one company database (sap.md §Login and session cookies) and returns
it in the `B1SESSION` cookie with the `ROUTEID` cookie naming the load-balancer member that owns it. A request
must bring B1SESSION; ROUTEID sends it to that member, and a request without one is spread round-robin over
the members, so it only works when it lands on the right one (sap.md §Login and session cookies). The timeout
(`SessionTimeout`, minutes, default 30) is an inactivity timeout: each request resets it
(sap.md §Login and session cookies, UNCERTAIN in the manual; the common reading). Times come from the
simulator clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from itertools import count

from erpsim.core.clock import Clock

NODES = (".node1", ".node2")
DEFAULT_TIMEOUT_MINUTES = 30


@dataclass
class Session:
    session_id: str
    company_db: str
    user: str
    route_id: str
    last_seen: float
    timeout_minutes: int

    def alive(self, now: float) -> bool:
        return now - self.last_seen <= self.timeout_minutes * 60


class SessionStore:
    def __init__(self, clock: Clock, seed: int) -> None:
        self.clock = clock
        self.timeout_minutes = DEFAULT_TIMEOUT_MINUTES
        self._sessions: dict[str, Session] = {}
        self._ids = uuid.UUID(int=seed * 7919 + 1).int
        self._issued = count()
        self._balancer = count()
        self._nodes = count()

    def _new_id(self) -> str:
        # Deterministic GUIDs (seed + sequence): same seed, same run, same ids.
        return str(uuid.UUID(int=(self._ids * 1_000_003 + next(self._issued) * 2_654_435_761) % (1 << 128)))

    def login(self, company_db: str, user: str) -> Session:
        node = NODES[next(self._nodes) % len(NODES)]
        session = Session(self._new_id(), company_db, user, node, self.clock.time(), self.timeout_minutes)
        self._sessions[session.session_id] = session
        return session

    def resolve(self, session_id: str | None, route_id: str | None) -> Session | None:
        """The live session of a request (and reset its idle timer), or None."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        now = self.clock.time()
        if session is None:
            return None
        if not session.alive(now):
            del self._sessions[session_id]
            return None
        node = route_id or NODES[next(self._balancer) % len(NODES)]
        if node != session.route_id:  # this member does not know the session
            return None
        session.last_seen = now
        return session

    def logout(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def expire_all(self) -> None:
        self._sessions.clear()

    def open_count(self) -> int:
        now = self.clock.time()
        return sum(1 for s in self._sessions.values() if s.alive(now))

    def peek(self, session_id: str | None) -> Session | None:
        """The session without touching its timer (for stats keys)."""
        session = self._sessions.get(session_id or "")
        return session if session is not None and session.alive(self.clock.time()) else None
