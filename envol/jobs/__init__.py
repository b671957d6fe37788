"""envol's one job engine: every long job (follow migrations, archive imports, publishing,
matching; next: scheduled posts, relays, metric snapshots, post-history migration) is a row that
a runner advances one bounded step at a time. See docs/architecture.md, "The job engine".

Adding a job kind in 5 steps
----------------------------
1. States: a `TextChoices`, and a `StateMachine` declaring the allowed moves, the `runnable`
   states (the runner advances them) and the `failed` one (too many errors in a row)::

       class RelayState(models.TextChoices):
           ACTIVE = "active", _("Polling")
           PAUSED = "paused", _("Paused")

       RELAY_MACHINE = StateMachine(
           "relay",
           RelayState,
           {RelayState.ACTIVE: {RelayState.PAUSED}, RelayState.PAUSED: {RelayState.ACTIVE}},
           runnable=[RelayState.ACTIVE],
       )

2. The model inherits `envol.jobs.models.Job`, names its machine, declares its state column and
   keeps the runner's index (a short class name: the index name has 30 characters at most)::

       class Relay(Job):
           machine = RELAY_MACHINE
           state = RELAY_MACHINE.field()
           organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
           feed_url = models.URLField()

           class Meta(Job.Meta):
               pass

3. A handler per runnable state, in your `services.py`: one bounded step, never a loop to the
   end, never a sleep, never the wall clock (`step.now`, `step.clock`); it returns what comes
   next (`envol.jobs.kinds`: `again()`, `later(when)`, `to(state)`, `retry(error)`)::

       def poll(relay: Relay, step: Step) -> Outcome:
           new_items = fetch_and_post_new_items(relay, now=step.now)  # exactly once: keys first
           return later(step.now + timedelta(minutes=15))

4. Register the kind in your app's `jobs.py` (the engine imports it when Django starts)::

       RELAYS = register(
           JobKind(model=Relay, handlers={RelayState.ACTIVE: poll}, fairness="organisation_id")
       )

5. Test it with an injected clock: `envol.jobs.runner.step(job, clock=...)` for one step,
   `run_to_end(job, clock=..., sleep=...)` to the end, `Runner([RELAYS], clock=...).run_once()`
   for a worker's round; and a SIGKILL test of the real `envol worker` if it acts on a network.

A person's actions (pause, resume, cancel, approve…) go through
`envol.jobs.transitions.move(job, state, actor=...)`: declared moves only, from the state the
job was read in (a step's own move then loses). Rate limits of an account: `envol.jobs.budgets`.
"""
