"""A backup taken with `flask backup create` brings the data back with `flask backup restore`."""
from sqlalchemy import func, select

from timebank.extensions import db
from timebank.members.models import Member


def _names(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Member.name)))


def test_backup_then_restore_brings_back_what_was_lost(app, runner, make_member, tmp_path):
    make_member("Kept Before Backup")
    make_member("Also Kept")
    before = _names(app)
    target = tmp_path / "exchange.backup"
    result = runner.invoke(args=["backup", "create", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    # Something goes wrong after the backup: a member is lost and another added.
    with app.app_context():
        db.session.delete(db.session.scalar(select(Member).where(Member.name == "Also Kept")))
        db.session.commit()
    make_member("Added After Backup")
    assert _names(app) != before

    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _names(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == 2


def test_restore_of_a_missing_file_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "nope.backup"), "--yes"])
    assert result.exit_code != 0
    assert "does not exist" in result.output
