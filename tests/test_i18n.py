"""Every message in the code and templates has a Chinese translation, and the .mo files are current."""
import importlib.util
from pathlib import Path


def test_every_message_translated_and_compiled():
    spec = importlib.util.spec_from_file_location(
        "i18n_script", Path(__file__).parent.parent / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.problems() == []


def test_babel_maps_zh_cn_to_our_zh_catalogue(client):
    for tag in ("zh-CN", "zh_CN", "zh-Hans-CN", "zh-TW"):
        page = client.get("/login", headers={"Accept-Language": tag}).get_data(as_text=True)
        assert "登录" in page and 'lang="zh-CN"' in page, tag


def test_language_switch_sticks_in_session(client):
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Sign in" in page and 'lang="en"' in page


def test_language_switch_saves_user_preference(client, login):
    from portal.extensions import db

    user = login("nurse")
    resp = client.post("/language", data={"lang": "en", "next": "//evil.example/"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    db.session.refresh(user)
    assert user.language == "en"
