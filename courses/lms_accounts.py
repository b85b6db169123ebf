"""LMS accounts: which clinician an xAPI actor names by `account` or by `mbox_sha1sum`.

A learning platform names a learner by its own account, `{"homePage": "https://lms.example",
"name": "1234"}` (Moodle's logstore_xapi sends the user id as `name`). A link needs proof, so a
clinician cannot claim an account by typing it: a coordinator links the association's clinicians
one by one or from an all-or-nothing CSV file (`email,name` plus `home_page`, or one home page
for the whole file; read by `lms.tabular`, so `,` `;` or tab separated), or the platform itself
links one (`link_from_lms`, for an LTI launch). A link serves only the association that made it;
the same account linked to someone else by another association is refused without saying whose
it is. Clinicians see their links and may remove one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

import peewee as pw

from courses.access import clinicians_of
from courses.errors import CourseError
from courses.models import LmsAccount
from courses.xapi import Account
from lms import audit
from lms.db import db, transactional
from lms.errors import NotFound
from lms.models import Association, Membership, User, normalise_email
from lms.permissions import Actor
from lms.tabular import RowError, Table, TabularError, read_table

MAX_NAME = 255
MAX_HOME_PAGE = 500
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 1_000  # characters in one cell: a home page and a name are far shorter
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- values ------------------------------------------------------------------------------------


def canonical_home_page(url: str) -> str:
    """Return the form a home page is stored and looked up in.

    Scheme and host in lower case, no fragment, no "/" at the end of the path: LMSes send
    `https://Moodle.example.org/` and `https://moodle.example.org` for the same site.
    """
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
    )


def clean_home_page(text: str | None) -> str:
    """Check a home page someone typed and return its canonical form."""
    value = (text or "").strip()
    parts = urlsplit(value)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise CourseError(
            "Give the address of the learning platform, e.g. https://moodle.example.org.",
            "home_page",
        )
    home = canonical_home_page(value)
    if len(home) > MAX_HOME_PAGE:
        raise CourseError(f"Keep the address to {MAX_HOME_PAGE} characters.", "home_page")
    return home


def clean_name(text: str | None) -> str:
    """Check an account name (the user name or id on the platform, as the platform sends it)."""
    value = (text or "").strip()
    if not value:
        raise CourseError("Give your user name or id on the learning platform.", "name")
    if len(value) > MAX_NAME or _CONTROL.search(value):
        raise CourseError(
            f"Give the user name as plain text of at most {MAX_NAME} characters.", "name"
        )
    return value


# --- reading -----------------------------------------------------------------------------------


def accounts_of(user: User) -> list[LmsAccount]:
    """Return the LMS accounts linked to a user, in every association, with it joined."""
    return list(
        LmsAccount.select(LmsAccount, Association)
        .join(Association, on=LmsAccount.association == Association.id)
        .where(LmsAccount.user == user)
        .order_by(Association.name, LmsAccount.home_page, LmsAccount.name)
    )


def association_accounts(association: Association) -> pw.ModelSelect:
    """Return the association's LMS account links, with the clinician joined."""
    return (
        LmsAccount.select(LmsAccount, User)
        .join(User, on=LmsAccount.user == User.id)
        .where(LmsAccount.association == association)
        .order_by(User.display_name, LmsAccount.home_page, LmsAccount.name)
    )


def get_account(actor: Actor, account_id: int) -> LmsAccount:
    """Return a link the actor may remove (their own, or one their association made)."""
    account = LmsAccount.get_or_none(LmsAccount.id == account_id)
    if account is None:
        raise NotFound()
    if account.user_id != actor.user.id and not actor.can(
        "courses:link_lms_accounts", account.association_id
    ):
        raise NotFound()
    return account


# --- writing -----------------------------------------------------------------------------------


OTHER_ASSOCIATION = "this account is linked to someone in another association"
SAME_ASSOCIATION = "this account is linked to another clinician of your association"


def _conflict(holders: Iterable[LmsAccount], association_id: int, user_id: int) -> str | None:
    """Say why (home page, name) cannot be linked to this user here, naming nobody; or None.

    Another association's link of the account to the same person does not stand in the way,
    nor does an unproven one ("claimed") of another association.
    """
    for holder in holders:
        if holder.user_id == user_id:
            continue
        if holder.association_id == association_id:
            return SAME_ASSOCIATION
        if holder.proven:
            return OTHER_ASSOCIATION
    return None


def _link(
    association_id: int, user: User, home_page: str, name: str, by: User | None, source: str
) -> tuple[LmsAccount, bool]:
    holders = list(
        LmsAccount.select().where((LmsAccount.home_page == home_page) & (LmsAccount.name == name))
    )
    conflict = _conflict(holders, association_id, user.id)
    if conflict == OTHER_ASSOCIATION:
        raise CourseError(
            "This account of the learning platform is linked to someone in another "
            "association, so it cannot be linked here. Check the user name or id with the "
            "platform's administrator.",
            "name",
        )
    if conflict == SAME_ASSOCIATION:
        raise CourseError(
            "This account is already linked to another clinician of your association; "
            "unlink it there first if it is not theirs.",
            "name",
        )
    mine = next(
        (h for h in holders if h.association_id == association_id and h.user_id == user.id), None
    )
    if mine is not None:
        if mine.proven or source == "claimed":
            return mine, False
        LmsAccount.update(source=source, created_by=by).where(LmsAccount.id == mine.id).execute()
        audit.record(
            "lms_account.confirm",
            mine,
            actor=by,
            association_id=association_id,
            before={"source": mine.source},
            after={"source": source},
        )
        mine.source, mine.created_by = source, by
        return mine, True
    try:
        with db.atomic():
            account = LmsAccount.create(
                user=user,
                association=association_id,
                home_page=home_page,
                name=name,
                source=source,
                created_by=by,
            )
    except pw.IntegrityError:  # linked by a concurrent request in the meantime
        raise CourseError("This account was linked in the meantime; reload.", "name") from None
    audit.record(
        "lms_account.link",
        account,
        actor=by,
        association_id=association_id,
        after={"user": user.id, "home_page": home_page, "name": name, "source": source},
    )
    return account, True


def _clinician(association: Association, email: str) -> User | None:
    return (
        clinicians_of(association).where(User.email == normalise_email(email or "")).first()
        if email
        else None
    )


@transactional
def link_for(
    actor: Actor, association: Association, email: str, home_page: str, name: str
) -> tuple[LmsAccount, bool]:
    """Link a clinician's account (a coordinator's action); return (link, created)."""
    if not actor.can("courses:link_lms_accounts", association.id):
        raise NotFound()
    home, clean = clean_home_page(home_page), clean_name(name)
    clinician = _clinician(association, email)
    if clinician is None:
        raise CourseError("No clinician of your association has this email.", "email")
    return _link(association.id, clinician, home, clean, actor.user, "coordinator")


@transactional
def link_from_lms(
    association: Association,
    user: User,
    home_page: str,
    name: str,
    roles: tuple[str, ...] = ("clinician",),
) -> tuple[LmsAccount, bool]:
    """Link the account a learning platform vouches for (an LTI launch); return (link, created).

    The caller has verified the platform's signed launch; the user must hold one of `roles`
    (a clinician, or for an instructor's launch a trainer or coordinator) in the association
    the platform is registered with.
    """
    home, clean = clean_home_page(home_page), clean_name(name)
    held = Membership.select().where(
        (Membership.user == user)
        & (Membership.association == association)
        & Membership.role.in_(roles)
    )
    if not held.exists():
        raise CourseError(f"This person is not a {' or '.join(roles)} of the association.", "user")
    return _link(association.id, user, home, clean, None, "lms")


@transactional
def unlink(actor: Actor, account: LmsAccount) -> None:
    """Remove a link (its clinician or a coordinator of its association).

    Statements naming the account are refused after.
    """
    before = {
        "user": account.user_id,
        "home_page": account.home_page,
        "name": account.name,
        "source": account.source,
    }
    LmsAccount.delete().where(LmsAccount.id == account.id).execute()
    audit.record(
        "lms_account.unlink",
        object_type=LmsAccount._meta.table_name,
        object_id=account.id,
        actor=actor.user,
        association_id=account.association_id,
        before=before,
    )


# --- CSV ---------------------------------------------------------------------------------------


@dataclass
class LinkImport:
    """What a CSV of links did, or why nothing was done (`errors`: line, column, message).

    A problem of the whole file has line 0, or the line it was found on.
    """

    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


_NAME_COLUMNS = ("name", "username", "user_name", "account_name")


# How an import of links words the shared reader's file problems.
_FILE_PROBLEMS = {
    "too_large": lambda e: f"the file is larger than {MAX_FILE_BYTES // 2**20} MB",
    "utf16": lambda e: "the file is not UTF-8 text (it looks like UTF-16)",
    "nul": lambda e: "the file is not UTF-8 text (it holds a NUL byte)",
    "not_utf8": lambda e: f"the file is not UTF-8 text (byte {e.info['byte']} of the line)",
    "empty": lambda e: "the file is empty; the first line names the columns",
}


def _file_problem(err: TabularError) -> RowError:
    word = _FILE_PROBLEMS.get(err.code)
    column = "header" if err.code == "empty" else (err.column or "file")
    return RowError(err.line or 0, column, word(err) if word else err.message)


def _read_rows(
    stream: BinaryIO, default_home: str | None, report: LinkImport
) -> list[tuple[int, str, str, str]]:
    """Return (line, email, home page, name) of every row, or [] with `report.errors` set."""
    try:
        table = read_table(stream, max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, max_cell=MAX_CELL)
        return _rows_of(table, default_home, report)
    except TabularError as err:
        report.errors.append(_file_problem(err))
        return []


def _rows_of(
    table: Table, default_home: str | None, report: LinkImport
) -> list[tuple[int, str, str, str]]:
    header = table.keys
    repeated = table.repeated()
    if repeated:
        report.errors.append(
            RowError(table.line, "header", f"the column {header[repeated[0][0]]} appears twice")
        )
        return []
    name_column = next((c for c in _NAME_COLUMNS if c in header), None)
    missing = [c for c, ok in (("email", "email" in header), ("name", name_column)) if not ok]
    if "home_page" not in header and default_home is None:
        missing.append("home_page (or give the platform's address in the form)")
    if missing:
        report.errors.append(RowError(table.line, "header", f"missing column {', '.join(missing)}"))
        return []
    at = table.index()
    rows = []
    for line, record in table.rows():

        def cell(column: str | None, record=record) -> str:
            index = at.get(column or "")
            return record[index] if index is not None and index < len(record) else ""

        home = cell("home_page").strip() or default_home or ""
        rows.append((line, cell("email"), home, cell(name_column)))
    if not rows:
        report.errors.append(RowError(table.line, "file", "no rows under the header"))
    return rows


@transactional
def import_links(
    actor: Actor, association: Association, stream: BinaryIO, home_page: str | None = None
) -> LinkImport:
    """Link the accounts a CSV lists, all or nothing: any bad row and nothing is written."""
    if not actor.can("courses:link_lms_accounts", association.id):
        raise NotFound()
    report = LinkImport()
    default_home = None
    if home_page and home_page.strip():
        try:
            default_home = clean_home_page(home_page)
        except CourseError as exc:
            report.errors.append(RowError(0, "home_page", str(exc)))
            return report
    rows = _read_rows(stream, default_home, report)
    if report.errors:
        return report
    emails = {
        u.email: u
        for u in clinicians_of(association).where(
            User.email.in_({normalise_email(e) for _, e, _, _ in rows if e.strip()})
        )
    }
    cleaned: list[tuple[int, User, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, email, home, name in rows:
        try:
            clean_home, clean = clean_home_page(home), clean_name(name)
        except CourseError as exc:
            report.errors.append(RowError(line, exc.field or "name", str(exc)))
            continue
        user = emails.get(normalise_email(email)) if email.strip() else None
        if user is None:
            report.errors.append(RowError(line, "email", "no clinician of your association has it"))
            continue
        key = (clean_home, clean)
        if key in seen:
            report.errors.append(RowError(line, "name", f"the same account as line {seen[key]}"))
            continue
        seen[key] = line
        cleaned.append((line, user, clean_home, clean))
    holders = _holders(seen)
    for line, user, home, name in cleaned:
        conflict = _conflict(holders.get((home, name), ()), association.id, user.id)
        if conflict is not None:
            report.errors.append(RowError(line, "name", conflict))
    if report.errors:
        report.errors.sort()
        return report
    for _, user, home, name in cleaned:
        _, created = _link(association.id, user, home, name, actor.user, "csv")
        if created:
            report.created += 1
        else:
            report.existing += 1
    return report


def _holders(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[LmsAccount]]:
    """Return the links of each (home page, name) in any association, one query a 500 keys."""
    keys = set(keys)
    ordered = sorted(keys)
    out: dict[tuple[str, str], list[LmsAccount]] = {}
    for start in range(0, len(ordered), 500):
        names = {n for _, n in ordered[start : start + 500]}
        for link in LmsAccount.select().where(LmsAccount.name.in_(names)):
            if (link.home_page, link.name) in keys:
                out.setdefault((link.home_page, link.name), []).append(link)
    return out


# --- matching xAPI actors ----------------------------------------------------------------------


class LearnerFinder:
    """Find the clinician of one association an xAPI actor names; lives for one request."""

    def __init__(self, association_id: int):
        self.association_id = association_id
        self._by_sha1: dict[str, int] | None = None

    def _clinicians(self) -> pw.ModelSelect:
        return (
            User.select()
            .join(Membership, on=Membership.user == User.id)
            .where(
                (Membership.association == self.association_id) & (Membership.role == "clinician")
            )
        )

    def by_email(self, email: str) -> User | None:
        return self._clinicians().where(User.email == normalise_email(email)).first()

    def by_account(self, account: Account) -> User | None:
        """The clinician this association linked; else, if the name is an email, its owner."""
        linked = LmsAccount.get_or_none(
            (LmsAccount.association == self.association_id)
            & (LmsAccount.home_page == canonical_home_page(account.home_page))
            & (LmsAccount.name == account.name.strip())
            & (LmsAccount.source != "claimed")
        )
        if linked is not None:
            return self._clinicians().where(User.id == linked.user_id).first()
        if "@" in account.name:
            return self.by_email(account.name.strip())
        return None

    def by_mbox_sha1(self, digest: str) -> User | None:
        """Match SHA-1("mailto:" + email) against the clinicians' (lower-case) addresses."""
        if self._by_sha1 is None:
            self._by_sha1 = {
                hashlib.sha1(f"mailto:{email}".encode()).hexdigest(): user_id
                for user_id, email in self._clinicians().select(User.id, User.email).tuples()
            }
        user_id = self._by_sha1.get(digest.lower())
        return User.get_by_id(user_id) if user_id is not None else None
