"""Sign-in with a district's identity provider: which districts trust an issuer, whom a verified
token names (and, when the district asks for it, creating that teacher on first sign-in), the
district's sign-in settings, and revoking a user's tokens ("log out everywhere").

Token checks themselves live in :mod:`mypd_graph.oidc` and :mod:`mypd_graph.auth`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import oidc
from mypd_graph.auth import AuthenticationError, revocation_time
from mypd_graph.db import SessionMaker, begin_write
from mypd_graph.models import AuditEvent, District, DistrictSignIn, Role, TeacherProfile, User
from mypd_graph.models.base import utcnow
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import NotFound, PermissionDenied, Problem, UserInputError
from mypd_graph.services.inputs import check_text, column_length

SIGN_IN = "district_sign_in"
USER = "user"
MAX_JIT_DOMAINS = 50
_CLAIM = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/-]{0,63}", re.ASCII)
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}", re.ASCII)


@dataclass(frozen=True)
class SignInConfig:
    """One district's trust in an issuer, as the guard needs it."""

    district_id: int
    district_key: str
    audience: str
    user_claim: str
    jit_domains: tuple[str, ...]


async def configs_for_issuer(session: AsyncSession, issuer: str) -> list[SignInConfig]:
    """Every district that signs in with ``issuer`` (several may: Google is one issuer)."""
    rows = await session.execute(
        select(DistrictSignIn, District.key)
        .join(District, District.id == DistrictSignIn.district_id)
        .where(DistrictSignIn.issuer == issuer)
        .order_by(DistrictSignIn.district_id)
    )
    return [
        SignInConfig(row.district_id, key, row.audience, row.user_claim, tuple(row.jit_domains))
        for row, key in rows
    ]


def _claimed_email(config: SignInConfig, claims: dict[str, Any]) -> str:
    value = claims.get(config.user_claim)
    if not isinstance(value, str) or "@" not in value:
        raise AuthenticationError(
            f"the token has no email in its {config.user_claim!r} claim, which district "
            f"{config.district_key} uses to name its users"
        )
    if config.user_claim == "email" and claims.get("email_verified") is False:
        raise AuthenticationError(f"the identity provider has not verified the email {value!r}")
    return value.strip().lower()


async def sign_in_user(
    sessionmaker: SessionMaker, configs: Sequence[SignInConfig], claims: dict[str, Any]
) -> User:
    """The active user a verified token names in one of ``configs``' districts (those whose
    audience the token carries), created as a teacher when a district lists the email's domain
    for just-in-time sign-in; AuthenticationError otherwise, saying why."""
    wanted = {config.district_id: _claimed_email(config, claims) for config in configs}
    async with sessionmaker() as session:
        user = await _known_user(session, configs, wanted)
    if user is not None:
        return user
    jit = [c for c in configs if wanted[c.district_id].rpartition("@")[2] in c.jit_domains]
    if len(jit) > 1:
        keys = ", ".join(config.district_key for config in jit)
        raise AuthenticationError(f"the token could name a new user in several districts: {keys}")
    if not jit:
        names = " or ".join(
            f"{wanted[c.district_id]!r} in district {c.district_key}" for c in configs
        )
        raise AuthenticationError(f"no active user with email {names}; ask your district admin")
    try:
        async with sessionmaker() as session, session.begin():
            await begin_write(session)
            return await _known_user(session, configs, wanted) or await _create_teacher(
                session, jit[0], wanted[jit[0].district_id], claims
            )
    except IntegrityError:  # a concurrent first request created them: use that user
        async with sessionmaker() as session:
            user = await _known_user(session, configs, wanted)
        if user is None:
            raise
        return user


async def _known_user(
    session: AsyncSession, configs: Sequence[SignInConfig], wanted: dict[int, str]
) -> User | None:
    """The user ``wanted`` names in its district; AuthenticationError when that user is
    deactivated or belongs to another district; None when nobody has the email."""
    emails = set(wanted.values())
    # Emails are stored lower-case; the index answers that, a scan only finds stray spellings.
    users = (await session.scalars(select(User).where(User.email.in_(emails)))).all()
    if not users:
        users = (
            await session.scalars(select(User).where(func.lower(User.email).in_(emails)))
        ).all()
    for config in configs:
        for user in users:
            if (
                user.district_id == config.district_id
                and user.email.lower() == wanted[config.district_id]
            ):
                if not user.active:
                    raise AuthenticationError(
                        f"the user {user.email!r} is deactivated in district {config.district_key}"
                    )
                return user
    if users:
        names = " or ".join(
            f"{wanted[c.district_id]!r} in district {c.district_key}" for c in configs
        )
        raise AuthenticationError(f"no active user with email {names}")
    return None


async def _create_teacher(
    session: AsyncSession, config: SignInConfig, email: str, claims: dict[str, Any]
) -> User:
    """A teacher created on first sign-in, with the profile every teacher has, and audited."""
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        name = email.partition("@")[0]
    name = name.strip()[: column_length(User.name)]
    user = User(district_id=config.district_id, email=email, name=name, role=Role.TEACHER.value)
    session.add(user)
    await session.flush()
    session.add(TeacherProfile(user_id=user.id, school_id=None))
    session.add(
        AuditEvent(
            user_id=user.id,
            action="create",
            entity=USER,
            entity_ids=[str(user.id)],
            district_id=config.district_id,
            detail=f"just-in-time sign-in: teacher {email} created in district "
            f"{config.district_key} from a token of {claims.get('iss')}",
        )
    )
    return user


# --------------------------------------------------------------------------------------------------
# The district's sign-in settings
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInInput:
    issuer: str
    audience: str
    user_claim: str
    jit_domains: tuple[str, ...]


def clean_sign_in(
    issuer: str,
    audience: str,
    user_claim: str,
    jit_domains: Iterable[str],
    *,
    allow_http_loopback: bool,
) -> SignInInput:
    """The settings as they will be stored, or UserInputError naming each bad field."""
    problems: list[Problem] = []

    def field(name: str, check: Any) -> Any:
        try:
            return check()
        except UserInputError as error:
            problems.extend(error.problems)
        except ValueError as error:
            problems.append(Problem(("input", name), str(error)))
        return None

    clean_issuer = field(
        "issuer",
        lambda: oidc.check_url(
            check_text(issuer, ("input", "issuer"), column_length(DistrictSignIn.issuer)),
            "the issuer",
            allow_http_loopback=allow_http_loopback,
        ),
    )
    clean_audience = field(
        "audience",
        lambda: check_text(audience, ("input", "audience"), column_length(DistrictSignIn.audience)),
    )
    claim = user_claim.strip()
    if not _CLAIM.fullmatch(claim):
        problems.append(
            Problem(("input", "userClaim"), f"{user_claim!r} is not a token claim name")
        )
    domains: list[str] = []
    for raw in jit_domains:
        domain = raw.strip().lower().lstrip("@")
        if not _DOMAIN.fullmatch(domain) or len(domain) > 253:
            problems.append(Problem(("input", "jitDomains"), f"{raw!r} is not an email domain"))
        elif domain not in domains:
            domains.append(domain)
    if len(domains) > MAX_JIT_DOMAINS:
        problems.append(Problem(("input", "jitDomains"), f"at most {MAX_JIT_DOMAINS} domains"))
    if problems:
        raise UserInputError(*problems)
    return SignInInput(clean_issuer, clean_audience, claim, tuple(domains))


async def check_provider(issuer: str, timeout: float, *, allow_http_loopback: bool) -> str:
    """The provider's ``jwks_uri``, once its discovery document is fetched and names ``issuer``;
    UserInputError on the issuer field, saying what went wrong, otherwise."""
    try:
        document = await oidc.discover(issuer, timeout, allow_http_loopback=allow_http_loopback)
    except oidc.ProviderUnavailable as error:
        raise UserInputError(
            Problem(("input", "issuer"), f"checking {oidc.discovery_url(issuer)}: {error}")
        ) from error
    return str(document["jwks_uri"])


def may_configure(actor: Actor) -> None:
    if not actor.is_district_admin:
        raise PermissionDenied("only a district admin manages the district's sign-in")


async def sign_in_of(session: AsyncSession, actor: Actor) -> DistrictSignIn | None:
    """The actor's district's sign-in settings (district admins); None when none is set."""
    may_configure(actor)
    return await session.get(DistrictSignIn, actor.district_id)


async def set_sign_in(session: AsyncSession, actor: Actor, settings: SignInInput) -> DistrictSignIn:
    """A district admin sets how their district signs in (audited)."""
    may_configure(actor)
    return await _save(session, actor.district_id, settings, actor.user_id, "by a district admin")


async def configure_district(
    session: AsyncSession, district_key: str, settings: SignInInput
) -> DistrictSignIn:
    """The operator sets how a district signs in (``mypd-graph district sso``; audited)."""
    district = await session.scalar(select(District).where(District.key == district_key))
    if district is None:
        raise NotFound(f"no district with key {district_key!r}")
    return await _save(session, district.id, settings, None, "by the operator (command line)")


async def _save(
    session: AsyncSession, district_id: int, settings: SignInInput, by: int | None, how: str
) -> DistrictSignIn:
    row = await session.get(DistrictSignIn, district_id)
    if row is None:
        row = DistrictSignIn(district_id=district_id)
        session.add(row)
    row.issuer, row.audience = settings.issuer, settings.audience
    row.user_claim, row.jit_domains = settings.user_claim, list(settings.jit_domains)
    row.updated_at, row.updated_by_id = utcnow(), by
    session.add(
        AuditEvent(
            user_id=by,
            action="update",
            entity=SIGN_IN,
            entity_ids=[str(district_id)],
            district_id=district_id,
            detail=f"{how}: issuer {settings.issuer}, audience {settings.audience}, claim "
            f"{settings.user_claim}, just-in-time domains {list(settings.jit_domains)}",
        )
    )
    await session.flush()
    return row


# --------------------------------------------------------------------------------------------------
# Log out everywhere
# --------------------------------------------------------------------------------------------------


async def revoke_tokens(session: AsyncSession, actor: Actor, user_id: int) -> User:
    """A district admin refuses every token a user of their district holds now (audited)."""
    may_configure(actor)
    user = await session.scalar(
        select(User).where(User.id == user_id, User.district_id == actor.district_id)
    )
    if user is None:
        raise NotFound("no such user in your district")
    return _revoke(session, user, actor.user_id, "by a district admin")


async def revoke_tokens_by_email(session: AsyncSession, email: str) -> User:
    """The operator refuses every token a user holds now (``mypd-graph user revoke-tokens``)."""
    user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email!r}")
    return _revoke(session, user, None, "by the operator (command line)")


def _revoke(session: AsyncSession, user: User, by: int | None, how: str) -> User:
    user.tokens_valid_after = revocation_time()
    session.add(
        AuditEvent(
            user_id=by,
            action="revoke_tokens",
            entity=USER,
            entity_ids=[str(user.id)],
            district_id=user.district_id,
            detail=f"{how}: tokens of {user.email} issued before "
            f"{user.tokens_valid_after.isoformat()} are refused",
        )
    )
    return user
