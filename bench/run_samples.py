"""One small app per runtime, answering the same request: what the run benches time."""

HELLO = "GET /hello?name=Ada HTTP/1.1\nHost: localhost\n\n"
SAMPLES = {
    "python": ("python", "print('Hello, Ada!')\n", ""),
    "cgi": (
        "cgi",
        "import os\nprint('Content-Type: text/plain')\nprint()\n"
        "print('Hello,', os.environ['QUERY_STRING'])\n",
        HELLO,
    ),
    "wsgi": (
        "wsgi",
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'Hello, Ada!']\n",
        HELLO,
    ),
    "asgi": (
        "asgi",
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'Hello, Ada!'})\n",
        HELLO,
    ),
    "wsgi (Flask)": (
        "wsgi",
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/hello')\n"
        "def hello():\n    return 'Hello, Ada!'\n",
        HELLO,
    ),
    "asgi (FastAPI)": (
        "asgi",
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/hello')\n"
        "def hello():\n    return 'Hello, Ada!'\n",
        HELLO,
    ),
}
