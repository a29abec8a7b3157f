"""Password hashes are worked out in a thread of lower priority than the pages (accounts/passwords.py)."""
import os
import threading

from werkzeug.security import check_password_hash

from timebank.accounts import passwords


def _priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_hashes_are_checked_in_a_nicer_thread_and_answer_as_werkzeug_does(app):
    with app.app_context():
        app.config["PASSWORD_HASH_NICE"] = 7
        made = passwords.make_hash("correct horse", "scrypt")
        assert made.startswith("scrypt:") and check_password_hash(made, "correct horse")
        assert passwords.check(made, "correct horse") is True
        assert passwords.check(made, "wrong horse") is False
        hashing = passwords._hashing_thread(7).submit(_priority).result()
        assert hashing >= _priority() + 7 or hashing == 19  # lowered by 7 (capped at 19), the pages' own unchanged


def test_nice_zero_hashes_in_the_requests_own_thread(app):
    with app.app_context():
        app.config["PASSWORD_HASH_NICE"] = 0
        seen = []
        passwords._run(lambda: seen.append(threading.get_native_id()))
        assert seen == [threading.get_native_id()]


def test_sign_in_goes_through_the_hashing_thread(app, client, make_user):
    """The sign-in form's check is the hashing thread's: a wrong password fails and a right one signs in."""
    make_user("nice@example.org", password="a long enough password")
    app.config["PASSWORD_HASH_NICE"] = 5
    app.config["ACCOUNT_ANSWER_SECONDS"] = 0
    wrong = client.post("/sign-in", data={"email": "nice@example.org", "password": "not it"})
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)
    right = client.post("/sign-in", data={"email": "nice@example.org", "password": "a long enough password"})
    assert right.status_code == 302 and right.headers["Location"].endswith("/dashboard")
    assert any(thread.name.startswith("password-hash") for thread in threading.enumerate())
