import dev


def test_the_demo_processes_link_to_the_web_port_whatever_port_honcho_gives_them(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    assert dev.run_env(8766)["SITE_URL"] == "http://127.0.0.1:8766"


def test_a_site_url_set_by_the_person_running_the_demo_is_kept(monkeypatch):
    monkeypatch.setenv("SITE_URL", "https://crm.example.com")
    assert dev.run_env(8766)["SITE_URL"] == "https://crm.example.com"
