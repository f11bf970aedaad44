"""``district sso``: connect a district's OpenID Connect provider."""
