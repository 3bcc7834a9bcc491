"""Alert once per outage: what a scheduled job does when the remote service it needs is down.

A job runner (Toolforge's) e-mails the maintainers whenever a job exits non-zero. A job that
failed every hour while Diff was down sent an e-mail an hour. The policy:

- the **first failed run** of an outage records the outage (:class:`capx.models.JobOutage`) and
  the job exits non-zero: one alert;
- **later failed runs** only log ("still failing since ..., N failed runs") and exit zero;
- the **first good run** after an outage logs the recovery (how long, how many runs failed) and
  forgets the outage, so the next outage alerts again.

Nothing the job stored before is deleted while it fails: pages keep the last good copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from capx.extensions import db
from capx.models import JobOutage

FIRST_FAILURE, STILL_FAILING, RECOVERED, OK = "first-failure", "still-failing", "recovered", "ok"
ERROR_LENGTH = 200


@dataclass(frozen=True)
class RunOutcome:
    """What a run means for the outage: ``state`` is one of the four constants above."""

    state: str
    since: dt.datetime | None = None
    failed_runs: int = 0

    @property
    def alert(self) -> bool:
        """True only on the first failed run of an outage: the job exits non-zero then."""
        return self.state == FIRST_FAILURE

    def describe(self, job: str, now: dt.datetime) -> str:
        """One log line for the run (empty for an ordinary good run)."""
        if self.state == FIRST_FAILURE:
            return f"{job}: failing (outage starts now; later failed runs only log until it recovers)"
        if self.state == STILL_FAILING:
            return (f"{job}: still failing since {self.since:%Y-%m-%d %H:%M} UTC "
                    f"({self.failed_runs} failed runs); alerted at the first one")
        if self.state == RECOVERED and self.since is not None:
            minutes = int((now - self.since).total_seconds() // 60)
            return (f"{job}: recovered after an outage since {self.since:%Y-%m-%d %H:%M} UTC "
                    f"({minutes} min, {self.failed_runs} failed runs)")
        return ""


def record_run(job: str, failed: bool, error: str, now: dt.datetime) -> RunOutcome:
    """Record the outcome of one run of ``job`` (flushes; the caller commits)."""
    outage = db.session.get(JobOutage, job, with_for_update=True)
    if failed:
        if outage is None:
            db.session.add(JobOutage(job=job, since=now, last_failed_at=now, failed_runs=1,
                                     last_error=error[:ERROR_LENGTH]))
            db.session.flush()
            return RunOutcome(FIRST_FAILURE, now, 1)
        outage.failed_runs += 1
        outage.last_failed_at = now
        outage.last_error = error[:ERROR_LENGTH]
        db.session.flush()
        return RunOutcome(STILL_FAILING, outage.since, outage.failed_runs)
    if outage is None:
        return RunOutcome(OK)
    outcome = RunOutcome(RECOVERED, outage.since, outage.failed_runs)
    db.session.delete(outage)
    db.session.flush()
    return outcome


def current_outage(job: str) -> JobOutage | None:
    """The outage ``job`` is in, if any."""
    return db.session.get(JobOutage, job)
