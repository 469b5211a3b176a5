"""Each runtime's harness, run for real in the sandbox: what a learner sees for working code."""

import json
from pathlib import Path

import pytest

from timeline.runner.service import run_code

pytestmark = pytest.mark.usefixtures("sandbox")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eras"


def run(runtime, code, request=""):
    return run_code(runtime, code, request)


# -- python ------------------------------------------------------------------------------


def test_python_shows_stdout_and_stderr_in_order():
    result = run("python", "import sys\nprint('one')\nprint('two', file=sys.stderr)\nprint('3')\n")
    assert result.ok, result.error
    assert result.output == "one\ntwo\n3\n"
    assert result.error == "" and result.cached is False
    assert result.duration_ms > 0


def test_python_script_runs_its_main_block():
    result = run(
        "python", "def main():\n    print('main ran')\n\nif __name__ == '__main__':\n    main()\n"
    )
    assert result.output == "main ran\n"


def test_python_exception_shows_the_users_traceback_only():
    result = run("python", "def f():\n    return 1 / 0\n\nf()\n")
    assert not result.ok
    assert 'File "/tmp/sample.py", line 2, in f' in result.error
    assert "ZeroDivisionError: division by zero" in result.error
    assert "harness" not in result.error
    assert "ZeroDivisionError" in result.output  # the learner sees it where Python prints it


def test_python_nonzero_exit_is_an_error():
    result = run("python", "import sys\nprint('bye')\nsys.exit(3)\n")
    assert not result.ok
    assert result.error == "The script exited with status 3."
    assert result.output == "bye\n"


# -- CGI ------------------------------------------------------------------------------


CGI_ECHO = """\
import os, sys
print("Content-Type: text/plain")
print()
for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
            "HTTP_HOST", "HTTP_X_TOKEN", "SERVER_PROTOCOL", "GATEWAY_INTERFACE"):
    print(key, "=", os.environ.get(key))
print("stdin =", sys.stdin.read())
"""


def test_cgi_gets_the_request_as_environment_and_stdin():
    request = (
        "POST /cgi-bin/echo?x=1&y=2 HTTP/1.0\nHost: example.org\nX-Token: abc\n"
        "Content-Type: application/x-www-form-urlencoded\n\nname=Ada"
    )
    result = run("cgi", CGI_ECHO, request)
    assert result.ok, result.error
    assert result.status == "200 OK"
    assert result.headers == [["Content-Type", "text/plain"]]
    lines = result.body.splitlines()
    assert "REQUEST_METHOD = POST" in lines
    assert "PATH_INFO = /cgi-bin/echo" in lines
    assert "QUERY_STRING = x=1&y=2" in lines
    assert "CONTENT_TYPE = application/x-www-form-urlencoded" in lines
    assert "CONTENT_LENGTH = 8" in lines
    assert "HTTP_HOST = example.org" in lines
    assert "HTTP_X_TOKEN = abc" in lines
    assert "SERVER_PROTOCOL = HTTP/1.0" in lines
    assert "GATEWAY_INTERFACE = CGI/1.1" in lines
    assert "stdin = name=Ada" in lines
    assert result.environ["REQUEST_METHOD"] == "POST"
    assert result.output.startswith("HTTP/1.1 200 OK\nContent-Type: text/plain\n\nREQUEST_METHOD")


def test_cgi_status_and_location_headers_become_the_status_line():
    code = 'print("Status: 404 Not Found")\nprint("Content-Type: text/plain")\nprint()\n'
    code += 'print("nope")\n'
    result = run("cgi", code, "GET /missing HTTP/1.1\nHost: localhost\n\n")
    assert result.status == "404 Not Found"
    assert result.output == "HTTP/1.1 404 Not Found\nContent-Type: text/plain\n\nnope\n"
    redirect = run("cgi", 'print("Location: /elsewhere")\nprint()\n', "GET / HTTP/1.1\n\n")
    assert redirect.status == "302 Found"
    assert redirect.headers == [["Location", "/elsewhere"]]


def test_cgi_without_headers_is_a_500_with_the_reason():
    result = run("cgi", 'print("hello")\n', "GET / HTTP/1.1\n\n")
    assert not result.ok
    assert result.status == "500 Internal Server Error"
    assert "no blank line after its headers" in result.error


def test_the_cgi_era_sample_answers_hello_ada():
    records = json.loads((FIXTURES / "cgi.json").read_text())
    sample = next(r["fields"] for r in records if r["model"] == "timeline.codesample")
    result = run("cgi", sample["code"], sample["request"])
    assert result.ok, result.error
    assert result.body == "Hello, Ada!\n"


# -- WSGI ------------------------------------------------------------------------------


HELLO_WSGI = """\
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello from ", environ["PATH_INFO"].encode()]
"""


def test_wsgi_response_and_environ_view():
    result = run("wsgi", HELLO_WSGI, "GET /greet?who=you HTTP/1.1\nHost: example.org:8080\n\n")
    assert result.ok, result.error
    assert result.output == "HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello from /greet"
    assert result.status == "200 OK" and result.body == "Hello from /greet"
    environ = result.environ
    assert environ["QUERY_STRING"] == "who=you"
    assert environ["SERVER_NAME"] == "example.org" and environ["SERVER_PORT"] == "8080"
    assert environ["wsgi.version"] == "(1, 0)"
    assert environ["wsgi.url_scheme"] == "http"
    assert "BytesIO" in environ["wsgi.input"]


def test_wsgi_reads_the_body_from_wsgi_input():
    code = (
        "def application(environ, start_response):\n"
        "    size = int(environ.get('CONTENT_LENGTH') or 0)\n"
        "    data = environ['wsgi.input'].read(size)\n"
        "    start_response('201 Created', [('Content-Type', 'text/plain')])\n"
        "    return [data.upper()]\n"
    )
    result = run("wsgi", code, "POST /items HTTP/1.1\nContent-Type: text/plain\n\nnew item")
    assert result.status == "201 Created"
    assert result.body == "NEW ITEM"


def test_wsgi_write_callable_comes_before_the_iterable():
    code = (
        "def application(environ, start_response):\n"
        "    write = start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    write(b'written, ')\n"
        "    return [b'then returned']\n"
    )
    assert run("wsgi", code).body == "written, then returned"


def test_wsgi_iterable_close_is_called():
    code = (
        "import sys\n"
        "class Body:\n"
        "    def __iter__(self):\n"
        "        yield b'part one, '\n"
        "        yield b'part two'\n"
        "    def close(self):\n"
        "        print('close() called', file=sys.stderr)\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return Body()\n"
    )
    result = run("wsgi", code)
    assert result.body == "part one, part two"
    assert "close() called" in result.log


def test_wsgi_exc_info_replaces_the_status_before_anything_is_sent():
    code = (
        "import sys\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    try:\n"
        "        raise ValueError('boom')\n"
        "    except ValueError:\n"
        "        start_response('500 Internal Server Error', [('Content-Type', 'text/plain')],\n"
        "                       sys.exc_info())\n"
        "        return [b'handled']\n"
    )
    result = run("wsgi", code)
    assert result.ok, result.error
    assert result.status == "500 Internal Server Error"
    assert result.body == "handled"


def test_wsgi_exc_info_after_the_body_started_reraises():
    code = (
        "import sys\n"
        "def application(environ, start_response):\n"
        "    write = start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    write(b'partial')\n"
        "    try:\n"
        "        raise ValueError('too late')\n"
        "    except ValueError:\n"
        "        start_response('500 Internal Server Error', [], sys.exc_info())\n"
        "    return []\n"
    )
    result = run("wsgi", code)
    assert not result.ok
    assert "ValueError: too late" in result.error
    assert result.status == "200 OK" and result.body == "partial"


def test_wsgi_start_response_twice_without_exc_info_is_an_error():
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    start_response('404 Not Found', [])\n"
        "    return [b'']\n"
    )
    result = run("wsgi", code)
    assert not result.ok
    assert "called a second time without exc_info" in result.error


def test_wsgi_str_instead_of_bytes_is_a_500_with_the_reason():
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return ['Hello']\n"
    )
    result = run("wsgi", code)
    assert not result.ok
    assert result.status == "500 Internal Server Error"
    assert "must yield bytes, not str: 'Hello'" in result.body
    assert "must yield bytes, not str" in result.error


def test_wsgi_str_header_value_check():
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Length', 5)])\n"
        "    return [b'hello']\n"
    )
    result = run("wsgi", code)
    assert result.status == "500 Internal Server Error"
    assert "Header names and values must be str" in result.error


def test_flask_app_with_app_run_guard_is_served_not_started(settings):
    settings.RUNNER_TIMEOUT = 5  # importing a framework takes a while on a loaded machine
    code = (
        "from flask import Flask, request\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/hello')\n"
        "def hello():\n"
        "    return f\"Hello, {request.args.get('name', 'world')}!\"\n\n"
        "if __name__ == '__main__':\n"
        "    app.run(port=8000)\n"
    )
    result = run("wsgi", code, "GET /hello?name=Ada HTTP/1.1\nHost: localhost\n\n")
    assert result.ok, result.error
    assert result.status == "200 OK"
    assert result.body == "Hello, Ada!"
    assert ["Content-Type", "text/html; charset=utf-8"] in result.headers


def test_bottle_module_level_routes_use_the_default_app():
    code = (
        "from bottle import route, run\n\n"
        "@route('/hello/<name>')\n"
        "def hello(name):\n"
        "    return f'Hello, {name}!'\n\n"
        "if __name__ == '__main__':\n"
        "    run(host='localhost', port=8080)\n"
    )
    result = run("wsgi", code, "GET /hello/Ada HTTP/1.1\nHost: localhost\n\n")
    assert result.ok, result.error
    assert result.body == "Hello, Ada!"


# -- ASGI ------------------------------------------------------------------------------


RAW_ASGI = """\
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["greeting"] = "Hello"
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": scope["state"]["greeting"].encode(),
                "more_body": True})
    await send({"type": "http.response.body", "body": b", " + str(len(body)).encode()})
"""


def test_asgi_lifespan_streaming_and_the_event_trace():
    body = "x" * 5000  # more than one http.request message
    result = run("asgi", RAW_ASGI, f"POST /upload HTTP/1.1\nHost: localhost\n\n{body}")
    assert result.ok, result.error
    assert result.output == "HTTP/1.1 200 OK\ncontent-type: text/plain\n\nHello, 5000"
    trace = [(e["direction"], e["scope"], e["message"].get("type")) for e in result.events]
    assert trace[:2] == [
        ("receive", "lifespan", "lifespan.startup"),
        ("send", "lifespan", "lifespan.startup.complete"),
    ]
    assert ("scope", "http", "http") in trace
    requests = [e["message"] for e in result.events if e["message"].get("type") == "http.request"]
    assert [m["more_body"] for m in requests] == [True, False]
    bodies = [
        e["message"] for e in result.events if e["message"].get("type") == "http.response.body"
    ]
    assert [m.get("more_body", False) for m in bodies] == [True, False]
    assert trace[-2:] == [
        ("receive", "lifespan", "lifespan.shutdown"),
        ("send", "lifespan", "lifespan.shutdown.complete"),
    ]
    assert result.environ["path"] == "/upload" and result.environ["method"] == "POST"


def test_asgi_app_without_lifespan_support_still_answers():
    code = (
        "async def app(scope, receive, send):\n"
        "    assert scope['type'] == 'http', 'only http'\n"
        "    await send({'type': 'http.response.start', 'status': 404, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'no such page'})\n"
    )
    result = run("asgi", code)
    assert result.ok, result.error
    assert result.status == "404 Not Found"
    assert result.body == "no such page"
    notes = [e for e in result.events if e["direction"] == "note"]
    assert "does not support lifespan" in notes[0]["message"]


def test_asgi_body_before_start_is_an_error():
    code = (
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.body', 'body': b'oops'})\n"
    )
    result = run("asgi", code)
    assert not result.ok
    assert result.status == "500 Internal Server Error"
    assert "http.response.body sent before http.response.start" in result.error


def test_fastapi_app_with_uvicorn_guard(settings):
    settings.RUNNER_TIMEOUT = 5  # importing a framework takes a while on a loaded machine
    code = (
        "from fastapi import FastAPI\n\n"
        "app = FastAPI()\n\n"
        "@app.get('/hello')\n"
        "async def hello(name: str = 'world'):\n"
        "    return {'message': f'Hello, {name}!'}\n\n"
        "if __name__ == '__main__':\n"
        "    import uvicorn\n"
        "    uvicorn.run(app)\n"
    )
    result = run("asgi", code, "GET /hello?name=Ada HTTP/1.1\nHost: localhost\n\n")
    assert result.ok, result.error
    assert result.status == "200 OK"
    assert result.body == '{"message":"Hello, Ada!"}'
    assert ["content-type", "application/json"] in result.headers


def test_starlette_app(settings):
    settings.RUNNER_TIMEOUT = 5  # importing a framework takes a while on a loaded machine
    code = (
        "from starlette.applications import Starlette\n"
        "from starlette.responses import PlainTextResponse\n"
        "from starlette.routing import Route\n\n"
        "async def hello(request):\n"
        "    return PlainTextResponse('Hello, ' + request.query_params.get('name', 'world'))\n\n"
        "app = Starlette(routes=[Route('/hello', hello)])\n"
    )
    result = run("asgi", code, "GET /hello?name=Ada HTTP/1.1\n\n")
    assert result.ok, result.error
    assert result.body == "Hello, Ada"
    types = [e["message"].get("type") for e in result.events]
    assert "lifespan.startup.complete" in types


def test_wsgi_path_is_percent_decoded_as_latin_1_per_pep_3333():
    code = (
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])\n"
        "    return [environ['PATH_INFO'].encode('latin-1')]\n"
    )
    result = run("wsgi", code, "GET /caf%C3%A9%2Fx%zz HTTP/1.1\n\n")
    assert result.body == "/café/x%zz"
    assert result.environ["PATH_INFO"] == "/cafÃ©/x%zz"


def test_outputs_are_repeatable_for_check_samples():
    code = "print({'wsgi', 'asgi', 'cgi', 'fastcgi', 'scgi', 'ajp'})\n"
    assert run("python", code).output == run("python", code).output
