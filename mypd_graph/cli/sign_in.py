"""``district sso``: connect a district's OpenID Connect provider; ``user revoke-tokens``: sign a
user out everywhere. Both are for operators and audited."""

from __future__ import annotations

import asyncio

import click
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.cli.base import _settings, _with_session, district, user
from mypd_graph.services.errors import NotFound, UserInputError


def _fail(error: UserInputError) -> click.ClickException:
    return click.ClickException("; ".join(problem.message for problem in error.problems))


@district.command("sso")
@click.option("--district", "district_key", required=True, metavar="KEY", help="The district.")
@click.option("--issuer", required=True, metavar="URL", help="The provider's issuer URL.")
@click.option("--audience", required=True, metavar="AUD", help="The client id (token aud).")
@click.option("--claim", default="email", show_default=True, help="The claim naming the user.")
@click.option(
    "--jit-domain",
    "jit_domains",
    multiple=True,
    metavar="DOMAIN",
    help="Create unknown users of this email domain as teachers on first sign-in (repeatable).",
)
@click.pass_context
def district_sso(
    ctx: click.Context,
    district_key: str,
    issuer: str,
    audience: str,
    claim: str,
    jit_domains: tuple[str, ...],
) -> None:
    """Connect a district's OpenID Connect provider; its discovery document is checked first."""
    from mypd_graph.services.people import sign_in

    settings = _settings(ctx)
    loopback = not settings.is_production
    try:
        wanted = sign_in.clean_sign_in(
            issuer, audience, claim, jit_domains, allow_http_loopback=loopback
        )
        jwks_uri = asyncio.run(
            sign_in.check_provider(
                wanted.issuer, settings.oidc_timeout_seconds, allow_http_loopback=loopback
            )
        )
    except UserInputError as error:
        raise _fail(error) from error

    async def save(session: AsyncSession) -> None:
        await sign_in.configure_district(session, district_key, wanted)

    try:
        _with_session(settings, save)
    except NotFound as error:
        raise click.ClickException(str(error)) from error
    jit = ", ".join(wanted.jit_domains) or "off"
    click.echo(
        f"district {district_key} signs in with {wanted.issuer} (audience {wanted.audience}, "
        f"claim {wanted.user_claim}, keys at {jwks_uri}); just-in-time teachers: {jit}"
    )


@user.command("revoke-tokens")
@click.option("--email", required=True, help="The user to sign out everywhere.")
@click.pass_context
def user_revoke_tokens(ctx: click.Context, email: str) -> None:
    """Refuse every token the user holds now (they sign in again to get a new one)."""
    from mypd_graph.services.people import sign_in

    async def revoke(session: AsyncSession) -> str:
        revoked = await sign_in.revoke_tokens_by_email(session, email)
        assert revoked.tokens_valid_after is not None
        return f"tokens of {revoked.email} issued before {revoked.tokens_valid_after:%Y-%m-%d %H:%M:%S} UTC are refused"

    try:
        click.echo(_with_session(_settings(ctx), revoke))
    except NotFound as error:
        raise click.ClickException(str(error)) from error
