"""Security headers on every kind of page, and production settings that pass the deploy check."""

import importlib
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from .seed import PAGES, page_params, page_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def wsgi(history):
    return history


def directives(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


@pytest.mark.parametrize("site_page", page_params(PAGES))
def test_every_page_carries_the_security_headers(client, admin_client_logged, wsgi, site_page):
    visitor = admin_client_logged if site_page.staff else client
    for attempt in ("first", "cached"):
        response = visitor.get(page_url(site_page, wsgi))
        assert response.status_code == site_page.status, attempt
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], attempt
        assert "'unsafe-inline'" not in policy["default-src"] + policy["script-src"]
        assert "'unsafe-eval'" not in " ".join(response["Content-Security-Policy"].split())
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "Cross-Origin-Opener-Policy" in response


def test_site_styles_stay_strict_outside_the_admin(client, wsgi):
    policy = directives(client.get("/eras/wsgi/"))
    assert policy["style-src"] == ["'self'"]


def load_production_settings(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    # base read the environment when first imported: read it again with the secret set.
    importlib.reload(importlib.import_module("historyweb.settings.base"))
    return importlib.reload(importlib.import_module("historyweb.settings.prod"))


@pytest.fixture
def production(settings, monkeypatch):
    """The security settings of historyweb.settings.prod, applied to this test."""
    prod = load_production_settings(monkeypatch)
    for name in dir(prod):
        if name.startswith(("SECURE_", "SESSION_COOKIE", "CSRF_COOKIE")):
            setattr(settings, name, getattr(prod, name))
    return prod


def test_production_serves_https_from_the_proxy_and_sends_hsts(client, wsgi, production):
    response = client.get("/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    cached = client.get("/", headers={"x-forwarded-proto": "https"})
    assert cached.status_code == 200 and "Strict-Transport-Security" in cached


def test_production_redirects_plain_http(client, wsgi, production):
    response = client.get("/eras/wsgi/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/eras/wsgi/"


def test_production_cookies_are_secure(client, wsgi, production, django_user_model):
    django_user_model.objects.create_superuser("ed", "ed@example.org", "pw")
    https = {"x-forwarded-proto": "https"}
    login_page = client.get("/admin/login/", headers=https)
    assert login_page.cookies["csrftoken"]["secure"]
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ed", "password": "pw", "next": "/admin/"},
        headers=https,
    )
    assert response.status_code == 302
    session = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "historyweb.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "history.example",
        "HISTORYWEB_VAR_DIR": str(tmp_path),
        "RUNNER_CLIENT_IP_HEADER": "X-Real-IP",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def run_check(tmp_path, **environ):
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_CLIENT_IP_HEADER"}
    env.update(
        DJANGO_SETTINGS_MODULE="historyweb.settings.prod",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="history.example",
        HISTORYWEB_VAR_DIR=str(tmp_path),
        **environ,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_warns_when_the_proxy_hides_the_client_address(tmp_path):
    """Behind the proxy without RUNNER_CLIENT_IP_HEADER, all visitors share one rate bucket."""
    result = run_check(tmp_path)
    assert "historyweb.W001" in result.stderr + result.stdout
    assert "RUNNER_CLIENT_IP_HEADER" in result.stderr + result.stdout
    quiet = run_check(tmp_path, RUNNER_CLIENT_IP_HEADER="X-Real-IP")
    assert "historyweb.W001" not in quiet.stderr + quiet.stdout


def test_client_ip_header_is_read_as_request_meta_spells_it():
    from historyweb.settings.base import meta_header

    assert meta_header("X-Real-IP") == "HTTP_X_REAL_IP"
    assert meta_header("HTTP_X_FORWARDED_FOR") == "HTTP_X_FORWARDED_FOR"
    assert meta_header("  ") is None


def test_production_refuses_to_start_without_a_secret(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="historyweb.settings.prod", HISTORYWEB_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
