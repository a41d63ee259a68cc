"""Web mode: the console served to a browser (textual-serve) behind a token, an Origin check,
a session cap and the audit log. `auth` is plain Python; `server` is the aiohttp side."""
