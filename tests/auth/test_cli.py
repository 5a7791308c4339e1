"""flask create-user: prompt or --password-stdin; refusals leave nothing behind."""
from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth.models import User
from portal.auth.passwords import verify_password
from portal.extensions import db
from tests import factories

GOOD = "a-long-enough-password"


def find(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_create_user_with_prompt(runner):
    factories.ward("W01")
    db.session.commit()
    result = runner.invoke(args=["create-user", "zhangmin", "--role", "nurse", "--ward", "W01"],
                           input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # the prompt hides the input
    user = find("zhangmin")
    assert user.role == "nurse" and [w.code for w in user.wards] == ["W01"]
    assert user.password_hash.startswith("scrypt:131072:8:1$")
    assert verify_password(user.password_hash, GOOD)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created"))
    assert entry.ip == "cli" and entry.object_id == str(user.id)


def test_create_user_password_stdin_several_wards(runner):
    factories.wards("W01", "W02")
    db.session.commit()
    result = runner.invoke(args=["create-user", "wangfang", "--role", "head_nurse",
                                 "--ward", "W01", "--ward", "W02", "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert [w.code for w in find("wangfang").wards] == ["W01", "W02"]


def test_create_admin_without_ward(runner):
    result = runner.invoke(args=["create-user", "root2", "--role", "admin", "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 0 and find("root2").role == "admin"


def test_policy_refusal(runner):
    for weak in ("short", "q1w2e3r4t5y6"):
        result = runner.invoke(args=["create-user", "weak", "--role", "leader",
                                     "--password-stdin"], input=weak + "\n")
        assert result.exit_code != 0
        assert "characters" in result.output or "common" in result.output
    assert find("weak") is None


def test_prompt_confirmation_must_match(runner):
    result = runner.invoke(args=["create-user", "typo", "--role", "leader"],
                           input=f"{GOOD}\n{GOOD}x\n{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0  # asked again after the mismatch
    assert "match" in result.output.lower()


def test_unknown_ward(runner):
    result = runner.invoke(args=["create-user", "lost", "--role", "nurse", "--ward", "W99",
                                 "--password-stdin"], input=GOOD + "\n")
    assert result.exit_code != 0 and "W99" in result.output
    assert find("lost") is None


def test_duplicate_username(runner):
    factories.user("leader", username="dup")
    db.session.commit()
    result = runner.invoke(args=["create-user", "DUP", "--role", "leader", "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code != 0 and "taken" in result.output
    assert db.session.scalar(select(User).where(User.username == "DUP")) is None


def test_unknown_role(runner):
    result = runner.invoke(args=["create-user", "x", "--role", "king", "--password-stdin"],
                           input=GOOD + "\n")
    assert result.exit_code == 2
