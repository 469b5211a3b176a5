"""Running code samples in a bubblewrap sandbox.

- harness.py  runs inside the sandbox (standard library only): a supervisor that alone holds the
              channel to the host, and a worker that drives a script, a CGI program, a WSGI or
              an ASGI application and ends as `python file.py` does.
- sandbox.py  builds the bwrap command and collects the run within the time and output caps.
- report.py   checks the harness's message and report (untrusted: the user's code could write it).
- result.py   turns what the sandbox produced into a RunResult with an outcome (status, headers,
              body, environ, ASGI trace).
- runtimes.py the one list of runtimes (the model's choices, the runner, the views).
- request.py  parses the raw HTTP request a sample answers.
- slots.py    the global cap on concurrent runs (flock()ed slot files, shared by all workers).
- service.py  what the site calls: the cache of unedited runs and the per-client rate limit.
- record.py   recording and checking expected_output (admin action, check_samples).
- config.py   the RUNNER_* settings and their defaults.
"""
