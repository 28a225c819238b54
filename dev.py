#!/usr/bin/env python3
"""Set up and run the CRM, or its tests, on a machine that has only Python 3.11+.

    python3 dev.py run     # web + Celery worker + beat on SQLite, with demo data
    python3 dev.py test    # lint, migrations check and the whole test suite

Both create .venv/ and install requirements.txt into it first (again only when it changes).
Everything the product stores locally lives in var/.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
DEMO_PASSWORD = "demo-pass-2026"


def step(message):
    sys.stdout.write(f"\n==> {message}\n")
    sys.stdout.flush()


def call(*args, env=None):
    subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=True)


def ensure_environment():
    """Create the virtual environment and install the pinned requirements into it."""
    if sys.version_info < (3, 11):  # noqa: UP036 - the one check a new machine needs
        sys.exit("Python 3.11 or newer is needed.")
    if not PYTHON.exists():
        step("Creating the virtual environment in .venv/")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        step("Installing requirements")
        call(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        call(PYTHON, "-m", "pip", "install", "--quiet", "-r", REQUIREMENTS)
        STAMP.write_text(wanted)


def local_env(**extra):
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_env(port):
    """The environment of the web, worker and beat processes of ``run``.

    honcho gives each process a ``PORT`` of its own (the web's, then +100 for each): the links
    the worker puts in emails must still point at the web's.
    """
    env = local_env(PORT=str(port))
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    return env


def run(port):
    ensure_environment()
    env = run_env(port)
    (ROOT / "var").mkdir(exist_ok=True)
    step("Preparing the database")
    call(PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0", env=env)
    call(PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0", env=env)
    step("Loading demo data")
    call(PYTHON, "manage.py", "demo_data", env=env)
    url = f"http://127.0.0.1:{port}/"
    sys.stdout.write(
        f"\n  The CRM is starting at {url}\n"
        f"  Back office (Django admin): {url}admin/   API docs: {url}api/docs/\n"
        f"  Demo logins (password for all: {DEMO_PASSWORD}):\n"
        "    broker         broker of Maple Realty (also the admin back office)\n"
        "    alice, bob     agents of Maple Realty\n"
        "    assistant      assistant at Maple Realty\n"
        "    viewer         read-only member of Maple Realty\n"
        "    harbor-broker  broker of Harbor Homes\n"
        "  Press Ctrl+C to stop.\n\n"
    )
    sys.stdout.flush()
    os.execve(
        str(BIN / "honcho"),
        [str(BIN / "honcho"), "start", "--procfile", str(ROOT / "Procfile")],
        env,
    )


def test(pytest_args):
    ensure_environment()
    env = local_env()
    env.pop("DEBUG", None)
    step("Lint")
    call(BIN / "ruff", "check", ".", env=env)
    call(BIN / "ruff", "format", "--check", ".", env=env)
    step("Migrations are up to date")
    call(PYTHON, "manage.py", "makemigrations", "--check", "--dry-run", env=local_env())
    step("Test suite")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    sys.exit(result.returncode)


def main(argv):
    if not argv or argv[0] not in {"run", "test"}:
        sys.exit(__doc__)
    command, rest = argv[0], argv[1:]
    if command == "run":
        port = int(os.environ.get("PORT", "8000"))
        run(port)
    else:
        test(rest)


if __name__ == "__main__":
    main(sys.argv[1:])
