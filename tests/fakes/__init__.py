"""Fakes that behave like the real services: the Sheets API (over ``responses``)
and, later, an SMTP server."""
