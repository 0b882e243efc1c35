"""The one settings object, read from the environment (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    data_dir: Path = Field(default=Path("./instance"), validation_alias="MICROCRED_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    base_url: str = Field(default="http://127.0.0.1:8000", validation_alias="MICROCRED_BASE_URL")
    # Master key for envelope encryption of private keys; if unset, kept in <data_dir>/master.key.
    master_key: str | None = Field(default=None, validation_alias="MICROCRED_MASTER_KEY")
    # JSON file mapping verification-method URL -> publicKeyMultibase (pinned keys).
    trusted_keys_file: Path | None = Field(default=None, validation_alias="MICROCRED_TRUSTED_KEYS")
    # Comma-separated host names whose did:web / https keys may be fetched (HTTPS only).
    trusted_hosts: str = Field(default="", validation_alias="MICROCRED_TRUSTED_HOSTS")
    # Bearer token for the authenticated JSON API; if unset, kept in <data_dir>/api-token.
    api_token: str | None = Field(default=None, validation_alias="MICROCRED_API_TOKEN")
    max_body_bytes: int = 1024 * 1024
    # Evidence file uploads (also bounded by max_body_bytes over HTTP).
    max_evidence_bytes: int = Field(default=1000 * 1024, validation_alias="MICROCRED_MAX_EVIDENCE_BYTES")
    # Bulk issuance: the largest CSV file a batch is made from (the CLI; over HTTP max_body_bytes applies too).
    max_bulk_file_bytes: int = Field(default=50 * 1024 * 1024, validation_alias="MICROCRED_MAX_BULK_FILE_BYTES")
    # Web sign-in: one-time links are mailed through this SMTP server (no TLS/auth: a local relay).
    smtp_host: str = Field(default="127.0.0.1", validation_alias="MICROCRED_SMTP_HOST")
    smtp_port: int = Field(default=25, validation_alias="MICROCRED_SMTP_PORT")
    smtp_sender: str = Field(default="microcred@localhost", validation_alias="MICROCRED_SMTP_SENDER")
    # Award mails of bulk batches: at most this many messages a second per worker (0: no limit).
    mail_rate_per_second: float = Field(default=10.0, ge=0, validation_alias="MICROCRED_MAIL_RATE_PER_SECOND")
    # Signs session cookies and CSRF tokens; if unset, derived from the master key.
    session_secret: str | None = Field(default=None, validation_alias="MICROCRED_SESSION_SECRET")
    # The instance's default language (en or fr): pages without a choice or Accept-Language match.
    default_language: str = Field(default="en", validation_alias="MICROCRED_DEFAULT_LANGUAGE")
    # Counts of public page views, downloads, verifications and list fetches are stored together at most this many
    # seconds after they happen (0: each at once); see microcred.web.counting.
    count_window_seconds: float = Field(default=1.0, ge=0, le=60, validation_alias="MICROCRED_COUNT_WINDOW_SECONDS")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'microcred.db').resolve()}"

    @property
    def trusted_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.trusted_hosts.split(",") if h.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
