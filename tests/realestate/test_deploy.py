import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "p9-w3k!x7$zq2@r5t8y1u4i6o0p3a5s7d9f2g4h6j8k1l3z5x7c9v2b4n6m8q1w3e5",
    "ALLOWED_HOSTS": "crm.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://crm.example.com",
    "FIELD_ENCRYPTION_KEYS": "q0gN8TuF3m1cX6yZ2vB5nA7sD9fG4hJ8kL0pO3iU6e4=",
}


def run_manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_environment(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_secret_key_each_installation_makes_and_keeps_its_own(tmp_path):
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "VAR_DIR": str(tmp_path)}
    show_key = (
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    first = run_manage(*show_key, env=env)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    assert run_manage(*show_key, env=env).stdout == first.stdout
    other = run_manage(*show_key, env={**env, "VAR_DIR": str(tmp_path / "other")})
    assert other.stdout != first.stdout


def test_s3_storage_is_used_when_a_bucket_is_configured(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "VAR_DIR": str(tmp_path),
        "AWS_STORAGE_BUCKET_NAME": "listing-photos",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.files.storage import default_storage as s; "
        "s._setup(); print(type(s._wrapped).__name__, s.bucket_name, s.file_overwrite)",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "listing-photos", "False"]
