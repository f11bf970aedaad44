"""Sign-in: a district's OpenID Connect provider, and revoking a user's tokens.

Thin resolvers over :mod:`mypd_graph.services.people.sign_in`; district admins only.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.relay import decode_id, to_global_id
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.services.people import sign_in as service


@strawberry.type(
    name="DistrictSignIn",
    description="How the district's people sign in: its OpenID Connect identity provider.",
)
class DistrictSignInType:
    issuer: str = strawberry.field(description="The provider's issuer URL (the tokens' iss).")
    audience: str = strawberry.field(description="The client id tokens must be issued to (aud).")
    user_claim: str = strawberry.field(description="The token claim holding the user's email.")
    jit_domains: list[str] = strawberry.field(
        description="Email domains whose unknown users become teachers on first sign-in."
    )
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.DistrictSignIn) -> DistrictSignInType:
        return cls(
            issuer=row.issuer,
            audience=row.audience,
            user_claim=row.user_claim,
            jit_domains=list(row.jit_domains),
            updated_at=row.updated_at,
        )


@strawberry.input
class SetDistrictSignInInput:
    issuer: str = strawberry.field(
        description="e.g. https://accounts.google.com; its discovery document is checked first."
    )
    audience: str = strawberry.field(description="The client id the provider issues tokens to.")
    user_claim: str = strawberry.field(default="email", description="Usually email.")
    jit_domains: list[str] = strawberry.field(
        default_factory=list,
        description="Create unknown users of these email domains as teachers (default: none).",
    )


@strawberry.type
class SetDistrictSignInPayload:
    sign_in: DistrictSignInType | None
    user_errors: list[UserError]


@strawberry.input
class RevokeUserTokensInput:
    user_id: strawberry.ID = strawberry.field(description="A User of your district.")


@strawberry.type
class RevokeUserTokensPayload:
    user_id: strawberry.ID | None
    tokens_valid_after: datetime | None = strawberry.field(
        description="Tokens issued before this moment are refused."
    )
    user_errors: list[UserError]


def _errors(error: UserInputError | PermissionDenied) -> list[UserError]:
    if isinstance(error, PermissionDenied):
        return [UserError(field=["input"], message=str(error), code=error.code)]
    return [UserError(field=list(p.field), message=p.message, code=p.code) for p in error.problems]


@strawberry.type
class Query:
    @strawberry.field(description="District admins: how your district signs in; null until set.")
    async def district_sign_in(self, info: Info) -> DistrictSignInType | None:
        row = await info.context.read(service.sign_in_of)
        return DistrictSignInType.from_row(row) if row is not None else None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="A district admin connects the district's OpenID Connect provider (its "
        "discovery document must answer and name the issuer). Audited."
    )
    async def set_district_sign_in(
        self, info: Info, input: SetDistrictSignInInput
    ) -> SetDistrictSignInPayload:
        actor, settings = info.context.actor, info.context.settings
        loopback = not settings.is_production
        try:  # checked before the transaction: a write never waits on the provider
            service.may_configure(actor)
            wanted = service.clean_sign_in(
                input.issuer,
                input.audience,
                input.user_claim,
                input.jit_domains,
                allow_http_loopback=loopback,
            )
            await service.check_provider(
                wanted.issuer, settings.oidc_timeout_seconds, allow_http_loopback=loopback
            )
        except (UserInputError, PermissionDenied) as error:
            return SetDistrictSignInPayload(sign_in=None, user_errors=_errors(error))
        row, errors = await run_mutation(
            info, lambda session: service.set_sign_in(session, actor, wanted)
        )
        return SetDistrictSignInPayload(
            sign_in=DistrictSignInType.from_row(row) if row is not None else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="A district admin signs a user of the district out everywhere: every token "
        "issued before now is refused. Audited."
    )
    async def revoke_user_tokens(
        self, info: Info, input: RevokeUserTokensInput
    ) -> RevokeUserTokensPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.User:
            user_id = decode_id(input.user_id, "User", ("input", "userId"))
            return await service.revoke_tokens(session, actor, user_id)

        user, errors = await run_mutation(info, work)
        return RevokeUserTokensPayload(
            user_id=to_global_id("User", user.id) if user is not None else None,
            tokens_valid_after=user.tokens_valid_after if user is not None else None,
            user_errors=errors,
        )
