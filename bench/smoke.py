#!/usr/bin/env python3
"""A one-connection stand-in for the peer's load.mjs, used by `bench/run.sh --smoke` when the peer
is not found (bench/README.md). Same environment (ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI,
USERNAME, PASSWORD, LOAD_DURATION, LOAD_SCENARIOS, SERVER_PIDS, LOAD_JSON) and the same JSON shape,
so bench/report.py reads either. Every answer is verified as load.mjs verifies it; only verified
answers count. Standard library only. Not a benchmark: one connection, Python's own overhead.
"""

import base64
import hashlib
import html
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ENV = os.environ
ISSUER = ENV["ISSUER"].rstrip("/")
CLIENT_ID, CLIENT_SECRET = ENV["CLIENT_ID"], ENV["CLIENT_SECRET"]
REDIRECT_URI, USERNAME, PASSWORD = ENV["REDIRECT_URI"], ENV["USERNAME"], ENV["PASSWORD"]
DURATION = float(ENV.get("LOAD_DURATION", "2"))
SCENARIOS = ENV.get("LOAD_SCENARIOS", "discovery,jwks,cc,refresh,introspect,userinfo,codeflow,password").split(",")
PIDS = [p for p in ENV.get("SERVER_PIDS", "").split() if p]
TICK = os.sysconf("SC_CLK_TCK")
BASIC = "Basic " + base64.b64encode(
    f"{urllib.parse.quote(CLIENT_ID, safe='')}:{urllib.parse.quote(CLIENT_SECRET, safe='')}".encode()
).decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(cookies=None):
    handlers = [NoRedirect()]
    if cookies is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(cookies))
    return urllib.request.build_opener(*handlers)


PLAIN = opener()


def call(url, form=None, headers=None, op=PLAIN):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with op.open(req, timeout=10) as res:
            return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def token(form):
    status, _, body = call(META["token_endpoint"], form, {"Authorization": BASIC})
    body = json.loads(body) if body else {}
    if status != 200 or "access_token" not in body:
        raise RuntimeError(f"token endpoint: {status} {body}")
    return body


def cpu():
    total = 0
    for pid in PIDS:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def hidden(page, name):
    m = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*value="([^"]*)"', page)
    if not m:
        raise RuntimeError(f"no {name} in the page")
    return html.unescape(m.group(1))


def login_session():
    """Signs in through the login page once (consent approved): a cookie-keeping opener and a (code, verifier)."""
    jar = http.cookiejar.CookieJar()
    op = opener(jar)
    return op, authorize(op, interactive=True)


def authorize(op, interactive=False):
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    q = urllib.parse.urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile offline_access", "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    status, headers, body = call(f"{META['authorization_endpoint']}?{q}", op=op)
    for _ in range(6):
        if status in (302, 303):
            loc = urllib.parse.urljoin(ISSUER + "/", headers["location"])
            if loc.startswith(REDIRECT_URI):
                params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(loc).query))
                if params.get("state") != state or "code" not in params:
                    raise RuntimeError(f"bad authorization response {loc}")
                return params["code"], verifier
            status, headers, body = call(loc, op=op)
            continue
        page = body.decode("utf-8", "replace")
        if status != 200 or not interactive:
            raise RuntimeError(f"authorization: {status}")
        if 'name="password"' in page:
            form = {"request_id": hidden(page, "request_id"), "csrf_token": hidden(page, "csrf_token"),
                    "username": USERNAME, "password": PASSWORD}
            status, headers, body = call(f"{ISSUER}/login", form, op=op)
        elif 'name="decision"' in page:
            form = {"request_id": hidden(page, "request_id"), "csrf_token": hidden(page, "csrf_token"),
                    "decision": "allow"}
            status, headers, body = call(f"{ISSUER}/consent", form, op=op)
        else:
            raise RuntimeError("an authorization page without a login or consent form")
    raise RuntimeError("too many steps")


def exchange(code, verifier):
    return token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                  "redirect_uri": REDIRECT_URI})


def run(name, step):
    ok = bad = 0
    lat = []
    first = None
    c0, t0 = cpu() if PIDS else 0, time.monotonic()
    while time.monotonic() - t0 < DURATION:
        s = time.perf_counter()
        try:
            step()
            ok += 1
            lat.append((time.perf_counter() - s) * 1000)
        except Exception as e:  # noqa: BLE001 - every failure counts and the first is reported
            bad += 1
            first = first or f"{type(e).__name__}: {e}"
    window = time.monotonic() - t0
    lat.sort()
    pct = lambda p: round(lat[min(len(lat) - 1, int(len(lat) * p / 100))], 2) if lat else None  # noqa: E731
    row = {"scenario": name, "unit": "flow" if name == "codeflow" else "request", "connections": 1,
           "duration_s": round(window, 3), "requests_total": ok + bad, "req_per_s": round(ok / window, 1),
           "latency_ms_p50": pct(50), "latency_ms_p99": pct(99), "ok_2xx": ok, "non_2xx": bad,
           "errors": 0, "timeouts": 0, "invalid": 0}
    if PIDS:
        server = cpu() - c0
        row.update({"server_cpu_s": round(server, 2),
                    "cpu_us_per_ok": round(server * 1e6 / ok, 1) if ok else None})
    if first:
        row["first_failure"] = first
    print(f"{name:10} {row['req_per_s']:>9} /s  ok {ok}  failed {bad}  cpu_us_per_ok {row.get('cpu_us_per_ok')}"
          + (f"  first failure: {first}" if first else ""))
    return row


def check(cond, what):
    if not cond:
        raise RuntimeError(what)


META = json.loads(urllib.request.urlopen(f"{ISSUER}/.well-known/openid-configuration", timeout=10).read())


def main():
    rows, failed = [], []
    for name in SCENARIOS:
        try:
            if name == "discovery":
                def step():
                    s, _, b = call(f"{ISSUER}/.well-known/openid-configuration")
                    check(s == 200 and json.loads(b)["issuer"] == META["issuer"], f"discovery {s}")
            elif name == "jwks":
                def step():
                    s, _, b = call(META["jwks_uri"])
                    check(s == 200 and json.loads(b)["keys"], f"jwks {s}")
            elif name == "cc":
                def step():
                    token({"grant_type": "client_credentials"})
            elif name == "password":
                def step():
                    token({"grant_type": "password", "username": USERNAME, "password": PASSWORD,
                           "scope": "openid email profile"})
            elif name == "introspect":
                live = token({"grant_type": "client_credentials"})["access_token"]

                def step():
                    s, _, b = call(META["introspection_endpoint"], {"token": live, "token_type_hint": "access_token"},
                                   {"Authorization": BASIC})
                    check(s == 200 and json.loads(b).get("active") is True, f"introspection {s}")
            elif name == "userinfo":
                op, (code, verifier) = login_session()
                access = exchange(code, verifier)["access_token"]
                sub = json.loads(base64.urlsafe_b64decode(access.split(".")[1] + "=="))["sub"]

                def step():
                    s, _, b = call(META["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"})
                    check(s == 200 and json.loads(b).get("sub") == sub, f"userinfo {s}")
            elif name == "refresh":
                op, (code, verifier) = login_session()
                chain = [exchange(code, verifier)["refresh_token"]]

                def step():
                    body = token({"grant_type": "refresh_token", "refresh_token": chain[0]})
                    chain[0] = body.get("refresh_token", chain[0])
            elif name == "codeflow":
                op, (code, verifier) = login_session()
                exchange(code, verifier)

                def step():
                    c, v = authorize(op)
                    body = exchange(c, v)
                    check("id_token" in body, "no id_token")
            else:
                failed.append({"scenario": name, "error": "unknown scenario"})
                continue
        except Exception as e:  # noqa: BLE001 - a setup failure fails the scenario
            print(f"fail {name}: setup failed: {e}")
            failed.append({"scenario": name, "error": str(e)})
            continue
        rows.append(run(name, step))
    if ENV.get("LOAD_JSON"):
        with open(ENV["LOAD_JSON"], "w", encoding="utf-8") as f:
            json.dump({"issuer": ISSUER, "driver": "bench/smoke.py", "rows": rows, "failed": failed}, f, indent=2)
    return 1 if failed or any(r["non_2xx"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
