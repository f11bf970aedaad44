"""Sign-in: a district's OpenID Connect provider, and revoking a user's tokens."""
