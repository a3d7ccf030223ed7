"""How long the client page takes to get its charts on screen in real Chromium.

Builds (once, then reuses) a warehouse of ``--clients`` clients x ``--days`` days with the
dashboard benchmark's bulk loader, serves the real app on a local port, signs in as a
counselor in headless Chromium at 1366x768 and opens ``--pages`` different clients (default
range, 90 days). Measured per page: from navigation start (``performance.timeOrigin``) to the
last change inside any chart (a MutationObserver installed before the page's own scripts),
once every chart is drawn, the record's with its traces, and nothing has moved for a second.
Printed: median and p95, and the server's share (the client callback's
response time from the browser's resource timings), so what is left is the browser's.
Goal: median under 1.5 s on 5,000 clients.

    python -m benchmarks.bench_client_browser                  # 5,000 clients x 365 days
    python -m benchmarks.bench_client_browser --pages 10 --clients 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import text

from benchmarks.bench_dashboard import AS_OF, PASSWORD, build_warehouse
from etl.db import make_engine

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
GOAL_MEDIAN_S = 1.5
OUT = Path(__file__).resolve().parent / "out"

# Runs before any of the page's scripts: remembers when a chart last changed.
OBSERVER = """
window.__lastChartChange = 0;
new MutationObserver((records) => {
  for (const r of records) {
    const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    if (el && el.closest && el.closest('.js-plotly-plot')) {
      window.__lastChartChange = performance.now();
      return;
    }
  }
}).observe(document, {subtree: true, childList: true, attributes: true});
"""

# Every chart on the page is drawn, the record's with its traces (a panel with nothing to show,
# such as the Brief Addiction Monitor's without forms, draws a note and no trace), and for how
# long nothing has changed.
STATE = """
const graphs = [...document.querySelectorAll('.js-plotly-plot')];
const record = document.querySelector('#client-chart .js-plotly-plot');
const drawn = graphs.length > 0 && graphs.every(g => g._fullLayout && g.querySelector('.main-svg'))
  && !!(record && record._fullData && record._fullData.length > 0);
const res = performance.getEntriesByType('resource');
const calls = res.filter(e => e.name.includes('_dash-update-component'));
const plotly = res.filter(e => /plotly/.test(e.name) && e.name.endsWith('.js'));
return {drawn: drawn, charts: graphs.length, last: window.__lastChartChange,
        quiet: performance.now() - window.__lastChartChange,
        server: calls.map(e => e.duration),
        data_at: Math.max(0, ...calls.map(e => e.responseEnd)),
        plotly_at: Math.max(0, ...plotly.map(e => e.responseEnd))};
"""


def _warehouse(clients: int, days: int, caseload: int) -> tuple[str, list[str]]:
    """A SQLite warehouse under benchmarks/out, built once per size and reused."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"client_browser_{clients}x{days}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{tmp}")
        began = time.perf_counter()
        build_warehouse(engine, clients, days, caseload, lambda m: print(m, flush=True))
        from dashboard.commands.users import create_user

        with engine.begin() as conn:
            create_user(
                conn, username="bench", role="counselor", password=PASSWORD, staff_id="S00000"
            )
        engine.dispose()
        tmp.rename(path)
        print(f"  warehouse built in {time.perf_counter() - began:.0f} s ({path})")
    engine = make_engine(url)
    with engine.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                text("SELECT client_id FROM dim_client WHERE counselor_key = 1 ORDER BY client_key")
            )
        ]
    engine.dispose()
    return url, ids


def _browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1366,768",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1366, 768)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
    return driver


def _open(driver, url: str, timeout: float = 30.0) -> dict:
    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE)
        if state["drawn"] and state["quiet"] > 1000:
            return state
        time.sleep(0.1)
    raise TimeoutError(f"charts not drawn within {timeout:.0f} s: {url}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--caseload", type=int, default=50)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args(argv)
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        print("skipped: Debian chromium and chromium-driver are not installed")
        return 0
    from werkzeug.serving import make_server

    from dashboard import create_app
    from dashboard.config import Config

    url, ids = _warehouse(args.clients, args.days, args.caseload)
    today = (AS_OF + dt.timedelta(days=1)).isoformat()
    app = create_app(Config(secret_key="b" * 48, database_url=url, today=today))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    driver = _browser(profile)
    try:
        from selenium.webdriver.common.by import By

        driver.get(f"{base}/login")
        driver.find_element(By.ID, "username").send_keys("bench")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        driver.find_element(By.ID, "login-submit").click()
        time.sleep(1)
        for cid in ids[:2]:  # warm the browser cache and the server
            _open(driver, f"{base}/client/{cid}")
        drawn, server_ms, charts, data_at, plotly_at = [], [], 0, [], []
        for i in range(args.pages):
            state = _open(driver, f"{base}/client/{ids[(i + 2) % len(ids)]}")
            drawn.append(state["last"] / 1000)
            server_ms.append(max(state["server"], default=0.0))
            data_at.append(state["data_at"] / 1000)
            plotly_at.append(state["plotly_at"] / 1000)
            charts = state["charts"]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        server.shutdown()
    med = statistics.median(drawn)
    print(
        f"client page, {args.clients:,} clients x {args.days} days, 90 days, "
        f"{args.pages} pages, {charts} chart(s) per page, 1366x768"
    )
    print(f"  navigation start -> last chart drawn: median {med:.2f} s, p95 {_p95(drawn):.2f} s")
    print(
        f"  slowest data callback (browser's view): median {statistics.median(server_ms):.0f} ms,"
        f" p95 {_p95(server_ms):.0f} ms"
    )
    print(
        f"  last data callback answered at: median {statistics.median(data_at):.2f} s;"
        f" plotly.js loaded at: median {statistics.median(plotly_at):.2f} s"
    )
    print(f"  goal: median under {GOAL_MEDIAN_S} s: {'met' if med < GOAL_MEDIAN_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
