"""Running code samples in a bubblewrap sandbox.

- harness.py   runs inside the sandbox (standard library only): a supervisor that alone holds the
               channel to the host, and a worker that drives a script, a CGI program, a WSGI or
               an ASGI application and ends as `python file.py` does.
- sandbox.py   a run's sandbox: its identity, work directory and containment, cold or a spare's.
- process.py   bwrap's process: started, admitted to its cgroup, read within the time and output
               caps, killed whole.
- spares.py    sandboxes started ahead of their run (RUNNER_SPARES), one run each.
- cgroups.py   a cgroup per run: the whole run's memory, processes and CPU, and stopping it.
- seccomp.py   the seccomp filter every run gets (kernel interfaces a sample has no use for).
- identity.py  a fresh uid per run from a rotating range, and the run's cgroup named after it.
- slots.py     the global cap on concurrent runs (flock()ed slot files, shared by all workers).
- report.py    checks the harness's message and report (untrusted: the user's code could write it).
- result.py    turns what the sandbox produced into a RunResult with an outcome (status, headers,
               body, environ, ASGI trace).
- runtimes.py  the one list of runtimes (the model's choices, the runner, the views).
- request.py   parses the raw HTTP request a sample answers.
- pool.py      runs across machines, the web side: a Celery task per sandbox run, its deadline, the
               queue's back-pressure (429) and a lost runner (503); off without a broker.
- tasks.py     runs across machines, the runner host's side: the task, and the start-up checks.
- pool_stats.py what runner hosts report in the broker's Redis (expected wait, runner_status).
- service.py   what the site calls: the cache of unedited runs and the per-client rate limit
               (counted by historyweb/throttle.py, which also limits going live).
- record.py    recording and checking expected_output (admin action, check_samples).
- config.py    the RUNNER_* settings and their defaults.
- checks.py    `manage.py check`: containment, and the client address behind a proxy.
"""
