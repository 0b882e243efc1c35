"""Transcripts (issue 8): transcript fields on definitions and awards, CLR 2.0, registrar PDF/CSV records,
stackable pathways and external (third-party) credentials counted toward them."""
