"""People who sign in: users, their roles, one-time sign-in links, passwords (argon2) and sign-in rate limits."""
