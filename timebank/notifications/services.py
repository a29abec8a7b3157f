"""Tell people what happened: always in the app, and by email unless they turned the topic off."""
from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_app_context
from sqlalchemy import Select, func, select, update

from timebank.accounts.models import User
from timebank.db import utcnow
from timebank.extensions import db
from timebank.members.models import Member, Membership
from timebank.notifications.email import send_email
from timebank.notifications.links import Page
from timebank.notifications.models import TOPICS, EmailPreference, Notification


def wants_email(user: User, topic: str) -> bool:
    preference = db.session.scalar(select(EmailPreference).where(
        EmailPreference.user_id == user.id, EmailPreference.topic == topic))
    return preference is None or preference.by_email


def notify(users: Iterable[User], topic: str, text: str, *, page: Page | None = None,
           subject: str | None = None) -> None:
    """Add an in-app notification for each user and email those who want this topic by email.

    `page` is the page it is about, by endpoint and arguments (links.Page): the notification keeps
    its path, and the email its absolute address, built when the email is rendered.
    """
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    forget_unread()
    path = page.path() if page else None
    seen = set()
    for user in users:
        if user.id in seen or not user.is_active:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, topic=topic, text=text[:500], url=path))
        if wants_email(user, topic):
            send_email(user.email, subject or text[:120], "notification", user=user, text=text, page=page)
    db.session.flush()


def notify_member(members: Iterable[Member], topic: str, text: str, **kwargs) -> None:
    """Notify every active person of each member."""
    member_ids = [m.id for m in members]
    users = db.session.scalars(select(User).join(Membership).where(
        Membership.member_id.in_(member_ids), Membership.status == "active").order_by(User.id)).all()
    notify(users, topic, text, **kwargs)


def unread_count(user: User) -> int:
    return db.session.scalar(unread_of(user.id)) or 0


def unread_of(user_id) -> Select:
    """How many notifications this user (an id, or a column such as User.id) has not read."""
    return select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))


# Every signed-in page shows the unread count in its menu. The user loader counts it in the same
# query that loads the user (accounts.services.load_user) and keeps it here for the rest of the
# request; adding notifications or marking them read forgets it, so the page counts again.
_UNREAD = "timebank_unread_notifications"


def remember_unread(user: User, count: int) -> None:
    setattr(g, _UNREAD, (user.id, count))


def forget_unread() -> None:
    if has_app_context():
        g.pop(_UNREAD, None)


def unread_count_for_page(user: User) -> int:
    """unread_count(user), from the user loader's query when it has already counted it."""
    known = g.get(_UNREAD)
    if known is not None and known[0] == user.id:
        return known[1]
    return unread_count(user)


def recent(user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_all_read(user: User) -> int:
    forget_unread()
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0


def mark_read_about(user: User, urls: Iterable[str]) -> int:
    """Mark read the user's notifications that link to these pages (the user has opened them)."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.url.in_(list(urls)))
        .values(read_at=utcnow()))
    if result.rowcount:
        forget_unread()
    return result.rowcount or 0


def unread_about(user_ids: Iterable[int], url: str) -> set[int]:
    """Which of these users still have an unread notification linking to `url`."""
    return set(db.session.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(list(user_ids)), Notification.url == url, Notification.read_at.is_(None))))


def set_email_preferences(user: User, by_email: dict[str, bool]) -> None:
    for topic, on in by_email.items():
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        row = db.session.scalar(select(EmailPreference).where(
            EmailPreference.user_id == user.id, EmailPreference.topic == topic))
        if row is None:
            db.session.add(EmailPreference(user_id=user.id, topic=topic, by_email=on))
        else:
            row.by_email = on
    db.session.flush()
