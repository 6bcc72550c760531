"""Settings read from the environment, in one place (documented in the README's Configuration).

- `Q2030_BASE_URL`: the public address of the app (`https://q2030.exemple.gouv.fr`), for every
  absolute link it writes: the public page's address to share and agenda subscription
  (webcal://), the links of the reminder e-mails. Default `http://localhost:8501`.
- `Q2030_CONTACT`: the address residents and agents write to (accessibility, personal data).
"""

from __future__ import annotations

import os

DEFAULT_BASE_URL = "http://localhost:8501"


def base_url() -> str:
    """The configured public address, without a trailing slash."""
    return (os.environ.get("Q2030_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")


def base_url_configured() -> bool:
    return bool((os.environ.get("Q2030_BASE_URL") or "").strip())


def contact() -> str:
    """The contact address shown on the accessibility and personal data pages ("" when unset)."""
    return (os.environ.get("Q2030_CONTACT") or "").strip()
